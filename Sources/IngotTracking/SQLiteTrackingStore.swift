import Foundation
import GRDB
import IngotCore
import IngotStorage

/// The tracking store on the shared SQLite metadata database (GRDB). Every public write is one
/// transaction; reads use the pool's concurrent readers.
public final class SQLiteTrackingStore: TrackingStore {
    let db: any DatabaseWriter
    /// Concurrent log-batch (and single log-metric/param/tag) requests share commits.
    let logBatchQueue: GroupCommitQueue<LogBatchWrite>

    public convenience init(metadata: MetadataStore) {
        self.init(writer: metadata.writer)
    }

    public init(writer: any DatabaseWriter) {
        self.db = writer
        self.logBatchQueue = GroupCommitQueue(writer: writer) { db, write in
            try Self.applyLogBatch(db, write)
        }
    }

    static let chunkSize = 500

    // MARK: - Experiments

    public func createExperiment(name: String, artifactLocation: String?, tags: [KeyValue]) async throws -> String {
        try await db.write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT lifecycle_stage FROM tracking_experiments WHERE name = ?", arguments: [name]) {
                let stage: String = existing["lifecycle_stage"]
                let suffix = stage == "deleted" ? " (in the deleted state; restore it or choose another name)" : ""
                throw TrackingError.alreadyExists("Experiment(name=\(name)) already exists\(suffix).")
            }
            let now = Clock.nowMillis()
            try db.execute(
                sql: "INSERT INTO tracking_experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, '', 'active', ?, ?)",
                arguments: [name, now, now])
            let id = db.lastInsertedRowID
            let location = artifactLocation.flatMap { $0.isEmpty ? nil : $0 } ?? "mlflow-artifacts:/\(id)"
            try db.execute(sql: "UPDATE tracking_experiments SET artifact_location = ? WHERE experiment_id = ?", arguments: [location, id])
            for tag in tags {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO tracking_experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)",
                    arguments: [id, tag.key, tag.value])
            }
            return String(id)
        }
    }

    public func getExperiment(id: String) async throws -> Experiment {
        let numeric = try Self.experimentNumber(id)
        return try await db.read { db in
            guard let experiment = try Self.loadExperiments(db, ids: [numeric]).first else { throw TrackingError.experimentNotFound(id) }
            return experiment
        }
    }

    public func getExperiment(byName name: String) async throws -> Experiment? {
        try await db.read { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_experiments WHERE name = ?", arguments: [name]) else {
                return nil
            }
            return try Self.loadExperiments(db, ids: [id]).first
        }
    }

    public func searchExperiments(filter: String?, orderBy: [String], viewType: ViewType, maxResults: Int, pageToken: String?) async throws
        -> Page<Experiment>
    {
        let conditions = try SearchFilterParser().parse(filter)
        let clauses = try orderBy.map(OrderClause.parse)
        let offset = try PageToken.decode(pageToken)
        let query = try ExperimentSearchCompiler.compile(
            filter: conditions, orderBy: clauses, viewType: viewType, limit: maxResults + 1, offset: offset)
        return try await db.read { db in
            var ids = try Int64.fetchAll(db, sql: query.sql, arguments: query.arguments)
            var next: String?
            if ids.count > maxResults {
                ids.removeLast()
                next = PageToken.encode(offset + maxResults)
            }
            return Page(items: try Self.loadExperiments(db, ids: ids), nextPageToken: next)
        }
    }

    public func renameExperiment(id: String, newName: String) async throws {
        let numeric = try Self.experimentNumber(id)
        try await db.write { db in
            let stage = try Self.experimentStage(db, numeric, id)
            guard stage == "active" else {
                throw TrackingError.invalidParameter("Cannot rename a non-active experiment.")
            }
            if try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_experiments WHERE name = ? AND experiment_id != ?", arguments: [newName, numeric]) != nil {
                throw TrackingError.alreadyExists("Experiment(name=\(newName)) already exists.")
            }
            try db.execute(
                sql: "UPDATE tracking_experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                arguments: [newName, Clock.nowMillis(), numeric])
        }
    }

    public func setExperimentLifecycle(id: String, deleted: Bool) async throws {
        let numeric = try Self.experimentNumber(id)
        try await db.write { db in
            let stage = try Self.experimentStage(db, numeric, id)
            if deleted && numeric == 0 {
                throw TrackingError.invalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.")
            }
            if deleted && stage == "deleted" {
                throw TrackingError.invalidParameter("Cannot delete an already deleted experiment.")
            }
            if !deleted && stage == "active" {
                throw TrackingError.invalidParameter("Cannot restore an active experiment.")
            }
            let newStage = deleted ? "deleted" : "active"
            let now = Clock.nowMillis()
            try db.execute(
                sql: "UPDATE tracking_experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?",
                arguments: [newStage, now, numeric])
            try db.execute(
                sql: "UPDATE tracking_runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ? AND lifecycle_stage != ?",
                arguments: [newStage, deleted ? now : nil, numeric, newStage])
        }
    }

    public func setExperimentTag(id: String, key: String, value: String?) async throws {
        let numeric = try Self.experimentNumber(id)
        try await db.write { db in
            let stage = try Self.experimentStage(db, numeric, id)
            guard stage == "active" else {
                throw TrackingError.invalidParameter("The experiment \(id) must be in the 'active' state. Current state is \(stage).")
            }
            if let value {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO tracking_experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)",
                    arguments: [numeric, key, value])
            } else {
                try db.execute(sql: "DELETE FROM tracking_experiment_tags WHERE experiment_id = ? AND key = ?", arguments: [numeric, key])
                if db.changesCount == 0 {
                    throw TrackingError.notFound("No tag with name: \(key) in experiment with id \(id)")
                }
            }
        }
    }

    static func experimentNumber(_ id: String) throws -> Int64 {
        guard let n = Int64(id), n >= 0 else { throw TrackingError.invalidParameter("Invalid experiment ID: '\(id)'") }
        return n
    }

    static func experimentStage(_ db: Database, _ numeric: Int64, _ id: String) throws -> String {
        guard let stage = try String.fetchOne(db, sql: "SELECT lifecycle_stage FROM tracking_experiments WHERE experiment_id = ?", arguments: [numeric])
        else { throw TrackingError.experimentNotFound(id) }
        return stage
    }

    static func loadExperiments(_ db: Database, ids: [Int64]) throws -> [Experiment] {
        guard !ids.isEmpty else { return [] }
        var byID: [Int64: Experiment] = [:]
        for chunk in ids.chunked(chunkSize) {
            let marks = chunk.map { _ in "?" }.joined(separator: ",")
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM tracking_experiments WHERE experiment_id IN (\(marks))",
                arguments: StatementArguments(chunk))
            for row in rows {
                let id: Int64 = row["experiment_id"]
                byID[id] = Experiment(
                    experiment_id: String(id), name: row["name"], artifact_location: row["artifact_location"],
                    lifecycle_stage: row["lifecycle_stage"], creation_time: row["creation_time"], last_update_time: row["last_update_time"],
                    tags: nil)
            }
            let tags = try Row.fetchAll(
                db, sql: "SELECT experiment_id, key, value FROM tracking_experiment_tags WHERE experiment_id IN (\(marks)) ORDER BY key",
                arguments: StatementArguments(chunk))
            for row in tags {
                let id: Int64 = row["experiment_id"]
                if byID[id]?.tags == nil { byID[id]?.tags = [] }
                byID[id]?.tags?.append(KeyValue(key: row["key"], value: row["value"]))
            }
        }
        return ids.compactMap { byID[$0] }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
