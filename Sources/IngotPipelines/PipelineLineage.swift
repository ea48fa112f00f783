import Foundation
import GRDB
import IngotCore
import IngotStorage

extension PipelineSchema {
    /// Lineage: per update and dataset, what it read (tables, source files) and what it wrote.
    static func createLineageV2(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE pipeline_lineage (
                    update_id TEXT NOT NULL REFERENCES pipeline_updates(update_id) ON DELETE CASCADE,
                    pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
                    dataset TEXT NOT NULL,
                    direction TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    version INTEGER,
                    recorded_at INTEGER NOT NULL,
                    PRIMARY KEY (update_id, dataset, direction, kind, name)
                );
                CREATE INDEX pipeline_lineage_by_name ON pipeline_lineage(kind, name);
                CREATE INDEX pipeline_lineage_by_pipeline ON pipeline_lineage(pipeline_id, recorded_at);
                """)
    }
}

/// One lineage fact of a dataset's run: it read (`read`) or wrote (`write`) a table
/// (`catalog.schema.table`, with the version read or written) or read a source file (its path).
public struct LineageEdge: Sendable, Codable, Hashable {
    public enum Direction: String, Sendable, Codable { case read, write }
    public enum Kind: String, Sendable, Codable { case table, file }
    public var updateID: String
    public var pipelineID: String
    public var dataset: String
    public var direction: Direction
    public var kind: Kind
    public var name: String
    public var version: Int64?
    public var recordedAt: Int64

    public init(updateID: String, pipelineID: String, dataset: String, direction: Direction, kind: Kind, name: String, version: Int64? = nil, recordedAt: Int64 = Clock.nowMillis()) {
        self.updateID = updateID
        self.pipelineID = pipelineID
        self.dataset = dataset
        self.direction = direction
        self.kind = kind
        self.name = name
        self.version = version
        self.recordedAt = recordedAt
    }
}

extension PipelineStore {
    public func recordLineage(_ edges: [LineageEdge]) async throws {
        guard !edges.isEmpty else { return }
        try await metadata.writer.write { db in
            for e in edges {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO pipeline_lineage (update_id, pipeline_id, dataset, direction, kind, name, version, recorded_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [e.updateID, e.pipelineID, e.dataset, e.direction.rawValue, e.kind.rawValue, e.name, e.version, e.recordedAt])
            }
        }
    }

    static func edge(_ r: Row) -> LineageEdge {
        LineageEdge(updateID: r["update_id"], pipelineID: r["pipeline_id"], dataset: r["dataset"],
                    direction: LineageEdge.Direction(rawValue: r["direction"]) ?? .read, kind: LineageEdge.Kind(rawValue: r["kind"]) ?? .table,
                    name: r["name"], version: r["version"], recordedAt: r["recorded_at"])
    }

    /// A pipeline's lineage: of one update, or (nil) of its latest update that recorded any.
    public func lineage(pipelineID: String, updateID: String?) async throws -> [LineageEdge] {
        try await metadata.writer.read { db -> [LineageEdge] in
            let u: String?
            if let updateID { u = updateID } else {
                u = try String.fetchOne(db, sql: "SELECT update_id FROM pipeline_lineage WHERE pipeline_id = ? ORDER BY recorded_at DESC, rowid DESC LIMIT 1", arguments: [pipelineID])
            }
            guard let u else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM pipeline_lineage WHERE pipeline_id = ? AND update_id = ? ORDER BY dataset, direction, kind, name",
                                    arguments: [pipelineID, u]).map(Self.edge)
        }
    }

    /// Every dataset run that read or wrote `name` (a table's full name, case-insensitive), newest
    /// first, with the other edges of the same dataset run: the table-lineage graph around one table.
    public func lineage(table name: String, limit: Int = 1000) async throws -> (wroteIt: [LineageEdge], readIt: [LineageEdge]) {
        try await metadata.writer.read { db in
            // The latest run per (pipeline, dataset) that touched the table decides its edges.
            let runs = try Row.fetchAll(
                db, sql: """
                    SELECT pipeline_id, dataset, direction, max(recorded_at) AS at FROM pipeline_lineage
                    WHERE kind = 'table' AND lower(name) = lower(?) GROUP BY pipeline_id, dataset, direction LIMIT ?
                    """, arguments: [name, limit])
            var wrote: [LineageEdge] = [], read: [LineageEdge] = []
            for r in runs {
                let pid: String = r["pipeline_id"], ds: String = r["dataset"], dir: String = r["direction"]
                guard let u = try String.fetchOne(
                    db, sql: "SELECT update_id FROM pipeline_lineage WHERE pipeline_id = ? AND dataset = ? AND kind = 'table' AND lower(name) = lower(?) AND direction = ? ORDER BY recorded_at DESC LIMIT 1",
                    arguments: [pid, ds, name, dir]) else { continue }
                let edges = try Row.fetchAll(db, sql: "SELECT * FROM pipeline_lineage WHERE update_id = ? AND dataset = ?", arguments: [u, ds]).map(Self.edge)
                // Writers of the table: their reads are its upstreams; readers: their writes are downstreams.
                if dir == "write" { wrote += edges.filter { $0.direction == .read } } else { read += edges.filter { $0.direction == .write } }
            }
            return (wrote, read)
        }
    }
}
