import Foundation
import GRDB
import IngotCore
import IngotStorage

/// The quality module's migrations (registered by the composition root after the catalog's). Append only.
public enum QualityModule {
    public static let migrations: [Migration] = [
        Migration("quality.v1") { db in
            try db.execute(sql: """
                CREATE TABLE quality_monitors (
                    table_name TEXT PRIMARY KEY NOT NULL,
                    config TEXT NOT NULL,
                    health TEXT NOT NULL DEFAULT 'UNKNOWN',
                    creator TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE quality_refreshes (
                    refresh_id INTEGER PRIMARY KEY AUTOINCREMENT,
                    table_name TEXT NOT NULL REFERENCES quality_monitors(table_name) ON DELETE CASCADE,
                    state TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    start_time_ms INTEGER NOT NULL,
                    end_time_ms INTEGER,
                    message TEXT
                );
                CREATE INDEX quality_refreshes_by_table ON quality_refreshes(table_name, refresh_id);
                CREATE TABLE quality_results (
                    refresh_id INTEGER PRIMARY KEY REFERENCES quality_refreshes(refresh_id) ON DELETE CASCADE,
                    table_name TEXT NOT NULL,
                    table_version INTEGER NOT NULL,
                    health TEXT NOT NULL,
                    score REAL NOT NULL,
                    row_count INTEGER NOT NULL,
                    result TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX quality_results_by_table ON quality_results(table_name, refresh_id);
                CREATE TABLE quality_notifications (
                    id TEXT PRIMARY KEY NOT NULL,
                    table_name TEXT NOT NULL,
                    url TEXT NOT NULL,
                    secret TEXT,
                    event TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    last_status_code INTEGER,
                    last_error TEXT,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX quality_notifications_due ON quality_notifications(status, next_attempt_at);
                """)
        },
        Migration("quality.v2.follow-table") { db in try QualitySchema.followTables(db) },
    ]
}

enum QualitySchema {
    /// Monitors follow their table through a rename: a trigger on `catalog_tables` (the catalog's
    /// migrations run first) moves a monitor, its refreshes, results (and the `table_name` inside each
    /// result) and notifications to the new name in the rename's own transaction, whichever path renames
    /// it (UC PATCH, Iceberg REST, a catalog or schema rename). A monitor left under the new name by a
    /// table dropped before this migration is stale and goes first. Dropping a table drops its monitor
    /// (``QualityStore/forgetMonitors(_:table:under:)``, called by ``NamespaceStore``).
    static func followTables(_ db: Database) throws {
        let old = "OLD.catalog_name || '.' || OLD.schema_name || '.' || OLD.name"
        let new = "NEW.catalog_name || '.' || NEW.schema_name || '.' || NEW.name"
        try db.execute(sql: """
            CREATE TRIGGER quality_monitor_follows_rename AFTER UPDATE OF catalog_name, schema_name, name ON catalog_tables
            WHEN OLD.catalog_name <> NEW.catalog_name OR OLD.schema_name <> NEW.schema_name OR OLD.name <> NEW.name
            BEGIN
                DELETE FROM quality_results WHERE table_name = \(new);
                DELETE FROM quality_monitors WHERE table_name = \(new);
                UPDATE quality_monitors SET table_name = \(new) WHERE table_name = \(old);
                UPDATE quality_refreshes SET table_name = \(new) WHERE table_name = \(old);
                UPDATE quality_results SET table_name = \(new),
                    result = CASE WHEN json_valid(result) THEN json_set(result, '$.table_name', \(new)) ELSE result END
                    WHERE table_name = \(old);
                UPDATE quality_notifications SET table_name = \(new) WHERE table_name = \(old);
            END;
            """)
    }
}

extension QualityStore {
    /// Drops the monitors (with their refreshes and results) of a deleted table, or of every table
    /// under a deleted schema or catalog (`under`), inside the caller's transaction. Queued notifications
    /// stay and are still delivered. A no-op where the quality tables were never created.
    static func forgetMonitors(_ db: Database, table: String? = nil, under prefix: String? = nil) throws {
        guard try db.tableExists("quality_monitors") else { return }
        if let table {
            try db.execute(sql: "DELETE FROM quality_results WHERE table_name = ?", arguments: [table])
            try db.execute(sql: "DELETE FROM quality_monitors WHERE table_name = ?", arguments: [table])
        }
        if let prefix {
            for t in ["quality_results", "quality_monitors"] {
                try db.execute(sql: "DELETE FROM \(t) WHERE substr(table_name, 1, length(:n) + 1) = :n || '.'", arguments: ["n": prefix])
            }
        }
    }
}

/// A queued quality notification (one webhook POST, retried until delivered or out of attempts).
public struct QualityNotification: Sendable, Equatable, Codable {
    public var id: String
    public var table_name: String
    public var url: String
    public var secret: String?
    public var event: String
    public var payload: String
    public var status: String
    public var attempts: Int
    public var next_attempt_at: Int64
    public var last_status_code: Int?
    public var last_error: String?
    public var created_at: Int64
}

/// Monitors, refreshes, results and notifications in the metadata store; every value is a bound parameter.
public struct QualityStore: Sendable {
    let db: any DatabaseWriter
    static let encoder: JSONEncoder = { let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]; return e }()

    public init(metadata: MetadataStore) { db = metadata.writer }

    static func json<T: Encodable>(_ v: T) throws -> String { String(decoding: try encoder.encode(v), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }

    // MARK: monitors

    public func createMonitor(_ name: TableName, config: MonitorConfig, creator: String, now: Int64) async throws -> MonitorRecord {
        let text = try Self.json(config)
        try await db.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM quality_monitors WHERE table_name = ?", arguments: [name.description]) == true {
                throw CatalogError.alreadyExists("Monitor for table '\(name)' already exists")
            }
            try db.execute(sql: "INSERT INTO quality_monitors (table_name, config, health, creator, created_at, updated_at) VALUES (?, ?, 'UNKNOWN', ?, ?, ?)",
                           arguments: [name.description, text, creator, now, now])
        }
        return MonitorRecord(tableName: name, config: config, health: .unknown, createdAt: now, updatedAt: now, creator: creator)
    }

    public func monitor(_ name: TableName) async throws -> MonitorRecord? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM quality_monitors WHERE table_name = ?", arguments: [name.description]) }
            .map(Self.monitor)
    }

    public func monitors() async throws -> [MonitorRecord] {
        try await db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM quality_monitors ORDER BY table_name") }.map(Self.monitor)
    }

    public func updateMonitor(_ name: TableName, config: MonitorConfig, now: Int64) async throws {
        let text = try Self.json(config)
        try await db.write { db in
            try db.execute(sql: "UPDATE quality_monitors SET config = ?, updated_at = ? WHERE table_name = ?", arguments: [text, now, name.description])
            if db.changesCount == 0 { throw CatalogError.notFound("Table '\(name)' has no monitor") }
        }
    }

    public func deleteMonitor(_ name: TableName) async throws {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM quality_results WHERE table_name = ?", arguments: [name.description])
            try db.execute(sql: "DELETE FROM quality_monitors WHERE table_name = ?", arguments: [name.description])
            if db.changesCount == 0 { throw CatalogError.notFound("Table '\(name)' has no monitor") }
        }
    }

    static func monitor(_ row: Row) -> MonitorRecord {
        let name = try! TableName(parsing: row["table_name"] as String)
        let config = (try? decode(MonitorConfig.self, row["config"])) ?? MonitorConfig()
        return MonitorRecord(tableName: name, config: config, health: TableHealth(rawValue: row["health"]) ?? .unknown,
                             createdAt: row["created_at"], updatedAt: row["updated_at"], creator: row["creator"])
    }

    // MARK: refreshes

    public func startRefresh(_ name: TableName, trigger: String, now: Int64) async throws -> MonitorRefresh {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO quality_refreshes (table_name, state, trigger, start_time_ms) VALUES (?, 'RUNNING', ?, ?)",
                           arguments: [name.description, trigger, now])
            return MonitorRefresh(refresh_id: db.lastInsertedRowID, state: "RUNNING", trigger: trigger, start_time_ms: now, end_time_ms: nil, message: nil)
        }
    }

    public func failRefresh(_ id: Int64, message: String, now: Int64) async throws {
        try await db.write { db in
            try db.execute(sql: "UPDATE quality_refreshes SET state = 'FAILED', end_time_ms = ?, message = ? WHERE refresh_id = ?", arguments: [now, message, id])
        }
    }

    /// Records a refresh's result and the monitor's new health in one transaction; returns the previous health.
    /// The result is filed under the name the refresh row has now: a rename during the refresh moved it
    /// (a drop deleted it: then nothing is filed).
    public func finishRefresh(_ result: QualityResult, now: Int64) async throws -> TableHealth {
        try await db.write { db in
            var result = result
            guard let current = try String.fetchOne(db, sql: "SELECT table_name FROM quality_refreshes WHERE refresh_id = ?", arguments: [result.refresh_id])
            else { throw CatalogError.notFound("Refresh \(result.refresh_id) of '\(result.table_name)' does not exist (its table was dropped)") }
            result.table_name = current
            let text = try Self.json(result)
            let previous = try String.fetchOne(db, sql: "SELECT health FROM quality_monitors WHERE table_name = ?", arguments: [result.table_name])
            try db.execute(sql: """
                INSERT INTO quality_results (refresh_id, table_name, table_version, health, score, row_count, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [result.refresh_id, result.table_name, result.profile.table_version, result.health.rawValue, result.score,
                                 result.profile.row_count, text, now])
            try db.execute(sql: "UPDATE quality_refreshes SET state = 'SUCCESS', end_time_ms = ? WHERE refresh_id = ?", arguments: [now, result.refresh_id])
            try db.execute(sql: "UPDATE quality_monitors SET health = ? WHERE table_name = ?", arguments: [result.health.rawValue, result.table_name])
            return previous.flatMap(TableHealth.init(rawValue:)) ?? .unknown
        }
    }

    public func refreshes(_ name: TableName, limit: Int = 100) async throws -> [MonitorRefresh] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM quality_refreshes WHERE table_name = ? ORDER BY refresh_id DESC LIMIT ?", arguments: [name.description, limit])
        }.map(Self.refresh)
    }

    public func refresh(_ name: TableName, id: Int64) async throws -> MonitorRefresh {
        guard let row = try await db.read({ db in
            try Row.fetchOne(db, sql: "SELECT * FROM quality_refreshes WHERE table_name = ? AND refresh_id = ?", arguments: [name.description, id])
        }) else { throw CatalogError.notFound("Refresh \(id) of '\(name)' does not exist") }
        return Self.refresh(row)
    }

    static func refresh(_ row: Row) -> MonitorRefresh {
        MonitorRefresh(refresh_id: row["refresh_id"], state: row["state"], trigger: row["trigger"], start_time_ms: row["start_time_ms"],
                       end_time_ms: row["end_time_ms"], message: row["message"])
    }

    /// Results, newest first.
    public func results(_ name: TableName, limit: Int = 100) async throws -> [QualityResult] {
        try await db.read { db in
            try String.fetchAll(db, sql: "SELECT result FROM quality_results WHERE table_name = ? ORDER BY refresh_id DESC LIMIT ?",
                                arguments: [name.description, limit])
        }.compactMap { try? Self.decode(QualityResult.self, $0) }
    }

    /// The latest result that profiled an older version of the table than `version`. Drift is measured
    /// against it, so refreshing an unchanged table again (a schedule, a repeated commit notice, a manual
    /// refresh) reports the same drift as the first refresh of that version rather than "no change".
    public func latestResult(_ name: TableName, beforeVersion version: Int64) async throws -> QualityResult? {
        try await db.read { db in
            try String.fetchOne(db, sql: """
                SELECT result FROM quality_results
                WHERE table_name = ? AND json_extract(result, '$.profile.table_version') < ?
                ORDER BY refresh_id DESC LIMIT 1
                """, arguments: [name.description, version])
        }.flatMap { try? Self.decode(QualityResult.self, $0) }
    }

    // MARK: notifications

    public func enqueue(_ n: QualityNotification) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO quality_notifications (id, table_name, url, secret, event, payload, status, attempts, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [n.id, n.table_name, n.url, n.secret, n.event, n.payload, n.status, n.attempts, n.next_attempt_at, n.created_at])
        }
    }

    public func dueNotifications(now: Int64, limit: Int) async throws -> [QualityNotification] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM quality_notifications WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
                             arguments: [now, limit])
        }.map(Self.notification)
    }

    public func notifications(_ name: TableName, limit: Int = 50) async throws -> [QualityNotification] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM quality_notifications WHERE table_name = ? ORDER BY created_at DESC LIMIT ?",
                             arguments: [name.description, limit])
        }.map(Self.notification)
    }

    public func updateNotification(_ n: QualityNotification) async throws {
        try await db.write { db in
            try db.execute(sql: """
                UPDATE quality_notifications SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ? WHERE id = ?
                """, arguments: [n.status, n.attempts, n.next_attempt_at, n.last_status_code, n.last_error, n.id])
        }
    }

    static func notification(_ row: Row) -> QualityNotification {
        QualityNotification(id: row["id"], table_name: row["table_name"], url: row["url"], secret: row["secret"], event: row["event"],
                            payload: row["payload"], status: row["status"], attempts: row["attempts"], next_attempt_at: row["next_attempt_at"],
                            last_status_code: row["last_status_code"], last_error: row["last_error"], created_at: row["created_at"])
    }
}
