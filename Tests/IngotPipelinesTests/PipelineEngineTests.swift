import Foundation
import IngotCatalog
import IngotLake
import IngotStorage
import Testing

@testable import IngotPipelines

/// The engine seam: `engine` in pipeline.yaml selects a registered ``PipelineEngine``.
@Suite struct PipelineEngineTests {
    /// Records every statement and delegates to the embedded engine, so the run's results are real.
    final class RecordingEngine: PipelineEngine, @unchecked Sendable {
        let name = "recording"
        private let lock = NSLock()
        private var recorded: [String] = []
        var statements: [String] { lock.withLock { recorded } }
        func record(_ s: String) { lock.withLock { recorded.append(s) } }

        final class Session: SQLEngineProtocol, @unchecked Sendable {
            let inner: SQLEngine
            let owner: RecordingEngine
            init(_ inner: SQLEngine, _ owner: RecordingEngine) {
                self.inner = inner
                self.owner = owner
            }
            var currentCatalog: String { inner.currentCatalog }
            var currentSchema: String { inner.currentSchema }
            func execute(_ sql: String, _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
                owner.record(sql)
                return try await inner.execute(sql, body)
            }
            func query(_ sql: String, maxRows: Int?) async throws -> SQLResult {
                owner.record(sql)
                return try await inner.query(sql, maxRows: maxRows)
            }
            func cancel() { inner.cancel() }
        }

        func session(resolver: any TableResolver, options: SQLEngineOptions) throws -> any SQLEngineProtocol {
            Session(try SQLEngine(resolver: resolver, options: options), self)
        }
    }

    struct Env {
        let root: URL
        let tables: TableService
        let service: PipelineService
        let dir: URL

        init(engine yamlEngine: String?, engines: PipelineEngineRegistry) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-engine-\(UUID().uuidString)")
            dir = root.appendingPathComponent("pipe")
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("landing"), withIntermediateDirectories: true)
            let metadata = try MetadataStore(inMemoryWith: CatalogModule.migrations + CatalogMetadataModule.migrations + PipelinesModule.migrations)
            try metadata.migrate()
            tables = TableService(namespace: NamespaceStore(metadata: metadata), objects: try LocalObjectStore(root: root.appendingPathComponent("data")))
            service = PipelineService(metadata: metadata, tables: tables, engines: engines)
            try ("name: p\ncatalog: main\nschema: e1\n" + (yamlEngine.map { "engine: \($0)\n" } ?? ""))
                .write(to: dir.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
            try """
                CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing', format => 'csv');
                CREATE OR REFRESH MATERIALIZED VIEW total (CONSTRAINT pos EXPECT (s > 0)) AS SELECT count(*) AS n, sum(v) AS s FROM raw;
                """.write(to: dir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
            try "id,v\n1,5\n2,7\n".write(to: dir.appendingPathComponent("landing/a.csv"), atomically: true, encoding: .utf8)
        }

        func run() async throws -> String {
            let p = try await service.save(rootPath: dir.path, name: nil, creator: "t")
            let u = try await service.store.createUpdate(pipelineID: p.id, fullRefresh: false)
            return await service.runner.run(pipeline: p, update: u)
        }
    }

    @Test func settingSelectsTheRegisteredEngine() async throws {
        let recording = RecordingEngine()
        var engines = PipelineEngineRegistry.standard
        engines.register(recording)
        #expect(engines.names == ["embedded", "recording"])
        let env = try Env(engine: "recording", engines: engines)
        defer { try? FileManager.default.removeItem(at: env.root) }
        #expect(try await env.run() == "COMPLETED")
        let statements = recording.statements
        // Both datasets' writes and the expectation counts went through the selected engine.
        #expect(statements.contains { $0.hasPrefix("CREATE TABLE `main`.`e1`.`raw`") })
        #expect(statements.contains { $0.hasPrefix("CREATE TABLE `main`.`e1`.`total`") })
        #expect(statements.contains { $0.contains("sum(CASE WHEN (s > 0)") })
        let (_, t) = try await env.tables.open(try TableName(catalog: "main", schema: "e1", table: "total"))
        var rows = 0
        try await t.read { rows += $0.numRows }
        #expect(rows == 1)
    }

    @Test func defaultIsEmbeddedAndTheRecordingEngineIsNotUsed() async throws {
        let recording = RecordingEngine()
        var engines = PipelineEngineRegistry.standard
        engines.register(recording)
        for setting in [nil, "embedded", "EMBEDDED"] as [String?] {
            let env = try Env(engine: setting, engines: engines)
            defer { try? FileManager.default.removeItem(at: env.root) }
            #expect(try await env.run() == "COMPLETED")
        }
        #expect(recording.statements.isEmpty)
    }

    @Test func unknownEngineIsAValidationErrorAtCreate() async throws {
        let env = try Env(engine: "spark", engines: .standard)
        defer { try? FileManager.default.removeItem(at: env.root) }
        let error = await #expect(throws: PipelineError.self) { _ = try await env.service.save(rootPath: env.dir.path, name: nil, creator: "t") }
        #expect(error?.message.contains("'engine'") == true)
        #expect(error?.message.contains("unknown engine 'spark'") == true)
        #expect(error?.message.contains("known engines: embedded") == true)
    }
}
