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
        try await tables.namespace.tables(catalog: catalog, schema: schema).map(\.name.table)
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
}
