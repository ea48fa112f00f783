import Foundation
import IngotStorage
import Testing
@testable import IngotLake

private func logDir(_ dir: URL, _ key: String) -> URL { dir.appendingPathComponent(key + "/_delta_log") }

@Suite struct DeltaCheckpointTests {
    @Test func checkpointEveryTenCommitsAndTimeTravel() async throws {
        let (store, dir) = try tableStore()
        let key = "warehouse/main/default/cp"
        let t = try LakeTable(store: store, key: key)
        try await t.create(schema: try smallBatch(0..<1).schema, partitionColumns: ["region"])
        var expected: [[Int64]] = [[]]
        for v in 1...12 {
            let lo = Int64(v * 10)
            if v == 7 {
                try await t.overwrite([try smallBatch(lo..<lo + 3, region: { $0 % 3 == 0 ? nil : "eu" })])
                expected.append(Array(lo..<lo + 3))
            } else {
                try await t.append([try smallBatch(lo..<lo + 3, region: { $0 % 3 == 0 ? nil : "eu" })])
                expected.append((expected.last ?? []) + Array(lo..<lo + 3))
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: logDir(dir, key).path).sorted()
        #expect(files.contains("00000000000000000010.checkpoint.parquet"))
        #expect(!files.contains("00000000000000000005.checkpoint.parquet"))
        let last = try LakeJSON.parse(try Data(contentsOf: logDir(dir, key).appendingPathComponent("_last_checkpoint")))
        #expect(last["version"]?.int == 10)
        let full = try await t.log.snapshot()
        #expect(try await t.log.readLastCheckpoint() == 10)
        // The checkpoint file alone reproduces version 10.
        let cp = try await t.log.checkpointSnapshot(upTo: 12, commits: try await t.log.listCommits())
        #expect(cp?.version == 10)
        let ten = try await t.log.snapshot(version: 10, from: try await t.log.snapshot(version: 9))
        #expect(cp?.files.map(\.path) == ten.files.map(\.path))
        #expect(cp?.files.map(\.partitionValues) == ten.files.map(\.partitionValues))
        #expect(cp?.files.map(\.stats) == ten.files.map(\.stats))
        #expect(cp?.metadata == ten.metadata)
        #expect(cp?.proto == ten.proto)
        for v in 0...12 { #expect(try await ids(t, .version(Int64(v))) == expected[v].sorted(), "version \(v)") }
        // Without the early JSON commits, the checkpoint carries the table.
        for v in 0..<10 { try FileManager.default.removeItem(at: logDir(dir, key).appendingPathComponent(DeltaLog.commitName(Int64(v)))) }
        let again = try await t.log.snapshot()
        #expect(again.files == full.files)
        #expect(try await ids(t) == expected[12].sorted())
        #expect(try await ids(t, .version(10)) == expected[10].sorted())
        await #expect(throws: TableError.self) { try await t.snapshot(.version(5)) }
        // More commits keep working on top of the checkpoint.
        try await t.append([try smallBatch(500..<502)])
        #expect(try await ids(t) == (expected[12] + [500, 501]).sorted())
    }

    @Test func intervalPropertyAndStaleLastCheckpoint() async throws {
        let (store, dir) = try tableStore()
        let key = "warehouse/main/default/cp3"
        let t = try LakeTable(store: store, key: key)
        try await t.create(schema: try smallBatch(0..<1).schema, properties: ["delta.checkpointInterval": "3"])
        for v in 1...7 { try await t.append([try smallBatch(Int64(v * 10)..<Int64(v * 10 + 2))]) }
        let files = try FileManager.default.contentsOfDirectory(atPath: logDir(dir, key).path)
        for v in [3, 6] { #expect(files.contains(DeltaCheckpoint.fileName(Int64(v)))) }
        #expect(try await t.log.readLastCheckpoint() == 6)
        // _last_checkpoint pointing at a missing checkpoint: the newest file is used instead.
        try Data(#"{"version":99,"size":3}"#.utf8).write(to: logDir(dir, key).appendingPathComponent("_last_checkpoint"))
        let snap = try await t.log.snapshot()
        #expect(snap.version == 7)
        #expect(try await ids(t).count == 14)
        // Missing _last_checkpoint and early commits gone.
        try FileManager.default.removeItem(at: logDir(dir, key).appendingPathComponent("_last_checkpoint"))
        for v in 0..<6 { try FileManager.default.removeItem(at: logDir(dir, key).appendingPathComponent(DeltaLog.commitName(Int64(v)))) }
        #expect(try await ids(t).count == 14)
        #expect(try await ids(t, .version(6)).count == 12)
    }

    @Test func checkpointColumnsAndTxns() async throws {
        let (store, _) = try tableStore()
        let log = DeltaLog(store: store, tableKey: "warehouse/main/default/raw")
        let meta = DeltaMetadata(id: "m", schemaString: DeltaSchema.string(Schema([Field("id", .int64), Field("p", .string)])), partitionColumns: ["p"],
                                 configuration: ["k": "v"], createdTime: 5)
        _ = try await log.commit([.protocol(DeltaProtocol()), .metaData(meta), .txn(appId: "app", version: 3, lastUpdated: 9),
                                  .add(DeltaAdd(path: "p=a/f1.parquet", partitionValues: ["p": "a"], size: 10, modificationTime: 1, stats: #"{"numRecords":2}"#)),
                                  .add(DeltaAdd(path: "p=__HIVE_DEFAULT_PARTITION__/f2.parquet", partitionValues: ["p": nil], size: 11, modificationTime: 2))],
                                 readVersion: nil, reads: .none)
        let snap = try await log.snapshot()
        try await log.writeCheckpoint(snap)
        let r = try await ParquetReader.open(try await ObjectSource(store: store, key: log.logPrefix + DeltaCheckpoint.fileName(0)))
        #expect(r.columns.map(\.field.name) == ["txn", "add", "remove", "metaData", "protocol"])
        #expect(r.numRows == 5)
        let actions = try await DeltaCheckpoint.readActions(store, keys: [log.logPrefix + DeltaCheckpoint.fileName(0)])
        #expect(actions.contains(.txn(appId: "app", version: 3, lastUpdated: 9)))
        let adds = actions.compactMap { if case .add(let a) = $0 { return a }; return nil }
        #expect(adds.map(\.path) == ["p=__HIVE_DEFAULT_PARTITION__/f2.parquet", "p=a/f1.parquet"])
        #expect(adds[0].partitionValues == ["p": nil])
        #expect(adds[1].partitionValues == ["p": "a"])
        #expect(adds[1].stats == #"{"numRecords":2}"#)
        #expect(adds.allSatisfy { !$0.dataChange })
        #expect(actions.contains(.metaData(meta)))
        // Tombstones: a recent remove is carried, an expired one is not; txns keep the newest version.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        _ = try await log.commit([.remove(DeltaRemove(path: "p=a/f1.parquet", deletionTimestamp: now, partitionValues: ["p": "a"], size: 10)),
                                  .txn(appId: "app", version: 4, lastUpdated: 10)], readVersion: 0, reads: .none)
        _ = try await log.commit([.remove(DeltaRemove(path: "p=__HIVE_DEFAULT_PARTITION__/f2.parquet", deletionTimestamp: now - 8 * 86_400_000))],
                                 readVersion: 1, reads: .none)
        try await log.writeCheckpoint(try await log.snapshot())
        let later = try await DeltaCheckpoint.readActions(store, keys: [log.logPrefix + DeltaCheckpoint.fileName(2)])
        let removes = later.compactMap { if case .remove(let r) = $0 { return r }; return nil }
        #expect(removes.map(\.path) == ["p=a/f1.parquet"])
        #expect(removes.first?.partitionValues == ["p": "a"])
        #expect(later.contains(.txn(appId: "app", version: 4, lastUpdated: 10)))
        #expect(!later.contains { if case .add = $0 { return true }; return false })
        #expect(try await log.snapshot().files.isEmpty)
        #expect(DeltaCheckpoint.retentionMillis("interval 2 days") == 2 * 86_400_000)
    }

    @Test func nestedDeltaSchemaString() throws {
        let schema = Schema([Field("l", .listOf(.int32), id: 1), Field("m", .mapOf(.string, .int64, valueNullable: false), id: 2),
                             Field("s", .struct([Field("a", .string, id: 4), Field("b", .listOf(.struct([Field("c", .bool, id: 6)])), id: 5)]), id: 3)])
        let text = DeltaSchema.string(schema)
        #expect(text.contains(#""type":"array""#))
        let back = try DeltaSchema.parse(text)
        #expect(back == schema)
    }

    @Test func multiPartCheckpoint() async throws {
        let (store, _) = try tableStore()
        let log = DeltaLog(store: store, tableKey: "warehouse/main/default/mp")
        let meta = DeltaMetadata(id: "m", schemaString: DeltaSchema.string(Schema([Field("id", .int64)])), partitionColumns: [], configuration: [:], createdTime: 5)
        var actions: [DeltaAction] = [.protocol(DeltaProtocol()), .metaData(meta)]
        for k in 0..<5 { actions.append(.add(DeltaAdd(path: "f\(k).parquet", partitionValues: [:], size: Int64(k), modificationTime: 1))) }
        _ = try await log.commit(actions, readVersion: nil, reads: .none)
        _ = try await log.commit([.add(DeltaAdd(path: "g.parquet", partitionValues: [:], size: 1, modificationTime: 1))], readVersion: 0, reads: .none)
        let batch = try DeltaCheckpoint.batch(try await log.snapshot(version: 0), txns: [])
        for (part, range) in [(1, 0..<3), (2, 3..<batch.numRows)] {
            let sink = MemorySink()
            let w = try ParquetWriter(sink: sink, schema: DeltaCheckpoint.schema)
            try await w.write(batch.slice(range))
            try await w.close()
            try await store.put(log.logPrefix + "00000000000000000000.checkpoint.000000000\(part).0000000002.parquet", sink.bytes)
        }
        try await store.delete(log.logPrefix + DeltaLog.commitName(0))
        let snap = try await log.snapshot()
        #expect(snap.files.map(\.path) == ["f0.parquet", "f1.parquet", "f2.parquet", "f3.parquet", "f4.parquet", "g.parquet"])
        // An incomplete multi-part checkpoint is not used.
        try await store.delete(log.logPrefix + "00000000000000000000.checkpoint.0000000002.0000000002.parquet")
        await #expect(throws: TableError.self) { try await log.snapshot() }
    }

    @Test func failedCheckpointDoesNotFailTheCommit() async throws {
        let (store, dir) = try tableStore()
        let key = "warehouse/main/default/cpfail"
        let t = try LakeTable(store: store, key: key)
        try await t.create(schema: try smallBatch(0..<1).schema, properties: ["delta.checkpointInterval": "2"])
        // A directory where the checkpoint file should go makes writing it fail.
        try FileManager.default.createDirectory(at: logDir(dir, key).appendingPathComponent(DeltaCheckpoint.fileName(2) + "/x"), withIntermediateDirectories: true)
        try await t.append([try smallBatch(0..<2)])
        #expect(try await t.append([try smallBatch(2..<4)]) == 2)
        #expect(try await t.log.readLastCheckpoint() == nil)
        #expect(try await ids(t) == [0, 1, 2, 3])
        try await t.append([try smallBatch(4..<5)])
        try await t.append([try smallBatch(5..<6)])
        #expect(try await t.log.readLastCheckpoint() == 4)
        #expect(try await ids(t) == [0, 1, 2, 3, 4, 5])
    }
}
