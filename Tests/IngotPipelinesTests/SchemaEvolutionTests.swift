import Foundation
import IngotCatalog
import IngotLake
import Testing

@testable import IngotPipelines

/// Auto Loader schema inference, evolution modes and `_rescued_data`.
@Suite struct SchemaEvolutionTests {
    func setUp(_ env: PipelineRunnerTests.Env, format: String, mode: String?) throws {
        let option = mode.map { ", schemaEvolutionMode => '\($0)'" } ?? ""
        try "CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing', format => '\(format)'\(option));\n"
            .write(to: env.pipelineDir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
    }

    func write(_ env: PipelineRunnerTests.Env, _ name: String, _ text: String) throws {
        try text.write(to: env.pipelineDir.appendingPathComponent("landing/\(name)"), atomically: true, encoding: .utf8)
    }

    func query(_ env: PipelineRunnerTests.Env, _ sql: String) async throws -> [[String]] {
        let engine = try SQLEngine(resolver: NamespaceTableResolver(tables: env.tables, owner: "t"), options: SQLEngineOptions(catalog: "main", schema: "s1"))
        return try await engine.query(sql).textRows
    }

    func columns(_ env: PipelineRunnerTests.Env) async throws -> [String] {
        let (_, t) = try await env.tables.open(try TableName(catalog: "main", schema: "s1", table: "raw"))
        return try await t.snapshot().schema.fields.map(\.name)
    }

    func lastError(_ env: PipelineRunnerTests.Env, _ p: PipelineRecord) async throws -> String {
        try await env.service.store.updates(pipelineID: p.id).first?.error ?? ""
    }

    @Test(arguments: ["csv", "json"])
    func addNewColumnsByDefaultAndRescuesMismatches(format: String) async throws {
        let env = try PipelineRunnerTests.Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        try setUp(env, format: format, mode: nil)
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        if format == "csv" {
            try write(env, "a.csv", "id,v\n1,10\n2,20\n")
        } else {
            try write(env, "a.json", "{\"id\": 1, \"v\": 10}\n{\"id\": 2, \"v\": 20}\n")
        }
        var (state, _) = try await env.run(p)
        #expect(state == "COMPLETED")
        #expect(try await columns(env) == ["id", "v", "_rescued_data"])
        // A later file: a new column, and a value that doesn't fit the INT column.
        if format == "csv" {
            try write(env, "b.csv", "id,v,extra\n3,abc,x\n4,40,y\n")
        } else {
            try write(env, "b.json", "{\"id\": 3, \"v\": \"abc\", \"extra\": \"x\"}\n{\"id\": 4, \"v\": 40, \"extra\": \"y\"}\n")
        }
        (state, _) = try await env.run(p)
        let error = try await lastError(env, p)
        #expect(state == "COMPLETED", "\(error)")
        #expect(try await columns(env) == ["id", "v", "_rescued_data", "extra"])
        let rows = try await query(env, "SELECT id, v, extra, _rescued_data FROM raw ORDER BY id")
        #expect(rows.count == 4)
        #expect(rows[0] == ["1", "10", "NULL", "NULL"])
        #expect(rows[2][0] == "3" && rows[2][1] == "NULL" && rows[2][2] == "x")
        let rescued = try JSONSerialization.jsonObject(with: Data(rows[2][3].utf8)) as? [String: String]
        #expect(rescued?["v"] == "abc")
        #expect(rescued?["_file_path"]?.hasSuffix("landing/b.\(format)") == true)
        #expect(rows[3] == ["4", "40", "y", "NULL"])
    }

    @Test func rescueModeKeepsNewColumnsInRescuedData() async throws {
        let env = try PipelineRunnerTests.Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        try setUp(env, format: "json", mode: "rescue")
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        try write(env, "a.json", "{\"id\": 1, \"v\": 10}\n")
        _ = try await env.run(p)
        try write(env, "b.json", "{\"id\": 2, \"v\": 20, \"extra\": \"x\"}\nnot json at all\n")
        let (state, _) = try await env.run(p)
        #expect(state == "COMPLETED")
        #expect(try await columns(env) == ["id", "v", "_rescued_data"])
        let rows = try await query(env, "SELECT id, _rescued_data FROM raw ORDER BY id NULLS LAST")
        #expect(rows.count == 3)
        let two = try JSONSerialization.jsonObject(with: Data(rows[1][1].utf8)) as? [String: String]
        #expect(rows[1][0] == "2" && two?["extra"] == "x")
        // The malformed line is not lost.
        let bad = try JSONSerialization.jsonObject(with: Data(rows[2][1].utf8)) as? [String: String]
        #expect(rows[2][0] == "NULL" && bad?["_raw"] == "not json at all")
    }

    @Test func csvRescueModeAndNoneMode() async throws {
        for mode in ["rescue", "none"] {
            let env = try PipelineRunnerTests.Env()
            defer { try? FileManager.default.removeItem(at: env.root) }
            try setUp(env, format: "csv", mode: mode)
            let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
            try write(env, "a.csv", "id,v\n1,10\n")
            _ = try await env.run(p)
            try write(env, "b.csv", "id,extra,v\n2,x,20\n3,y,zz\n")
            let (state, _) = try await env.run(p)
            #expect(state == "COMPLETED")
            #expect(try await columns(env) == ["id", "v", "_rescued_data"])
            let rows = try await query(env, "SELECT id, v, _rescued_data FROM raw ORDER BY id")
            #expect(rows.map { Array($0.prefix(2)) } == [["1", "10"], ["2", "20"], ["3", "NULL"]])
            let two = AutoLoaderReader.object(rows[1][2] == "NULL" ? nil : rows[1][2])
            let three = AutoLoaderReader.object(rows[2][2])
            if mode == "rescue" {
                #expect(two["extra"] as? String == "x")
                #expect(three["extra"] as? String == "y" && three["v"] as? String == "zz")
            } else {
                #expect(two.isEmpty)
                #expect(three["extra"] == nil && three["v"] as? String == "zz")
            }
        }
    }

    @Test func failOnNewColumnsNamesFileAndColumns() async throws {
        let env = try PipelineRunnerTests.Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        try setUp(env, format: "csv", mode: "failOnNewColumns")
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        try write(env, "a.csv", "id,v\n1,10\n")
        _ = try await env.run(p)
        try write(env, "b.csv", "id,v,extra,more\n2,20,x,y\n")
        let (state, _) = try await env.run(p)
        #expect(state == "FAILED")
        let error = try await lastError(env, p)
        #expect(error.contains("b.csv") && error.contains("extra, more") && error.contains("p.sql:1"), "\(error)")
        #expect(try await query(env, "SELECT count(*) FROM raw") == [["1"]])
    }

    @Test func schemaIsKeptAcrossRuns() async throws {
        let env = try PipelineRunnerTests.Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        try setUp(env, format: "csv", mode: nil)
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        try write(env, "a.csv", "id,v\n1,10\n")
        _ = try await env.run(p)
        // A later file whose own inference would make v a string: the kept INT type wins, "n/a" is rescued.
        try write(env, "b.csv", "id,v\n2,n/a\n3,30\n")
        let (state, _) = try await env.run(p)
        #expect(state == "COMPLETED")
        let cp = try await env.service.store.checkpoint(pipelineID: p.id, dataset: "raw")
        #expect(cp.schemas?["landing"]?.fields.map { $0[0] } == ["id", "v"])
        #expect(try await query(env, "SELECT id, v FROM raw ORDER BY id") == [["1", "10"], ["2", "NULL"], ["3", "30"]])
        #expect(try await query(env, "SELECT count(*) FROM raw WHERE _rescued_data LIKE '%n/a%'") == [["1"]])
    }
}
