import Foundation
import GRDB

/// The kinds of securables that carry metadata (Unity Catalog's `securable_type` names).
public enum SecurableKind: String, Sendable, CaseIterable, Codable {
    case catalog, schema, table, volume, function
    case registeredModel = "registered_model"

    /// Accepts `TABLE`, `table`, `registered-model`, `REGISTERED_MODEL`.
    public init?(apiName: String) {
        self.init(rawValue: apiName.lowercased().replacingOccurrences(of: "-", with: "_"))
    }

    /// How many dotted parts the full name has.
    public var nameParts: Int {
        switch self {
        case .catalog: 1
        case .schema: 2
        default: 3
        }
    }

    /// The namespace table that keeps this kind's rows and the key columns its dotted name parts fill, in order;
    /// nil for registered models, which the registry keeps.
    var namespaceTable: (name: String, keys: [String])? {
        switch self {
        case .catalog: ("catalog_catalogs", ["name"])
        case .schema: ("catalog_schemas", ["catalog_name", "name"])
        case .table: ("catalog_tables", ["catalog_name", "schema_name", "name"])
        case .function: ("catalog_functions", ["catalog_name", "schema_name", "name"])
        case .volume: ("catalog_volumes", ["catalog_name", "schema_name", "name"])
        case .registeredModel: nil
        }
    }

    /// The kind in messages: `Catalog`, `Registered model`.
    var displayName: String {
        rawValue.prefix(1).uppercased() + rawValue.dropFirst().replacingOccurrences(of: "_", with: " ")
    }
}

/// A namespace row whose comment, owner and properties a ``SecurableUpdate`` changes.
protocol UpdatableSecurable {
    var comment: String? { get set }
    var owner: String { get set }
    var properties: [String: String] { get set }
    var updatedAt: Int64 { get set }
    var updatedBy: String? { get set }
}

extension CatalogRecord: UpdatableSecurable {}
extension SchemaRecord: UpdatableSecurable {}
extension TableRecord: UpdatableSecurable {}

/// A change to a securable's metadata (`PATCH` bodies, `COMMENT ON`, `ALTER … OWNER TO`). Nil fields stay.
public struct SecurableUpdate: Sendable, Equatable {
    public var comment: String?
    public var owner: String?
    /// Replaces the property map when set.
    public var properties: [String: String]?
    public var newName: String?

    public init(comment: String? = nil, owner: String? = nil, properties: [String: String]? = nil, newName: String? = nil) {
        self.comment = comment
        self.owner = owner
        self.properties = properties
        self.newName = newName
    }
}

/// Who owns a securable whose row lives in another module (registered models, volumes).
public struct SecurableOwnership: Sendable, Equatable, Codable {
    public var kind: SecurableKind
    public var fullName: String
    public var owner: String
    public var createdAt: Int64
    public var createdBy: String?
    public var updatedAt: Int64
    public var updatedBy: String?
}

extension NamespaceStore {
    var stamp: Int64 { Int64(clock().timeIntervalSince1970 * 1000) }

    // MARK: catalogs, schemas, tables

    /// Changes a catalog's comment, owner, properties or name (a rename moves its schemas, tables, views,
    /// functions, volumes and tags along; table and managed volume files stay where they are).
    public func updateCatalog(_ rawName: String, _ update: SecurableUpdate, actor: String) async throws -> CatalogRecord {
        let name = try NameRules.identifier(rawName, what: "catalog")
        let newName = try update.newName.map { try NameRules.identifier($0, what: "catalog") }
        let stamp = stamp
        return try await db.write { db in
            var record = try Self.applyUpdate(db, .catalog, [name], update, stamp: stamp, actor: actor, decode: Self.catalog)
            if let newName, newName != name {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_catalogs WHERE name = ?", arguments: [newName]) == true {
                    throw CatalogError.alreadyExists("Catalog '\(newName)' already exists")
                }
                try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                try db.execute(sql: "UPDATE catalog_catalogs SET name = ? WHERE name = ?", arguments: [newName, name])
                // Volumes and views too (their rows reference the schema); a managed volume's files stay where they are.
                for table in ["catalog_schemas", "catalog_tables", "catalog_functions", "catalog_volumes", "catalog_views"] {
                    try db.execute(sql: "UPDATE \(table) SET catalog_name = ? WHERE catalog_name = ?", arguments: [newName, name])
                }
                try Self.moveMetadata(db, from: name, to: newName)
                record.name = newName
            }
            return record
        }
    }

    public func updateSchema(catalog rawCatalog: String, name rawName: String, _ update: SecurableUpdate, actor: String) async throws -> SchemaRecord {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let name = try NameRules.identifier(rawName, what: "schema")
        let newName = try update.newName.map { try NameRules.identifier($0, what: "schema") }
        let stamp = stamp
        return try await db.write { db in
            var record = try Self.applyUpdate(db, .schema, [catalog, name], update, stamp: stamp, actor: actor, decode: Self.schema)
            if let newName, newName != name {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, newName]) == true {
                    throw CatalogError.alreadyExists("Schema '\(catalog).\(newName)' already exists")
                }
                try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                try db.execute(sql: "UPDATE catalog_schemas SET name = ? WHERE catalog_name = ? AND name = ?", arguments: [newName, catalog, name])
                for table in ["catalog_tables", "catalog_functions", "catalog_volumes", "catalog_views"] {
                    try db.execute(sql: "UPDATE \(table) SET schema_name = ? WHERE catalog_name = ? AND schema_name = ?", arguments: [newName, catalog, name])
                }
                try Self.moveMetadata(db, from: "\(catalog).\(name)", to: "\(catalog).\(newName)")
                record.name = newName
            }
            return record
        }
    }

    /// Changes a table's comment, owner or namespace properties (a rename goes through ``renameTable``).
    public func updateTable(_ name: TableName, _ update: SecurableUpdate, actor: String) async throws -> TableRecord {
        let stamp = stamp
        return try await db.write { db in
            try Self.applyUpdate(db, .table, [name.catalog, name.schema, name.table], update, stamp: stamp, actor: actor, decode: Self.table)
        }
    }

    /// Reads the row of a catalog, schema or table (`kind`, keyed by its name `parts`), applies `update`'s comment,
    /// owner and properties, stamps it changed by `actor` and writes those fields back. Renames are the caller's.
    static func applyUpdate<Record: UpdatableSecurable>(
        _ db: Database, _ kind: SecurableKind, _ parts: [String], _ update: SecurableUpdate, stamp: Int64, actor: String,
        decode: (Row) -> Record
    ) throws -> Record {
        guard let table = kind.namespaceTable else { preconditionFailure("\(kind.rawValue) rows are not kept in the namespace") }
        let match = table.keys.map { "\($0) = ?" }.joined(separator: " AND ")
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \(table.name) WHERE \(match)", arguments: StatementArguments(parts)) else {
            throw CatalogError.notFound("\(kind.displayName) '\(parts.joined(separator: "."))' does not exist")
        }
        var record = decode(row)
        if let c = update.comment { record.comment = c }
        if let o = update.owner { record.owner = try Self.principal(o) }
        if let p = update.properties { record.properties = p }
        record.updatedAt = stamp
        record.updatedBy = actor
        try db.execute(
            sql: "UPDATE \(table.name) SET comment = ?, owner = ?, properties = ?, updated_at = ?, updated_by = ? WHERE \(match)",
            arguments: [record.comment, record.owner, Self.encode(record.properties), stamp, actor] + StatementArguments(parts))
        return record
    }

    /// The table with this id (`table_id`), nil when none.
    public func table(id: String) async throws -> TableRecord? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM catalog_tables WHERE table_id = ?", arguments: [id]).map(Self.table) }
    }

    static func principal(_ raw: String) throws -> String {
        let owner = raw.trimmingCharacters(in: .whitespaces)
        guard !owner.isEmpty, owner.count <= 255 else { throw CatalogError.invalidParameter("owner must be a principal name") }
        return owner
    }

    // MARK: column comments

    /// Sets (or with nil/empty clears) a column's comment. Column names match case-insensitively.
    public func setColumnComment(_ table: TableName, column: String, comment: String?, actor: String) async throws {
        let record = try await self.table(table)
        let stamp = stamp
        try await db.write { db in
            if let comment, !comment.isEmpty {
                try db.execute(
                    sql: "INSERT INTO catalog_column_comments (table_id, column_name, comment) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET comment = excluded.comment",
                    arguments: [record.tableID, column.lowercased(), comment])
            } else {
                try db.execute(sql: "DELETE FROM catalog_column_comments WHERE table_id = ? AND column_name = ?", arguments: [record.tableID, column.lowercased()])
            }
            try Self.touchTable(db, table, stamp, actor)
        }
    }

    /// Column comments of a table, by lower-cased column name.
    public func columnComments(tableID: String) async throws -> [String: String] {
        try await db.read { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT column_name, comment FROM catalog_column_comments WHERE table_id = ?", arguments: [tableID]) {
                out[row["column_name"]] = row["comment"]
            }
            return out
        }
    }

    static func touchTable(_ db: Database, _ name: TableName, _ stamp: Int64, _ actor: String) throws {
        try db.execute(sql: "UPDATE catalog_tables SET updated_at = ?, updated_by = ? WHERE catalog_name = ? AND schema_name = ? AND name = ?",
            arguments: [stamp, actor, name.catalog, name.schema, name.table])
    }

    // MARK: tags

    public static let maxTagLength = 255

    /// Sets and removes tags on a securable, or on one column of a table (`column`). Catalogs, schemas,
    /// tables, functions and volumes must exist; registered models are checked by the registry's callers.
    public func setTags(_ kind: SecurableKind, _ fullName: String, column: String? = nil, set: [String: String], unset: [String], actor: String)
        async throws
    {
        let name = try Self.securableName(kind, fullName)
        for (k, v) in set {
            guard !k.isEmpty, k.count <= Self.maxTagLength, v.count <= Self.maxTagLength else {
                throw CatalogError.invalidParameter("tag keys must be 1–\(Self.maxTagLength) characters and values at most \(Self.maxTagLength)")
            }
        }
        if column != nil, kind != .table { throw CatalogError.invalidParameter("only table columns take tags") }
        let stamp = stamp
        try await db.write { db in
            try Self.requireExists(db, kind, name)
            let col = column?.lowercased() ?? ""
            for k in unset {
                try db.execute(sql: "DELETE FROM catalog_tags WHERE securable_type = ? AND full_name = ? AND column_name = ? AND tag_key = ?",
                    arguments: [kind.rawValue, name, col, k])
            }
            for (k, v) in set {
                try db.execute(
                    sql: """
                        INSERT INTO catalog_tags (securable_type, full_name, column_name, tag_key, tag_value) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT DO UPDATE SET tag_value = excluded.tag_value
                        """,
                    arguments: [kind.rawValue, name, col, k, v])
            }
            if kind == .table, let table = try? TableName(parsing: name) { try Self.touchTable(db, table, stamp, actor) }
        }
    }

    /// A securable's own tags (not its columns').
    public func tags(_ kind: SecurableKind, _ fullName: String) async throws -> [String: String] {
        let name = try Self.securableName(kind, fullName)
        return try await db.read { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT tag_key, tag_value FROM catalog_tags WHERE securable_type = ? AND full_name = ? AND column_name = ''",
                arguments: [kind.rawValue, name]) {
                out[row["tag_key"]] = row["tag_value"]
            }
            return out
        }
    }

    /// The tags of a table's columns, by lower-cased column name.
    public func columnTags(_ table: TableName) async throws -> [String: [String: String]] {
        try await db.read { db in
            var out: [String: [String: String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT column_name, tag_key, tag_value FROM catalog_tags WHERE securable_type = 'table' AND full_name = ? AND column_name <> ''",
                arguments: [table.description]) {
                out[row["column_name"], default: [:]][row["tag_key"]] = row["tag_value"]
            }
            return out
        }
    }

    static func securableName(_ kind: SecurableKind, _ fullName: String) throws -> String {
        let parts = fullName.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == kind.nameParts else {
            throw CatalogError.invalidParameter("'\(fullName)' is not a \(kind.rawValue) name (expected \(kind.nameParts) dotted parts)")
        }
        return try parts.map { try NameRules.identifier(String($0), what: kind.rawValue) }.joined(separator: ".")
    }

    static func requireExists(_ db: Database, _ kind: SecurableKind, _ name: String) throws {
        // Registered models live in the registry; their callers check them.
        guard let table = kind.namespaceTable else { return }
        let match = table.keys.map { "\($0) = ?" }.joined(separator: " AND ")
        let parts = name.split(separator: ".").map(String.init)
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM \(table.name) WHERE \(match)", arguments: StatementArguments(parts)) == true else {
            throw CatalogError.notFound("\(kind.displayName) '\(name)' does not exist")
        }
    }

    // MARK: ownership of securables kept elsewhere

    /// Records who created a securable another module stores (a registered model, a volume); replaces
    /// any record left by a deleted one of the same name.
    @discardableResult
    public func recordSecurable(_ kind: SecurableKind, _ fullName: String, owner: String) async throws -> SecurableOwnership {
        let name = try Self.securableName(kind, fullName)
        let stamp = stamp
        try await db.write { db in
            try db.execute(sql: "DELETE FROM catalog_tags WHERE securable_type = ? AND full_name = ?", arguments: [kind.rawValue, name])
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO catalog_securable_owners (securable_type, full_name, owner, created_at, created_by, updated_at, updated_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [kind.rawValue, name, owner, stamp, owner, stamp, owner])
        }
        return SecurableOwnership(kind: kind, fullName: name, owner: owner, createdAt: stamp, createdBy: owner, updatedAt: stamp, updatedBy: owner)
    }

    public func securable(_ kind: SecurableKind, _ fullName: String) async throws -> SecurableOwnership? {
        let name = try Self.securableName(kind, fullName)
        return try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM catalog_securable_owners WHERE securable_type = ? AND full_name = ?", arguments: [kind.rawValue, name])
                .map { row in
                    SecurableOwnership(kind: kind, fullName: name, owner: row["owner"], createdAt: row["created_at"], createdBy: row["created_by"],
                        updatedAt: row["updated_at"], updatedBy: row["updated_by"])
                }
        }
    }

    /// Changes the owner (and/or records a change by `actor`) of a securable kept elsewhere.
    @discardableResult
    public func touchSecurable(_ kind: SecurableKind, _ fullName: String, owner: String?, actor: String, renamedTo: String? = nil) async throws
        -> SecurableOwnership
    {
        let name = try Self.securableName(kind, fullName)
        let target = try renamedTo.map { try Self.securableName(kind, $0) }
        let stamp = stamp
        try await db.write { db in
            try db.execute(
                sql: """
                    INSERT INTO catalog_securable_owners (securable_type, full_name, owner, created_at, created_by, updated_at, updated_by)
                    VALUES (?, ?, ?, ?, NULL, ?, ?)
                    ON CONFLICT DO UPDATE SET owner = COALESCE(?, owner), updated_at = excluded.updated_at, updated_by = excluded.updated_by
                    """,
                arguments: [kind.rawValue, name, try owner.map(Self.principal) ?? actor, stamp, stamp, actor, try owner.map(Self.principal)])
            if let target, target != name {
                try db.execute(sql: "UPDATE catalog_securable_owners SET full_name = ? WHERE securable_type = ? AND full_name = ?", arguments: [target, kind.rawValue, name])
                try db.execute(sql: "UPDATE catalog_tags SET full_name = ? WHERE securable_type = ? AND full_name = ?", arguments: [target, kind.rawValue, name])
            }
        }
        return try await securable(kind, target ?? name)!
    }

    public func forgetSecurable(_ kind: SecurableKind, _ fullName: String) async throws {
        let name = try Self.securableName(kind, fullName)
        try await db.write { db in
            try db.execute(sql: "DELETE FROM catalog_securable_owners WHERE securable_type = ? AND full_name = ?", arguments: [kind.rawValue, name])
            try db.execute(sql: "DELETE FROM catalog_tags WHERE securable_type = ? AND full_name = ?", arguments: [kind.rawValue, name])
        }
    }

    // MARK: keeping metadata with names

    /// Drops tags and ownership records of a securable and everything below it (`a` covers `a.*`).
    static func forgetMetadata(_ db: Database, under name: String) throws {
        for table in ["catalog_tags", "catalog_securable_owners"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE full_name = :n OR substr(full_name, 1, length(:n) + 1) = :n || '.'", arguments: ["n": name])
        }
    }

    /// Moves tags and ownership records along with a rename (`a` → `b` also moves `a.*` to `b.*`).
    static func moveMetadata(_ db: Database, from: String, to: String) throws {
        for table in ["catalog_tags", "catalog_securable_owners"] {
            try db.execute(
                sql: """
                    UPDATE \(table) SET full_name = :to || substr(full_name, length(:from) + 1)
                    WHERE full_name = :from OR substr(full_name, 1, length(:from) + 1) = :from || '.'
                    """,
                arguments: ["from": from, "to": to])
        }
    }
}
