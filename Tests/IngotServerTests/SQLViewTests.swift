import Foundation
import IngotCatalog
import IngotCore
import IngotIdentity
import IngotLake
import Testing

@testable import IngotServer

/// SQL views: CREATE [OR REPLACE] VIEW / DROP VIEW, expansion in queries (joins, views of views), cycles
/// and writes refused, and Unity Catalog owner rights (the reader needs SELECT on the view only).
@Suite struct SQLViewTests {
    static func engine(_ services: IngotServices, _ owner: String = "admin") throws -> SQLEngine {
        try SQLEngine(resolver: NamespaceTableResolver(tables: services.tables, owner: owner))
    }

    static func message(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func createQueryReplaceDrop() async throws {
        let services = try ServerTests.makeServices()
        let e = try Self.engine(services)
        _ = try await e.query("CREATE TABLE sales (id BIGINT, region STRING, amount BIGINT)")
        _ = try await e.query("INSERT INTO sales VALUES (1, 'a', 10), (2, 'b', 20), (3, 'a', 5)")
        _ = try await e.query("CREATE VIEW main.default.by_region (region COMMENT 'where', total) COMMENT 'sums' AS SELECT region, SUM(amount) FROM sales GROUP BY region")
        let r = try await e.query("SELECT region, total FROM by_region ORDER BY region")
        #expect(r.textRows == [["a", "15"], ["b", "20"]])
        #expect(r.schema.fields.map(\.name) == ["region", "total"])
        // The record: SQL text, planned columns, owner.
        let record = try #require(try await services.tables.namespace.views.view(try TableName(parsing: "main.default.by_region")))
        #expect(record.definition.hasPrefix("SELECT region") && record.definition.contains("FROM sales GROUP BY region"))
        #expect(record.columns.map(\.name) == ["region", "total"] && record.columns[0].comment == "where" && record.columns[1].type == "bigint")
        #expect(record.owner == "admin" && record.comment == "sums")
        #expect(try await e.query("DESCRIBE by_region").textRows == [["region", "string", "where"], ["total", "bigint", "NULL"]])
        #expect(try await e.query("SHOW TABLES").textRows.map { $0[1] } == ["by_region", "sales"])
        #expect(SQLLineagePlan.analyze("CREATE OR REPLACE VIEW v AS SELECT id FROM sales") == nil)
        // Joined with a table, aliased.
        let j = try await e.query("SELECT s.id, v.total FROM sales s JOIN by_region v ON s.region = v.region ORDER BY s.id")
        #expect(j.textRows == [["1", "15"], ["2", "20"], ["3", "15"]])
        // Existing name: refused, IF NOT EXISTS is quiet, OR REPLACE replaces.
        #expect(await Self.message { _ = try await e.query("CREATE VIEW by_region AS SELECT 1 AS x") }.contains("already exists"))
        _ = try await e.query("CREATE VIEW IF NOT EXISTS by_region AS SELECT 1 AS x")
        _ = try await e.query("CREATE OR REPLACE VIEW by_region AS SELECT id FROM sales WHERE amount > 8")
        #expect(try await e.query("SELECT * FROM by_region ORDER BY id").textRows == [["1"], ["2"]])
        // A table's name is not a view's and vice versa.
        #expect(await Self.message { _ = try await e.query("CREATE VIEW sales AS SELECT 1 AS x") }.contains("already exists as a table"))
        #expect(await Self.message { _ = try await e.query("CREATE TABLE by_region (x INT)") }.contains("already exists as a view"))
        _ = try await e.query("DROP VIEW by_region")
        #expect(await Self.message { _ = try await e.query("SELECT * FROM by_region") }.contains("not found"))
        _ = try await e.query("DROP VIEW IF EXISTS by_region")
        #expect(await Self.message { _ = try await e.query("DROP VIEW by_region") }.contains("not found"))
        #expect(await Self.message { _ = try await e.query("DROP VIEW sales") }.contains("is a table"))
    }

    @Test func viewsOfViewsCyclesAndWrites() async throws {
        let services = try ServerTests.makeServices()
        let e = try Self.engine(services)
        _ = try await e.query("CREATE TABLE t (n BIGINT)")
        _ = try await e.query("INSERT INTO t VALUES (1), (2), (3)")
        _ = try await e.query("CREATE VIEW v1 AS SELECT n, n * 10 AS tens FROM t")
        _ = try await e.query("CREATE VIEW v2 AS SELECT tens FROM v1 WHERE n >= 2")
        #expect(try await e.query("SELECT * FROM v2 ORDER BY tens").textRows == [["20"], ["30"]])
        #expect(try await e.query("SELECT COUNT(*) FROM v2 JOIN v1 ON v2.tens = v1.tens JOIN t ON t.n = v1.n").textRows == [["2"]])
        // v1 → v2 → v1 is refused when v1 would be replaced by it.
        let cycle = await Self.message { _ = try await e.query("CREATE OR REPLACE VIEW v1 AS SELECT tens AS n, tens FROM v2") }
        #expect(cycle.contains("view cycle"))
        #expect(try await e.query("SELECT COUNT(*) FROM v1").textRows == [["3"]])
        for sql in ["INSERT INTO v1 VALUES (4, 40)", "DELETE FROM v1 WHERE n = 1", "UPDATE v1 SET n = 0", "MERGE INTO v1 USING t ON v1.n = t.n WHEN MATCHED THEN DELETE"] {
            #expect(await Self.message { _ = try await e.query(sql) }.contains("is a view"), "\(sql)")
        }
        #expect(try await e.query("SELECT COUNT(*) FROM t").textRows == [["3"]])
    }

    @Test func ownerRightsAuthorization() async throws {
        let services = try ServerTests.makeServices()
        let admin = try Self.engine(services)
        _ = try await admin.query("CREATE TABLE secret (id BIGINT, pii STRING)")
        _ = try await admin.query("INSERT INTO secret VALUES (1, 'x'), (2, 'y')")
        let store = services.authorizer.store
        func grant(_ type: String, _ id: String, _ who: String, _ level: String) async throws {
            try await store.changeGrants(objectType: type, objectID: id,
                add: [PermissionRecord(objectType: type, objectID: id, principal: who, kind: .user, level: level)], remove: [])
        }
        for who in ["owner", "reader", "stranger"] {
            try await grant("uc:catalog", "main", who, "USE CATALOG")
            try await grant("uc:schema", "main.default", who, "USE SCHEMA")
        }
        try await grant("uc:table", "main.default.secret", "owner", "SELECT")
        try await grant("uc:schema", "main.default", "owner", "CREATE TABLE")
        func engine(_ who: String) throws -> SQLEngine {
            try SQLEngine(resolver: AuthorizingTableResolver(
                base: NamespaceTableResolver(tables: services.tables, owner: who), caller: Principal(name: who), authorizer: services.authorizer))
        }
        let owner = try engine("owner"), reader = try engine("reader"), stranger = try engine("stranger")
        // Creating a view plans its query as the creator: reader cannot make one over the table.
        try await grant("uc:schema", "main.default", "reader", "CREATE TABLE")
        #expect(await Self.message { _ = try await reader.query("CREATE VIEW mine AS SELECT * FROM secret") }.contains("requires SELECT"))
        _ = try await owner.query("CREATE VIEW ids AS SELECT id FROM secret")
        try await grant("uc:table", "main.default.ids", "reader", "SELECT")
        // reader: SELECT on the view, none on the table.
        #expect(try await reader.query("SELECT * FROM ids ORDER BY id").textRows == [["1"], ["2"]])
        #expect(await Self.message { _ = try await reader.query("SELECT * FROM secret") }.contains("requires SELECT"))
        // stranger: nothing on the view.
        #expect(await Self.message { _ = try await stranger.query("SELECT * FROM ids") }.contains("requires SELECT"))
        // A view of a view the reader owns is checked against its own owner (reader) for ids: allowed.
        _ = try await reader.query("CREATE VIEW ids2 AS SELECT id + 1 AS id FROM ids")
        #expect(try await reader.query("SELECT * FROM ids2 ORDER BY id").textRows == [["2"], ["3"]])
        // The owner losing SELECT on the table stops every reader.
        try await store.changeGrants(objectType: "uc:table", objectID: "main.default.secret", add: [],
            remove: [PermissionRecord(objectType: "uc:table", objectID: "main.default.secret", principal: "owner", kind: .user, level: "SELECT")])
        #expect(await Self.message { _ = try await reader.query("SELECT * FROM ids") }.contains("owner requires SELECT"))
        // Dropping needs MANAGE (the creator has ALL PRIVILEGES).
        #expect(await Self.message { _ = try await reader.query("DROP VIEW ids") }.contains("requires MANAGE"))
        _ = try await owner.query("DROP VIEW ids")
        #expect(try await store.rows(objectType: "uc:table", objectID: "main.default.ids").isEmpty)
    }
}
