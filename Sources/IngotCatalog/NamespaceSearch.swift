import Foundation
import GRDB

/// A catalog, schema, table or volume whose name, comment, properties or tags hold every search term.
public struct NamespaceSearchHit: Sendable, Equatable {
    public enum Kind: String, Sendable { case catalog, schema, table, volume }
    public var kind: Kind
    public var fullName: String
    public var comment: String?
    public var owner: String
    public var properties: [String: String]
    /// Unity Catalog tags (`catalog_tags`, the securable's own, not its columns').
    public var tags: [String: String]
}

/// Comments and tags set on a table's columns.
public struct ColumnAnnotations: Sendable, Equatable {
    /// table id → column → comment.
    public var comments: [String: [String: String]] = [:]
    /// table full name → column → tags.
    public var tags: [String: [String: [String: String]]] = [:]
}

extension NamespaceStore {
    /// Catalogs, schemas, tables and volumes where each term occurs in the full name, the comment, a
    /// property or a tag key/value: one `LIKE '%term%'` condition per term, the term a bound parameter
    /// with `%`, `_` and `\` escaped (never pasted into the SQL).
    public func search(terms: [String], limit: Int = 1000) async throws -> [NamespaceSearchHit] {
        let patterns = terms.map { "%" + Self.escapeLike($0.lowercased()) + "%" }
        struct Source {
            let kind: NamespaceSearchHit.Kind
            let table: String
            let fullName: String
            let hasProperties: Bool
        }
        let sources = [
            Source(kind: .catalog, table: "catalog_catalogs", fullName: "name", hasProperties: true),
            Source(kind: .schema, table: "catalog_schemas", fullName: "catalog_name || '.' || name", hasProperties: true),
            Source(kind: .table, table: "catalog_tables", fullName: "catalog_name || '.' || schema_name || '.' || name", hasProperties: true),
            Source(kind: .volume, table: "catalog_volumes", fullName: "catalog_name || '.' || schema_name || '.' || name", hasProperties: false),
        ]
        return try await db.read { db in
            let tagsExist = try db.tableExists("catalog_tags")
            var allTags: [String: [String: String]] = [:]
            if tagsExist {
                for row in try Row.fetchAll(db, sql: "SELECT securable_type, full_name, tag_key, tag_value FROM catalog_tags WHERE column_name = '' LIMIT 100000") {
                    allTags["\(row["securable_type"] as String):\(row["full_name"] as String)", default: [:]][row["tag_key"]] = row["tag_value"]
                }
            }
            var hits: [NamespaceSearchHit] = []
            for s in sources where try db.tableExists(s.table) {
                var conditions: [String] = []
                var args: [String] = []
                for p in patterns {
                    var alternatives = ["lower(\(s.fullName)) LIKE ? ESCAPE '\\'", "lower(COALESCE(comment, '')) LIKE ? ESCAPE '\\'"]
                    args += [p, p]
                    if s.hasProperties {
                        alternatives.append("lower(properties) LIKE ? ESCAPE '\\'")
                        args.append(p)
                    }
                    if tagsExist {
                        alternatives.append("""
                            EXISTS (SELECT 1 FROM catalog_tags t WHERE t.securable_type = '\(s.kind.rawValue)' AND t.full_name = \(s.fullName)
                                    AND t.column_name = '' AND (lower(t.tag_key) LIKE ? ESCAPE '\\' OR lower(t.tag_value) LIKE ? ESCAPE '\\'))
                            """)
                        args += [p, p]
                    }
                    conditions.append("(" + alternatives.joined(separator: " OR ") + ")")
                }
                let whereClause = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
                let sql = "SELECT \(s.fullName) AS full_name, comment, owner\(s.hasProperties ? ", properties" : "") FROM \(s.table) WHERE \(whereClause) LIMIT \(limit)"
                for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)) {
                    let name: String = row["full_name"]
                    hits.append(NamespaceSearchHit(
                        kind: s.kind, fullName: name, comment: row["comment"], owner: row["owner"],
                        properties: s.hasProperties ? Self.decode(row["properties"]) : [:], tags: allTags["\(s.kind.rawValue):\(name)"] ?? [:]))
                }
            }
            return hits
        }
    }

    /// Every table (for the column index of search), at most `limit`.
    public func allTables(limit: Int = 5000) async throws -> [TableRecord] {
        try await db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM catalog_tables ORDER BY catalog_name, schema_name, name LIMIT ?", arguments: [limit]).map(Self.table) }
    }

    /// Column comments and column tags of every table (empty before the metadata migration).
    public func columnAnnotations() async throws -> ColumnAnnotations {
        try await db.read { db in
            var out = ColumnAnnotations()
            if try db.tableExists("catalog_column_comments") {
                for row in try Row.fetchAll(db, sql: "SELECT table_id, column_name, comment FROM catalog_column_comments LIMIT 100000") {
                    out.comments[row["table_id"], default: [:]][row["column_name"]] = row["comment"]
                }
            }
            if try db.tableExists("catalog_tags") {
                for row in try Row.fetchAll(db, sql: "SELECT full_name, column_name, tag_key, tag_value FROM catalog_tags WHERE securable_type = 'table' AND column_name <> '' LIMIT 100000") {
                    out.tags[row["full_name"], default: [:]][row["column_name"], default: [:]][row["tag_key"]] = row["tag_value"]
                }
            }
            return out
        }
    }

    static func escapeLike(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
