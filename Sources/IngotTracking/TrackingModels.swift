/// MLflow's tracking entities in their wire shape: field names are MLflow's snake_case JSON
/// names, optional fields are omitted when unset, int64 values are numbers.

/// A key/value pair: experiment, run, logged-model, trace and input tags, and params.
public struct KeyValue: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

public struct Experiment: Codable, Sendable, Equatable {
    public var experiment_id: String
    public var name: String
    public var artifact_location: String
    public var lifecycle_stage: String
    public var creation_time: Int64?
    public var last_update_time: Int64?
    public var tags: [KeyValue]?
}

/// One metric value; `run_id` is set only in bulk-interval answers.
public struct Metric: Codable, Sendable, Equatable {
    public var key: String
    public var value: Double
    public var timestamp: Int64
    public var step: Int64
    public var dataset_name: String?
    public var dataset_digest: String?
    public var model_id: String?
    public var run_id: String?

    public init(
        key: String, value: Double, timestamp: Int64, step: Int64, datasetName: String? = nil, datasetDigest: String? = nil,
        modelID: String? = nil, runID: String? = nil
    ) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.step = step
        self.dataset_name = datasetName
        self.dataset_digest = datasetDigest
        self.model_id = modelID
        self.run_id = runID
    }

    public static func == (a: Metric, b: Metric) -> Bool {
        a.key == b.key && (a.value == b.value || (a.value.isNaN && b.value.isNaN)) && a.timestamp == b.timestamp && a.step == b.step
    }
}

public struct RunInfo: Codable, Sendable, Equatable {
    public var run_id: String
    public var run_uuid: String
    public var run_name: String?
    public var experiment_id: String
    public var user_id: String?
    public var status: String
    public var start_time: Int64?
    public var end_time: Int64?
    public var artifact_uri: String
    public var lifecycle_stage: String
}

public struct RunData: Codable, Sendable, Equatable {
    public var metrics: [Metric]?
    public var params: [KeyValue]?
    public var tags: [KeyValue]?
}

public struct Dataset: Codable, Sendable, Equatable {
    public var name: String
    public var digest: String
    public var source_type: String
    public var source: String
    public var schema: String?
    public var profile: String?

    public init(name: String, digest: String, source_type: String, source: String, schema: String?, profile: String?) {
        self.name = name
        self.digest = digest
        self.source_type = source_type
        self.source = source
        self.schema = schema
        self.profile = profile
    }
}

public struct DatasetInput: Codable, Sendable, Equatable {
    public var tags: [KeyValue]?
    public var dataset: Dataset

    public init(tags: [KeyValue]?, dataset: Dataset) {
        self.tags = tags
        self.dataset = dataset
    }
}

public struct ModelInput: Codable, Sendable, Equatable {
    public var model_id: String
    public init(model_id: String) { self.model_id = model_id }
}

public struct ModelOutput: Codable, Sendable, Equatable {
    public var model_id: String
    public var step: Int64
    public init(model_id: String, step: Int64) {
        self.model_id = model_id
        self.step = step
    }
}

public struct RunInputs: Codable, Sendable, Equatable {
    public var dataset_inputs: [DatasetInput]?
    public var model_inputs: [ModelInput]?
}

public struct RunOutputs: Codable, Sendable, Equatable {
    public var model_outputs: [ModelOutput]?
}

public struct Run: Codable, Sendable, Equatable {
    public var info: RunInfo
    public var data: RunData
    public var inputs: RunInputs
    public var outputs: RunOutputs
}

// MARK: - Logged models (MLflow 3)

public struct LoggedModelInfo: Codable, Sendable, Equatable {
    public var model_id: String
    public var experiment_id: String
    public var name: String
    public var creation_timestamp_ms: Int64
    public var last_updated_timestamp_ms: Int64
    public var artifact_uri: String
    public var status: String
    public var creator_id: String?
    public var model_type: String?
    public var source_run_id: String?
    public var status_message: String?
    public var tags: [KeyValue]?
}

public struct LoggedModelData: Codable, Sendable, Equatable {
    public var params: [KeyValue]?
    public var metrics: [Metric]?
}

public struct LoggedModel: Codable, Sendable, Equatable {
    public var info: LoggedModelInfo
    public var data: LoggedModelData
}

/// A page of results and the opaque token for the next one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextPageToken: String?
}

/// Which lifecycle stages a search covers.
public enum ViewType: String, Sendable {
    case activeOnly = "ACTIVE_ONLY"
    case deletedOnly = "DELETED_ONLY"
    case all = "ALL"

    /// Parses MLflow's enum name (or its number, 1/2/3); nil or empty means ACTIVE_ONLY.
    public static func parse(_ text: String?) throws -> ViewType {
        guard let text, !text.isEmpty else { return .activeOnly }
        switch text.uppercased() {
        case "ACTIVE_ONLY", "1": return .activeOnly
        case "DELETED_ONLY", "2": return .deletedOnly
        case "ALL", "3": return .all
        default: throw TrackingError.invalidParameter("Invalid view type '\(text)'")
        }
    }

    var stages: [String] {
        switch self {
        case .activeOnly: ["active"]
        case .deletedOnly: ["deleted"]
        case .all: ["active", "deleted"]
        }
    }
}

/// Run statuses MLflow accepts.
public enum RunStatus {
    public static let all: Set<String> = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]
    public static let terminal: Set<String> = ["FINISHED", "FAILED", "KILLED"]

    /// Parses a status by name or by its proto number.
    public static func parse(_ text: String) throws -> String {
        let upper = text.uppercased()
        if all.contains(upper) { return upper }
        switch text {
        case "1": return "RUNNING"
        case "2": return "SCHEDULED"
        case "3": return "FINISHED"
        case "4": return "FAILED"
        case "5": return "KILLED"
        default: throw TrackingError.invalidParameter("Invalid value \(text) for parameter 'status' supplied.")
        }
    }
}
