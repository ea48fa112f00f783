import Foundation
import GRDB
import IngotCore
import IngotStorage

enum PipelineSchema {
    static func createV1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE pipelines (
                    pipeline_id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    root_path TEXT NOT NULL,
                    settings TEXT NOT NULL,
                    creator TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE pipeline_updates (
                    update_id TEXT PRIMARY KEY NOT NULL,
                    pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
                    state TEXT NOT NULL,
                    full_refresh INTEGER NOT NULL,
                    cause TEXT NOT NULL,
                    creation_time INTEGER NOT NULL,
                    start_time INTEGER,
                    end_time INTEGER,
                    error TEXT
                );
                CREATE INDEX pipeline_updates_by_pipeline ON pipeline_updates(pipeline_id, creation_time);
                CREATE TABLE pipeline_dataset_metrics (
                    update_id TEXT NOT NULL REFERENCES pipeline_updates(update_id) ON DELETE CASCADE,
                    dataset TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    state TEXT NOT NULL,
                    input_records INTEGER NOT NULL DEFAULT 0,
                    output_records INTEGER NOT NULL DEFAULT 0,
                    dropped_records INTEGER NOT NULL DEFAULT 0,
                    input_files INTEGER NOT NULL DEFAULT 0,
                    table_version INTEGER,
                    duration_ms INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (update_id, dataset)
                );
                CREATE TABLE pipeline_expectation_metrics (
                    update_id TEXT NOT NULL REFERENCES pipeline_updates(update_id) ON DELETE CASCADE,
                    dataset TEXT NOT NULL,
                    name TEXT NOT NULL,
                    action TEXT NOT NULL,
                    passed_records INTEGER NOT NULL,
                    failed_records INTEGER NOT NULL,
                    PRIMARY KEY (update_id, dataset, name)
                );
                CREATE TABLE pipeline_events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
                    update_id TEXT,
                    timestamp INTEGER NOT NULL,
                    level TEXT NOT NULL,
                    event_type TEXT NOT NULL,
                    dataset TEXT,
                    message TEXT NOT NULL,
                    details TEXT NOT NULL DEFAULT '{}',
                    error TEXT
                );
                CREATE INDEX pipeline_events_by_pipeline ON pipeline_events(pipeline_id, seq);
                CREATE TABLE pipeline_checkpoints (
                    pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
                    dataset TEXT NOT NULL,
                    state TEXT NOT NULL,
                    PRIMARY KEY (pipeline_id, dataset)
                );
                """)
    }
}

public struct PipelineRecord: Sendable, Codable {
    public var id: String
    public var name: String
    public var rootPath: String
    public var settings: PipelineSettings
    public var creator: String
    public var createdAt: Int64
    public var updatedAt: Int64
}

public struct PipelineUpdateRecord: Sendable, Codable {
    public var id: String
    public var pipelineID: String
    public var state: String
    public var fullRefresh: Bool
    public var cause: String
    public var creationTime: Int64
    public var startTime: Int64?
    public var endTime: Int64?
    public var error: String?
}

public struct DatasetMetrics: Sendable, Codable {
    public var dataset: String
    public var kind: String
    public var state: String
    public var inputRecords: Int64 = 0
    public var outputRecords: Int64 = 0
    public var droppedRecords: Int64 = 0
    public var inputFiles: Int = 0
    public var tableVersion: Int64?
    public var durationMs: Int64 = 0
    public var expectations: [ExpectationMetrics] = []
    /// Source files this run read (`read_files`), for lineage; not stored with the metrics.
    public var sourceFiles: [String]?
}

public struct ExpectationMetrics: Sendable, Codable {
    public var name: String
    public var dataset: String
    public var action: String
    public var passedRecords: Int64
    public var failedRecords: Int64
}

public struct PipelineEvent: Sendable {
    public var id: String
    public var pipelineID: String
    public var updateID: String?
    public var timestamp: Int64
    public var level: String
    public var eventType: String
    public var dataset: String?
    public var message: String
    /// JSON object text.
    public var details: String
    public var error: String?
}

/// Per-dataset incremental state: processed files and source versions, plus the write in flight.
///
/// Exactly-once without a commit hook: ``LakeTable/append`` writes its own commit, so the checkpoint
/// cannot ride in the same Delta commit from outside IngotLake. Instead a write is recorded as
/// `pending` (with the table version it starts from) *before* the commit and folded into the
/// processed state after it. A streaming table is written only by its pipeline (as in DLT), so on the
/// next run a pending write is resolved against the table itself: a newer table version means the
/// commit happened (the files are processed), the same version means it did not (they are read again).
/// A crash anywhere therefore neither skips nor double-loads a file.
public struct StreamCheckpoint: Sendable, Codable, Equatable {
    public struct Pending: Sendable, Codable, Equatable {
        public var files: [String]
        public var sources: [String: Int64]
        /// Table version before the write; -1 when the table did not exist.
        public var baseVersion: Int64
        /// AUTO CDC (SCD type 1): the key states after the write.
        public var cdc: [String: CDCKeyState]?
        /// Auto Loader schemas after the write, by `read_files` path.
        public var schemas: [String: AutoLoaderSchema]?
    }
    public var files: [String] = []
    public var sources: [String: Int64] = [:]
    public var pending: Pending?
    /// AUTO CDC (SCD type 1): per key, the last sequence value applied and whether it deleted.
    public var cdc: [String: CDCKeyState]?
    /// Auto Loader: the schema of each `read_files` source (by path), kept with the table.
    public var schemas: [String: AutoLoaderSchema]?
    /// A full refresh owes this dataset a reset (see ``PipelineStore/markFullRefresh(pipelineID:datasets:)``).
    public var refresh: Bool?
    public init() {}
}

/// Pipelines, updates, metrics, checkpoints and the event log in the metadata store.
public struct PipelineStore: Sendable {
    public let metadata: MetadataStore
    public init(metadata: MetadataStore) { self.metadata = metadata }

    static let encoder: JSONEncoder = { let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]; return e }()

    static func json<T: Encodable>(_ v: T) -> String { String(decoding: (try? encoder.encode(v)) ?? Data("{}".utf8), as: UTF8.self) }

    // MARK: Pipelines

    public func create(name: String, rootPath: String, settings: PipelineSettings, creator: String) async throws -> PipelineRecord {
        let now = Clock.nowMillis()
        let rec = PipelineRecord(id: IDGenerator.uuid(), name: name, rootPath: rootPath, settings: settings, creator: creator, createdAt: now, updatedAt: now)
        try await metadata.writer.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM pipelines WHERE name = ?", arguments: [name]) != nil {
                throw PipelineError(.resourceAlreadyExists, "Pipeline '\(name)' already exists")
            }
            try db.execute(
                sql: "INSERT INTO pipelines (pipeline_id, name, root_path, settings, creator, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [rec.id, name, rootPath, Self.json(settings), creator, now, now])
        }
        return rec
    }

    public func edit(_ id: String, name: String, rootPath: String, settings: PipelineSettings) async throws {
        try await metadata.writer.write { db in
            try db.execute(sql: "UPDATE pipelines SET name = ?, root_path = ?, settings = ?, updated_at = ? WHERE pipeline_id = ?",
                           arguments: [name, rootPath, Self.json(settings), Clock.nowMillis(), id])
            if db.changesCount == 0 { throw PipelineError(.resourceDoesNotExist, "Pipeline '\(id)' does not exist") }
        }
    }

    public func delete(_ id: String) async throws {
        try await metadata.writer.write { db in
            try db.execute(sql: "DELETE FROM pipelines WHERE pipeline_id = ?", arguments: [id])
            if db.changesCount == 0 { throw PipelineError(.resourceDoesNotExist, "Pipeline '\(id)' does not exist") }
        }
    }

    static func pipeline(_ row: Row) throws -> PipelineRecord {
        let settings = try JSONDecoder().decode(PipelineSettings.self, from: Data((row["settings"] as String).utf8))
        return PipelineRecord(id: row["pipeline_id"], name: row["name"], rootPath: row["root_path"], settings: settings, creator: row["creator"],
                              createdAt: row["created_at"], updatedAt: row["updated_at"])
    }

    /// By id, or by name.
    public func pipeline(_ idOrName: String) async throws -> PipelineRecord {
        let record: PipelineRecord? = try await metadata.writer.read { db -> PipelineRecord? in
            try Row.fetchOne(db, sql: "SELECT * FROM pipelines WHERE pipeline_id = ? OR name = ? ORDER BY pipeline_id = ? DESC LIMIT 1", arguments: [idOrName, idOrName, idOrName])
                .map(Self.pipeline)
        }
        guard let record else { throw PipelineError(.resourceDoesNotExist, "Pipeline '\(idOrName)' does not exist") }
        return record
    }

    public func pipelines() async throws -> [PipelineRecord] {
        try await metadata.writer.read { db -> [PipelineRecord] in try Row.fetchAll(db, sql: "SELECT * FROM pipelines ORDER BY name").map(Self.pipeline) }
    }

    // MARK: Updates

    public func createUpdate(pipelineID: String, fullRefresh: Bool, cause: String = "API_CALL") async throws -> PipelineUpdateRecord {
        let rec = PipelineUpdateRecord(id: IDGenerator.uuid(), pipelineID: pipelineID, state: "QUEUED", fullRefresh: fullRefresh, cause: cause, creationTime: Clock.nowMillis())
        try await metadata.writer.write { db in
            if let running = try String.fetchOne(
                db, sql: "SELECT update_id FROM pipeline_updates WHERE pipeline_id = ? AND state IN ('QUEUED', 'INITIALIZING', 'RUNNING')", arguments: [pipelineID])
            {
                throw PipelineError(.resourceConflict, "An update (\(running)) of this pipeline is already active")
            }
            try db.execute(sql: "INSERT INTO pipeline_updates (update_id, pipeline_id, state, full_refresh, cause, creation_time) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [rec.id, pipelineID, rec.state, fullRefresh, cause, rec.creationTime])
        }
        return rec
    }

    public func setState(_ updateID: String, _ state: String, error: String? = nil) async throws {
        let now = Clock.nowMillis()
        try await metadata.writer.write { db in
            switch state {
            case "RUNNING", "INITIALIZING":
                try db.execute(sql: "UPDATE pipeline_updates SET state = ?, start_time = coalesce(start_time, ?) WHERE update_id = ?", arguments: [state, now, updateID])
            case "COMPLETED", "FAILED", "CANCELED":
                try db.execute(sql: "UPDATE pipeline_updates SET state = ?, end_time = ?, error = ? WHERE update_id = ?", arguments: [state, now, error, updateID])
            default:
                try db.execute(sql: "UPDATE pipeline_updates SET state = ? WHERE update_id = ?", arguments: [state, updateID])
            }
        }
    }

    /// Marks FAILED the active updates of a pipeline that no runner of this process owns (left by a
    /// server that stopped mid-update): they can never finish. Their streaming writes resolve through
    /// the checkpoints' pending records on the next update.
    public func failAbandonedUpdates(pipelineID: String, except running: Set<String>) async throws {
        try await metadata.writer.write { db in
            let ids = try String.fetchAll(
                db, sql: "SELECT update_id FROM pipeline_updates WHERE pipeline_id = ? AND state IN ('QUEUED', 'INITIALIZING', 'RUNNING')", arguments: [pipelineID])
            for id in ids where !running.contains(id) {
                try db.execute(sql: "UPDATE pipeline_updates SET state = 'FAILED', end_time = ?, error = 'the server stopped during the update' WHERE update_id = ?",
                               arguments: [Clock.nowMillis(), id])
            }
        }
    }

    static func update(_ r: Row) -> PipelineUpdateRecord {
        PipelineUpdateRecord(id: r["update_id"], pipelineID: r["pipeline_id"], state: r["state"], fullRefresh: r["full_refresh"], cause: r["cause"],
                             creationTime: r["creation_time"], startTime: r["start_time"], endTime: r["end_time"], error: r["error"])
    }

    public func updates(pipelineID: String, limit: Int = 100) async throws -> [PipelineUpdateRecord] {
        try await metadata.writer.read { db -> [PipelineUpdateRecord] in
            try Row.fetchAll(db, sql: "SELECT * FROM pipeline_updates WHERE pipeline_id = ? ORDER BY creation_time DESC, rowid DESC LIMIT ?", arguments: [pipelineID, limit])
                .map(Self.update)
        }
    }

    public func update(_ id: String) async throws -> PipelineUpdateRecord {
        guard let u = try await metadata.writer.read({ db -> PipelineUpdateRecord? in
            try Row.fetchOne(db, sql: "SELECT * FROM pipeline_updates WHERE update_id = ?", arguments: [id]).map(Self.update)
        }) else {
            throw PipelineError(.resourceDoesNotExist, "Update '\(id)' does not exist")
        }
        return u
    }

    // MARK: Metrics

    public func record(_ updateID: String, _ m: DatasetMetrics) async throws {
        try await metadata.writer.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO pipeline_dataset_metrics
                    (update_id, dataset, kind, state, input_records, output_records, dropped_records, input_files, table_version, duration_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [updateID, m.dataset, m.kind, m.state, m.inputRecords, m.outputRecords, m.droppedRecords, m.inputFiles, m.tableVersion, m.durationMs])
            for e in m.expectations {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO pipeline_expectation_metrics (update_id, dataset, name, action, passed_records, failed_records) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [updateID, e.dataset, e.name, e.action, e.passedRecords, e.failedRecords])
            }
        }
    }

    public func metrics(_ updateID: String) async throws -> [DatasetMetrics] {
        try await metadata.writer.read { db in
            let exps = try Row.fetchAll(db, sql: "SELECT * FROM pipeline_expectation_metrics WHERE update_id = ? ORDER BY dataset, rowid", arguments: [updateID])
            return try Row.fetchAll(db, sql: "SELECT * FROM pipeline_dataset_metrics WHERE update_id = ? ORDER BY rowid", arguments: [updateID]).map { r in
                var m = DatasetMetrics(dataset: r["dataset"], kind: r["kind"], state: r["state"])
                m.inputRecords = r["input_records"]; m.outputRecords = r["output_records"]; m.droppedRecords = r["dropped_records"]
                m.inputFiles = r["input_files"]; m.tableVersion = r["table_version"]; m.durationMs = r["duration_ms"]
                m.expectations = exps.filter { ($0["dataset"] as String) == m.dataset }.map {
                    ExpectationMetrics(name: $0["name"], dataset: $0["dataset"], action: $0["action"], passedRecords: $0["passed_records"], failedRecords: $0["failed_records"])
                }
                return m
            }
        }
    }

    // MARK: Events

    public func log(_ e: PipelineEvent) async throws {
        try await metadata.writer.write { db in
            try db.execute(
                sql: "INSERT INTO pipeline_events (id, pipeline_id, update_id, timestamp, level, event_type, dataset, message, details, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [e.id, e.pipelineID, e.updateID, e.timestamp, e.level, e.eventType, e.dataset, e.message, e.details, e.error])
        }
    }

    /// Newest first.
    public func events(pipelineID: String, updateID: String? = nil, limit: Int = 1000) async throws -> [PipelineEvent] {
        try await metadata.writer.read { db -> [PipelineEvent] in
            try Row.fetchAll(
                db, sql: "SELECT * FROM pipeline_events WHERE pipeline_id = ? AND (? IS NULL OR update_id = ?) ORDER BY seq DESC LIMIT ?",
                arguments: [pipelineID, updateID, updateID, limit]
            ).map { r in
            PipelineEvent(id: r["id"], pipelineID: r["pipeline_id"], updateID: r["update_id"], timestamp: r["timestamp"], level: r["level"],
                          eventType: r["event_type"], dataset: r["dataset"], message: r["message"], details: r["details"], error: r["error"])
            }
        }
    }

    // MARK: Checkpoints

    public func checkpoint(pipelineID: String, dataset: String) async throws -> StreamCheckpoint {
        let text = try await metadata.writer.read { db in
            try String.fetchOne(db, sql: "SELECT state FROM pipeline_checkpoints WHERE pipeline_id = ? AND dataset = ?", arguments: [pipelineID, dataset.lowercased()])
        }
        guard let text else { return StreamCheckpoint() }
        return try JSONDecoder().decode(StreamCheckpoint.self, from: Data(text.utf8))
    }

    public func saveCheckpoint(pipelineID: String, dataset: String, _ c: StreamCheckpoint?) async throws {
        try await metadata.writer.write { db in
            if let c {
                try db.execute(sql: "INSERT OR REPLACE INTO pipeline_checkpoints (pipeline_id, dataset, state) VALUES (?, ?, ?)",
                               arguments: [pipelineID, dataset.lowercased(), Self.json(c)])
            } else {
                try db.execute(sql: "DELETE FROM pipeline_checkpoints WHERE pipeline_id = ? AND dataset = ?", arguments: [pipelineID, dataset.lowercased()])
            }
        }
    }
}
