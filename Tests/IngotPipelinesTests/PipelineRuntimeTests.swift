import Foundation
import IngotCatalog
import IngotLake
import IngotStorage
import Testing

@testable import IngotPipelines

/// The update runtime: the DAG scheduler's parallel limit, settings, cancellation, continuous
/// micro-batches, the event-log table and lineage.
@Suite struct PipelineRuntimeTests {
    actor Trace {
        var running = 0, peak = 0
        var order: [String] = []
        func enter(_ n: String) { running += 1; peak = max(peak, running); order.append(n) }
        func leave() { running -= 1 }
    }

    @Test func schedulerRespectsDependenciesAndLimit() async throws {
        let trace = Trace()
        // a, b, c, d independent; e needs a and b; f needs e.
        let deps = ["e": ["a", "b"], "f": ["e"]]
        let changed = try await PipelineScheduler.run(order: ["a", "b", "c", "d", "e", "f"], dependencies: deps, limit: 2) { n, changedDeps in
            await trace.enter(n)
            try await Task.sleep(nanoseconds: 30_000_000)
            await trace.leave()
            if n == "f" { #expect(changedDeps == ["e"]) }
            if n == "e" { #expect(changedDeps == ["a"]) }
            return n != "b"
        }
        #expect(await trace.peak == 2)
        let order = await trace.order
        #expect(order.firstIndex(of: "e")! > max(order.firstIndex(of: "a")!, order.firstIndex(of: "b")!))
        #expect(order.last == "f")
        #expect(changed == ["a", "c", "d", "e", "f"])
    }

    @Test func schedulerRunsIndependentDatasetsInParallel() async throws {
        let trace = Trace()
        _ = try await PipelineScheduler.run(order: ["a", "b", "c", "d"], dependencies: [:], limit: 8) { n, _ in
            await trace.enter(n)
            try await Task.sleep(nanoseconds: 50_000_000)
            await trace.leave()
            return true
        }
        #expect(await trace.peak == 4)
    }

    struct Boom: Error {}

    @Test func schedulerStopsStartingAfterAFailure() async throws {
        let trace = Trace()
        await #expect(throws: Boom.self) {
            _ = try await PipelineScheduler.run(order: ["a", "b", "c"], dependencies: ["b": ["a"], "c": ["b"]], limit: 4) { n, _ in
                await trace.enter(n)
                if n == "b" { throw Boom() }
                return true
            }
        }
        #expect(await trace.order == ["a", "b"])
    }

    @Test func runtimeSettings() throws {
        let s = try PipelineSettings.parse(yaml: """
            name: my-pipe
            continuous: true
            max_parallel_datasets: 3
            event_log: {name: events, schema: ops}
            configuration: {pipelines.trigger.interval: 500 ms}
            """)
        #expect(s.isContinuous && s.parallelLimit == 3 && s.triggerIntervalMillis == 500)
        #expect(s.eventLogTable == ["main", "ops", "events"])
        let d = try PipelineSettings.parse(yaml: "name: my-pipe\n")
        #expect(!d.isContinuous && d.parallelLimit == 4 && d.triggerIntervalMillis == 1000)
        #expect(d.eventLogTable == ["main", "default", "event_log_my_pipe"])
        #expect(PipelineSettings.parseInterval("2 seconds") == 2000)
        #expect(PipelineSettings.parseInterval("1 minute") == 60_000)
        #expect(PipelineSettings.parseInterval("soon") == nil)
        #expect(throws: PipelineError.self) { try PipelineSettings.parse(yaml: "name: p\ncontinuous: maybe\n") }
        #expect(throws: PipelineError.self) { try PipelineSettings.parse(yaml: "name: p\nmax_parallel_datasets: 0\n") }
        #expect(throws: PipelineError.self) { try PipelineSettings.parse(yaml: "name: p\nevent_log: {catalog: main}\n") }
        #expect(throws: PipelineError.self) { try PipelineSettings.parse(yaml: "name: p\nconfiguration: {pipelines.trigger.interval: soon}\n") }
        // Settings stored before these keys existed still decode.
        let old = try JSONDecoder().decode(PipelineSettings.self, from: Data(#"{"name":"p","catalog":"main","schema":"s","configuration":{},"notifications":[]}"#.utf8))
        #expect(!old.isContinuous && old.eventLog == nil)
    }

    @Test func eventLogNameMayNotShadowADataset() throws {
        let s = try PipelineSettings.parse(yaml: "name: p\nevent_log: {name: t}\n")
        #expect(throws: PipelineError.self) {
            try PipelineDefinition.build(directory: URL(fileURLWithPath: "/tmp"), settings: s, sources: [("a.sql", "CREATE MATERIALIZED VIEW t AS SELECT 1 AS x;")])
        }
    }

    // MARK: - In process

    struct Env {
        let root: URL
        let tables: TableService
        let service: PipelineService
        let dir: URL

        init(yaml: String = "name: p\ncatalog: main\nschema: s1\n") throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-rt-\(UUID().uuidString)")
            dir = root.appendingPathComponent("pipe")
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("landing"), withIntermediateDirectories: true)
            let metadata = try MetadataStore(inMemoryWith: CatalogModule.migrations + CatalogMetadataModule.migrations + PipelinesModule.migrations)
            try metadata.migrate()
            tables = TableService(namespace: NamespaceStore(metadata: metadata), objects: try LocalObjectStore(root: root.appendingPathComponent("data")))
            service = PipelineService(metadata: metadata, tables: tables)
            try yaml.write(to: dir.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
            try """
                CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing', format => 'csv');
                CREATE OR REFRESH STREAMING TABLE clean AS SELECT id, v FROM STREAM(raw) WHERE v > 0;
                CREATE OR REFRESH MATERIALIZED VIEW total AS SELECT count(*) AS n, sum(v) AS s FROM clean;
                CREATE OR REFRESH MATERIALIZED VIEW side AS SELECT 1 AS one;
                """.write(to: dir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
        }

        func file(_ name: String, from: Int, count: Int) throws {
            var text = "id,v\n"
            for i in from..<(from + count) { text += "\(i),\(i % 7 + 1)\n" }
            try text.write(to: dir.appendingPathComponent("landing/\(name)"), atomically: true, encoding: .utf8)
        }

        func name(_ t: String) throws -> TableName { try TableName(catalog: "main", schema: "s1", table: t) }

        func count(_ t: String) async throws -> Int {
            guard try await tables.namespace.tableIfExists(try name(t)) != nil else { return 0 }
            let (_, table) = try await tables.open(try name(t))
            var n = 0
            try await table.read { n += $0.numRows }
            return n
        }

        func wait(_ updateID: String, until states: Set<String>, seconds: Double = 60) async throws -> PipelineUpdateRecord {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let u = try await service.store.update(updateID)
                if states.contains(u.state) { return u }
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            return try await service.store.update(updateID)
        }
    }

    @Test func eventLogTableAndLineage() async throws {
        let env = try Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        let p = try await env.service.save(rootPath: env.dir.path, name: nil, creator: "t")
        try env.file("a.csv", from: 0, count: 10)
        let u = try await env.service.start(p.id, fullRefresh: false)
        #expect(try await env.wait(u.id, until: ["COMPLETED", "FAILED"]).state == "COMPLETED")
        // Appended in one batch per update: version 0 (create) + 1 append.
        let (_, log) = try await env.tables.open(try env.name("event_log_p"))
        #expect(try await log.snapshot().version == 1)
        let engine = try SQLEngine(resolver: NamespaceTableResolver(tables: env.tables, owner: "t"), options: SQLEngineOptions(catalog: "main", schema: "s1"))
        let rows = try await engine.query("SELECT event_type, count(*) FROM event_log_p GROUP BY event_type ORDER BY event_type").textRows
        let byType = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], Int($0[1]) ?? 0) })
        #expect(byType["create_update"] == 1)
        #expect(byType["update_progress"] == 3)  // INITIALIZING, RUNNING, COMPLETED
        #expect(byType["flow_progress"] == 8)  // RUNNING + COMPLETED for 4 datasets
        let events = try await env.service.store.events(pipelineID: p.id)
        #expect(try await env.count("event_log_p") == events.count)

        let edges = try await env.service.store.lineage(pipelineID: p.id, updateID: u.id)
        let raw = edges.filter { $0.dataset == "raw" }
        #expect(raw.filter { $0.kind == .file }.map(\.name) == [env.dir.appendingPathComponent("landing/a.csv").path])
        #expect(raw.contains { $0.direction == .write && $0.name == "main.s1.raw" })
        #expect(edges.contains { $0.dataset == "total" && $0.direction == .read && $0.name == "main.s1.clean" && $0.version != nil })
        let (up, down) = try await env.service.store.lineage(table: "main.s1.clean")
        #expect(up.map(\.name) == ["main.s1.raw"])
        #expect(down.map(\.name) == ["main.s1.total"])
    }

    /// Two independent datasets that each take a while: with the default limit the second starts
    /// before the first ends; with `max_parallel_datasets: 1` it does not.
    @Test(arguments: [(nil as Int?, true), (1, false)])
    func independentDatasetsOverlapUpToTheLimit(limit: Int?, overlap: Bool) async throws {
        let env = try Env(yaml: "name: p\ncatalog: main\nschema: s1\n" + (limit.map { "max_parallel_datasets: \($0)\n" } ?? ""))
        defer { try? FileManager.default.removeItem(at: env.root) }
        let spin = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 400000) SELECT count(*) AS n FROM r"
        try "CREATE MATERIALIZED VIEW a AS \(spin);\nCREATE MATERIALIZED VIEW b AS \(spin);\n"
            .write(to: env.dir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
        let p = try await env.service.save(rootPath: env.dir.path, name: nil, creator: "t")
        let u = try await env.service.start(p.id, fullRefresh: false)
        #expect(try await env.wait(u.id, until: ["COMPLETED", "FAILED"]).state == "COMPLETED")
        let flow = try await env.service.store.events(pipelineID: p.id, updateID: u.id).reversed().filter { $0.eventType == "flow_progress" }
        let running = flow.filter { $0.message.hasSuffix("is RUNNING.") }.map { $0.dataset! }
        let firstDone = flow.firstIndex { $0.message.contains("has COMPLETED") }!
        let secondStart = flow.firstIndex { $0.message.hasSuffix("is RUNNING.") && $0.dataset == running.last }!
        #expect(Set(running) == ["a", "b"])
        #expect((secondStart < firstDone) == overlap)
    }

    @Test func stopMidRunLeavesCommittedTablesAndTheNextRunIsExact() async throws {
        // The stop is sent as soon as `raw` starts; a view that spins (a recursive CTE of `spin` rows)
        // after the ingest guarantees the update is still running when it arrives, even in a fast build.
        let yaml = "name: p\ncatalog: main\nschema: s1\nmax_parallel_datasets: 1\nconfiguration: {spin: %d}\n"
        let env = try Env(yaml: String(format: yaml, 5_000_000))
        defer { try? FileManager.default.removeItem(at: env.root) }
        try """
            CREATE OR REFRESH MATERIALIZED VIEW spin AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < ${spin})
            SELECT (SELECT count(*) FROM clean) AS clean_rows, count(*) AS n FROM r;
            """.write(to: env.dir.appendingPathComponent("q.sql"), atomically: true, encoding: .utf8)
        let p = try await env.service.save(rootPath: env.dir.path, name: nil, creator: "t")
        let files = 20, rows = 2000
        for k in 0..<files { try env.file(String(format: "f%03d.csv", k), from: k * rows, count: rows) }
        let u = try await env.service.start(p.id, fullRefresh: false)
        for _ in 0..<2000 {
            if try await env.service.store.events(pipelineID: p.id, updateID: u.id).contains(where: { $0.dataset == "raw" }) { break }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        let stopped = try await env.service.stop(p.id, wait: true)
        #expect(stopped?.state == "CANCELED")
        let metrics = try await env.service.store.metrics(u.id)
        #expect(metrics.contains { $0.state == "CANCELED" })
        #expect(!metrics.contains { $0.dataset == "spin" && $0.state == "COMPLETED" })
        // Every table is at a committed version consistent with its checkpoint.
        let cp = try await env.service.store.checkpoint(pipelineID: p.id, dataset: "raw")
        // A stop that interrupts the write itself leaves its files pending with nothing committed
        // for them (the next run drops the pending record): either way the table holds exactly the
        // checkpoint's confirmed files.
        #expect(try await env.count("raw") == cp.files.count * rows)
        let events = try await env.service.store.events(pipelineID: p.id, updateID: u.id)
        #expect(events.contains { $0.message.contains("CANCELED") })

        try String(format: yaml, 1).write(to: env.dir.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
        let again = try await env.service.start(p.id, fullRefresh: false)
        #expect(try await env.wait(again.id, until: ["COMPLETED", "FAILED"]).state == "COMPLETED")
        #expect(try await env.count("raw") == files * rows)
        #expect(try await env.count("clean") == files * rows)
        #expect(try await env.count("spin") == 1)
    }

    @Test func continuousProcessesNewFilesUntilStopped() async throws {
        let env = try Env(yaml: "name: p\ncatalog: main\nschema: s1\ncontinuous: true\nconfiguration: {pipelines.trigger.interval: 200 ms}\n")
        defer { try? FileManager.default.removeItem(at: env.root) }
        let p = try await env.service.save(rootPath: env.dir.path, name: nil, creator: "t")
        try env.file("a.csv", from: 0, count: 5)
        let u = try await env.service.start(p.id, fullRefresh: false)
        func waitCount(_ t: String, _ n: Int) async throws -> Bool {
            for _ in 0..<300 {
                if try await env.count(t) == n { return true }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            return false
        }
        #expect(try await waitCount("clean", 5))
        let sideVersion = try await env.tables.open(try env.name("side")).record.deltaVersion
        try env.file("b.csv", from: 5, count: 3)
        #expect(try await waitCount("clean", 8))
        let total = try await env.tables.open(try env.name("total")).table
        var n: Int64 = 0
        for _ in 0..<100 {
            try await total.read { b in if case .int64(let v) = b.columns[0].values { n = v[0] } }
            if n == 8 { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(n == 8)
        #expect(try await env.service.store.update(u.id).state == "RUNNING")
        // A dataset whose inputs did not change is not refreshed by a micro-batch.
        #expect(try await env.tables.open(try env.name("side")).record.deltaVersion == sideVersion)
        let stopped = try await env.service.stop(p.id, wait: true)
        #expect(stopped?.state == "CANCELED")
        #expect(try await env.service.store.events(pipelineID: p.id).contains { $0.eventType == "micro_batch" })
    }
}

@Suite struct PipelineCTEReferenceTests {
    @Test func cteWithAColumnListIsNotAReference() throws {
        let s = PipelineSettings(name: "p")
        let def = try PipelineDefinition.build(directory: URL(fileURLWithPath: "/tmp"), settings: s, sources: [(
            "a.sql", "CREATE MATERIALIZED VIEW n AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 10), q (y) AS (SELECT x FROM r) SELECT count(*) FROM q;"
        )])
        #expect(def.datasets[0].references.isEmpty)
    }
}
