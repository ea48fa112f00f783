import Foundation
import GRDB
import IngotCore

/// One `order_by` entry of a logged-model search.
public struct LoggedModelOrder: Sendable {
    public var fieldName: String
    public var ascending: Bool
    public init(fieldName: String, ascending: Bool) {
        self.fieldName = fieldName
        self.ascending = ascending
    }
}

extension SQLiteTrackingStore {
    static func modelKey(_ db: Database, _ modelID: String, allowDeleted: Bool = false) throws -> Int64 {
        guard let row = try Row.fetchOne(db, sql: "SELECT model_pk, lifecycle_stage FROM tracking_logged_models WHERE model_id = ?", arguments: [modelID])
        else { throw TrackingError.modelNotFound(modelID) }
        let stage: String = row[1]
        if stage != "active" && !allowDeleted { throw TrackingError.modelNotFound(modelID) }
        return row[0]
    }

    public func createLoggedModel(
        experimentID: String, name: String?, modelType: String?, sourceRunID: String?, params: [KeyValue], tags: [KeyValue], creatorID: String?
    ) async throws -> LoggedModel {
        let numeric = try Self.experimentNumber(experimentID)
        return try await db.write { db in
            guard let location = try String.fetchOne(
                db, sql: "SELECT artifact_location FROM tracking_experiments WHERE experiment_id = ? AND lifecycle_stage = 'active'", arguments: [numeric])
            else { throw TrackingError.experimentNotFound(experimentID) }
            let modelID = "m-" + IDGenerator.hex32()
            let now = Clock.nowMillis()
            let uri = (location.hasSuffix("/") ? String(location.dropLast()) : location) + "/models/\(modelID)/artifacts"
            try db.execute(
                sql: """
                    INSERT INTO tracking_logged_models (model_id, experiment_id, name, model_type, source_run_id, status, artifact_uri, creator_id,
                        creation_timestamp_ms, last_updated_timestamp_ms)
                    VALUES (?, ?, ?, ?, ?, 'LOGGED_MODEL_PENDING', ?, ?, ?, ?)
                    """,
                arguments: [modelID, numeric, name.flatMap { $0.isEmpty ? nil : $0 } ?? RunNames.random(), modelType, sourceRunID, uri, creatorID, now, now])
            let pk = db.lastInsertedRowID
            for tag in tags {
                try db.execute(sql: "INSERT OR REPLACE INTO tracking_logged_model_tags (model_pk, key, value) VALUES (?, ?, ?)", arguments: [pk, tag.key, tag.value])
            }
            for param in params {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO tracking_logged_model_params (model_pk, key, value) VALUES (?, ?, ?)", arguments: [pk, param.key, param.value])
            }
            return try Self.loadModels(db, pks: [pk])[0]
        }
    }

    public func getLoggedModel(id: String) async throws -> LoggedModel {
        try await db.read { db in try Self.loadModels(db, pks: [try Self.modelKey(db, id)])[0] }
    }

    public func finalizeLoggedModel(id: String, status: String) async throws -> LoggedModel {
        try await db.write { db in
            let pk = try Self.modelKey(db, id)
            try db.execute(
                sql: "UPDATE tracking_logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_pk = ?",
                arguments: [status, Clock.nowMillis(), pk])
            return try Self.loadModels(db, pks: [pk])[0]
        }
    }

    public func deleteLoggedModel(id: String) async throws {
        try await db.write { db in
            let pk = try Self.modelKey(db, id)
            try db.execute(
                sql: "UPDATE tracking_logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ? WHERE model_pk = ?",
                arguments: [Clock.nowMillis(), pk])
        }
    }

    public func setLoggedModelTags(id: String, tags: [KeyValue]) async throws {
        try await db.write { db in
            let pk = try Self.modelKey(db, id)
            for tag in tags {
                try db.execute(sql: "INSERT OR REPLACE INTO tracking_logged_model_tags (model_pk, key, value) VALUES (?, ?, ?)", arguments: [pk, tag.key, tag.value])
            }
            try db.execute(sql: "UPDATE tracking_logged_models SET last_updated_timestamp_ms = ? WHERE model_pk = ?", arguments: [Clock.nowMillis(), pk])
        }
    }

    public func deleteLoggedModelTag(id: String, key: String) async throws {
        try await db.write { db in
            let pk = try Self.modelKey(db, id)
            try db.execute(sql: "DELETE FROM tracking_logged_model_tags WHERE model_pk = ? AND key = ?", arguments: [pk, key])
            if db.changesCount == 0 { throw TrackingError.notFound("No tag with key '\(key)' found for model with ID '\(id)'.") }
        }
    }

    public func logLoggedModelParams(id: String, params: [KeyValue]) async throws {
        try await db.write { db in
            let pk = try Self.modelKey(db, id)
            for param in params {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO tracking_logged_model_params (model_pk, key, value) VALUES (?, ?, ?)", arguments: [pk, param.key, param.value])
            }
        }
    }

    public func searchLoggedModels(experimentIDs: [String], filter: String?, orderBy: [LoggedModelOrder], maxResults: Int, pageToken: String?)
        async throws -> Page<LoggedModel>
    {
        let ids = try experimentIDs.map(Self.experimentNumber)
        let conditions = try SearchFilterParser().parse(filter)
        let offset = try PageToken.decode(pageToken)
        var b = SQLBuilder()
        b.conditions.append("m.lifecycle_stage = 'active'")
        if !ids.isEmpty { b.conditions.append("m.experiment_id IN (\(ids.map { b.bind($0) }.joined(separator: ", ")))") }
        let attributes = [
            "name": "m.name", "model_id": "m.model_id", "model_type": "m.model_type", "status": "m.status", "source_run_id": "m.source_run_id",
            "creation_timestamp": "m.creation_timestamp_ms", "creation_time": "m.creation_timestamp_ms",
            "last_updated_timestamp": "m.last_updated_timestamp_ms", "experiment_id": "m.experiment_id",
        ]
        for (i, c) in conditions.enumerated() {
            let alias = "x\(i)"
            switch try SearchEntity.resolve(c.entity) {
            case .attribute:
                guard let column = attributes[c.key] else { throw TrackingError.invalidParameter("Invalid attribute key '\(c.key)' for logged models") }
                if case .number(let v, _, _) = c.value, c.comparator.isOrdering || c.comparator == .eq || c.comparator == .ne {
                    b.conditions.append("\(column) \(c.comparator.rawValue) \(b.bind(v))")
                } else {
                    b.conditions.append(try stringComparisonSQL(column, c.comparator, c.value, into: &b))
                }
            case .tag, .param:
                let table = try SearchEntity.resolve(c.entity) == .tag ? "tracking_logged_model_tags" : "tracking_logged_model_params"
                let key = b.bind(c.key)
                let test = try stringComparisonSQL("\(alias).value", c.comparator, c.value, into: &b)
                b.conditions.append("EXISTS (SELECT 1 FROM \(table) \(alias) WHERE \(alias).model_pk = m.model_pk AND \(alias).key = \(key) AND \(test))")
            case .metric:
                guard case .number(let v, _, _) = c.value, [.eq, .ne, .lt, .le, .gt, .ge].contains(c.comparator) else {
                    throw TrackingError.invalidParameter("Expected numeric value type for metric. Found \(RunSearchCompiler.describe(c.value))")
                }
                let key = b.bind(c.key)
                b.conditions.append(
                    "EXISTS (SELECT 1 FROM tracking_metrics \(alias) WHERE \(alias).model_id = m.model_id AND \(alias).key = \(key) AND \(alias).value \(c.comparator.rawValue) \(b.bind(v)))"
                )
            case .dataset:
                throw TrackingError.invalidParameter("Invalid filter on logged models: '\(c.entity ?? "").\(c.key)'")
            }
        }
        var order: [String] = []
        for clause in orderBy {
            let name = clause.fieldName.hasPrefix("attributes.") ? String(clause.fieldName.dropFirst(11)) : clause.fieldName
            if let column = attributes[name] {
                order.append(column + (clause.ascending ? "" : " DESC"))
            } else if name.hasPrefix("metrics.") {
                let key = b.bind(String(name.dropFirst(8)))
                order.append(
                    "(SELECT max(value) FROM tracking_metrics om WHERE om.model_id = m.model_id AND om.key = \(key))" + (clause.ascending ? "" : " DESC"))
            } else {
                throw TrackingError.invalidParameter("Invalid order by field name: \(clause.fieldName)")
            }
        }
        order.append("m.creation_timestamp_ms DESC")
        order.append("m.model_id")
        let sql = """
            SELECT m.model_pk FROM tracking_logged_models m WHERE \(b.conditions.joined(separator: " AND "))
            ORDER BY \(order.joined(separator: ", ")) LIMIT \(maxResults + 1) OFFSET \(offset)
            """
        let arguments = StatementArguments(b.arguments)
        return try await db.read { db in
            var pks = try Int64.fetchAll(db, sql: sql, arguments: arguments)
            var next: String?
            if pks.count > maxResults {
                pks.removeLast()
                next = PageToken.encode(offset + maxResults)
            }
            return Page(items: try Self.loadModels(db, pks: pks), nextPageToken: next)
        }
    }

    static func loadModels(_ db: Database, pks: [Int64]) throws -> [LoggedModel] {
        var out: [LoggedModel] = []
        for pk in pks {
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM tracking_logged_models WHERE model_pk = ?", arguments: [pk]) else { continue }
            let experimentID: Int64 = row["experiment_id"]
            let modelID: String = row["model_id"]
            let tags = try Row.fetchAll(db, sql: "SELECT key, value FROM tracking_logged_model_tags WHERE model_pk = ? ORDER BY key", arguments: [pk])
                .map { KeyValue(key: $0[0], value: $0[1]) }
            let params = try Row.fetchAll(db, sql: "SELECT key, value FROM tracking_logged_model_params WHERE model_pk = ? ORDER BY key", arguments: [pk])
                .map { KeyValue(key: $0[0], value: $0[1]) }
            let metrics = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.key, m.value, m.is_nan, m.timestamp, m.step, m.dataset_name, m.dataset_digest, m.model_id, r.run_id
                    FROM tracking_metrics m JOIN tracking_runs r ON r.run_pk = m.run_pk WHERE m.model_id = ? ORDER BY m.key, m.step
                    """, arguments: [modelID]
            ).map { row -> Metric in
                var metric = metric(from: row)
                metric.run_id = row["run_id"]
                return metric
            }
            let info = LoggedModelInfo(
                model_id: modelID, experiment_id: String(experimentID), name: row["name"], creation_timestamp_ms: row["creation_timestamp_ms"],
                last_updated_timestamp_ms: row["last_updated_timestamp_ms"], artifact_uri: row["artifact_uri"], status: row["status"],
                creator_id: row["creator_id"], model_type: row["model_type"], source_run_id: row["source_run_id"], status_message: row["status_message"],
                tags: tags.isEmpty ? nil : tags)
            out.append(LoggedModel(info: info, data: LoggedModelData(params: params.isEmpty ? nil : params, metrics: metrics.isEmpty ? nil : metrics)))
        }
        return out
    }
}
