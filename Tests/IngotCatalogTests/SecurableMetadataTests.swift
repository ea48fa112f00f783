import Foundation
import GRDB
import IngotStorage
import Testing

@testable import IngotCatalog

@Suite struct SecurableMetadataTests {
    static func store() throws -> NamespaceStore {
        let metadata = try MetadataStore(inMemoryWith: CatalogModule.migrations + CatalogMetadataModule.migrations)
        try metadata.migrate()
        return NamespaceStore(metadata: metadata)
    }

    @Test func creatorIsOwnerAndUpdatesRecordWhoChanged() async throws {
        let store = try Self.store()
        let c = try await store.createCatalog("sales", owner: "alice")
        #expect(c.createdBy == "alice" && c.updatedBy == "alice" && c.owner == "alice")
        #expect(try await store.catalog("main").createdBy == "admin")  // backfilled by the migration
        let updated = try await store.updateCatalog("sales", SecurableUpdate(comment: "c1", owner: "bob", properties: ["k": "v"]), actor: "admin")
        #expect(updated.owner == "bob" && updated.comment == "c1" && updated.properties == ["k": "v"] && updated.updatedBy == "admin")
        let read = try await store.catalog("sales")
        #expect(read.owner == "bob" && read.createdBy == "alice" && read.updatedBy == "admin")
        await #expect(throws: CatalogError.self) { try await store.updateCatalog("sales", SecurableUpdate(owner: " "), actor: "admin") }
    }

    @Test func renamesMoveChildrenAndTags() async throws {
        let store = try Self.store()
        _ = try await store.createCatalog("a", owner: "alice")
        _ = try await store.createSchema(catalog: "a", name: "s", owner: "alice")
        let t = try TableName(parsing: "a.s.t")
        try await store.createTable(NamespaceStoreTests.record(t, location: "warehouse/a/s/t"))
        try await store.setTags(.table, "a.s.t", set: ["pii": "yes"], unset: [], actor: "alice")
        try await store.setTags(.table, "a.s.t", column: "email", set: ["pii": "email"], unset: [], actor: "alice")
        try await store.setTags(.schema, "a.s", set: ["team": "x"], unset: [], actor: "alice")
        _ = try await store.createFunction(catalog: "a", schema: "s", name: "f", definition: "{}", comment: nil, owner: "alice")

        let s2 = try await store.updateSchema(catalog: "a", name: "s", SecurableUpdate(newName: "s2"), actor: "alice")
        #expect(s2.fullName == "a.s2")
        #expect(try await store.tables(catalog: "a", schema: "s2").map(\.name.table) == ["t"])
        #expect(try await store.tags(.table, "a.s2.t") == ["pii": "yes"])
        #expect(try await store.tags(.schema, "a.s2") == ["team": "x"])
        #expect(try await store.columnTags(try TableName(parsing: "a.s2.t")) == ["email": ["pii": "email"]])
        #expect(try await store.function("a.s2.f").name == "f")

        _ = try await store.updateCatalog("a", SecurableUpdate(newName: "b"), actor: "alice")
        #expect(try await store.tags(.table, "b.s2.t") == ["pii": "yes"])
        #expect(try await store.tags(.table, "a.s2.t") == [:])
        #expect(try await store.functions(catalog: "b", schema: "s2").count == 1)
        await #expect(throws: CatalogError.self) { try await store.catalog("a") }

        // Dropping the table forgets its tags; a new table of the same name starts clean.
        _ = try await store.deleteTable(try TableName(parsing: "b.s2.t"))
        try await store.createTable(NamespaceStoreTests.record(try TableName(parsing: "b.s2.t"), location: "warehouse/b/s2/t"))
        #expect(try await store.tags(.table, "b.s2.t") == [:])
        #expect(try await store.columnTags(try TableName(parsing: "b.s2.t")) == [:])
    }

    @Test func columnCommentsFollowTheTableThroughARename() async throws {
        let store = try Self.store()
        let t = try TableName(parsing: "main.default.t")
        try await store.createTable(NamespaceStoreTests.record(t))
        try await store.setColumnComment(t, column: "ID", comment: "the key", actor: "bob")
        let id = try await store.table(t).tableID
        #expect(try await store.columnComments(tableID: id) == ["id": "the key"])
        #expect(try await store.table(t).updatedBy == "bob")
        let t2 = try TableName(parsing: "main.default.t2")
        try await store.renameTable(t, to: t2)
        #expect(try await store.columnComments(tableID: try await store.table(t2).tableID) == ["id": "the key"])
        try await store.setColumnComment(t2, column: "id", comment: nil, actor: "bob")
        #expect(try await store.columnComments(tableID: id) == [:])
    }

    @Test func missingSecurablesAreNamedByKind() async throws {
        let store = try Self.store()
        let change = SecurableUpdate(comment: "x")
        await #expect(throws: CatalogError.notFound("Catalog 'nope' does not exist")) { try await store.updateCatalog("nope", change, actor: "x") }
        await #expect(throws: CatalogError.notFound("Schema 'main.nope' does not exist")) {
            try await store.updateSchema(catalog: "main", name: "nope", change, actor: "x")
        }
        await #expect(throws: CatalogError.notFound("Table 'main.default.nope' does not exist")) {
            try await store.updateTable(try TableName(parsing: "main.default.nope"), change, actor: "x")
        }
        for kind in [SecurableKind.table, .function, .volume] {
            await #expect(throws: CatalogError.notFound("\(kind.displayName) 'main.default.nope' does not exist")) {
                try await store.setTags(kind, "main.default.nope", set: ["a": "b"], unset: [], actor: "x")
            }
        }
        await #expect(throws: CatalogError.notFound("Schema 'main.nope' does not exist")) {
            try await store.setTags(.schema, "main.nope", set: ["a": "b"], unset: [], actor: "x")
        }
        #expect(SecurableKind.function.displayName == "Function" && SecurableKind.registeredModel.displayName == "Registered model")
        // A failed owner check leaves the row as it was.
        await #expect(throws: CatalogError.self) { try await store.updateSchema(catalog: "main", name: "default", SecurableUpdate(comment: "c", owner: ""), actor: "x") }
        #expect(try await store.schema(catalog: "main", name: "default").comment != "c")
        let schema = try await store.updateSchema(catalog: "main", name: "default", SecurableUpdate(owner: "bob", properties: ["k": "v"]), actor: "carol")
        let stored = try await store.schema(catalog: "main", name: "default")
        #expect(stored == schema && stored.owner == "bob" && stored.properties == ["k": "v"] && stored.updatedBy == "carol")
    }

    @Test func tagsValidateAndUnset() async throws {
        let store = try Self.store()
        await #expect(throws: CatalogError.self) { try await store.setTags(.table, "main.default.nope", set: ["a": "b"], unset: [], actor: "x") }
        await #expect(throws: CatalogError.self) { try await store.setTags(.catalog, "a.b", set: ["a": "b"], unset: [], actor: "x") }
        await #expect(throws: CatalogError.self) { try await store.setTags(.catalog, "main", set: ["": "b"], unset: [], actor: "x") }
        await #expect(throws: CatalogError.self) { try await store.setTags(.volume, "main.default.nope", set: ["a": "b"], unset: [], actor: "x") }
        try await store.setTags(.catalog, "main", set: ["a": "1", "b": "2"], unset: [], actor: "x")
        try await store.setTags(.catalog, "main", set: ["a": "3"], unset: ["b"], actor: "x")
        #expect(try await store.tags(.catalog, "main") == ["a": "3"])
        // Securables kept by other modules: ownership records and tags without an existence check here.
        try await store.recordSecurable(.registeredModel, "main.default.m", owner: "carol")
        try await store.setTags(.registeredModel, "main.default.m", set: ["stage": "dev"], unset: [], actor: "carol")
        let moved = try await store.touchSecurable(.registeredModel, "main.default.m", owner: "dave", actor: "admin", renamedTo: "main.default.m2")
        #expect(moved.owner == "dave" && moved.createdBy == "carol" && moved.updatedBy == "admin")
        #expect(try await store.tags(.registeredModel, "main.default.m2") == ["stage": "dev"])
        try await store.forgetSecurable(.registeredModel, "main.default.m2")
        #expect(try await store.securable(.registeredModel, "main.default.m2") == nil)
    }

    @Test func functionsAreStoredAsDefinitions() async throws {
        let store = try Self.store()
        let f = try await store.createFunction(catalog: "main", schema: "default", name: "add1", definition: #"{"routine_body":"SQL"}"#, comment: "c", owner: "eve")
        await #expect(throws: CatalogError.self) {
            try await store.createFunction(catalog: "main", schema: "default", name: "add1", definition: "{}", comment: nil, owner: "eve")
        }
        await #expect(throws: CatalogError.self) {
            try await store.createFunction(catalog: "main", schema: "nope", name: "x", definition: "{}", comment: nil, owner: "eve")
        }
        #expect(try await store.function("main.default.add1") == f)
        let u = try await store.updateFunction("main.default.add1", SecurableUpdate(owner: "frank"), actor: "eve")
        #expect(u.owner == "frank" && u.updatedBy == "eve")
        try await store.deleteFunction("main.default.add1")
        #expect(try await store.functions(catalog: "main", schema: "default").isEmpty)
    }
}
