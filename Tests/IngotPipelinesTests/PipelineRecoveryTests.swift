import Foundation
import IngotCatalog
import IngotLake
import Testing

@testable import IngotPipelines

/// Exactly-once across interruptions (PipelineRecovery.swift): reads across Delta checkpoints, full
/// refreshes cut short, tables left in storage without their namespace record.
@Suite struct PipelineRecoveryTests {
    typealias Env = PipelineRunnerTests.Env

    @Test func streamReadsOnlyNewFilesAcrossDeltaCheckpoints() async throws {
        let env = try Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        // Twelve runs: raw passes version 10, where a Delta checkpoint is written and snapshots start from it.
        for k in 1...12 {
            try env.file(String(format: "f%02d.csv", k), [(2 * k, k), (2 * k + 1, -k)])
            let (state, m) = try await env.run(p)
            #expect(state == "COMPLETED")
            #expect(m["clean"]?.inputRecords == 2, "run \(k)")
            #expect(try await env.count("raw") == 2 * k)
            #expect(try await env.count("clean") == k, "run \(k)")
        }
    }

    @Test func aFullRefreshCutShortIsFinishedByTheNextRun() async throws {
        let env = try Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        try env.file("a.csv", [(1, 5), (2, -1), (3, 7)])
        _ = try await env.run(p)
        // A full refresh marked both streaming tables, rebuilt raw (a new Delta table), then stopped
        // (crash) in the middle of dropping clean: its namespace record is gone, its files are not.
        try await env.service.store.markFullRefresh(pipelineID: p.id, datasets: ["raw", "clean"])
        let raw = try TableName(catalog: "main", schema: "s1", table: "raw")
        try await env.tables.drop(raw)
        try await env.service.store.saveCheckpoint(pipelineID: p.id, dataset: "raw", nil)
        _ = try await env.tables.namespace.deleteTable(try TableName(catalog: "main", schema: "s1", table: "clean"))

        // An ordinary run finishes the refresh: clean is reset and reads the new raw once.
        try env.file("b.csv", [(4, 1)])
        let (state, m) = try await env.run(p)
        #expect(state == "COMPLETED")
        #expect(m["raw"]?.inputFiles == 2 && m["clean"]?.inputRecords == 4)
        #expect(try await env.count("raw") == 4)
        #expect(try await env.count("clean") == 3)
        #expect(try await env.service.store.checkpoint(pipelineID: p.id, dataset: "clean").refresh == nil)
        // And the run after it is incremental again.
        let (_, m2) = try await env.run(p)
        #expect(m2["raw"]?.inputFiles == 0 && m2["clean"]?.inputRecords == 0)
    }

    @Test func aTableWrittenButNotRecordedIsAdopted() async throws {
        let env = try Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        let p = try await env.service.save(rootPath: env.pipelineDir.path, name: nil, creator: "t")
        try env.file("a.csv", [(1, 5), (2, -1), (3, 7)])
        _ = try await env.run(p)
        // A crash after clean's first Delta commit, before its namespace record (and its checkpoint):
        // the pending write names the files that commit holds.
        let clean = try TableName(catalog: "main", schema: "s1", table: "clean")
        var cp = try await env.service.store.checkpoint(pipelineID: p.id, dataset: "clean")
        cp.pending = .init(files: [], sources: cp.sources, baseVersion: -1)
        cp.sources = [:]
        try await env.service.store.saveCheckpoint(pipelineID: p.id, dataset: "clean", cp)
        _ = try await env.tables.namespace.deleteTable(clean)
        // Likewise the materialized view's first commit.
        _ = try await env.tables.namespace.deleteTable(try TableName(catalog: "main", schema: "s1", table: "total"))

        let (state, m) = try await env.run(p)
        #expect(state == "COMPLETED")
        #expect(m["clean"]?.inputRecords == 0)
        #expect(try await env.count("clean") == 2)
        #expect(try await env.count("total") == 1)
    }
}
