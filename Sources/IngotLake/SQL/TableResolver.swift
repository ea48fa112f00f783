import Foundation
import IngotStorage

/// A fully qualified table name.
public struct SQLTableName: Sendable, Hashable, CustomStringConvertible {
    public var catalog: String
    public var schema: String
    public var table: String

    public init(catalog: String, schema: String, table: String) {
        self.catalog = catalog
        self.schema = schema
        self.table = table
    }

    public var description: String { "\(catalog).\(schema).\(table)" }
}

/// Maps SQL names to lake tables; the SQL engine's only view of a catalog.
///
/// The server implements it over its catalog namespace; ``DirectoryTableResolver`` serves a plain
/// directory tree (`<warehouse>/<catalog>/<schema>/<table>/`).
public protocol TableResolver: Sendable {
    /// The table stored at a name. It need not exist yet: the engine checks `exists()` (reads fail
    /// with "table not found", CREATE TABLE creates it there).
    func table(_ name: SQLTableName) async throws -> LakeTable
    func catalogs() async throws -> [String]
    func schemas(catalog: String) async throws -> [String]
    func tables(catalog: String, schema: String) async throws -> [String]
    /// Called after CREATE TABLE committed version 0 (register the table in a catalog, grant, …).
    func tableCreated(_ name: SQLTableName, _ table: LakeTable) async throws
    /// The table at an explicit location (`CREATE TABLE … LOCATION 'path'`) for a name that does not
    /// exist yet. The location may already hold a Delta table (it is then registered, not written).
    func table(_ name: SQLTableName, location: String) async throws -> LakeTable
    /// Called when `CREATE TABLE … LOCATION` named an existing Delta table: record it, write nothing.
    func tableRegistered(_ name: SQLTableName, _ table: LakeTable) async throws
    /// Called before the engine touches a table: a resolver with a caller refuses what it may not do
    /// (throws). The default allows everything.
    func authorize(_ name: SQLTableName, _ access: SQLTableAccess) async throws
    /// Stores a comment, tags or table properties (`COMMENT ON`, `ALTER … SET TAGS`); a resolver with a
    /// caller checks privileges first. The default refuses (no catalog to keep metadata in).
    func applyMetadata(_ change: SQLMetadataChange) async throws
    /// The view stored at a name, or nil when the name is not a view (the default: no views).
    func view(_ name: SQLTableName) async throws -> SQLView?
    /// Records a view (`CREATE [OR REPLACE] VIEW`); `replace` overwrites an existing view of that name.
    func createView(_ view: SQLView, replace: Bool) async throws
    /// Removes a view; false when there was none.
    func dropView(_ name: SQLTableName) async throws -> Bool
    /// The resolver a view's tables are read through: a resolver with a caller checks them against the
    /// view's owner (Unity Catalog's owner rights), not the reader. The default is this resolver.
    func viewOwnerResolver(_ owner: String) async throws -> any TableResolver
}

/// A stored SQL view: its query text (Spark SQL, resolved against the view's own catalog and schema),
/// the columns planned from it when it was created, and its owner.
public struct SQLView: Sendable, Equatable {
    public var name: SQLTableName
    public var definition: String
    public var columns: [Field]
    public var columnComments: [String: String]
    public var comment: String?
    public var owner: String

    public init(name: SQLTableName, definition: String, columns: [Field], columnComments: [String: String] = [:], comment: String? = nil, owner: String) {
        self.name = name
        self.definition = definition
        self.columns = columns
        self.columnComments = columnComments
        self.comment = comment
        self.owner = owner
    }
}

/// What a statement does with a table, for ``TableResolver/authorize(_:_:)``.
public enum SQLTableAccess: Sendable, Equatable {
    /// SELECT, DESCRIBE, SHOW COLUMNS.
    case read
    /// INSERT, UPDATE, DELETE, MERGE (target), OPTIMIZE, VACUUM.
    case write
    /// CREATE TABLE / CREATE VIEW (the name does not exist yet).
    case create
    /// DROP VIEW (and CREATE OR REPLACE of an existing view): the owner's right (MANAGE).
    case manage
}

extension TableResolver {
    public func tableCreated(_ name: SQLTableName, _ table: LakeTable) async throws {}

    public func table(_ name: SQLTableName, location: String) async throws -> LakeTable {
        throw SQLError.unsupported("CREATE TABLE … LOCATION without a catalog (run it through `ingot serve`)")
    }

    public func tableRegistered(_ name: SQLTableName, _ table: LakeTable) async throws {}

    public func authorize(_ name: SQLTableName, _ access: SQLTableAccess) async throws {}

    public func applyMetadata(_ change: SQLMetadataChange) async throws {
        throw SQLError.unsupported("comments, tags and properties without a catalog (run it through `ingot serve`)")
    }

    public func view(_ name: SQLTableName) async throws -> SQLView? { nil }

    public func createView(_ view: SQLView, replace: Bool) async throws {
        throw SQLError.unsupported("views without a catalog (run it through `ingot serve`)")
    }

    public func dropView(_ name: SQLTableName) async throws -> Bool { false }

    public func viewOwnerResolver(_ owner: String) async throws -> any TableResolver { self }
}

/// Tables in a directory tree: `<warehouse>/<catalog>/<schema>/<table>/` (the layout of the data
/// directory's `warehouse/` folder, so `--root R` tables are found with warehouse `R/warehouse`).
public struct DirectoryTableResolver: TableResolver {
    public let warehouse: URL
    let store: LocalObjectStore
    let prefix: String

    public init(warehouse: URL) throws {
        let w = warehouse.standardizedFileURL
        try FileManager.default.createDirectory(at: w, withIntermediateDirectories: true)
        self.warehouse = w
        store = try LocalObjectStore(root: w.deletingLastPathComponent(), allowedTopLevel: nil)
        prefix = w.lastPathComponent
    }

    private func subdirectories(_ url: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { n in
            var dir: ObjCBool = false
            return !n.hasPrefix(".") && !n.hasPrefix("_") && FileManager.default.fileExists(atPath: url.appendingPathComponent(n).path, isDirectory: &dir) && dir.boolValue
        }.sorted()
    }

    /// The directory name matching `name` exactly, else case-insensitively, else `name` itself.
    private func match(_ name: String, in url: URL) -> String {
        let dirs = subdirectories(url)
        if dirs.contains(name) { return name }
        return dirs.first { $0.lowercased() == name.lowercased() } ?? name
    }

    public func table(_ name: SQLTableName) async throws -> LakeTable {
        for part in [name.catalog, name.schema, name.table] {
            guard !part.isEmpty, part != ".", part != "..", !part.contains("/") else { throw SQLError.invalid("invalid table name \(name)") }
        }
        let c = match(name.catalog, in: warehouse)
        let s = match(name.schema, in: warehouse.appendingPathComponent(c))
        let t = match(name.table, in: warehouse.appendingPathComponent(c).appendingPathComponent(s))
        return try LakeTable(store: store, key: "\(prefix)/\(c)/\(s)/\(t)")
    }

    public func catalogs() async throws -> [String] { subdirectories(warehouse) }

    public func schemas(catalog: String) async throws -> [String] {
        subdirectories(warehouse.appendingPathComponent(match(catalog, in: warehouse)))
    }

    public func tables(catalog: String, schema: String) async throws -> [String] {
        let c = match(catalog, in: warehouse)
        let dir = warehouse.appendingPathComponent(c).appendingPathComponent(match(schema, in: warehouse.appendingPathComponent(c)))
        return subdirectories(dir).filter { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).appendingPathComponent("_delta_log").path) }
    }
}
