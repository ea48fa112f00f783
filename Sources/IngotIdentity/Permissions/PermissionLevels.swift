/// Databricks' object types with access-control lists and their permission levels, lowest first.
/// A higher level implies every lower one (CAN_MANAGE on an experiment allows CAN_READ).
public enum ACLObjectType: String, Sendable, CaseIterable, Codable {
    case experiments
    case registeredModels = "registered-models"
    case servingEndpoints = "serving-endpoints"
    case pipelines
    case jobs

    /// Levels in increasing order of power.
    public var levels: [String] {
        switch self {
        case .experiments: ["CAN_READ", "CAN_EDIT", "CAN_MANAGE"]
        case .registeredModels:
            ["CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS", "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE"]
        case .servingEndpoints: ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"]
        case .pipelines: ["CAN_VIEW", "CAN_RUN", "CAN_MANAGE", "IS_OWNER"]
        case .jobs: ["CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"]
        }
    }

    /// The level a creator gets: the top one.
    public var ownerLevel: String { levels.last! }

    /// The level needed to change the object's ACL.
    public var manageLevel: String { "CAN_MANAGE" }

    /// Rank of a level (nil when the level does not exist for this type).
    public func rank(_ level: String) -> Int? { levels.firstIndex(of: level.uppercased()) }

    /// Human name used in error messages ("experiment 12").
    public var singular: String {
        switch self {
        case .experiments: "experiment"
        case .registeredModels: "registered model"
        case .servingEndpoints: "serving endpoint"
        case .pipelines: "pipeline"
        case .jobs: "job"
        }
    }
}

/// Unity Catalog securables that take grants; privileges flow downward (catalog → schema → table/volume).
public enum SecurableType: String, Sendable, CaseIterable, Codable {
    case catalog, schema, table, volume, function
    case registeredModel = "registered_model"

    public static let privileges: [String] = [
        "USE CATALOG", "USE SCHEMA", "SELECT", "MODIFY", "CREATE TABLE", "CREATE SCHEMA", "READ VOLUME", "WRITE VOLUME", "CREATE VOLUME",
        "MANAGE",
        "ALL PRIVILEGES",
    ]

    /// Privileges on functions and registered models (EXECUTE) and on the schemas that hold them.
    public static let objectPrivileges: [String] = ["EXECUTE", "CREATE FUNCTION", "CREATE MODEL"]

    /// Normalizes `use_catalog`/`USE_CATALOG`/`use catalog` to `USE CATALOG`; nil when unknown.
    public static func privilege(_ raw: String) -> String? {
        let name = raw.uppercased().replacingOccurrences(of: "_", with: " ")
        return privileges.contains(name) || objectPrivileges.contains(name) ? name : nil
    }

    /// The securable's own full name and every ancestor's, outermost first: `a.b.c` → [a, a.b, a.b.c].
    public static func lineage(_ fullName: String) -> [String] {
        let parts = fullName.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        return (1...max(parts.count, 1)).map { parts.prefix($0).joined(separator: ".") }
    }
}

/// Who a permission row is for.
public enum GranteeKind: String, Sendable, Codable {
    case user
    case group
    case servicePrincipal = "service_principal"
}
