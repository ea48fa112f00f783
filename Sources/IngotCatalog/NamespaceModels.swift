import Foundation

/// A catalog: the top level of `catalog.schema.table`.
public struct CatalogRecord: Codable, Sendable, Equatable {
    public var name: String
    public var comment: String?
    public var owner: String
    public var properties: [String: String]
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Who created the securable and who changed it last (nil for rows older than `catalog.v2`).
    public var createdBy: String? = nil
    public var updatedBy: String? = nil
}

/// A schema (database) inside a catalog.
public struct SchemaRecord: Codable, Sendable, Equatable {
    public var catalogName: String
    public var name: String
    public var comment: String?
    public var owner: String
    public var properties: [String: String]
    public var createdAt: Int64
    public var updatedAt: Int64
    public var createdBy: String? = nil
    public var updatedBy: String? = nil

    public var fullName: String { "\(catalogName).\(name)" }
}

/// A table in the namespace. `storageLocation` is an object-store key under `warehouse/` for managed
/// tables, or the adopted table's location for external ones.
public struct TableRecord: Codable, Sendable, Equatable {
    public enum TableType: String, Codable, Sendable { case managed = "MANAGED", external = "EXTERNAL" }

    public var name: TableName
    public var tableID: String
    public var tableType: TableType
    public var dataSourceFormat: String
    public var storageLocation: String
    public var deltaVersion: Int64?
    public var icebergMetadataLocation: String?
    public var comment: String?
    public var owner: String
    public var properties: [String: String]
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Who created the securable and who changed it last (nil for rows older than `catalog.v2`).
    public var createdBy: String? = nil
    public var updatedBy: String? = nil
}

/// A validated three-part name. Names are case-insensitive (stored lower-case), as in Unity Catalog.
public struct TableName: Codable, Sendable, Hashable, CustomStringConvertible {
    public let catalog: String
    public let schema: String
    public let table: String

    public init(catalog: String, schema: String, table: String) throws {
        self.catalog = try NameRules.identifier(catalog, what: "catalog")
        self.schema = try NameRules.identifier(schema, what: "schema")
        self.table = try NameRules.identifier(table, what: "table")
    }

    /// Parses `catalog.schema.table`, `schema.table` or `table` against defaults.
    public init(parsing text: String, defaultCatalog: String = "main", defaultSchema: String = "default") throws {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { part -> String in
            var p = String(part)
            if p.count >= 2, p.hasPrefix("`"), p.hasSuffix("`") { p = String(p.dropFirst().dropLast()) }
            return p
        }
        switch parts.count {
        case 3: try self.init(catalog: parts[0], schema: parts[1], table: parts[2])
        case 2: try self.init(catalog: defaultCatalog, schema: parts[0], table: parts[1])
        case 1: try self.init(catalog: defaultCatalog, schema: defaultSchema, table: parts[0])
        default: throw CatalogError.invalidParameter("'\(text)' is not a table name: expected catalog.schema.table")
        }
    }

    public var description: String { "\(catalog).\(schema).\(table)" }
    public var schemaFullName: String { "\(catalog).\(schema)" }
}

/// Identifier rules shared by catalogs, schemas, tables and volumes.
public enum NameRules {
    public static let maxLength = 255

    /// Lower-cases and validates one name part: letters, digits, `_` and `-`, not starting with `-`.
    /// Dots, slashes, spaces and control characters would break paths and three-part names.
    public static func identifier(_ raw: String, what: String) throws -> String {
        let name = raw.lowercased()
        guard !name.isEmpty else { throw CatalogError.invalidParameter("\(what) name must not be empty") }
        guard name.count <= maxLength else { throw CatalogError.invalidParameter("\(what) name '\(raw.prefix(40))…' is longer than \(maxLength) characters") }
        let valid = name.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "0" && s <= "9") || s == "_" || s == "-"
        }
        guard valid, !name.hasPrefix("-") else {
            throw CatalogError.invalidParameter("invalid \(what) name '\(raw)': use letters, digits, '_' and '-'")
        }
        return name
    }
}
