import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCatalog
import IngotCore
import IngotIdentity
import IngotLake
import Testing

@testable import IngotServer

/// Grant rows live beside the namespace, keyed by full names: they must follow a catalog or schema
/// rename, go with a force-deleted catalog or schema (and its managed tables' files with it), and never
/// be inherited by a securable created later under a name that was used before — through Unity
/// Catalog's REST, the Iceberg REST catalog and SQL alike.
@Suite struct CatalogGrantLifecycleTests {
    typealias JSON = [String: Any]
    static let uc = "/api/2.1/unity-catalog"

    static func services() async throws -> (IngotServices, [String: String]) {
        try await ServerTests.securedServices(prefix: "grantlife", users: ["root", "ana", "bob"], admins: ["root"])
    }

    static func call(_ client: some TestClientProtocol, _ tokens: [String: String], as user: String, _ method: HTTPRequest.Method, _ path: String,
                     _ body: JSON? = nil, expect status: HTTPResponse.Status? = .ok) async throws -> JSON
    {
        let buffer = body.map { ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: $0)) }
        let headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(tokens[user] ?? user)"]
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            let json = (try? ServerTests.json(response.body)) ?? [:]
            if let status { #expect(response.status == status, "\(user) \(method) \(path): \(json)") }
            return json
        }
    }

    static func sql(_ client: some TestClientProtocol, _ tokens: [String: String], as user: String, _ statement: String) async throws {
        let answer = try await call(client, tokens, as: user, .post, "/api/2.0/sql/statements", ["statement": statement, "wait_timeout": "30s"])
        #expect((answer["status"] as? JSON)?["state"] as? String == "SUCCEEDED", "\(statement): \(answer)")
    }

    static func grant(_ store: PermissionStore, _ type: String, _ id: String, _ user: String, _ levels: [String]) async throws {
        try await ServerTests.grant(store, type, id, to: user, levels)
    }

    static func holders(_ store: PermissionStore, _ type: String, _ id: String) async throws -> [String] {
        try await store.rows(objectType: type, objectID: id).map { "\($0.principal):\($0.level)" }
    }

    @Test func grantsFollowSchemaAndCatalogRenamesAndGoWithForceDeletes() async throws {
        let (services, tokens) = try await Self.services()
        let store = services.authorizer.store
        try await ServerTests.makeApp(services).test(.router) { client in
            let uc = Self.uc
            _ = try await Self.call(client, tokens, as: "root", .post, "\(uc)/catalogs", ["name": "lab"])
            _ = try await Self.call(client, tokens, as: "root", .post, "\(uc)/schemas", ["name": "raw", "catalog_name": "lab"])
            try await Self.sql(client, tokens, as: "root", "CREATE TABLE lab.raw.events (id BIGINT)")
            try await Self.sql(client, tokens, as: "root", "INSERT INTO lab.raw.events VALUES (1), (2)")
            try await Self.grant(store, "uc:catalog", "lab", "bob", ["USE CATALOG"])
            try await Self.grant(store, "uc:schema", "lab.raw", "bob", ["USE SCHEMA"])
            try await Self.grant(store, "uc:table", "lab.raw.events", "bob", ["SELECT"])
            _ = try await Self.call(client, tokens, as: "bob", .get, "\(uc)/tables/lab.raw.events")

            // A schema rename carries the table's grants; bob still reads it under its new name.
            _ = try await Self.call(client, tokens, as: "root", .patch, "\(uc)/schemas/lab.raw", ["new_name": "bronze"])
            #expect(try await Self.holders(store, "uc:table", "lab.bronze.events").contains("bob:SELECT"))
            #expect(try await Self.holders(store, "uc:table", "lab.raw.events").isEmpty)
            _ = try await Self.call(client, tokens, as: "bob", .get, "\(uc)/tables/lab.bronze.events")

            // A catalog rename carries the schema's and the table's grants.
            _ = try await Self.call(client, tokens, as: "root", .patch, "\(uc)/catalogs/lab", ["new_name": "lake"])
            #expect(try await Self.holders(store, "uc:schema", "lake.bronze").contains("bob:USE SCHEMA"))
            #expect(try await Self.holders(store, "uc:table", "lake.bronze.events").contains("bob:SELECT"))
            #expect(try await Self.holders(store, "uc:table", "lab.bronze.events").isEmpty)
            _ = try await Self.call(client, tokens, as: "bob", .get, "\(uc)/tables/lake.bronze.events")

            // Force-deleting the schema drops the managed table's files and every grant inside it.
            let record = try await services.tables.namespace.table(try TableName(parsing: "lake.bronze.events"))
            #expect(record.tableType == .managed)
            #expect(try await !services.tables.objects.list(prefix: record.storageLocation + "/", recursive: true).isEmpty)
            _ = try await Self.call(client, tokens, as: "root", .delete, "\(uc)/schemas/lake.bronze?force=true")
            #expect(try await services.tables.objects.list(prefix: record.storageLocation + "/", recursive: true).isEmpty)
            #expect(try await Self.holders(store, "uc:schema", "lake.bronze").isEmpty)
            #expect(try await Self.holders(store, "uc:table", "lake.bronze.events").isEmpty)

            // A schema and a table created again under the old names start clean: bob may not read them.
            _ = try await Self.call(client, tokens, as: "root", .post, "\(uc)/schemas", ["name": "bronze", "catalog_name": "lake"])
            try await Self.sql(client, tokens, as: "root", "CREATE TABLE lake.bronze.events (id BIGINT)")
            _ = try await Self.call(client, tokens, as: "bob", .get, "\(uc)/tables/lake.bronze.events", expect: .forbidden)

            // Force-deleting the catalog drops the grants of everything in it.
            try await Self.grant(store, "uc:table", "lake.bronze.events", "bob", ["SELECT"])
            _ = try await Self.call(client, tokens, as: "root", .delete, "\(uc)/catalogs/lake?force=true")
            #expect(try await Self.holders(store, "uc:catalog", "lake").isEmpty)
            #expect(try await Self.holders(store, "uc:table", "lake.bronze.events").isEmpty)
        }
    }

    @Test func sqlCreatedTablesDoNotInheritAnEarlierTablesGrants() async throws {
        let (services, tokens) = try await Self.services()
        let store = services.authorizer.store
        try await ServerTests.makeApp(services).test(.router) { client in
            // A row left under the name (as an older Ingot left them after a force-delete).
            try await Self.grant(store, "uc:catalog", "main", "ana", ["USE CATALOG"])
            try await Self.grant(store, "uc:schema", "main.default", "ana", ["USE SCHEMA", "CREATE TABLE"])
            try await Self.grant(store, "uc:table", "main.default.fresh", "bob", ["SELECT"])
            try await Self.sql(client, tokens, as: "ana", "CREATE TABLE main.default.fresh (id BIGINT)")
            #expect(try await Self.holders(store, "uc:table", "main.default.fresh") == ["ana:ALL PRIVILEGES"])
        }
    }

    @Test func icebergRESTCreatesOwnsRenamesAndDropsGrants() async throws {
        let (services, tokens) = try await Self.services()
        let store = services.authorizer.store
        try await ServerTests.makeApp(services).test(.router) { client in
            let base = "/iceberg/v1/main"
            _ = try await Self.call(client, tokens, as: "root", .post, "\(base)/namespaces", ["namespace": ["ice"]])
            #expect(try await Self.holders(store, "uc:schema", "main.ice") == ["root:OWNER"])
            try await Self.grant(store, "uc:table", "main.ice.t", "bob", ["SELECT"])  // stale: no such table yet
            let schema: JSON = ["type": "struct", "schema-id": 0, "fields": [["id": 1, "name": "id", "type": "long", "required": false]]]
            _ = try await Self.call(client, tokens, as: "root", .post, "\(base)/namespaces/ice/tables", ["name": "t", "schema": schema])
            #expect(try await Self.holders(store, "uc:table", "main.ice.t") == ["root:OWNER"])
            try await Self.grant(store, "uc:table", "main.ice.t", "bob", ["SELECT"])
            _ = try await Self.call(client, tokens, as: "root", .post, "\(base)/tables/rename",
                                    ["source": ["namespace": ["ice"], "name": "t"], "destination": ["namespace": ["ice"], "name": "u"]],
                                    expect: .noContent)
            #expect(try await Self.holders(store, "uc:table", "main.ice.u") == ["bob:SELECT", "root:OWNER"])
            #expect(try await Self.holders(store, "uc:table", "main.ice.t").isEmpty)
            _ = try await Self.call(client, tokens, as: "root", .delete, "\(base)/namespaces/ice/tables/u?purgeRequested=true", expect: .noContent)
            #expect(try await Self.holders(store, "uc:table", "main.ice.u").isEmpty)
            _ = try await Self.call(client, tokens, as: "root", .delete, "\(base)/namespaces/ice", expect: .noContent)
            #expect(try await Self.holders(store, "uc:schema", "main.ice").isEmpty)
        }
    }
}
