import Foundation
import IngotCatalog
import IngotLake
import IngotStorage
import Testing

@testable import IngotPipelines

/// Runs small pipelines in process (in-memory metadata, a temporary data directory).
@Suite struct PipelineRunnerTests {
    struct Env {
        let root: URL
        let tables: TableService
        let service: PipelineService
        let pipelineDir: URL

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-pipe-\(UUID().uuidString)")
            pipelineDir = root.appendingPathComponent("pipe")
            try FileManager.default.createDirectory(at: pipelineDir.appendingPathComponent("landing"), withIntermediateDirectories: true)
            let metadata = try MetadataStore(inMemoryWith: CatalogModule.migrations + CatalogMetadataModule.migrations + PipelinesModule.migrations)
            try metadata.migrate()
            let objects = try LocalObjectStore(root: root.appendingPathComponent("data"))
            tables = TableService(namespace: NamespaceStore(metadata: metadata), objects: objects)
            service = PipelineService(metadata: metadata, tables: tables)
            try "name: p\ncatalog: main\nschema: s1\n".write(to: pipelineDir.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
            try """
                CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing', format => 'csv');
                CREATE OR REFRESH STREAMING TABLE clean (CONSTRAINT pos EXPECT (v > 0) ON VIOLATION DROP ROW) AS SELECT id, v FROM STREAM(raw);
                CREATE OR REFRESH MATERIALIZED VIEW total AS SELECT count(*) AS n, sum(v) AS s FROM clean;
                """.write(to: pipelineDir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
        }

        func file(_ name: String, _ rows: [(Int, Int)]) throws {
            let text = "id,v\n" + rows.map { "\($0.0),\($0.1)\n" }.joined()
            try text.write(to: pipelineDir.appendingPathComponent("landing/\(name)"), atomically: true, encoding: .utf8)
        }

        func run(_ p: PipelineRecord, fullRefresh: Bool = false) async throws -> (String, [String: DatasetMetrics]) {
            let u = try await service.store.createUpdate(pipelineID: p.id, fullRefresh: fullRefresh)
            let state = await service.runner.run(pipeline: p, update: u)
            let m = try await service.store.metrics(u.id)
            return (state, Dictionary(uniqueKeysWithValues: m.map { ($0.dataset, $0) }))
        }

        func count(_ table: String) async throws -> Int {
            let (_, t) = try await tables.open(try TableName(catalog: "main", schema: "s1", table: table))
            var n = 0
            try await t.read { n += $0.numRows }
            return n
        }
    }

    @Test func incrementalRunsAndCrashRecovery() async throws {
        let env = try Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        try env.file("a.csv", [(1, 5), (2, -1), (3, 7)])
        var (state, m) = try await env.run(p)
        #expect(state == "COMPLETED")
        #expect(m["raw"]?.inputFiles == 1 && m["raw"]?.outputRecords == 3)
        #expect(m["clean"]?.droppedRecords == 1 && m["clean"]?.outputRecords == 2)
        #expect(m["total"]?.outputRecords == 1)

        // A crash after the table commit but before the checkpoint: the pending write is resolved
        // against the table version and the file is not loaded again.
        try env.file("b.csv", [(4, 1)])
        (state, m) = try await env.run(p)
        #expect(m["raw"]?.inputFiles == 1 && m["raw"]?.inputRecords == 1)
        var cp = try await env.service.store.checkpoint(pipelineID: p.id, dataset: "raw")
        let rawVersion = try await env.tables.open(try TableName(catalog: "main", schema: "s1", table: "raw")).record.deltaVersion!
        let b = cp.files.last!
        cp.files.removeLast()
        cp.pending = .init(files: [b], sources: [:], baseVersion: rawVersion - 1)
        try await env.service.store.saveCheckpoint(pipelineID: p.id, dataset: "raw", cp)
        (state, m) = try await env.run(p)
        #expect(m["raw"]?.inputFiles == 0)
        #expect(try await env.count("raw") == 4)

        // A crash before the commit: the pending files are read again (once).
        try env.file("c.csv", [(5, 2)])
        cp = try await env.service.store.checkpoint(pipelineID: p.id, dataset: "raw")
        cp.pending = .init(files: [env.pipelineDir.appendingPathComponent("landing/c.csv").standardizedFileURL.path], sources: [:], baseVersion: rawVersion)
        try await env.service.store.saveCheckpoint(pipelineID: p.id, dataset: "raw", cp)
        (state, m) = try await env.run(p)
        #expect(m["raw"]?.inputFiles == 1)
        #expect(try await env.count("raw") == 5)
        #expect(try await env.count("clean") == 4)

        (state, m) = try await env.run(p, fullRefresh: true)
        #expect(state == "COMPLETED")
        #expect(m["raw"]?.inputFiles == 3 && m["clean"]?.inputRecords == 5)
        #expect(try await env.count("clean") == 4)
    }

    @Test func failExpectationNamesDatasetAndRecord() async throws {
        let env = try Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        try """
            CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing', format => 'csv');
            CREATE OR REFRESH MATERIALIZED VIEW checked (CONSTRAINT small EXPECT (v < 100) ON VIOLATION FAIL UPDATE) AS SELECT id, v FROM raw;
            """.write(to: env.pipelineDir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        try env.file("a.csv", [(1, 5), (2, 500)])
        let (state, m) = try await env.run(p)
        #expect(state == "FAILED")
        #expect(m["checked"]?.state == "FAILED")
        let u = try await env.service.store.updates(pipelineID: p.id).first!
        #expect(u.error?.contains("'small'") == true && u.error?.contains("'checked'") == true && u.error?.contains("\"v\":\"500\"") == true)
        #expect(try await env.tables.namespace.tableIfExists(try TableName(catalog: "main", schema: "s1", table: "checked")) == nil)
    }
}
