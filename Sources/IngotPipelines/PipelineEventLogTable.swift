import Foundation
import GRDB
import IngotCatalog
import IngotCore
import IngotLake
import IngotStorage

/// The event log as a table: each update's events (DLT's fields) appended to a Delta table per
/// pipeline — `event_log: {name, catalog, schema}` or `<catalog>.<schema>.event_log_<pipeline>` —
/// in batches (once per update, and after each continuous micro-batch), never a commit per event.
/// The metadata store keeps every event too (the REST events endpoint reads it); a batch not yet
/// appended when the server stops is appended by the pipeline's next update.
public struct PipelineEventLogTable: Sendable {
    public let tables: TableService
    public let store: PipelineStore
    public let owner: String

    public static let schema = Schema([
        Field("id", .string, nullable: false),
        Field("sequence", .int64, nullable: false),
        Field("timestamp", .timestamp(utc: true), nullable: false),
        Field("level", .string, nullable: false),
        Field("event_type", .string, nullable: false),
        Field("maturity_level", .string),
        Field("origin", .struct(originFields)),
        Field("message", .string, nullable: false),
        Field("details", .string),
        Field("error", .string),
    ])

    static let originFields = [
        Field("pipeline_id", .string), Field("pipeline_name", .string), Field("update_id", .string),
        Field("flow_name", .string), Field("dataset_name", .string),
    ]

    public static func tableName(_ settings: PipelineSettings) throws -> TableName {
        let t = settings.eventLogTable
        return try TableName(catalog: t[0], schema: t[1], table: t[2])
    }

    /// Appends the pipeline's events not yet in the table (one commit). Returns the events appended.
    @discardableResult
    public func flush(_ p: PipelineRecord, settings: PipelineSettings) async throws -> Int {
        let name = try Self.tableName(settings)
        let after = try await store.eventLogMark(pipelineID: p.id, table: name.description)
        let events = try await store.events(pipelineID: p.id, afterSeq: after)
        guard let last = events.last?.seq else { return 0 }
        if try await tables.namespace.tableIfExists(name) == nil {
            do {
                try await tables.create(name, schema: Self.schema, comment: "Event log of pipeline \(p.name)", owner: owner)
            } catch let e as CatalogError {
                if try await tables.namespace.tableIfExists(name) == nil { throw e }
            }
        }
        let (_, table) = try await tables.open(name)
        let version = try await table.append([try Self.batch(events.map(\.event), pipelineName: p.name, sequences: events.map(\.seq))])
        try await tables.committed(name, table: table, version: version)
        try await store.setEventLogMark(pipelineID: p.id, table: name.description, seq: last)
        return events.count
    }

    static func batch(_ events: [PipelineEvent], pipelineName: String, sequences: [Int64]) throws -> RecordBatch {
        var b = schema.fields.filter { $0.name != "origin" }.map { ColumnBuilder(type: $0.type) }
        var o = originFields.map { ColumnBuilder(type: $0.type) }
        func text(_ c: inout ColumnBuilder, _ s: String?) { if let s { c.append(.string(s)) } else { c.appendNull() } }
        for (e, seq) in zip(events, sequences) {
            text(&b[0], e.id)
            b[1].appendInt(seq)
            b[2].appendInt(e.timestamp * 1000)
            text(&b[3], e.level)
            text(&b[4], e.eventType)
            text(&b[5], "STABLE")
            text(&b[6], e.message)
            text(&b[7], e.details)
            text(&b[8], e.error.map { err in
                String(decoding: (try? JSONSerialization.data(withJSONObject: ["exceptions": [["message": err]], "fatal": true], options: [.sortedKeys])) ?? Data(),
                       as: UTF8.self)
            })
            text(&o[0], e.pipelineID)
            text(&o[1], pipelineName)
            text(&o[2], e.updateID)
            text(&o[3], e.dataset)
            text(&o[4], e.dataset)
        }
        let origin = Column(type: .struct(originFields), values: .struct(count: events.count, children: o.map { $0.finish() }))
        var columns = b.map { $0.finish() }
        columns.insert(origin, at: 6)
        return try RecordBatch(schema: schema, columns: columns)
    }
}

extension PipelineSchema {
    /// How far each pipeline's event log has been appended to its table.
    static func createEventLogMarksV2(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE pipeline_event_log_marks (
                    pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
                    table_name TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (pipeline_id, table_name)
                );
                """)
    }
}

extension PipelineStore {
    func eventLogMark(pipelineID: String, table: String) async throws -> Int64 {
        try await metadata.writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM pipeline_event_log_marks WHERE pipeline_id = ? AND table_name = ?", arguments: [pipelineID, table.lowercased()]) ?? 0
        }
    }

    func setEventLogMark(pipelineID: String, table: String, seq: Int64) async throws {
        try await metadata.writer.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO pipeline_event_log_marks (pipeline_id, table_name, seq) VALUES (?, ?, ?)",
                           arguments: [pipelineID, table.lowercased(), seq])
        }
    }

    /// Oldest first, with their sequence numbers.
    func events(pipelineID: String, afterSeq: Int64, limit: Int = 100_000) async throws -> [(seq: Int64, event: PipelineEvent)] {
        try await metadata.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pipeline_events WHERE pipeline_id = ? AND seq > ? ORDER BY seq LIMIT ?", arguments: [pipelineID, afterSeq, limit]).map { r in
                (r["seq"], PipelineEvent(id: r["id"], pipelineID: r["pipeline_id"], updateID: r["update_id"], timestamp: r["timestamp"], level: r["level"],
                                         eventType: r["event_type"], dataset: r["dataset"], message: r["message"], details: r["details"], error: r["error"]))
            }
        }
    }
}
