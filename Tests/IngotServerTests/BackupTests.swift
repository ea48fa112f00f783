import Foundation
import IngotCatalog
import IngotCore
import IngotLake
import IngotStorage
import Testing

@testable import IngotServer

/// `ingot backup` / `ingot restore` (DataBackup, DataRestore) on a data directory a server uses.
@Suite struct BackupTests {
    static func batch(_ ids: Range<Int64>) throws -> RecordBatch {
        var a = ColumnBuilder(type: .int64)
        for v in ids { a.append(.int(v)) }
        return try RecordBatch(schema: Schema([Field("id", .int64)]), columns: [a.finish()])
    }

    static func ids(_ table: LakeTable) async throws -> [Int64] {
        var out: [Int64] = []
        try await table.read { b in for r in 0..<b.numRows { if case .int(let v) = b.columns[0].value(at: r) { out.append(v) } } }
        return out.sorted()
    }

    @Test func tablesAtTheirCommittedVersionAndVerifiedRestore() async throws {
        let services = try ServerTests.makeServices()
        let data = services.config.dataDirectoryURL
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-bk-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: tmp)
        }
        _ = try await services.tables.namespace.createSchema(catalog: "main", name: "bk", owner: "admin")
        let name = try TableName(parsing: "main.bk.t")
        _ = try await services.tables.create(name, schema: Schema([Field("id", .int64)]), owner: "admin")
        for i in 0..<12 {  // past the checkpoint at version 10
            let (_, t) = try await services.tables.open(name)
            let v = try await t.append([try Self.batch(Int64(i * 10)..<Int64(i * 10 + 10))])
            try await services.tables.committed(name, table: t, version: v)
        }
        let (record, table) = try await services.tables.open(name)
        #expect(record.deltaVersion == 12)
        // A racing writer's data file, written before its commit: not referenced, so not copied.
        let folder = data.appendingPathComponent(record.storageLocation)
        try Data("not yet committed".utf8).write(to: folder.appendingPathComponent("part-racing.parquet"))

        let progress = ProgressLog()
        let manifest = try DataBackup(dataDirectory: data, progress: { progress.add($0.phase) }).run(to: tmp.appendingPathComponent("b"))
        #expect(progress.phases.contains("metadata") && progress.phases.last == "done")
        let entry = try #require(manifest.tables.first { $0.name == "main.bk.t" })
        #expect(entry.deltaVersion == 12 && entry.catalogVersion == 12)
        #expect(entry.dataFiles == 12)  // the CREATE wrote no data file
        let copied = Set(manifest.files.map(\.path))
        #expect(!copied.contains(record.storageLocation + "/part-racing.parquet"))
        #expect(copied.contains(record.storageLocation + "/_delta_log/00000000000000000010.checkpoint.parquet"))
        #expect(copied.contains(record.storageLocation + "/_delta_log/00000000000000000012.json"))
        #expect(copied.contains(record.storageLocation + "/metadata/v13.metadata.json"))
        // A second backup into a non-empty folder is refused.
        #expect(throws: BackupError.self) { _ = try DataBackup(dataDirectory: data).run(to: tmp.appendingPathComponent("b")) }

        // Restore: refused when a file is damaged, refused into a non-empty folder, then done.
        let target = tmp.appendingPathComponent("restored")
        let damaged = tmp.appendingPathComponent("b/data/" + record.storageLocation + "/_delta_log/00000000000000000003.json")
        let original = try Data(contentsOf: damaged)
        try (original + Data("x".utf8)).write(to: damaged)
        let err = #expect(throws: BackupError.self) { _ = try DataRestore(backup: tmp.appendingPathComponent("b"), target: target).run() }
        #expect(err?.description.contains("checksum mismatch") == true)
        #expect(!FileManager.default.fileExists(atPath: target.path))
        try original.write(to: damaged)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: target.appendingPathComponent("stray"))
        #expect(throws: BackupError.self) { _ = try DataRestore(backup: tmp.appendingPathComponent("b"), target: target).run() }
        _ = try DataRestore(backup: tmp.appendingPathComponent("b"), target: target, force: true).run()
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("stray").path))

        var config = IngotConfig()
        config.dataDir = target.path
        let restored = try IngotServices.open(config: config)
        let (r2, t2) = try await restored.tables.open(name)
        #expect(r2.deltaVersion == 12)
        #expect(try await Self.ids(t2) == (try await Self.ids(table)))
        #expect(try await Self.ids(t2).count == 120)
    }

    final class ProgressLog: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ s: String) { lock.withLock { list.append(s) } }
        var phases: [String] { lock.withLock { list } }
    }
}
