import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCatalog
import IngotCore
import IngotLake
import Testing

@testable import IngotServer

/// Securable metadata over SQL (`COMMENT ON`, `ALTER … SET TAGS|TBLPROPERTIES`, column comments) and the
/// Unity Catalog REST additions (PATCH, functions, registered models, temporary credentials, tags).
@Suite struct UnityCatalogMetadataTests {
    typealias JSON = [String: Any]
    static let uc = "/api/2.1/unity-catalog"

    static func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ body: JSON? = nil, expect status: HTTPResponse.Status = .ok)
        async throws -> JSON
    {
        try await RegistryRoutesTests.call(client, method, path, body, expect: status)
    }

    @Test func sqlStatementsStoreCommentsTagsAndProperties() async throws {
        let services = try ServerTests.makeServices()
        let engine = try SQLEngine(resolver: NamespaceTableResolver(tables: services.tables, owner: "alice"))
        _ = try await engine.query("CREATE TABLE t (id INT, email STRING)")
        _ = try await engine.query("COMMENT ON TABLE t IS 'people'")
        _ = try await engine.query("ALTER TABLE main.default.t ALTER COLUMN Email COMMENT 'address'")
        _ = try await engine.query("ALTER TABLE t SET TAGS ('pii' = 'yes', 'team' = 'crm')")
        _ = try await engine.query("ALTER TABLE t UNSET TAGS ('team')")
        _ = try await engine.query("ALTER TABLE t ALTER COLUMN email SET TAGS ('class' = 'email')")
        _ = try await engine.query("ALTER TABLE t SET TBLPROPERTIES ('quality' = 'gold', 'x' = '1')")
        _ = try await engine.query("ALTER TABLE t UNSET TBLPROPERTIES ('x')")
        _ = try await engine.query("CREATE TABLE c (id INT COMMENT 'the key', v STRING) COMMENT 'made by SQL'")
        let c = try await services.tables.namespace.table(try TableName(parsing: "main.default.c"))
        #expect(c.comment == "made by SQL")
        #expect(try await services.tables.namespace.columnComments(tableID: c.tableID) == ["id": "the key"])
        _ = try await engine.query("COMMENT ON SCHEMA default IS 'the default'")
        _ = try await engine.query("ALTER CATALOG main SET TAGS ('env' = 'dev')")

        let name = try TableName(parsing: "main.default.t")
        let store = services.tables.namespace
        let record = try await store.table(name)
        #expect(record.comment == "people" && record.updatedBy == "alice")
        #expect(try await store.columnComments(tableID: record.tableID) == ["email": "address"])
        #expect(try await store.tags(.table, "main.default.t") == ["pii": "yes"])
        #expect(try await store.columnTags(name) == ["email": ["class": "email"]])
        let properties = try await services.tables.detail(name).properties
        #expect(properties["quality"] == "gold" && properties["x"] == nil)
        #expect(try await store.schema(catalog: "main", name: "default").comment == "the default")
        #expect(try await store.tags(.catalog, "main") == ["env": "dev"])

        await #expect(throws: (any Error).self) { try await engine.query("ALTER TABLE t ALTER COLUMN nope COMMENT 'x'") }
        await #expect(throws: (any Error).self) { try await engine.query("COMMENT ON TABLE nope IS 'x'") }
        await #expect(throws: (any Error).self) { try await engine.query("ALTER TABLE t SET TAGS 'a'") }
        await #expect(throws: (any Error).self) { try await engine.query("ALTER TABLE t RENAME TO u") }
        // Without a catalog, the engine refuses metadata statements.
        let bare = try SQLEngine(resolver: try DirectoryTableResolver(warehouse: FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)))
        await #expect(throws: SQLError.self) { try await bare.query("COMMENT ON TABLE t IS 'x'") }
        _ = try await bare.query("CREATE TABLE t2 (id INT COMMENT 'x') COMMENT 'y'")  // comments have nowhere to go; the table is created
    }

    @Test func patchAndDescribeReturnEveryMetadataField() async throws {
        let services = try ServerTests.makeServices()
        try await ServerTests.makeApp(services).test(.router) { client in
            let uc = Self.uc
            _ = try await Self.call(client, .post, "\(uc)/catalogs", ["name": "sales", "comment": "c"])
            let patched = try await Self.call(client, .patch, "\(uc)/catalogs/sales", ["comment": "new", "properties": ["a": "1"], "owner": "bob"])
            #expect(patched["comment"] as? String == "new" && patched["owner"] as? String == "bob" && (patched["properties"] as? JSON)?["a"] as? String == "1")
            #expect(patched["created_by"] as? String != nil && patched["updated_by"] as? String != nil)
            _ = try await Self.call(client, .post, "\(uc)/schemas", ["name": "s", "catalog_name": "sales"])
            let renamed = try await Self.call(client, .patch, "\(uc)/schemas/sales.s", ["new_name": "s2", "comment": "renamed"])
            #expect(renamed["full_name"] as? String == "sales.s2" && renamed["comment"] as? String == "renamed")
            _ = try await Self.call(client, .get, "\(uc)/schemas/sales.s", expect: .notFound)

            let table = try await Self.call(client, .post, "\(uc)/tables", [
                "name": "orders", "catalog_name": "sales", "schema_name": "s2", "table_type": "MANAGED", "data_source_format": "DELTA",
                "columns": [["name": "id", "type_name": "LONG", "comment": "key"], ["name": "amount", "type_name": "DOUBLE"]],
            ])
            let columns = table["columns"] as? [JSON]
            #expect(columns?.first?["comment"] as? String == "key")
            #expect(table["table_type"] as? String == "MANAGED" && table["data_source_format"] as? String == "DELTA")
            let patchedTable = try await Self.call(client, .patch, "\(uc)/tables/sales.s2.orders", ["comment": "all orders", "properties": ["k": "v"], "new_name": "orders2"])
            #expect(patchedTable["full_name"] as? String == "sales.s2.orders2" && patchedTable["comment"] as? String == "all orders")
            #expect((patchedTable["properties"] as? JSON)?["k"] as? String == "v")

            let commented = try await Self.call(client, .patch, "\(uc)/tables/sales.s2.orders2", ["columns": [["name": "AMOUNT", "comment": "in EUR"]]])
            #expect((commented["columns"] as? [JSON])?.last?["comment"] as? String == "in EUR")
            _ = try await Self.call(client, .patch, "\(uc)/tables/sales.s2.orders2", ["columns": [["name": "nope", "comment": "x"]]], expect: .notFound)
            let tags = try await Self.call(client, .patch, "/api/2.0/ingot/tags/table/sales.s2.orders2", ["set": ["pii": "no"]])
            #expect((tags["tags"] as? [JSON])?.first?["key"] as? String == "pii")
            _ = try await Self.call(client, .patch, "/api/2.0/ingot/tags/table/sales.s2.orders2", ["set": [["key": "c", "value": "1"]], "column_name": "amount"])
            _ = try await Self.call(client, .patch, "/api/2.0/ingot/tags/table/sales.s2.orders2", ["set": ["c": "1"], "column_name": "nope"], expect: .notFound)
            _ = try await Self.call(client, .get, "/api/2.0/ingot/tags/bogus/x", expect: .badRequest)
            let described = try await Self.call(client, .get, "\(uc)/tables/sales.s2.orders2")
            #expect((described["tags"] as? JSON)?["pii"] as? String == "no")
            #expect(((described["columns"] as? [JSON])?.last?["tags"] as? JSON)?["c"] as? String == "1")

            let credentials = try await Self.call(client, .post, "\(uc)/temporary-table-credentials", ["table_id": described["table_id"] as! String, "operation": "READ_WRITE"])
            #expect((credentials["url"] as? String)?.hasPrefix("file://") == true && (credentials["expiration_time"] as? Int ?? 0) > 0)
            _ = try await Self.call(client, .post, "\(uc)/temporary-table-credentials", ["table_id": "nope", "operation": "READ"], expect: .notFound)
            _ = try await Self.call(client, .post, "\(uc)/temporary-table-credentials", ["table_id": "nope", "operation": "WRITE"], expect: .badRequest)
        }
    }

    @Test func functionsAndRegisteredModels() async throws {
        let services = try ServerTests.makeServices()
        try await ServerTests.makeApp(services).test(.router) { client in
            let uc = Self.uc
            let info: JSON = [
                "name": "add_one", "catalog_name": "main", "schema_name": "default", "data_type": "INT", "full_data_type": "INT",
                "input_params": ["parameters": [["name": "x", "type_text": "int", "type_json": "{}", "type_name": "INT", "position": 0]]],
                "routine_body": "SQL", "routine_definition": "x + 1", "parameter_style": "S", "is_deterministic": true, "sql_data_access": "NO_SQL",
                "is_null_call": false, "security_type": "DEFINER", "specific_name": "add_one", "comment": "adds one",
            ]
            let created = try await Self.call(client, .post, "\(uc)/functions", ["function_info": info])
            #expect(created["full_name"] as? String == "main.default.add_one" && created["routine_definition"] as? String == "x + 1")
            #expect(created["owner"] as? String != nil && created["function_id"] as? String != nil && created["comment"] as? String == "adds one")
            _ = try await Self.call(client, .post, "\(uc)/functions", ["function_info": info], expect: .badRequest)
            let listed = try await Self.call(client, .get, "\(uc)/functions?catalog_name=main&schema_name=default")
            #expect((listed["functions"] as? [JSON])?.map { $0["name"] as? String } == ["add_one"])
            let got = try await Self.call(client, .get, "\(uc)/functions/main.default.add_one")
            #expect(((got["input_params"] as? JSON)?["parameters"] as? [JSON])?.first?["name"] as? String == "x")
            _ = try await Self.call(client, .delete, "\(uc)/functions/main.default.add_one")
            _ = try await Self.call(client, .get, "\(uc)/functions/main.default.add_one", expect: .notFound)

            let model = try await Self.call(client, .post, "\(uc)/models", ["name": "churn", "catalog_name": "main", "schema_name": "default", "comment": "m"])
            #expect(model["full_name"] as? String == "main.default.churn" && model["comment"] as? String == "m" && model["owner"] as? String != nil)
            _ = try await Self.call(client, .post, "\(uc)/models", ["name": "x", "catalog_name": "main", "schema_name": "nope"], expect: .notFound)
            let version = try await Self.call(client, .post, "\(uc)/models/versions", [
                "model_name": "churn", "catalog_name": "main", "schema_name": "default", "source": "s3://bucket/model", "comment": "v1",
            ])
            #expect(version["version"] as? Int == 1 && version["status"] as? String == "READY" && version["model_name"] as? String == "churn")
            let versions = try await Self.call(client, .get, "\(uc)/models/main.default.churn/versions")
            #expect((versions["model_versions"] as? [JSON])?.count == 1)
            _ = try await Self.call(client, .patch, "\(uc)/models/main.default.churn/versions/1", ["comment": "first"])
            let finalized = try await Self.call(client, .patch, "\(uc)/models/main.default.churn/versions/1/finalize", ["full_name": "main.default.churn", "version": 1])
            #expect(finalized["comment"] as? String == "first")
            let models = try await Self.call(client, .get, "\(uc)/models?catalog_name=main&schema_name=default")
            #expect((models["registered_models"] as? [JSON])?.map { $0["full_name"] as? String } == ["main.default.churn"])
            let renamed = try await Self.call(client, .patch, "\(uc)/models/main.default.churn", ["new_name": "churn2", "comment": "c2", "owner": "carol"])
            #expect(renamed["full_name"] as? String == "main.default.churn2" && renamed["owner"] as? String == "carol" && renamed["comment"] as? String == "c2")
            _ = try await Self.call(client, .delete, "\(uc)/models/main.default.churn2/versions/1")
            _ = try await Self.call(client, .delete, "\(uc)/models/main.default.churn2")
            _ = try await Self.call(client, .get, "\(uc)/models/main.default.churn2", expect: .notFound)

            // Grants on the new securable types.
            _ = try await Self.call(client, .post, "\(uc)/models", ["name": "g", "catalog_name": "main", "schema_name": "default"])
            _ = try await Self.call(client, .patch, "\(uc)/permissions/registered_model/main.default.g", ["changes": [["principal": "ana", "add": ["EXECUTE"]]]])
            let grants = try await Self.call(client, .get, "\(uc)/permissions/registered_model/main.default.g")
            #expect((grants["privilege_assignments"] as? [JSON])?.contains { $0["principal"] as? String == "ana" } == true)
        }
    }
}
