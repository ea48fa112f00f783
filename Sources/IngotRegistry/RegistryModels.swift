/// The registry's entities in MLflow's wire shape (`model_registry.proto`): snake_case fields,
/// versions as strings, unset fields omitted when encoded.

/// A `{key, value}` tag.
public struct RegistryTag: Codable, Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// An alias pointing at a version of a registered model.
public struct RegisteredModelAlias: Codable, Sendable, Hashable {
    public var alias: String
    public var version: String

    public init(alias: String, version: String) {
        self.alias = alias
        self.version = version
    }
}

/// The deprecated MLflow stages, still honoured for old clients.
public enum ModelStage: String, Sendable, CaseIterable, Codable {
    case none = "None"
    case staging = "Staging"
    case production = "Production"
    case archived = "Archived"

    /// Parses a stage case-insensitively, with MLflow's error for anything else.
    public static func canonical(_ raw: String) throws -> ModelStage {
        guard let stage = allCases.first(where: { $0.rawValue.lowercased() == raw.lowercased() }) else {
            throw RegistryError.invalidParameter(
                "Invalid Model Version stage: \(raw). Value must be one of None, Staging, Production, Archived.")
        }
        return stage
    }

    /// Stages that `archive_existing_versions` may archive into.
    public var isActive: Bool { self == .staging || self == .production }
}

/// One version of a registered model.
public struct ModelVersion: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var creation_timestamp: Int64
    public var last_updated_timestamp: Int64?
    public var user_id: String?
    public var current_stage: String
    public var description: String?
    public var source: String
    public var run_id: String?
    public var status: String
    public var status_message: String?
    public var tags: [RegistryTag]
    public var run_link: String?
    public var aliases: [String]
    public var model_id: String?

    public var versionNumber: Int64 { Int64(version) ?? 0 }
}

/// A registered model with its latest version per stage, tags and aliases.
public struct RegisteredModel: Codable, Sendable, Equatable {
    public var name: String
    public var creation_timestamp: Int64
    public var last_updated_timestamp: Int64?
    public var description: String?
    public var latest_versions: [ModelVersion]
    public var tags: [RegistryTag]
    public var aliases: [RegisteredModelAlias]
}

/// One page of a search and the opaque token for the next one.
public struct RegistryPage<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextPageToken: String?

    public init(items: [Item], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }
}

/// Where a version's files are and what produced them, recorded when the version is created.
public struct ModelVersionLineage: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var source: String
    /// The resolved artifact location (what serving and downloads read).
    public var artifact_location: String
    public var run_id: String?
    public var model_id: String?
    public var experiment_id: String?
    public var datasets: [LineageDataset]
}

/// A dataset a version's source run logged as an input.
public struct LineageDataset: Codable, Sendable, Equatable {
    public var name: String
    public var digest: String
    public var source_type: String
    public var source: String
    public var context: String?

    public init(name: String, digest: String, source_type: String, source: String, context: String?) {
        self.name = name
        self.digest = digest
        self.source_type = source_type
        self.source = source
        self.context = context
    }
}
