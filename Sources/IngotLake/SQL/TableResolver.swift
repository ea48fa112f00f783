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
}

/// What a statement does with a table, for ``TableResolver/authorize(_:_:)``.
public enum SQLTableAccess: Sendable, Equatable {
    /// SELECT, DESCRIBE, SHOW COLUMNS.
    case read
    /// INSERT, UPDATE, DELETE, MERGE (target), OPTIMIZE, VACUUM.
    case write
    /// CREATE TABLE (the name does not exist yet).
    case create
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
