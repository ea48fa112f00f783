import Foundation
import Testing
@testable import IngotLake

/// The embedded SQL engine over lake tables in a temporary warehouse directory.
@Suite struct SQLEngineTests {
    struct Env {
        let dir: URL
        let resolver: DirectoryTableResolver
        let engine: SQLEngine

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-sql-\(UUID().uuidString)").appendingPathComponent("warehouse")
            resolver = try DirectoryTableResolver(warehouse: dir)
            engine = try SQLEngine(resolver: resolver)
        }

        func table(_ name: String) async throws -> LakeTable {
            let p = name.split(separator: ".").map(String.init)
            return try await resolver.table(SQLTableName(catalog: p[0], schema: p[1], table: p[2]))
        }

        /// Creates main.default.orders: id, customer, amount (double), price (decimal 10,2), qty (int32),
        /// ts (timestamp UTC), day (date), region (partition, string), note (string, nullable).
        @discardableResult
        func orders(rows: Int = 20, rowGroupRows: Int? = nil, partitioned: Bool = true) async throws -> LakeTable {
            var t = try await table("main.default.orders")
            if let rowGroupRows { t.writeOptions.parquet.rowGroupRows = rowGroupRows }
            let fields = [
                Field("id", .int64, nullable: false), Field("customer", .string), Field("amount", .float64),
                Field("price", .decimal(precision: 10, scale: 2)), Field("qty", .int32), Field("ts", .timestamp(utc: true)),
                Field("day", .date), Field("region", .string), Field("note", .string),
            ]
            var b = fields.map { ColumnBuilder(type: $0.type) }
            let base = PartitionValues.parseTimestamp("2026-01-01T00:00:00Z")!
            for i in 0..<rows {
                b[0].append(.int(Int64(i)))
                b[1].append(.string("c\(i % 4)"))
                b[2].append(.double(Double(i) * 1.5))
                b[3].append(.decimal(Int128(i * 100 + 25)))
                b[4].append(i % 5 == 4 ? nil : .int(Int64(i % 3 + 1)))
                b[5].append(.int(base + Int64(i) * 3_600_000_000 * 7))
                b[6].append(.int(PartitionValues.parseDate("2026-01-01")! + Int64(i / 4)))
                b[7].append(.string(["eu", "us"][i % 2]))
                b[8].append(i % 3 == 0 ? nil : .string("n\(i)"))
            }
            let batch = try RecordBatch(schema: Schema(fields), columns: b.map { $0.finish() })
            try await t.create(schema: batch.schema, partitionColumns: partitioned ? ["region"] : []) { emit in try await emit(batch) }
            return t
        }

        func q(_ sql: String) async throws -> SQLResult { try await engine.query(sql) }
        func rows(_ sql: String) async throws -> [[String]] { try await engine.query(sql).textRows }
    }

    // MARK: Tokenizer and rewrites

    @Test func tokenizerHandlesStringsIdentifiersCommentsNumbers() throws {
        let t = try SQLTokenizer.tokenize("SELECT `we``ird`, 'it''s', \"dq\", 'a\\tb' -- comment\n /* block */ FROM x WHERE y >= 1.5e3 AND z <=> 2L")
        #expect(t.map(\.kind).contains(.quoted))
        #expect(t.contains { $0.kind == .quoted && $0.text == "we`ird" })
        #expect(t.contains { $0.kind == .string && $0.text == "it's" })
        #expect(t.contains { $0.kind == .string && $0.text == "dq" })
        #expect(t.contains { $0.kind == .string && $0.text == "a\tb" })
        #expect(t.contains { $0.kind == .number && $0.text == "1.5e3" })
        #expect(t.contains { $0.kind == .number && $0.text == "2" && $0.suffix == "L" })
        #expect(t.contains { $0.isSymbol("<=>") })
        #expect(!t.contains { $0.text.contains("comment") || $0.text.contains("block") })
        #expect(throws: SQLError.self) { try SQLTokenizer.tokenize("SELECT 'open") }
    }

    @Test func rewritesCastsDivisionAndDiv() throws {
        func rw(_ s: String) throws -> String { SQLTokenizer.render(try SQLRewriter.rewriteExpressions(try SQLTokenizer.tokenize(s))) }
        #expect(try rw("SELECT CAST(CAST(x AS STRING) AS TIMESTAMP)") == "SELECT spark_cast_timestamp ( spark_cast_string ( x ) )")
        #expect(try rw("SELECT CAST(p AS DECIMAL(10, 2))") == "SELECT spark_cast_decimal ( p , 10 , 2 )")
        #expect(try rw("SELECT a / b") == "SELECT a * 1.0 / b")
        #expect(try rw("SELECT -a * f(b) div (c + 1) + 2") == "SELECT spark_idiv ( - a * f ( b ) , ( c + 1 ) ) + 2")
        #expect(try rw("SELECT DATE '2026-01-02'") == "SELECT spark_cast_date ( '2026-01-02' )")
        #expect(try rw("SELECT if(a, 1, 2), x RLIKE 'y'") == "SELECT iif ( a , 1 , 2 ) , x REGEXP 'y'")
    }

    @Test func tableReferencesAndTimeTravel() throws {
        let t = try SQLTokenizer.tokenize(
            "WITH c AS (SELECT * FROM a.b.t1 VERSION AS OF 3) SELECT * FROM c, t3 TIMESTAMP AS OF '2026-01-01' JOIN s.t2 x ON 1=1 "
            + "JOIN (SELECT * FROM u JOIN v ON 1=1) q ON 1=1, w WHERE EXTRACT(YEAR FROM d) > 1")
        let refs = try SQLRewriter.tableReferences(t, ctes: SQLRewriter.cteNames(t))
        #expect(refs.map(\.parts) == [["a", "b", "t1"], ["c"], ["t3"], ["s", "t2"], ["u"], ["v"], ["w"]])
        #expect(refs.map(\.isCTE) == [false, true, false, false, false, false, false])
        #expect(refs[0].version == .version(3))
        #expect(refs[3].alias == "x")
        #expect(refs[2].version == .timestamp("2026-01-01"))
    }

    // MARK: Queries

    @Test func selectProjectionFilterAndTypes() async throws {
        let env = try Env()
        try await env.orders()
        let r = try await env.q("SELECT id, customer, price, ts, day, region FROM main.default.orders WHERE id < 3 ORDER BY id")
        #expect(r.schema.fields.map(\.type) == [.int64, .string, .decimal(precision: 10, scale: 2), .timestamp(utc: true), .date, .string])
        #expect(r.textRows == [
            ["0", "c0", "0.25", "2026-01-01T00:00:00.000000Z", "2026-01-01", "eu"],
            ["1", "c1", "1.25", "2026-01-01T07:00:00.000000Z", "2026-01-01", "us"],
            ["2", "c2", "2.25", "2026-01-01T14:00:00.000000Z", "2026-01-01", "eu"],
        ])
        // One- and two-part names resolve against main.default.
        #expect(try await env.rows("SELECT count(*) FROM orders") == [["20"]])
        #expect(try await env.rows("SELECT count(*) FROM `default`.orders WHERE region = 'us'") == [["10"]])
        // Timestamps compare chronologically as text; dates too.
        #expect(try await env.rows("SELECT count(*) FROM orders WHERE ts >= '2026-01-02' AND day < DATE '2026-01-04'") == [["8"]])
        // String literals compared with temporal columns are cast as Spark does (exact instants, any ISO form).
        #expect(try await env.rows("SELECT count(*) FROM orders WHERE ts > '2026-01-01'") == [["19"]])
        #expect(try await env.rows("SELECT count(*) FROM orders o WHERE '2026-01-01T07:00:00Z' = o.ts OR o.ts BETWEEN '2026-01-01 14:00' AND '2026-01-01T21:00:00+00:00'") == [["3"]])
        #expect(try await env.rows("SELECT count(*) FROM orders WHERE day = '2026-1-2'") == [["4"]])
        #expect(try await env.rows("SELECT count(*) FROM orders WHERE ts = 'garbage'") == [["0"]])
    }

    @Test func sparkSemantics() async throws {
        let env = try Env()
        let r = try await env.rows("""
            SELECT 7/2, 7 div 2, CAST('2026-11-01T05:03:00Z' AS TIMESTAMP), CAST('nope' AS INT), CAST('12.7' AS INT),
                   CAST(2.675 AS DECIMAL(5,2)), round(2.5), round(-2.5), round(2.675, 2), 'a' || 'b', concat('a', NULL),
                   concat_ws('-', 'a', NULL, 'b'), greatest(1, NULL, 3), least(NULL, 2, 1), nvl(NULL, 'x'),
                   CAST('2026-02-30' AS DATE), CAST(' 42 ' AS BIGINT), CAST('true' AS BOOLEAN), substring('hello', 0, 3)
            """)
        #expect(r == [[
            "3.5", "3", "2026-11-01T05:03:00.000000Z", "NULL", "12", "2.68", "3.0", "-3.0", "2.68", "ab", "NULL", "a-b", "3", "1", "x",
            "NULL", "42", "true", "hel",
        ]])
        let f = try await env.rows("""
            SELECT date_trunc('month', '2026-03-17 10:11:12'), to_date('17/03/2026', 'dd/MM/yyyy'), date_format('2026-03-07 09:05:01', 'yyyy/MM/dd HH:mm:ss'),
                   year('2026-03-17'), month('2026-03-17'), day('2026-03-17'), hour('2026-03-17 10:11:12'), minute('2026-03-17 10:11:12'),
                   datediff('2026-03-17', '2026-03-01'), date_add('2026-02-28', 1), date_sub('2026-03-01', 1),
                   regexp_extract('ab-123-cd', '(\\\\d+)', 1), regexp_replace('a1b22', '[0-9]+', '#'), split('a,b,,c', ','),
                   md5('abc'), sha2('abc', 256), upper('straße'), length('héllo'), 'Abc' LIKE 'a%', 'abc' RLIKE '^a.c$',
                   if(1 > 2, 'y', 'n'), to_timestamp('2026-03-17 10:11', 'yyyy-MM-dd HH:mm')
            """)
        #expect(f == [[
            "2026-03-01T00:00:00.000000Z", "2026-03-17", "2026/03/07 09:05:01", "2026", "3", "17", "10", "11", "16", "2026-03-01", "2026-02-28",
            "123", "a#b#", "[\"a\",\"b\",\"\",\"c\"]", "900150983cd24fb0d6963f7d28e17f72",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "STRASSE", "5", "false", "true", "n",
            "2026-03-17T10:11:00.000000Z",
        ]])
    }

    @Test func joinsGroupByWindowsCTEs() async throws {
        let env = try Env()
        try await env.orders()
        let c = try await env.table("main.default.customers")
        var b = [ColumnBuilder(type: .string), ColumnBuilder(type: .string)]
        for (k, n) in [("c0", "Ann"), ("c1", "Bob"), ("c2", "Cy")] {
            b[0].append(.string(k))
            b[1].append(.string(n))
        }
        let cb = try RecordBatch(schema: Schema([Field("key", .string), Field("name", .string)]), columns: b.map { $0.finish() })
        try await c.create(schema: cb.schema) { emit in try await emit(cb) }
        let r = try await env.q("""
            WITH totals AS (SELECT customer, sum(price) AS total, count(*) AS n FROM orders GROUP BY customer)
            SELECT c.name, t.total, t.n, rank() OVER (ORDER BY t.total DESC) AS rk
            FROM totals t LEFT JOIN customers c ON c.key = t.customer ORDER BY t.customer
            """)
        #expect(r.schema.fields.map(\.type) == [.string, .decimal(precision: 20, scale: 2), .int64, .int64])
        #expect(r.textRows == [["Ann", "41.25", "5", "4"], ["Bob", "46.25", "5", "3"], ["Cy", "51.25", "5", "2"], ["NULL", "56.25", "5", "1"]])
        // Correlated subquery and self join stay correct (materialized once each).
        #expect(try await env.rows("""
            SELECT count(*) FROM orders o WHERE o.amount > (SELECT avg(amount) FROM orders i WHERE i.customer = o.customer)
            """) == [["8"]])
        #expect(try await env.rows("SELECT count(*) FROM orders a JOIN orders b ON a.id = b.id + 1") == [["19"]])
    }

    @Test func limitReadsOnlyTheFirstRowGroup() async throws {
        let env = try Env()
        try await env.orders(rows: 1000, rowGroupRows: 100, partitioned: false)
        let r = try await env.q("SELECT * FROM orders LIMIT 10")
        #expect(r.rowCount == 10)
        #expect(r.execution.scanStats.batches == 1)
        // Row-group pruning: ids are ascending, so id >= 950 only needs the last group.
        let p = try await env.q("SELECT count(*) FROM orders WHERE id >= 950")
        #expect(p.textRows == [["50"]])
        #expect(p.execution.scanStats.batches == 1)
        // Whole scan: ten row groups.
        let all = try await env.q("SELECT sum(qty) FROM orders")
        #expect(all.execution.scanStats.batches == 10)
    }

    @Test func partitionPruning() async throws {
        let env = try Env()
        try await env.orders()
        let r = try await env.q("SELECT count(*), min(region) FROM orders WHERE region = 'us'")
        #expect(r.textRows == [["10", "us"]])
        #expect(r.execution.scanStats.rows == 10)
    }

    @Test func timeTravelShowDescribeHistory() async throws {
        let env = try Env()
        let t = try await env.orders(rows: 4)
        _ = try await env.engine.query("INSERT INTO orders (id, customer, region) VALUES (100, 'new', 'eu')")
        #expect(try await env.rows("SELECT count(*) FROM orders VERSION AS OF 0") == [["4"]])
        #expect(try await env.rows("SELECT count(*) FROM orders") == [["5"]])
        let v0ts = try await t.history().last!.timestamp
        let iso = SQLTypes.timestampText(v0ts * 1000)
        #expect(try await env.rows("SELECT count(*) FROM orders TIMESTAMP AS OF '\(iso)'") == [["4"]])
        #expect(try await env.rows("SHOW CATALOGS") == [["main"]])
        #expect(try await env.rows("SHOW SCHEMAS") == [["default"]])
        #expect(try await env.rows("SHOW TABLES IN main.default") == [["default", "orders", "false"]])
        let d = try await env.rows("DESCRIBE TABLE main.default.orders")
        #expect(d.prefix(4).map { Array($0.prefix(2)) } == [["id", "bigint"], ["customer", "string"], ["amount", "double"], ["price", "decimal(10,2)"]])
        #expect(d.contains { $0[0] == "# Partition Information" })
        let h = try await env.rows("DESCRIBE HISTORY orders")
        #expect(h.map { $0[0] } == ["1", "0"])
        #expect(h[0][2] == "WRITE")
    }

    @Test func ctasInsertOverwrite() async throws {
        let env = try Env()
        try await env.orders()
        let created = try await env.engine.query("""
            CREATE TABLE main.default.summary AS
            SELECT customer, sum(price) AS total, CAST('2026-01-01 10:00:00' AS TIMESTAMP) AS at, max(day) AS last_day, count(*) AS n
            FROM orders GROUP BY customer
            """)
        #expect(created.execution.affectedRows == 4)
        let s = try await env.table("main.default.summary")
        let schema = try await s.snapshot().schema
        #expect(schema.fields.map(\.type) == [.string, .decimal(precision: 20, scale: 2), .timestamp(utc: true), .date, .int64])
        _ = try await env.engine.query("INSERT INTO summary VALUES ('cx', 1.005, '2026-02-01T00:00:00Z', DATE '2026-02-02', 7)")
        #expect(try await env.rows("SELECT total, at, last_day FROM summary WHERE customer = 'cx'") == [["1.01", "2026-02-01T00:00:00.000000Z", "2026-02-02"]])
        _ = try await env.engine.query("INSERT OVERWRITE summary SELECT customer, total, at, last_day, n FROM summary WHERE n > 5")
        #expect(try await env.rows("SELECT customer, n FROM summary") == [["cx", "7"]])
        // Values that do not fit the column type fail instead of being stored wrong.
        await #expect(throws: SQLError.self) { try await env.engine.query("INSERT INTO summary (customer, n) VALUES ('bad', 'x')") }
        // A plain CREATE TABLE with columns.
        _ = try await env.engine.query("CREATE TABLE t2 (a INT NOT NULL, b STRING, c DECIMAL(5,1)) USING delta PARTITIONED BY (b)")
        _ = try await env.engine.query("INSERT INTO t2 SELECT 1, 'x', 2.25")
        #expect(try await env.rows("SELECT * FROM t2") == [["1", "x", "2.3"]])
    }

    @Test func nullSemanticsAndErrors() async throws {
        let env = try Env()
        try await env.orders()
        #expect(try await env.rows("SELECT count(note), count(*), sum(CASE WHEN note IS NULL THEN 1 ELSE 0 END) FROM orders") == [["13", "20", "7"]])
        #expect(try await env.rows("SELECT NULL = NULL, NULL <=> NULL, 1 IN (NULL, 2)") == [["NULL", "true", "NULL"]])
        await #expect(throws: SQLError.self) { try await env.engine.query("SELECT * FROM nope") }
        await #expect(throws: SQLError.self) { try await env.engine.query("SELECT FROM WHERE") }
        await #expect(throws: SQLError.self) { try await env.engine.query("SELECT 1; SELECT 2") }
        await #expect(throws: SQLError.self) { try await env.engine.query("ATTACH '/tmp/x.db' AS x") }
        await #expect(throws: SQLError.self) { try await env.engine.query("SELECT * FROM pragma_database_list") }
        let few = try await env.engine.query("SELECT id FROM orders ORDER BY id", maxRows: 3)
        #expect(few.truncated && few.rowCount == 3 && few.schema.fields.map(\.name) == ["id"])
    }

    @Test func cancelInterruptsAndStreamingIsBounded() async throws {
        let env = try Env()
        try await env.orders(rows: 2000, rowGroupRows: 100, partitioned: false)
        // Streaming: batches of options.batchSize arrive one at a time.
        let seen = SQLEngine.Counter()
        let exec = try await env.engine.execute("SELECT id FROM orders") { b in seen.add(b.numRows) }
        #expect(seen.value == 2000 && exec.rowCount == 2000)
        // Cancel from inside the consumer: the statement fails with .cancelled.
        let engine = env.engine
        await #expect(throws: SQLError.cancelled) {
            _ = try await engine.execute("SELECT a.id FROM orders a, orders b") { _ in engine.cancel() }
        }
        // The session is usable afterwards.
        #expect(try await env.rows("SELECT count(*) FROM orders") == [["2000"]])
    }
}

/// DELETE / UPDATE / MERGE / OPTIMIZE / VACUUM through the table DML APIs.
@Suite struct SQLEngineDMLTests {
    @Test func deleteUpdateMergeOptimize() async throws {
        let env = try SQLEngineTests.Env()
        let e = env.engine
        _ = try await e.query("CREATE TABLE t (id BIGINT NOT NULL, name STRING, amount DOUBLE, at TIMESTAMP, region STRING) PARTITIONED BY (region)")
        _ = try await e.query("""
            INSERT INTO t VALUES (1, 'a', 1.5, '2026-01-01 00:00:00', 'eu'), (2, 'b', 2.5, '2026-01-02 00:00:00', 'us'),
                                 (3, 'c', NULL, NULL, 'eu'), (4, 'd', 4.0, '2026-01-04T12:00:00Z', 'us')
            """)
        let del = try await e.query("DELETE FROM t WHERE amount < 2 OR at < TIMESTAMP '2026-01-01 00:00:01'")
        #expect(del.execution.affectedRows == 1)
        #expect(try await env.rows("SELECT id FROM t ORDER BY id") == [["2"], ["3"], ["4"]])
        let up = try await e.query("UPDATE t AS x SET amount = x.amount * 10, name = upper(name) WHERE region = 'us' AND x.amount IS NOT NULL")
        #expect(up.execution.affectedRows == 2)
        #expect(try await env.rows("SELECT id, name, amount FROM t ORDER BY id") == [["2", "B", "25.0"], ["3", "c", "NULL"], ["4", "D", "40.0"]])
        _ = try await e.query("CREATE TABLE s AS SELECT CAST(2 AS BIGINT) AS id, 'B2' AS name, 99.0 AS amount, 'us' AS region UNION ALL SELECT 7, 'g', 7.0, 'eu'")
        let m = try await e.query("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
        #expect(m.execution.affectedRows == 2)
        #expect(try await env.rows("SELECT id, name, amount FROM t ORDER BY id") == [["2", "B2", "99.0"], ["3", "c", "NULL"], ["4", "D", "40.0"], ["7", "g", "7.0"]])
        _ = try await e.query("MERGE INTO t tt USING (SELECT 3 AS id) src ON tt.id = src.id WHEN MATCHED THEN DELETE")
        #expect(try await env.rows("SELECT count(*) FROM t") == [["3"]])
        _ = try await e.query("OPTIMIZE t")
        #expect(try await env.rows("SELECT sum(amount) FROM t") == [["146.0"]])
        _ = try await e.query("VACUUM t DRY RUN")
        let all = try await e.query("DELETE FROM t")
        #expect(all.execution.affectedRows == 3)
        await #expect(throws: SQLError.self) { try await e.query("DELETE FROM t WHERE id IN (SELECT id FROM s)") }
        let hist = try await env.rows("DESCRIBE HISTORY t")
        #expect(hist.map { $0[2] }.contains("MERGE") && hist.map { $0[2] }.contains("DELETE") && hist.map { $0[2] }.contains("UPDATE"))
    }
}
