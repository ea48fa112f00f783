import Foundation
import Testing

@testable import IngotPipelines

@Suite struct PipelineParserTests {
    let settings = PipelineSettings(name: "retail", catalog: "main", schema: "retail")

    @Test func parsesStreamingTableWithExpectations() throws {
        let sql = """
            -- bronze; a comment with STREAM(nothing) and ; inside
            CREATE OR REFRESH STREAMING TABLE silver_orders (
              CONSTRAINT valid_id EXPECT (order_id IS NOT NULL) ON VIOLATION DROP ROW,
              CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION FAIL UPDATE,
              CONSTRAINT has_note EXPECT (note <> 'x;y')
            ) COMMENT 'clean orders' AS
            SELECT o.*, 'a;b' AS s /* FROM nowhere */ FROM STREAM(bronze_orders) o;
            """
        let ds = try PipelineSQLParser.parse(sql, file: "silver.sql")
        #expect(ds.count == 1)
        let d = ds[0]
        #expect(d.name == "silver_orders")
        #expect(d.kind == .streamingTable)
        #expect(d.line == 2)
        #expect(d.comment == "clean orders")
        #expect(d.expectations.map(\.action) == [.drop, .fail, .warn])
        #expect(d.expectations[0].condition == "order_id IS NOT NULL")
        #expect(d.expectations[2].condition == "note <> 'x;y'")
        #expect(d.references.map(\.source) == [.stream(parts: ["bronze_orders"])])
        let r = d.references[0].range
        #expect(String(Array(d.query)[r]) == "STREAM(bronze_orders)")
    }

    @Test func parsesReadFilesAndMaterializedView() throws {
        let sql = """
            CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('landing/orders', format => 'csv', header => true);
            CREATE OR REFRESH MATERIALIZED VIEW gold AS
            WITH t AS (SELECT customer_id, extract(year FROM ts) AS y FROM silver)
            SELECT t.y, c.name, count(*) FROM t, other_ds JOIN main.crm.customers c ON c.id = t.customer_id GROUP BY 1, 2
            """
        let ds = try PipelineSQLParser.parse(sql, file: "x.sql")
        #expect(ds.count == 2)
        #expect(ds[0].references.map(\.source) == [.files(path: "landing/orders", options: ["format": "csv", "header": "true"])])
        #expect(ds[1].kind == .materializedView)
        #expect(ds[1].line == 2)
        #expect(ds[1].references.map(\.source) == [.table(parts: ["silver"]), .table(parts: ["other_ds"]), .table(parts: ["main", "crm", "customers"])])
    }

    @Test func rejectsBadSQLWithLine() throws {
        #expect(throws: PipelineError.self) { try PipelineSQLParser.parse("CREATE TABLE x AS SELECT 1", file: "a.sql") }
        do {
            _ = try PipelineSQLParser.parse("\n\nCREATE STREAMING TABLE s AS SELECT * FROM t", file: "a.sql")
            Issue.record("expected an error")
        } catch let e as PipelineError {
            #expect(e.message.hasPrefix("a.sql:3:"))
        }
        #expect(throws: PipelineError.self) { try PipelineSQLParser.parse("CREATE MATERIALIZED VIEW v AS SELECT 'open", file: "a.sql") }
    }

    @Test func buildsDAGInDependencyOrder() throws {
        let def = try PipelineDefinition.build(
            directory: URL(fileURLWithPath: "/tmp"), settings: settings,
            sources: [
                ("3_gold.sql", "CREATE MATERIALIZED VIEW gold AS SELECT * FROM silver JOIN retail.dim d ON true"),
                ("2_silver.sql", "CREATE STREAMING TABLE silver AS SELECT * FROM STREAM(main.retail.bronze)"),
                ("1_dim.sql", "CREATE MATERIALIZED VIEW dim AS SELECT * FROM main.crm.customers"),
                ("0_bronze.sql", "CREATE STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('${landing}/o', format => 'csv')"),
            ])
        #expect(def.datasets.map(\.name) == ["bronze", "silver", "dim", "gold"])
        #expect(def.dependencies["gold"] == ["silver", "dim"])
        #expect(def.externalTables == [["main", "crm", "customers"]])
    }

    @Test func reportsCyclesAndUnknownReferencesWithFileAndLine() throws {
        do {
            _ = try PipelineDefinition.build(
                directory: URL(fileURLWithPath: "/tmp"), settings: settings,
                sources: [("a.sql", "CREATE MATERIALIZED VIEW a AS SELECT * FROM b;\n\nCREATE MATERIALIZED VIEW b AS SELECT * FROM a")])
            Issue.record("expected a cycle")
        } catch let e as PipelineError {
            #expect(e.message.contains("cycle"))
            #expect(e.message.contains("a.sql:1"))
            #expect(e.message.contains("a.sql:3"))
        }
        do {
            _ = try PipelineDefinition.build(
                directory: URL(fileURLWithPath: "/tmp"), settings: settings,
                sources: [("b.sql", "CREATE MATERIALIZED VIEW a AS\nSELECT *\nFROM missing")])
            Issue.record("expected unknown reference")
        } catch let e as PipelineError {
            #expect(e.message.hasPrefix("b.sql:3: unknown reference missing"))
        }
    }

    @Test func parsesSettings() throws {
        let s = try PipelineSettings.parse(yaml: """
            name: retail
            catalog: main
            schema: retail
            configuration:
              landing: /data/landing
            schedule: "0 0 * * * ?"
            engine: embedded
            notifications: [{email_recipients: [ops@example.com], alerts: [on-update-failure]}]
            """)
        #expect(s.name == "retail" && s.schema == "retail" && s.configuration["landing"] == "/data/landing")
        #expect(s.engine == "embedded" && s.notifications == ["ops@example.com"] && s.schedule == "0 0 * * * ?")
        #expect(s.notificationRules?.first?.alerts == ["on-update-failure"])
        #expect(throws: PipelineError.self) { try PipelineSettings.parse(yaml: "name: x\nbogus: 1") }
    }
}
