import Foundation

/// A served entity as a client sends it (Databricks' `served_entities[]`, plus the legacy
/// `served_models[]` names and Ingot's extensions: `alias`, `shadow`, concurrency bounds).
public struct ServedEntityInput: Codable, Sendable, Equatable {
    public var name: String?
    public var entity_name: String?
    public var entity_version: String?
    public var model_name: String?
    public var model_version: String?
    /// Ingot: serve whatever version this registry alias points at (same as `entity_version: "@alias"`).
    public var alias: String?
    public var workload_size: String?
    public var scale_to_zero_enabled: Bool?
    public var min_provisioned_concurrency: Int?
    public var max_provisioned_concurrency: Int?
    public var environment_vars: [String: String]?
    /// Ingot: receives a copy of traffic; its answers are logged, never returned.
    public var shadow: Bool?

    public init(
        name: String? = nil, entity_name: String? = nil, entity_version: String? = nil, alias: String? = nil, workload_size: String? = nil,
        scale_to_zero_enabled: Bool? = nil, min_provisioned_concurrency: Int? = nil, max_provisioned_concurrency: Int? = nil,
        environment_vars: [String: String]? = nil, shadow: Bool? = nil
    ) {
        self.name = name
        self.entity_name = entity_name
        self.entity_version = entity_version
        self.alias = alias
        self.workload_size = workload_size
        self.scale_to_zero_enabled = scale_to_zero_enabled
        self.min_provisioned_concurrency = min_provisioned_concurrency
        self.max_provisioned_concurrency = max_provisioned_concurrency
        self.environment_vars = environment_vars
        self.shadow = shadow
    }

    enum CodingKeys: String, CodingKey {
        case name, entity_name, entity_version, model_name, model_version, alias, workload_size, scale_to_zero_enabled
        case min_provisioned_concurrency, max_provisioned_concurrency, environment_vars, shadow
    }

    /// Versions arrive as strings (Databricks) or numbers (hand-written JSON); both are accepted.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func flexible(_ key: CodingKeys) throws -> String? {
            if let s = try? c.decodeIfPresent(String.self, forKey: key) { return s }
            if let i = try? c.decodeIfPresent(Int.self, forKey: key) { return String(i) }
            if c.contains(key), try !c.decodeNil(forKey: key) { throw ServingError.invalid("\(key.rawValue) must be a string or a number") }
            return nil
        }
        name = try c.decodeIfPresent(String.self, forKey: .name)
        entity_name = try c.decodeIfPresent(String.self, forKey: .entity_name)
        entity_version = try flexible(.entity_version)
        model_name = try c.decodeIfPresent(String.self, forKey: .model_name)
        model_version = try flexible(.model_version)
        alias = try c.decodeIfPresent(String.self, forKey: .alias)
        workload_size = try c.decodeIfPresent(String.self, forKey: .workload_size)
        scale_to_zero_enabled = try c.decodeIfPresent(Bool.self, forKey: .scale_to_zero_enabled)
        min_provisioned_concurrency = try c.decodeIfPresent(Int.self, forKey: .min_provisioned_concurrency)
        max_provisioned_concurrency = try c.decodeIfPresent(Int.self, forKey: .max_provisioned_concurrency)
        environment_vars = try c.decodeIfPresent([String: String].self, forKey: .environment_vars)
        shadow = try c.decodeIfPresent(Bool.self, forKey: .shadow)
    }
}

/// One traffic route: which served entity and what share of requests.
public struct TrafficRouteInput: Codable, Sendable, Equatable {
    public var served_model_name: String?
    public var served_entity_name: String?
    public var traffic_percentage: Int?

    public init(served_entity_name: String, traffic_percentage: Int) {
        self.served_entity_name = served_entity_name
        self.traffic_percentage = traffic_percentage
    }
}

public struct TrafficConfigInput: Codable, Sendable, Equatable {
    public var routes: [TrafficRouteInput]?
    public init(routes: [TrafficRouteInput]?) { self.routes = routes }
}

/// The `config` of a create request and the body of `PUT …/config`.
public struct EndpointConfigInput: Codable, Sendable, Equatable {
    public var served_entities: [ServedEntityInput]?
    public var served_models: [ServedEntityInput]?
    public var traffic_config: TrafficConfigInput?
    /// Databricks' inference table settings; omitted in an update, the current ones are kept.
    public var auto_capture_config: AutoCaptureConfigInput?

    public init(served_entities: [ServedEntityInput]?, traffic_config: TrafficConfigInput? = nil, auto_capture_config: AutoCaptureConfigInput? = nil) {
        self.served_entities = served_entities
        self.traffic_config = traffic_config
        self.auto_capture_config = auto_capture_config
    }
}

/// Databricks' `auto_capture_config`: log every request and response to the table
/// `<catalog_name>.<schema_name>.<table_name_prefix>_payload`.
public struct AutoCaptureConfigInput: Codable, Sendable, Equatable {
    public var catalog_name: String?
    public var schema_name: String?
    public var table_name_prefix: String?
    public var enabled: Bool?

    public init(catalog_name: String?, schema_name: String?, table_name_prefix: String? = nil, enabled: Bool? = true) {
        self.catalog_name = catalog_name
        self.schema_name = schema_name
        self.table_name_prefix = table_name_prefix
        self.enabled = enabled
    }
}

/// A validated inference table setting.
public struct AutoCaptureConfig: Codable, Sendable, Equatable {
    public var catalog: String
    public var schema: String
    /// The table name prefix (the endpoint name, with '-' as '_', when the client gave none).
    public var tablePrefix: String
    public var enabled: Bool

    public init(catalog: String, schema: String, tablePrefix: String, enabled: Bool) {
        self.catalog = catalog
        self.schema = schema
        self.tablePrefix = tablePrefix
        self.enabled = enabled
    }

    /// The payload table's name: `<prefix>_payload`.
    public var payloadTable: String { tablePrefix + "_payload" }
}

/// A validated served entity, as stored and deployed.
public struct ServedEntity: Codable, Sendable, Equatable {
    public var name: String
    public var modelName: String
    /// The pinned version, when the client named one.
    public var version: Int?
    /// The registry alias, when the client named one instead (re-resolved when it moves).
    public var alias: String?
    /// The version actually deployed (== `version`, or the alias's target at deploy time).
    public var resolvedVersion: Int?
    public var workloadSize: String
    public var scaleToZero: Bool
    public var minConcurrency: Int
    public var maxConcurrency: Int
    public var environment: [String: String]
    public var shadow: Bool

    public init(
        name: String, modelName: String, version: Int?, alias: String?, resolvedVersion: Int?, workloadSize: String = "Small",
        scaleToZero: Bool = false, minConcurrency: Int = 1, maxConcurrency: Int = 2, environment: [String: String] = [:], shadow: Bool = false
    ) {
        self.name = name
        self.modelName = modelName
        self.version = version
        self.alias = alias
        self.resolvedVersion = resolvedVersion
        self.workloadSize = workloadSize
        self.scaleToZero = scaleToZero
        self.minConcurrency = minConcurrency
        self.maxConcurrency = maxConcurrency
        self.environment = environment
        self.shadow = shadow
    }

    /// What must match for a running entity to be reused by a new config without reloading.
    public var loadKey: String {
        "\(modelName)|\(resolvedVersion ?? -1)|\(scaleToZero)|\(minConcurrency)|\(maxConcurrency)|"
            + environment.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

public struct TrafficRoute: Codable, Sendable, Equatable {
    public var entityName: String
    public var percentage: Int

    public init(entityName: String, percentage: Int) {
        self.entityName = entityName
        self.percentage = percentage
    }
}

/// A validated endpoint configuration.
public struct EndpointConfig: Codable, Sendable, Equatable {
    public var entities: [ServedEntity]
    public var routes: [TrafficRoute]
    /// The inference table, when the endpoint logs its requests (`auto_capture_config`).
    public var autoCapture: AutoCaptureConfig?

    public init(entities: [ServedEntity], routes: [TrafficRoute], autoCapture: AutoCaptureConfig? = nil) {
        self.entities = entities
        self.routes = routes
        self.autoCapture = autoCapture
    }

    public var servedEntities: [ServedEntity] { entities.filter { !$0.shadow } }
    public var shadowEntities: [ServedEntity] { entities.filter(\.shadow) }
}
