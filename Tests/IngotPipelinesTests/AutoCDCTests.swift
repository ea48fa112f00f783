import Foundation
import IngotCatalog
import IngotLake
import Testing

@testable import IngotPipelines

@Suite struct AutoCDCTests {
    // MARK: Parsing

    @Test func parsesAutoCDCAndApplyChanges() throws {
        let sql = """
            CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing', format => 'json');
            CREATE OR REFRESH STREAMING TABLE dim;
            CREATE FLOW dim_flow AS AUTO CDC INTO dim FROM stream(raw)
              KEYS (id, region)
              APPLY AS DELETE WHEN op = 'DELETE'
              SEQUENCE BY seq
              COLUMNS * EXCEPT (op, _rescued_data)
              IGNORE NULL UPDATES
              STORED AS SCD TYPE 2
              TRACK HISTORY ON * EXCEPT (note);
            CREATE OR REFRESH STREAMING TABLE cur;
            APPLY CHANGES INTO LIVE.cur FROM STREAM(LIVE.raw) KEYS (id) SEQUENCE BY seq COLUMNS (id, name, seq);
            """
        let ds = try PipelineSQLParser.parse(sql, file: "cdc.sql")
        let dim = try #require(ds.first { $0.name == "dim" }?.cdc)
        #expect(dim.name == "dim_flow" && dim.keys == ["id", "region"] && dim.deleteWhen == "op = 'DELETE'" && dim.sequenceBy == "seq")
        #expect(dim.columns == .except(["op", "_rescued_data"]) && dim.ignoreNullUpdates && dim.scdType == 2 && dim.trackHistory == .except(["note"]))
        #expect(dim.source == .stream(parts: ["raw"]) && dim.line == 3)
        let cur = try #require(ds.first { $0.name == "cur" }?.cdc)
        #expect(cur.source == .stream(parts: ["raw"]) && cur.scdType == 1 && cur.columns == .only(["id", "name", "seq"]) && !cur.ignoreNullUpdates)
        // The flow's source is a dependency of its target.
        let def = try PipelineDefinition.build(directory: URL(fileURLWithPath: "/tmp"), settings: PipelineSettings(name: "p"), sources: [("cdc.sql", sql)])
        #expect(def.dependencies["dim"] == ["raw"] && def.dependencies["cur"] == ["raw"])
        #expect(def.datasets.first?.name == "raw")
    }

    @Test(arguments: [
        ("CREATE OR REFRESH STREAMING TABLE t;\nCREATE FLOW f AS AUTO CDC INTO t FROM stream(s) SEQUENCE BY x;", "x.sql:2: a CDC flow needs KEYS"),
        ("CREATE OR REFRESH STREAMING TABLE t;\nCREATE FLOW f AS AUTO CDC INTO t FROM stream(s) KEYS (id);", "x.sql:2: a CDC flow needs SEQUENCE BY"),
        ("CREATE OR REFRESH STREAMING TABLE t;\nCREATE FLOW f AS AUTO CDC INTO t FROM stream(s) KEYS (id)\n APPLY AS TRUNCATE WHEN op = 'T' SEQUENCE BY x;",
         "x.sql:3: APPLY AS TRUNCATE WHEN is not supported"),
        ("CREATE FLOW f AS AUTO CDC INTO t FROM stream(s) KEYS (id) SEQUENCE BY x;", "x.sql:1: flow f writes into t, which is not defined"),
        ("CREATE OR REFRESH STREAMING TABLE t;", "x.sql:1: streaming table t has no query and no flow"),
        ("CREATE OR REFRESH STREAMING TABLE t (CONSTRAINT c EXPECT (id > 0));\nAPPLY CHANGES INTO LIVE.t FROM STREAM(LIVE.s) KEYS (id) SEQUENCE BY x;",
         "x.sql:1: expectations on the target of a CDC flow"),
        ("CREATE OR REFRESH STREAMING TABLE t;\nCREATE FLOW f AS AUTO CDC INTO t FROM stream(s) KEYS (id) SEQUENCE BY x TRACK HISTORY ON (a);",
         "x.sql:2: TRACK HISTORY ON applies to STORED AS SCD TYPE 2 only"),
        ("CREATE OR REFRESH STREAMING TABLE t;\nCREATE FLOW f AS AUTO CDC INTO t FROM s KEYS (id) SEQUENCE BY x;", "x.sql:2: the source of a CDC flow is read as a stream"),
        ("CREATE OR REFRESH STREAMING TABLE t;\nCREATE FLOW f AS AUTO CDC INTO t FROM stream(s) KEYS (id) SEQUENCE BY x STORED AS SCD TYPE 3;", "x.sql:2: expected SCD TYPE 1 or 2"),
    ])
    func rejectsBadFlows(sql: String, message: String) throws {
        do {
            _ = try PipelineSQLParser.parse(sql, file: "x.sql")
            Issue.record("expected an error for \(sql)")
        } catch let e as PipelineError {
            #expect(e.message.hasPrefix(message), "\(e.message)")
        }
    }

    // MARK: Logic

    static let flow1 = PipelineCDCFlow(name: "f", target: "t", source: .stream(parts: ["s"]), keys: ["id"], deleteWhen: nil, sequenceBy: "seq", columns: .all,
                                       ignoreNullUpdates: false, scdType: 1, trackHistory: .all, file: "f.sql", line: 1)

    func change(_ seq: Int64, _ name: String?, delete: Bool = false, order: Int = 0) -> CDCChange {
        CDCChange(key: [.int(1)], seq: .int(seq), delete: delete, values: [.int(1), name.map { .string($0) }, .int(seq)], order: order)
    }

    @Test func scd1OrdersBySequenceAndKeepsTombstones() throws {
        let f = Self.flow1
        // Out of order in one batch: the highest sequence wins.
        let ordered = try CDCLogic.ordered([change(3, "c", order: 0), change(1, "a", order: 1), change(2, "b", order: 2)], f)
        var (row, state, _) = try CDCLogic.applySCD1(row: nil, state: nil, changes: ordered, flow: f)
        #expect(row?[1] == .string("c") && state?.seq == CDCValue(.int(3)))
        // A later batch with an older change: ignored.
        (row, state, _) = try CDCLogic.applySCD1(row: row, state: state, changes: [change(2, "old")], flow: f)
        #expect(row?[1] == .string("c"))
        // Delete, then an older insert arriving late: the tombstone keeps the row deleted.
        (row, state, _) = try CDCLogic.applySCD1(row: row, state: state, changes: [change(5, nil, delete: true)], flow: f)
        #expect(row == nil && state?.deleted == true)
        (row, state, _) = try CDCLogic.applySCD1(row: row, state: state, changes: [change(4, "late")], flow: f)
        #expect(row == nil)
        (row, _, _) = try CDCLogic.applySCD1(row: row, state: state, changes: [change(6, "back")], flow: f)
        #expect(row?[1] == .string("back"))
        // Equal sequence: duplicates collapse, different changes are an error.
        #expect(try CDCLogic.ordered([change(1, "a", order: 0), change(1, "a", order: 1)], f).count == 1)
        #expect(throws: PipelineError.self) { try CDCLogic.ordered([change(1, "a", order: 0), change(1, "b", order: 1)], f) }
    }

    @Test func scd1IgnoreNullUpdates() throws {
        var f = Self.flow1
        f.ignoreNullUpdates = true
        let (row, _, _) = try CDCLogic.applySCD1(row: nil, state: nil, changes: [change(1, "a"), change(2, nil, order: 1)], flow: f)
        #expect(row == [.int(1), .string("a"), .int(2)])
    }

    @Test func scd2HistoryRebuildsOutOfOrder() throws {
        var f = Self.flow1
        f.scdType = 2
        let tracked = [1]
        // Batch 1: versions at 1 and 3, an identical update at 4 (no new version), a delete at 6.
        let h1 = try CDCLogic.rebuildSCD2(history: [], changes: [change(1, "a"), change(3, "b", order: 1), change(4, "b", order: 2), change(6, nil, delete: true, order: 3)],
                                          tracked: tracked, untracked: [], flow: f)
        #expect(h1 == [[.int(1), .string("a"), .int(1), .int(1), .int(3)], [.int(1), .string("b"), .int(3), .int(3), .int(6)]])
        // Batch 2: a late change at 2 splits the first version; a re-insert at 7 opens a new current row.
        let h2 = try CDCLogic.rebuildSCD2(history: h1, changes: [change(2, "x"), change(7, "c", order: 1)], tracked: tracked, untracked: [], flow: f)
        #expect(h2.map { $0[1] } == [.string("a"), .string("x"), .string("b"), .string("c")])
        #expect(h2.map { $0[3] } == [.int(1), .int(2), .int(3), .int(7)])
        #expect(h2.map { $0[4] } == [.int(2), .int(3), .int(6), nil])
        // Replaying the same changes again changes nothing.
        let h3 = try CDCLogic.rebuildSCD2(history: h2, changes: [change(2, "x"), change(7, "c", order: 1)], tracked: tracked, untracked: [], flow: f)
        #expect(h3 == h2)
    }

    // MARK: Runs

    static let cdcSQL = """
        CREATE OR REFRESH STREAMING TABLE changes AS SELECT * FROM STREAM read_files('landing', format => 'json');
        CREATE OR REFRESH STREAMING TABLE cur;
        CREATE FLOW cur_flow AS AUTO CDC INTO cur FROM stream(changes)
          KEYS (id) APPLY AS DELETE WHEN op = 'DELETE' SEQUENCE BY seq COLUMNS * EXCEPT (op, _rescued_data) STORED AS SCD TYPE 1;
        CREATE OR REFRESH STREAMING TABLE hist;
        APPLY CHANGES INTO LIVE.hist FROM STREAM(LIVE.changes)
          KEYS (id) APPLY AS DELETE WHEN op = 'DELETE' SEQUENCE BY seq COLUMNS * EXCEPT (op, _rescued_data) STORED AS SCD TYPE 2;
        CREATE OR REFRESH MATERIALIZED VIEW n_current AS SELECT count(*) AS n FROM hist WHERE __END_AT IS NULL;
        """

    func rows(_ env: PipelineRunnerTests.Env, _ sql: String) async throws -> [[String]] {
        let engine = try SQLEngine(resolver: NamespaceTableResolver(tables: env.tables, owner: "t"), options: SQLEngineOptions(catalog: "main", schema: "s1"))
        return try await engine.query(sql).textRows
    }

    func feed(_ env: PipelineRunnerTests.Env, _ name: String, _ events: [(Int, String, String?, Int)]) throws {
        let lines = events.map { id, op, name, seq in
            "{\"id\": \(id), \"op\": \"\(op)\", \"name\": \(name.map { "\"\($0)\"" } ?? "null"), \"seq\": \(seq)}"
        }
        try (lines.joined(separator: "\n") + "\n").write(to: env.pipelineDir.appendingPathComponent("landing/\(name)"), atomically: true, encoding: .utf8)
    }

    @Test func cdcRunsIncrementallyAndFullRefreshMatches() async throws {
        let env = try PipelineRunnerTests.Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        try Self.cdcSQL.write(to: env.pipelineDir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        try feed(env, "1.json", [(1, "INSERT", "ann", 1), (2, "INSERT", "bob", 2), (1, "UPDATE", "anne", 5), (3, "INSERT", "cy", 3), (1, "UPDATE", "an", 4)])
        var (state, m) = try await env.run(p)
        let error = try await env.service.store.updates(pipelineID: p.id).first?.error
        #expect(state == "COMPLETED", "\(error ?? "")")
        #expect(m["cur"]?.inputRecords == 5)
        #expect(try await rows(env, "SELECT id, name, seq FROM cur ORDER BY id") == [["1", "anne", "5"], ["2", "bob", "2"], ["3", "cy", "3"]])
        #expect(try await rows(env, "SELECT id, name, __START_AT, __END_AT FROM hist ORDER BY id, __START_AT") == [
            ["1", "ann", "1", "4"], ["1", "an", "4", "5"], ["1", "anne", "5", "NULL"], ["2", "bob", "2", "NULL"], ["3", "cy", "3", "NULL"],
        ])
        // Second run: a late event (seq 3 for id 1, older than the current 5), a delete and an identical update.
        try feed(env, "2.json", [(1, "UPDATE", "late", 3), (2, "DELETE", nil, 7), (3, "UPDATE", "cy", 8)])
        (state, m) = try await env.run(p)
        #expect(state == "COMPLETED")
        #expect(m["cur"]?.inputRecords == 3 && m["hist"]?.inputRecords == 3)
        let cur = try await rows(env, "SELECT id, name, seq FROM cur ORDER BY id")
        #expect(cur == [["1", "anne", "5"], ["3", "cy", "8"]])
        let hist = try await rows(env, "SELECT id, name, __START_AT, __END_AT FROM hist ORDER BY id, __START_AT")
        #expect(hist == [
            ["1", "ann", "1", "3"], ["1", "late", "3", "4"], ["1", "an", "4", "5"], ["1", "anne", "5", "NULL"], ["2", "bob", "2", "7"], ["3", "cy", "3", "NULL"],
        ])
        #expect(try await rows(env, "SELECT n FROM n_current") == [["2"]])
        // A new column in the feed reaches both targets (added after the history columns).
        try "{\"id\": 3, \"op\": \"UPDATE\", \"name\": \"cy\", \"seq\": 9, \"tier\": \"gold\"}\n"
            .write(to: env.pipelineDir.appendingPathComponent("landing/3.json"), atomically: true, encoding: .utf8)
        (state, m) = try await env.run(p)
        #expect(state == "COMPLETED")
        #expect(try await rows(env, "SELECT id, name, tier, __START_AT, __END_AT FROM hist WHERE id = 3 ORDER BY __START_AT") == [
            ["3", "cy", "NULL", "3", "9"], ["3", "cy", "gold", "9", "NULL"],
        ])
        #expect(try await rows(env, "SELECT id, seq, tier FROM cur WHERE id = 3") == [["3", "9", "gold"]])
        let cur2 = try await rows(env, "SELECT * FROM cur ORDER BY id")
        let hist2 = try await rows(env, "SELECT * FROM hist ORDER BY id, __START_AT")
        // Nothing new: nothing changes.
        (state, m) = try await env.run(p)
        #expect(state == "COMPLETED" && m["cur"]?.inputRecords == 0)
        // Full refresh recomputes the same tables.
        (state, _) = try await env.run(p, fullRefresh: true)
        #expect(state == "COMPLETED")
        #expect(try await rows(env, "SELECT id, name, seq FROM cur ORDER BY id") == [["1", "anne", "5"], ["3", "cy", "9"]])
        #expect(try await rows(env, "SELECT * FROM cur ORDER BY id").map(Set.init) == cur2.map(Set.init))
        #expect(try await rows(env, "SELECT * FROM hist ORDER BY id, __START_AT").map(Set.init) == hist2.map(Set.init))
        _ = (cur, hist)
    }

    @Test func pendingCheckpointResolvesACrashedBatchOnce() async throws {
        let env = try PipelineRunnerTests.Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        try Self.cdcSQL.write(to: env.pipelineDir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        try feed(env, "1.json", [(1, "INSERT", "a", 1), (2, "INSERT", "b", 2)])
        _ = try await env.run(p)
        let before = try await env.service.store.checkpoint(pipelineID: p.id, dataset: "cur")
        try feed(env, "2.json", [(1, "UPDATE", "a2", 3), (2, "DELETE", nil, 4)])
        _ = try await env.run(p)
        let after = try await env.service.store.checkpoint(pipelineID: p.id, dataset: "cur")
        let cur = try await rows(env, "SELECT id, name, seq FROM cur ORDER BY id")
        #expect(cur == [["1", "a2", "3"]])
        // As if the server died after the commit of batch 2 but before its checkpoint: the pending
        // record is resolved against the table version, and batch 2 is not read again.
        var crashed = before
        let version = try #require(try await env.tables.open(try TableName(catalog: "main", schema: "s1", table: "cur")).record.deltaVersion)
        crashed.pending = .init(files: [], sources: after.sources, baseVersion: version - 1, cdc: after.cdc)
        try await env.service.store.saveCheckpoint(pipelineID: p.id, dataset: "cur", crashed)
        var (state, m) = try await env.run(p)
        #expect(state == "COMPLETED" && m["cur"]?.inputRecords == 0)
        let resolved = try await env.service.store.checkpoint(pipelineID: p.id, dataset: "cur")
        #expect(resolved.cdc == after.cdc && resolved.sources == after.sources && resolved.pending == nil)
        // As if it died before the commit: batch 2 is read again and applied once.
        crashed.pending = .init(files: [], sources: after.sources, baseVersion: version, cdc: after.cdc)
        try await env.service.store.saveCheckpoint(pipelineID: p.id, dataset: "cur", crashed)
        (state, m) = try await env.run(p)
        #expect(state == "COMPLETED" && m["cur"]?.inputRecords == 2)
        #expect(try await rows(env, "SELECT id, name, seq FROM cur ORDER BY id") == cur)
    }
}
