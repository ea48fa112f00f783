import Foundation
import Testing

@testable import IngotLake

@Suite struct SQLLineagePlanTests {
    /// Column lineage as "source.target<-cols" strings, with the sources' columns given.
    static func lineage(_ sql: String, columns: [String: [String]] = [:], target: [String]? = nil) -> Set<String> {
        guard let plan = SQLLineagePlan.analyze(sql) else { return [] }
        let map = plan.columnLineage(columnsOf: { columns[plan.sources[$0].parts.joined(separator: ".")] }, targetColumns: target)
        var out = Set<String>()
        for (i, list) in map {
            for m in list { out.insert("\(plan.sources[i].parts.joined(separator: ".")).\(m.target)<-\(m.sources.joined(separator: "+"))") }
        }
        return out
    }

    @Test func ctasWithJoinAliasesAndExpressions() throws {
        let sql = """
            CREATE OR REPLACE TABLE main.g.revenue AS
            SELECT c.country, CAST(o.amount AS DECIMAL(10, 2)) * o.qty AS revenue, upper(c.name) name_u, count(*) AS n, id
            FROM main.s.orders AS o JOIN main.s.customers c ON o.customer_id = c.customer_id WHERE o.amount > 0
            """
        let plan = try #require(SQLLineagePlan.analyze(sql))
        #expect(plan.kind == "CREATE TABLE AS SELECT" && plan.target == ["main", "g", "revenue"])
        #expect(plan.sources.map(\.parts) == [["main", "s", "orders"], ["main", "s", "customers"]])
        #expect(plan.sources.map(\.alias) == ["o", "c"])
        #expect(plan.outputs.map(\.name) == ["country", "revenue", "name_u", "n", "id"])
        let got = Self.lineage(sql, columns: ["main.s.orders": ["id", "amount", "qty", "customer_id"], "main.s.customers": ["customer_id", "country", "name"]])
        #expect(got == ["main.s.customers.country<-country", "main.s.orders.revenue<-amount+qty", "main.s.customers.name_u<-name", "main.s.orders.id<-id"])
    }

    @Test func insertMapsByColumnListOrPosition() throws {
        #expect(Self.lineage("INSERT INTO t (a, b) SELECT x + 1, y FROM s") == ["s.a<-x", "s.b<-y"])
        #expect(Self.lineage("INSERT INTO t SELECT x, y AS whatever FROM s", target: ["p", "q"]) == ["s.p<-x", "s.q<-y"])
        let plan = try #require(SQLLineagePlan.analyze("INSERT OVERWRITE TABLE main.x.t SELECT * FROM main.x.s"))
        #expect(plan.kind == "INSERT OVERWRITE" && plan.target == ["main", "x", "t"])
        #expect(Self.lineage("INSERT OVERWRITE TABLE main.x.t SELECT * FROM main.x.s", columns: ["main.x.s": ["a", "b"]], target: ["a", "b"]) == ["main.x.s.a<-a", "main.x.s.b<-b"])
        #expect(Self.lineage("INSERT INTO t SELECT s.* FROM s JOIN u ON s.k = u.k", columns: ["s": ["k", "v"], "u": ["k", "w"]], target: ["k", "v"]) == ["s.k<-k", "s.v<-v"])
    }

    @Test func mergeUsesUpdateAndInsertClauses() throws {
        let sql = """
            MERGE INTO main.s.target t USING main.s.updates u ON t.id = u.id
            WHEN MATCHED THEN UPDATE SET t.total = u.amount * 2, status = 'x'
            WHEN NOT MATCHED THEN INSERT (id, total) VALUES (u.id, u.amount)
            """
        let plan = try #require(SQLLineagePlan.analyze(sql))
        #expect(plan.kind == "MERGE" && plan.target == ["main", "s", "target"] && plan.sources.map(\.parts) == [["main", "s", "updates"]])
        #expect(Self.lineage(sql) == ["main.s.updates.total<-amount", "main.s.updates.id<-id"])
    }

    @Test func shapesWithoutColumnLineageKeepTableLineage() throws {
        let union = try #require(SQLLineagePlan.analyze("INSERT INTO t SELECT a FROM x UNION ALL SELECT a FROM y"))
        #expect(union.sources.map(\.parts) == [["x"], ["y"]] && union.outputs.isEmpty)
        let cte = try #require(SQLLineagePlan.analyze("CREATE TABLE t AS WITH c AS (SELECT a FROM x) SELECT a FROM c"))
        #expect(cte.sources.map(\.parts) == [["x"]] && cte.outputs.isEmpty)
        #expect(SQLLineagePlan.analyze("SELECT * FROM x") == nil)
        #expect(SQLLineagePlan.analyze("CREATE TABLE t (a INT)") == nil)
        #expect(SQLLineagePlan.analyze("INSERT INTO t VALUES (1)") == nil)
        #expect(SQLLineagePlan.analyze("DELETE FROM t WHERE a = 1") == nil)
    }

    @Test func ambiguousBareColumnsAreLeftOut() {
        // `v` is in both tables: no guess.
        #expect(Self.lineage("CREATE TABLE t AS SELECT v, w FROM s JOIN u ON s.k = u.k", columns: ["s": ["k", "v"], "u": ["k", "v", "w"]]) == ["u.w<-w"])
    }
}
