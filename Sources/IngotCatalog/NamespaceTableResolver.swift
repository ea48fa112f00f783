import Foundation
import IngotLake

/// The SQL engine's view of the namespace: names resolve through the catalog's records (so only
/// registered tables are visible, with their recorded location), and a table created by SQL
/// (`CREATE TABLE … AS SELECT`) is recorded as a managed table once its version 0 is committed.
public struct NamespaceTableResolver: TableResolver {
    public let tables: TableService
    public let owner: String

    public init(tables: TableService, owner: String) {
        self.tables = tables
        self.owner = owner
    }

    public func table(_ name: SQLTableName) async throws -> LakeTable {
        let resolved = try TableName(catalog: name.catalog, schema: name.schema, table: name.table)
        if try await tables.namespace.tableIfExists(resolved) != nil {
            return try await tables.open(resolved).table
        }
        // Not a table yet: reads will say so; CREATE TABLE writes at the managed location, which
        // needs the schema to exist before any file is written.
        _ = try await tables.namespace.schema(catalog: resolved.catalog, name: resolved.schema)
        return try LakeTable(store: tables.objects, key: TableService.managedKey(resolved))
    }

    public func catalogs() async throws -> [String] { try await tables.namespace.catalogs().map(\.name) }

    public func schemas(catalog: String) async throws -> [String] { try await tables.namespace.schemas(catalog: catalog).map(\.name) }

    public func tables(catalog: String, schema: String) async throws -> [String] {
        let names = try await tables.namespace.tables(catalog: catalog, schema: schema).map(\.name.table)
        return (names + (try await tables.namespace.views.views(catalog: catalog, schema: schema).map(\.name.table))).sorted()
    }

    public func table(_ name: SQLTableName, location: String) async throws -> LakeTable {
        let resolved = try TableName(catalog: name.catalog, schema: name.schema, table: name.table)
        _ = try await tables.namespace.schema(catalog: resolved.catalog, name: resolved.schema)
        let key = try tables.objectKey(location: location)
        try await tables.checkLocationFree(key)
        return try LakeTable(store: tables.objects, key: key)
    }

    public func tableRegistered(_ name: SQLTableName, _ table: LakeTable) async throws {
        let resolved = try TableName(catalog: name.catalog, schema: name.schema, table: name.table)
        try await tables.register(resolved, key: table.key, owner: owner)
    }

    public func tableCreated(_ name: SQLTableName, _ table: LakeTable) async throws {
        let resolved = try TableName(catalog: name.catalog, schema: name.schema, table: name.table)
        try await tables.adopt(resolved, table: table, owner: owner)
    }

    // MARK: views

    func resolved(_ name: SQLTableName) throws -> TableName { try TableName(catalog: name.catalog, schema: name.schema, table: name.table) }

    public func view(_ name: SQLTableName) async throws -> SQLView? {
        guard let resolved = try? resolved(name), let record = try await tables.namespace.views.view(resolved) else { return nil }
        return try Self.sqlView(record)
    }

    /// Records the view with this resolver's owner as owner and creator (a replaced view keeps its owner).
    public func createView(_ view: SQLView, replace: Bool) async throws {
        let name = try resolved(view.name)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let columns = view.columns.map { ViewRecord.Column(name: $0.name, type: SQLEngine.sparkTypeName($0.type), comment: view.columnComments[$0.name]) }
        try await tables.namespace.views.save(
            ViewRecord(name: name, viewID: UUID().uuidString.lowercased(), definition: view.definition, columns: columns, comment: view.comment,
                       owner: owner, createdAt: now, updatedAt: now, createdBy: owner, updatedBy: owner),
            replace: replace)
    }

    public func dropView(_ name: SQLTableName) async throws -> Bool { try await tables.namespace.views.delete(try resolved(name)) }

    static func sqlView(_ record: ViewRecord) throws -> SQLView {
        let fields = try record.columns.map { c -> Field in
            guard let type = SQLEngine.sparkType(named: c.type) else { throw CatalogError.invalidParameter("view \(record.name): column type \(c.type)") }
            return Field(c.name, type)
        }
        var comments: [String: String] = [:]
        for c in record.columns { if let m = c.comment { comments[c.name] = m } }
        return SQLView(
            name: SQLTableName(catalog: record.name.catalog, schema: record.name.schema, table: record.name.table), definition: record.definition,
            columns: fields, columnComments: comments, comment: record.comment, owner: record.owner)
    }
}
