import Foundation
import GRDB

/// A catalog, schema or table whose name or comment holds every search term.
public struct NamespaceSearchHit: Sendable, Equatable {
    public enum Kind: String, Sendable { case catalog, schema, table }
    public var kind: Kind
    public var fullName: String
    public var comment: String?
    public var owner: String
    public var properties: [String: String]
}

extension NamespaceStore {
    /// Catalogs, schemas and tables where each term occurs in the full name, the comment or a property
    /// (a `LIKE '%term%'` per term with the term as a bound parameter, `%`, `_` and `\` escaped).
    public func search(terms: [String], limit: Int = 1000) async throws -> [NamespaceSearchHit] {
        let patterns = terms.map { "%" + Self.escapeLike($0.lowercased()) + "%" }
        @Sendable func clause(_ name: String) -> String {
            patterns.isEmpty
                ? "1"
                : patterns.map { _ in "(lower(\(name)) LIKE ? ESCAPE '\\' OR lower(COALESCE(comment, '')) LIKE ? ESCAPE '\\' OR lower(properties) LIKE ? ESCAPE '\\')" }
                    .joined(separator: " AND ")
        }
        var args: [String] = []
        for p in patterns { args += [p, p, p] }
        let arguments = StatementArguments(args)
        return try await db.read { db in
            var hits: [NamespaceSearchHit] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM catalog_catalogs WHERE \(clause("name")) LIMIT \(limit)", arguments: arguments) {
                hits.append(.init(kind: .catalog, fullName: row["name"], comment: row["comment"], owner: row["owner"], properties: Self.decode(row["properties"])))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM catalog_schemas WHERE \(clause("catalog_name || '.' || name")) LIMIT \(limit)", arguments: arguments) {
                hits.append(.init(kind: .schema, fullName: "\(row["catalog_name"] as String).\(row["name"] as String)", comment: row["comment"], owner: row["owner"],
                                  properties: Self.decode(row["properties"])))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM catalog_tables WHERE \(clause("catalog_name || '.' || schema_name || '.' || name")) LIMIT \(limit)",
                                        arguments: arguments) {
                hits.append(.init(kind: .table, fullName: "\(row["catalog_name"] as String).\(row["schema_name"] as String).\(row["name"] as String)",
                                  comment: row["comment"], owner: row["owner"], properties: Self.decode(row["properties"])))
            }
            return hits
        }
    }

    /// Every table (for the column index of search), at most `limit`.
    public func allTables(limit: Int = 5000) async throws -> [TableRecord] {
        try await db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM catalog_tables ORDER BY catalog_name, schema_name, name LIMIT ?", arguments: [limit]).map(Self.table) }
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
