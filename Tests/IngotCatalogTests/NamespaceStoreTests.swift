import Foundation
import IngotStorage
import Testing

@testable import IngotCatalog

@Suite struct NamespaceStoreTests {
    static func store() throws -> NamespaceStore {
        let metadata = try MetadataStore(inMemoryWith: CatalogModule.migrations + CatalogMetadataModule.migrations)
        try metadata.migrate()
        return NamespaceStore(metadata: metadata)
    }

    static func record(_ name: TableName, location: String = "warehouse/x") -> TableRecord {
        TableRecord(
            name: name, tableID: UUID().uuidString, tableType: .managed, dataSourceFormat: "DELTA", storageLocation: location,
            deltaVersion: 0, icebergMetadataLocation: nil, comment: nil, owner: "admin", properties: [:], createdAt: 1, updatedAt: 1)
    }

    @Test func tablesRenameAndSchemaPropertiesUpdate() async throws {
        let store = try Self.store()
        _ = try await store.createSchema(catalog: "main", name: "s2", comment: "c", owner: "alice", properties: ["a": "1", "b": "2"])
        let updated = try await store.updateSchemaProperties(catalog: "main", name: "s2", updates: ["b": "3", "comment": "new"], removals: ["a"])
        #expect(updated.properties == ["b": "3"] && updated.comment == "new")
        #expect(try await store.schema(catalog: "main", name: "s2").properties == ["b": "3"])
        let from = try TableName(parsing: "main.default.t1"), to = try TableName(parsing: "main.s2.t2")
        try await store.createTable(Self.record(from, location: "warehouse/main/default/t1"))
        try await store.renameTable(from, to: to)
        #expect(try await store.tableIfExists(from) == nil)
        #expect(try await store.table(to).storageLocation == "warehouse/main/default/t1")
        try await store.createTable(Self.record(from, location: "warehouse/other"))
        await #expect(throws: CatalogError.self) { try await store.renameTable(from, to: to) }
        await #expect(throws: CatalogError.self) { try await store.renameTable(from, to: try TableName(parsing: "main.nope.t")) }
    }

    @Test func mainAndDefaultExistOutOfTheBox() async throws {
        let store = try Self.store()
        #expect(try await store.catalogs().map(\.name) == ["main"])
        #expect(try await store.schemas(catalog: "main").map(\.name) == ["default"])
    }

    @Test func namesAreCaseInsensitiveAndValidated() async throws {
        let store = try Self.store()
        _ = try await store.createCatalog("Sales", owner: "alice")
        await #expect(throws: CatalogError.alreadyExists("Catalog 'sales' already exists")) {
            _ = try await store.createCatalog("SALES", owner: "bob")
        }
        for bad in ["", "a.b", "a/b", "../x", "a b", "-x", "é"] {
            await #expect(throws: CatalogError.self) { _ = try await store.createCatalog(bad, owner: "x") }
        }
        let name = try TableName(parsing: "Sales.Bronze.`Orders`")
        #expect(name.description == "sales.bronze.orders")
        #expect(try TableName(parsing: "t").description == "main.default.t")
        #expect(try TableName(parsing: "s.t").description == "main.s.t")
        #expect(throws: CatalogError.self) { try TableName(parsing: "a.b.c.d") }
    }

    @Test func tablesNeedTheirSchemaAndRefuseDuplicates() async throws {
        let store = try Self.store()
        let name = try TableName(parsing: "main.bronze.orders")
        await #expect(throws: CatalogError.notFound("Schema 'main.bronze' does not exist")) { try await store.createTable(Self.record(name)) }
        _ = try await store.createSchema(catalog: "main", name: "bronze", owner: "admin")
        try await store.createTable(Self.record(name))
        await #expect(throws: CatalogError.alreadyExists("Table 'main.bronze.orders' already exists")) { try await store.createTable(Self.record(name)) }
        #expect(try await store.tables(catalog: "main", schema: "bronze").map(\.name) == [name])
    }

    @Test func recordedVersionNeverMovesBackwards() async throws {
        let store = try Self.store()
        let name = try TableName(parsing: "main.default.t")
        try await store.createTable(Self.record(name))
        try await store.recordVersion(name, deltaVersion: 5, icebergMetadataLocation: "m5")
        try await store.recordVersion(name, deltaVersion: 3, icebergMetadataLocation: "m3")
        let table = try await store.table(name)
        #expect(table.deltaVersion == 5)
        #expect(table.icebergMetadataLocation == "m5")
    }

    @Test func nonEmptyContainersNeedForce() async throws {
        let store = try Self.store()
        _ = try await store.createSchema(catalog: "main", name: "silver", owner: "admin")
        try await store.createTable(Self.record(try TableName(parsing: "main.silver.t")))
        await #expect(throws: CatalogError.self) { try await store.deleteSchema(catalog: "main", name: "silver") }
        await #expect(throws: CatalogError.self) { try await store.deleteCatalog("main") }
        try await store.deleteSchema(catalog: "main", name: "silver", force: true)
        #expect(try await store.tableIfExists(try TableName(parsing: "main.silver.t")) == nil)
        try await store.deleteCatalog("main", force: true)
        #expect(try await store.catalogs().isEmpty)
    }
}
