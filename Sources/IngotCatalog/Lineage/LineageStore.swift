import Foundation
import GRDB
import IngotStorage

/// The lineage store's migrations (after every earlier module's; append only).
public enum LineageModule {
    public static let migrations: [Migration] = [
        Migration("catalog.lineage.v1") { db in try LineageSchema.createV1(db) }
    ]
}

/// The lineage tables: edges between nodes (by key, `type:name`), what produced them, and
/// per-node attributes. Feeds replace their own origin's edges; events (SQL, OpenLineage) add.
enum LineageSchema {
    static func createV1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE catalog_lineage_edges (
                    edge_id INTEGER PRIMARY KEY,
                    origin TEXT NOT NULL,
                    source_key TEXT NOT NULL,
                    target_key TEXT NOT NULL,
                    via_key TEXT NOT NULL DEFAULT '',
                    event TEXT,
                    columns TEXT,
                    recorded_at INTEGER NOT NULL,
                    UNIQUE (origin, source_key, target_key, via_key)
                );
                CREATE INDEX catalog_lineage_by_source ON catalog_lineage_edges(source_key);
                CREATE INDEX catalog_lineage_by_target ON catalog_lineage_edges(target_key);
                CREATE INDEX catalog_lineage_by_via ON catalog_lineage_edges(via_key);
                CREATE TABLE catalog_lineage_nodes (
                    node_key TEXT PRIMARY KEY,
                    attributes TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
    }
}

/// Reads and writes the lineage tables.
public struct LineageStore: Sendable {
    let writer: any DatabaseWriter

    public init(metadata: MetadataStore) { self.writer = metadata.writer }

    /// - Parameter keepTime: an existing link keeps its recorded time (feeds re-report unchanged links).
    static func insert(_ db: Database, _ l: LineageLink, keepTime: Bool = false) throws {
        let columns = l.columns.isEmpty ? nil : String(decoding: try JSONEncoder().encode(l.columns), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO catalog_lineage_edges (origin, source_key, target_key, via_key, event, columns, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (origin, source_key, target_key, via_key) DO UPDATE SET
                    event = excluded.event, columns = coalesce(excluded.columns, columns),
                    recorded_at = CASE WHEN ? THEN recorded_at ELSE excluded.recorded_at END
                """,
            arguments: [l.origin, l.source.key, l.target.key, l.via?.key ?? "", l.event, columns, l.recordedAt, keepTime])
    }

    static func setAttributes(_ db: Database, _ attributes: [String: [String: String]]) throws {
        for (key, attrs) in attributes where !attrs.isEmpty {
            let old = try String.fetchOne(db, sql: "SELECT attributes FROM catalog_lineage_nodes WHERE node_key = ?", arguments: [key])
                .flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
            let merged = old.merging(attrs) { $1 }
            if merged == old { continue }
            try db.execute(
                sql: "INSERT OR REPLACE INTO catalog_lineage_nodes (node_key, attributes, updated_at) VALUES (?, ?, ?)",
                arguments: [key, String(decoding: try JSONEncoder().encode(merged), as: UTF8.self), Int64(Date().timeIntervalSince1970 * 1000)])
        }
    }

    /// Adds (or refreshes) links and node attributes.
    public func record(_ links: [LineageLink], attributes: [String: [String: String]] = [:]) async throws {
        guard !links.isEmpty || !attributes.isEmpty else { return }
        try await writer.write { db in
            for l in links { try Self.insert(db, l) }
            try Self.setAttributes(db, attributes)
        }
    }

    /// Replaces every link of `origin` with `links`, in one transaction. Unchanged links keep their
    /// recorded time.
    public func replace(origin: String, with links: [LineageLink], attributes: [String: [String: String]] = [:]) async throws {
        try await writer.write { db in
            let wanted = Set(links.map { "\($0.source.key)\u{1}\($0.target.key)\u{1}\($0.via?.key ?? "")" })
            let rows = try Row.fetchAll(db, sql: "SELECT edge_id, source_key, target_key, via_key FROM catalog_lineage_edges WHERE origin = ?", arguments: [origin])
            for r in rows {
                let k = "\(r["source_key"] as String)\u{1}\(r["target_key"] as String)\u{1}\(r["via_key"] as String)"
                if !wanted.contains(k) { try db.execute(sql: "DELETE FROM catalog_lineage_edges WHERE edge_id = ?", arguments: [r["edge_id"] as Int64]) }
            }
            for l in links { try Self.insert(db, l, keepTime: true) }
            try Self.setAttributes(db, attributes)
        }
    }

    static func link(_ r: Row) -> LineageLink? {
        guard let s = LineageNode(key: r["source_key"]), let t = LineageNode(key: r["target_key"]) else { return nil }
        let via: String = r["via_key"]
        let columns = (r["columns"] as String?).flatMap { try? JSONDecoder().decode([ColumnMapping].self, from: Data($0.utf8)) } ?? []
        return LineageLink(s, t, via: via.isEmpty ? nil : LineageNode(key: via), origin: r["origin"], event: r["event"], columns: columns, recordedAt: r["recorded_at"])
    }

    /// Links whose target (upstream) or source (downstream) is one of `keys`, or that a process in `keys` produced.
    public func links(touching keys: [String], upstream: Bool) async throws -> [LineageLink] {
        guard !keys.isEmpty else { return [] }
        return try await writer.read { db in
            var out: [LineageLink] = []
            for chunk in stride(from: 0, to: keys.count, by: 400).map({ Array(keys[$0..<min($0 + 400, keys.count)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let column = upstream ? "target_key" : "source_key"
                let rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM catalog_lineage_edges WHERE \(column) IN (\(marks)) OR via_key IN (\(marks)) ORDER BY recorded_at DESC, edge_id",
                    arguments: StatementArguments(chunk + chunk))
                out += rows.compactMap(Self.link)
            }
            return out
        }
    }

    /// Every link (tests, exports).
    public func allLinks() async throws -> [LineageLink] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM catalog_lineage_edges ORDER BY edge_id").compactMap(Self.link) }
    }

    public func attributes(_ keys: [String]) async throws -> [String: [String: String]] {
        guard !keys.isEmpty else { return [:] }
        return try await writer.read { db in
            var out: [String: [String: String]] = [:]
            for chunk in stride(from: 0, to: keys.count, by: 400).map({ Array(keys[$0..<min($0 + 400, keys.count)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for r in try Row.fetchAll(db, sql: "SELECT node_key, attributes FROM catalog_lineage_nodes WHERE node_key IN (\(marks))", arguments: StatementArguments(chunk)) {
                    out[r["node_key"]] = (r["attributes"] as String).data(using: .utf8).flatMap { try? JSONDecoder().decode([String: String].self, from: $0) }
                }
            }
            return out
        }
    }

    /// Whether any link mentions the node (as an end or as its process).
    public func knows(_ node: LineageNode) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM catalog_lineage_edges WHERE source_key = ?1 OR target_key = ?1 OR via_key = ?1)", arguments: [node.key]) ?? false
        }
    }
}
