import Foundation
import GRDB
import IngotCore
import IngotStorage

/// `state.config_update` values (Databricks).
public enum ConfigUpdateState: String, Sendable, Codable {
    case notUpdating = "NOT_UPDATING"
    case inProgress = "IN_PROGRESS"
    case updateFailed = "UPDATE_FAILED"
    case updateCanceled = "UPDATE_CANCELED"
}

public struct EndpointTag: Codable, Sendable, Equatable {
    public var key: String
    public var value: String?
    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }
}

/// One endpoint row: the config serving traffic (nil until the first one is ready) and the config
/// being rolled out.
public struct EndpointRecord: Sendable, Equatable {
    public var name: String
    public var id: String
    public var creator: String?
    public var description: String?
    public var tags: [EndpointTag]
    public var creationTimestamp: Int64
    public var lastUpdatedTimestamp: Int64
    public var config: EndpointConfig?
    public var configVersion: Int
    public var pendingConfig: EndpointConfig?
    public var pendingVersion: Int?
    public var configUpdate: ConfigUpdateState
    public var updateMessage: String?
    /// Databricks' `rate_limits`, enforced in memory by ``RateLimitTable``.
    public var rateLimits: [RateLimit] = []
}

/// Endpoint records in the metadata store (table `serving_endpoints`, owned by this module).
public struct EndpointStore: Sendable {
    let writer: any DatabaseWriter

    public init(metadata: MetadataStore) { self.writer = metadata.writer }

    static func encode(_ c: EndpointConfig?) -> String? {
        guard let c, let data = try? JSONEncoder().encode(c) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ t: T.Type, _ s: String?) -> T? {
        guard let s else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(s.utf8))
    }

    static func record(_ row: Row) -> EndpointRecord {
        EndpointRecord(
            name: row["name"], id: row["id"], creator: row["creator"], description: row["description"],
            tags: decode([EndpointTag].self, row["tags"]) ?? [], creationTimestamp: row["creation_timestamp"],
            lastUpdatedTimestamp: row["last_updated_timestamp"], config: decode(EndpointConfig.self, row["config"]),
            configVersion: row["config_version"], pendingConfig: decode(EndpointConfig.self, row["pending_config"]),
            pendingVersion: row["pending_version"], configUpdate: ConfigUpdateState(rawValue: row["config_update"]) ?? .notUpdating,
            updateMessage: row["update_message"], rateLimits: decode([RateLimit].self, row["rate_limits"]) ?? [])
    }

    public func insert(
        name: String, creator: String?, description: String?, tags: [EndpointTag], pending: EndpointConfig, rateLimits: [RateLimit] = []
    ) async throws -> EndpointRecord {
        let now = Clock.nowMillis()
        let id = IDGenerator.uuid().replacingOccurrences(of: "-", with: "")
        let tagText = String(decoding: try JSONEncoder().encode(tags), as: UTF8.self)
        let limitText = String(decoding: try JSONEncoder().encode(rateLimits), as: UTF8.self)
        do {
            try await writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO serving_endpoints (name, id, creator, description, tags, creation_timestamp, last_updated_timestamp,
                            config, config_version, pending_config, pending_version, config_update, rate_limits)
                        VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, 1, 'IN_PROGRESS', ?)
                        """, arguments: [name, id, creator, description, tagText, now, now, Self.encode(pending), limitText])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY || error.resultCode == .SQLITE_CONSTRAINT {
            throw ServingError(.alreadyExists, "Endpoint with name '\(name)' already exists")
        }
        return try await get(name)
    }

    public func find(_ name: String) async throws -> EndpointRecord? {
        try await writer.read { db in try Row.fetchOne(db, sql: "SELECT * FROM serving_endpoints WHERE name = ?", arguments: [name]).map(Self.record)
        }
    }

    public func get(_ name: String) async throws -> EndpointRecord {
        guard let r = try await find(name) else { throw ServingError.notFound("Endpoint with name '\(name)' does not exist") }
        return r
    }

    public func list() async throws -> [EndpointRecord] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM serving_endpoints ORDER BY name").map(Self.record) }
    }

    public func delete(_ name: String) async throws {
        let n = try await writer.write { db in
            try db.execute(sql: "DELETE FROM serving_endpoints WHERE name = ?", arguments: [name])
            return db.changesCount
        }
        if n == 0 { throw ServingError.notFound("Endpoint with name '\(name)' does not exist") }
    }

    /// Starts a config update unless one is in progress; returns the pending version number.
    public func beginUpdate(_ name: String, pending: EndpointConfig) async throws -> Int {
        try await writer.write { db in try Self.beginUpdate(db, name, pending: pending) }
    }

    /// ``beginUpdate(_:pending:)`` inside a caller's transaction (a rollout starts with it).
    static func beginUpdate(_ db: Database, _ name: String, pending: EndpointConfig) throws -> Int {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM serving_endpoints WHERE name = ?", arguments: [name]) else {
            throw ServingError.notFound("Endpoint with name '\(name)' does not exist")
        }
        let r = Self.record(row)
        if r.configUpdate == .inProgress {
            throw ServingError(.updateInProgress, "Endpoint '\(name)' is already updating its config; wait for the update to finish")
        }
        let version = max(r.configVersion, r.pendingVersion ?? 0) + 1
        try db.execute(
            sql: """
                UPDATE serving_endpoints SET pending_config = ?, pending_version = ?, config_update = 'IN_PROGRESS', update_message = NULL,
                    last_updated_timestamp = ? WHERE name = ?
                """, arguments: [Self.encode(pending), version, Clock.nowMillis(), name])
        return version
    }

    /// Replaces the serving config while an update (a rollout) stays in progress.
    public func setServing(_ name: String, config: EndpointConfig) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE serving_endpoints SET config = ?, last_updated_timestamp = ? WHERE name = ?",
                arguments: [Self.encode(config), Clock.nowMillis(), name])
        }
    }

    /// Ends an update without promoting it (a rollout rolled back or canceled): the pending config
    /// goes, the state says why.
    public func abandon(_ name: String, version: Int, state: ConfigUpdateState, message: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE serving_endpoints SET pending_config = NULL, pending_version = NULL, config_update = ?, update_message = ?,
                        last_updated_timestamp = ? WHERE name = ? AND pending_version = ?
                    """, arguments: [state.rawValue, message, Clock.nowMillis(), name, version])
        }
    }

    /// Replaces an endpoint's rate limits.
    public func setRateLimits(_ name: String, _ limits: [RateLimit]) async throws -> EndpointRecord {
        let text = String(decoding: try JSONEncoder().encode(limits), as: UTF8.self)
        let n = try await writer.write { db in
            try db.execute(sql: "UPDATE serving_endpoints SET rate_limits = ? WHERE name = ?", arguments: [text, name])
            return db.changesCount
        }
        if n == 0 { throw ServingError.notFound("Endpoint with name '\(name)' does not exist") }
        return try await get(name)
    }

    /// The pending config now carries all traffic.
    public func promote(_ name: String, version: Int, config: EndpointConfig) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE serving_endpoints SET config = ?, config_version = ?, pending_config = NULL, pending_version = NULL,
                        config_update = 'NOT_UPDATING', update_message = NULL, last_updated_timestamp = ? WHERE name = ? AND pending_version = ?
                    """, arguments: [Self.encode(config), version, Clock.nowMillis(), name, version])
        }
    }

    /// The pending config failed to load; the old config keeps serving.
    public func fail(_ name: String, version: Int, message: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE serving_endpoints SET config_update = 'UPDATE_FAILED', update_message = ?, last_updated_timestamp = ?
                    WHERE name = ? AND pending_version = ?
                    """, arguments: [message, Clock.nowMillis(), name, version])
        }
    }
}
