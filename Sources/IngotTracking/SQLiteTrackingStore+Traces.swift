import Foundation
import GRDB
import IngotCore

/// A stored trace: indexed columns plus the client's TraceInfo document (without tags, which
/// live in their own table so they can be set and deleted one by one).
public struct TraceRecord: Sendable, Equatable {
    public var traceID: String
    public var experimentID: String
    public var requestTime: Int64
    public var executionDuration: Int64?
    public var state: String
    public var infoJSON: String
    public var tags: [KeyValue]

    public init(
        traceID: String, experimentID: String, requestTime: Int64, executionDuration: Int64?, state: String, infoJSON: String, tags: [KeyValue]
    ) {
        self.traceID = traceID
        self.experimentID = experimentID
        self.requestTime = requestTime
        self.executionDuration = executionDuration
        self.state = state
        self.infoJSON = infoJSON
        self.tags = tags
    }

    /// Where the trace's span data (`traces.json`) lives.
    public static func artifactLocation(experimentLocation: String, traceID: String) -> String {
        (experimentLocation.hasSuffix("/") ? String(experimentLocation.dropLast()) : experimentLocation) + "/traces/\(traceID)/artifacts"
    }
}

/// Traces (MLflow 3 TraceInfoV3) and their tags.
public protocol TraceStore: Sendable {
    /// Stores (or replaces) a trace and returns it with the server-assigned tags added.
    func startTrace(_ record: TraceRecord) async throws -> TraceRecord
    func getTrace(id: String) async throws -> TraceRecord
    func searchTraces(experimentIDs: [String], filter: String?, orderBy: [String], maxResults: Int, pageToken: String?) async throws
        -> Page<TraceRecord>
    func deleteTraces(experimentID: String, traceIDs: [String], maxTimestamp: Int64?, maxTraces: Int?) async throws -> Int
    func setTraceTag(id: String, key: String, value: String?) async throws
    func linkTraces(_ traceIDs: [String], toRun runID: String) async throws
}

extension SQLiteTrackingStore {
    public func startTrace(_ record: TraceRecord) async throws -> TraceRecord {
        let numeric = try Self.experimentNumber(record.experimentID)
        return try await db.write { db in
            guard let location = try String.fetchOne(
                db, sql: "SELECT artifact_location FROM tracking_experiments WHERE experiment_id = ?", arguments: [numeric])
            else { throw TrackingError.experimentNotFound(record.experimentID) }
            try db.execute(
                sql: """
                    INSERT INTO tracking_traces (trace_id, experiment_id, request_time, execution_duration, state, info_json) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (trace_id) DO UPDATE SET experiment_id = excluded.experiment_id, request_time = excluded.request_time,
                        execution_duration = excluded.execution_duration, state = excluded.state, info_json = excluded.info_json
                    """,
                arguments: [record.traceID, numeric, record.requestTime, record.executionDuration, record.state, record.infoJSON])
            var tags = record.tags.filter { $0.key != "mlflow.artifactLocation" }
            tags.append(KeyValue(key: "mlflow.artifactLocation", value: TraceRecord.artifactLocation(experimentLocation: location, traceID: record.traceID)))
            for tag in tags {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO tracking_trace_tags (trace_id, key, value) VALUES (?, ?, ?)", arguments: [record.traceID, tag.key, tag.value])
            }
            return try Self.loadTraces(db, ids: [record.traceID])[0]
        }
    }

    public func getTrace(id: String) async throws -> TraceRecord {
        try await db.read { db in
            guard let record = try Self.loadTraces(db, ids: [id]).first else { throw TrackingError.traceNotFound(id) }
            return record
        }
    }

    public func searchTraces(experimentIDs: [String], filter: String?, orderBy: [String], maxResults: Int, pageToken: String?) async throws
        -> Page<TraceRecord>
    {
        let ids = try experimentIDs.map(Self.experimentNumber)
        let conditions = try SearchFilterParser().parse(filter)
        let offset = try PageToken.decode(pageToken)
        var b = SQLBuilder()
        b.conditions.append(ids.isEmpty ? "1 = 1" : "t.experiment_id IN (\(ids.map { b.bind($0) }.joined(separator: ", ")))")
        let attributes = [
            "timestamp_ms": "t.request_time", "timestamp": "t.request_time", "request_time": "t.request_time", "execution_time_ms": "t.execution_duration",
            "execution_duration": "t.execution_duration", "status": "t.state", "state": "t.state", "trace_id": "t.trace_id", "request_id": "t.trace_id",
        ]
        for (i, c) in conditions.enumerated() {
            let entity = c.entity.map { ["trace", "attributes", "attribute", "attr"].contains($0) ? nil : $0 } ?? nil
            if entity == nil {
                guard let column = attributes[c.key] else { throw TrackingError.invalidParameter("Invalid attribute key '\(c.key)' for traces") }
                if case .number(let v, _, _) = c.value {
                    b.conditions.append("\(column) \(c.comparator.rawValue) \(b.bind(Int64(v)))")
                } else {
                    b.conditions.append(try stringComparisonSQL(column, c.comparator, c.value, into: &b))
                }
            } else if entity == "tags" || entity == "tag" {
                let alias = "g\(i)"
                let key = b.bind(c.key)
                let test = try stringComparisonSQL("\(alias).value", c.comparator, c.value, into: &b)
                b.conditions.append("EXISTS (SELECT 1 FROM tracking_trace_tags \(alias) WHERE \(alias).trace_id = t.trace_id AND \(alias).key = \(key) AND \(test))")
            } else if entity == "run" || entity == "request_metadata" || entity == "metadata", c.key == "mlflow.sourceRun" || entity == "run" {
                guard case .string(let runID) = c.value else { throw TrackingError.invalidParameter("Invalid run filter for traces") }
                b.conditions.append(
                    "(EXISTS (SELECT 1 FROM tracking_trace_run_links l WHERE l.trace_id = t.trace_id AND l.run_id = \(b.bind(runID))) OR t.info_json LIKE \(b.bind("%\"mlflow.sourceRun\":\"\(runID)\"%")))"
                )
            } else {
                throw TrackingError.invalidParameter("Invalid filter on traces: '\(c.entity ?? "").\(c.key)'")
            }
        }
        var order: [String] = []
        for text in orderBy {
            let clause = try OrderClause.parse(text)
            guard let column = attributes[clause.key] else { throw TrackingError.invalidParameter("Invalid order_by clause '\(text)' for traces") }
            order.append(column + (clause.ascending ? "" : " DESC"))
        }
        if order.isEmpty { order.append("t.request_time DESC") }
        order.append("t.trace_id")
        let sql = """
            SELECT t.trace_id FROM tracking_traces t WHERE \(b.conditions.joined(separator: " AND "))
            ORDER BY \(order.joined(separator: ", ")) LIMIT \(maxResults + 1) OFFSET \(offset)
            """
        let arguments = StatementArguments(b.arguments)
        return try await db.read { db in
            var traceIDs = try String.fetchAll(db, sql: sql, arguments: arguments)
            var next: String?
            if traceIDs.count > maxResults {
                traceIDs.removeLast()
                next = PageToken.encode(offset + maxResults)
            }
            return Page(items: try Self.loadTraces(db, ids: traceIDs), nextPageToken: next)
        }
    }

    public func deleteTraces(experimentID: String, traceIDs: [String], maxTimestamp: Int64?, maxTraces: Int?) async throws -> Int {
        let numeric = try Self.experimentNumber(experimentID)
        return try await db.write { db in
            var count = 0
            if !traceIDs.isEmpty {
                for id in traceIDs {
                    try db.execute(sql: "DELETE FROM tracking_traces WHERE trace_id = ? AND experiment_id = ?", arguments: [id, numeric])
                    count += db.changesCount
                }
            } else if let maxTimestamp {
                try db.execute(
                    sql: """
                        DELETE FROM tracking_traces WHERE trace_id IN (
                            SELECT trace_id FROM tracking_traces WHERE experiment_id = ? AND request_time <= ? ORDER BY request_time LIMIT ?)
                        """,
                    arguments: [numeric, maxTimestamp, maxTraces ?? -1])
                count = db.changesCount
            }
            return count
        }
    }

    public func setTraceTag(id: String, key: String, value: String?) async throws {
        try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tracking_traces WHERE trace_id = ?", arguments: [id]) != nil else {
                throw TrackingError.traceNotFound(id)
            }
            if let value {
                try db.execute(sql: "INSERT OR REPLACE INTO tracking_trace_tags (trace_id, key, value) VALUES (?, ?, ?)", arguments: [id, key, value])
            } else {
                try db.execute(sql: "DELETE FROM tracking_trace_tags WHERE trace_id = ? AND key = ?", arguments: [id, key])
                if db.changesCount == 0 { throw TrackingError.notFound("No trace tag with key '\(key)' for trace with ID '\(id)'") }
            }
        }
    }

    public func linkTraces(_ traceIDs: [String], toRun runID: String) async throws {
        try await db.write { db in
            _ = try Self.runKey(db, runID)
            for id in traceIDs {
                try db.execute(sql: "INSERT OR IGNORE INTO tracking_trace_run_links (trace_id, run_id) SELECT trace_id, ? FROM tracking_traces WHERE trace_id = ?", arguments: [runID, id])
            }
        }
    }

    static func loadTraces(_ db: Database, ids: [String]) throws -> [TraceRecord] {
        var out: [TraceRecord] = []
        for id in ids {
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM tracking_traces WHERE trace_id = ?", arguments: [id]) else { continue }
            let tags = try Row.fetchAll(db, sql: "SELECT key, value FROM tracking_trace_tags WHERE trace_id = ? ORDER BY key", arguments: [id])
                .map { KeyValue(key: $0[0], value: $0[1]) }
            let experimentID: Int64 = row["experiment_id"]
            out.append(
                TraceRecord(
                    traceID: id, experimentID: String(experimentID), requestTime: row["request_time"], executionDuration: row["execution_duration"],
                    state: row["state"], infoJSON: row["info_json"], tags: tags))
        }
        return out
    }
}
