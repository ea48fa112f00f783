import Foundation
import IngotStorage
import Testing
@testable import IngotLake

/// A fresh data directory with a local object store.
func tableStore() throws -> (LocalObjectStore, URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-tables-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return (try LocalObjectStore(root: dir), dir)
}

func smallBatch(_ ids: Range<Int64>, region: (Int64) -> String? = { ["eu", "us"][Int($0 % 2)] }) throws -> RecordBatch {
    var id = ColumnBuilder(type: .int64), name = ColumnBuilder(type: .string), reg = ColumnBuilder(type: .string), day = ColumnBuilder(type: .date)
    for i in ids {
        id.append(.int(i))
        name.append(i % 5 == 0 ? nil : .string("n\(i)"))
        reg.append(region(i).map { .string($0) })
        day.append(.int(20_000 + i % 3))
    }
    let schema = Schema([Field("id", .int64, nullable: false), Field("name", .string), Field("region", .string), Field("day", .date)])
    return try RecordBatch(schema: schema, columns: [id.finish(), name.finish(), reg.finish(), day.finish()])
}

func ids(_ t: LakeTable, _ v: TableVersion = .latest) async throws -> [Int64] {
    var out: [Int64] = []
    try await t.read(v, columns: ["id"]) { b in
        guard case .int64(let xs) = b.columns[0].values else { return }
        out += xs
    }
    return out.sorted()
}

@Suite struct DeltaTests {
    @Test func actionsRoundTripAndSchemaStringIsAString() throws {
        let schema = Schema([Field("a", .int32, nullable: false, id: 1), Field("t", .timestamp(utc: true), id: 2), Field("d", .decimal(precision: 10, scale: 2), id: 3)])
        let meta = DeltaMetadata(id: "abc", schemaString: DeltaSchema.string(schema), partitionColumns: ["a"], configuration: ["k": "v"], createdTime: 5)
        let actions: [DeltaAction] = [
            .protocol(DeltaProtocol()), .metaData(meta),
            .add(DeltaAdd(path: "a=1/x%20y.parquet", partitionValues: ["a": "1"], size: 10, modificationTime: 3, stats: #"{"numRecords":4}"#)),
            .remove(DeltaRemove(path: "old.parquet", deletionTimestamp: 9)),
            .txn(appId: "app", version: 3, lastUpdated: nil), .commitInfo(.object([("operation", "WRITE")])),
            .other("domainMetadata", .object([("domain", "x")])),
        ]
        let bytes = DeltaAction.serialize(actions)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#""schemaString":"{\"type\":\"struct\""#))
        #expect(text.hasSuffix("\n"))
        #expect(try DeltaAction.parseCommit(bytes, name: "x") == actions)
        #expect(try DeltaSchema.parse(meta.schemaString) == schema)
        if case .add(let a) = actions[2] { #expect(a.numRecords == 4) }
        #expect(throws: TableError.self) { try DeltaAction.parseCommit(Array("{\"add\":{}}\n".utf8), name: "x") }
        #expect(DeltaLog.commitName(12) == "00000000000000000012.json")
    }

    @Test func conflictsAndBlindAppends() async throws {
        let (store, _) = try tableStore()
        let log = DeltaLog(store: store, tableKey: "warehouse/main/default/c")
        let meta = DeltaMetadata(id: UUID().uuidString, schemaString: DeltaSchema.string(Schema([Field("id", .int64, id: 1)])),
                                 partitionColumns: [], configuration: [:], createdTime: 1)
        let add = { (p: String) in DeltaAction.add(DeltaAdd(path: p, partitionValues: [:], size: 1, modificationTime: 1, stats: #"{"numRecords":1}"#)) }
        #expect(try await log.commit([.protocol(DeltaProtocol()), .metaData(meta), add("a")], readVersion: nil, reads: .none) == 0)
        await #expect(throws: TableError.alreadyExists("table warehouse/main/default/c already exists")) {
            try await log.commit([.protocol(DeltaProtocol()), .metaData(meta)], readVersion: nil, reads: .none)
        }
        // Writer 1 removes a (read at v0) and wins v1.
        #expect(try await log.commit([.remove(DeltaRemove(path: "a", deletionTimestamp: 2)), add("b")], readVersion: 0, reads: .files(["a"])) == 1)
        // Writer 2 also read v0 and wants to remove a: a real conflict.
        await #expect(throws: TableError.self) {
            try await log.commit([.remove(DeltaRemove(path: "a", deletionTimestamp: 2))], readVersion: 0, reads: .files(["a"]))
        }
        // A blind append that read v0 retries past v1.
        #expect(try await log.commit([add("c")], readVersion: 0, reads: .none) == 2)
        let snap = try await log.snapshot()
        #expect(snap.version == 2)
        #expect(snap.files.map(\.path) == ["b", "c"])
        #expect(snap.addedVersion == ["b": 1, "c": 2])
        #expect(try await log.snapshot(version: 0).files.map(\.path) == ["a"])
        let hist = try await log.history()
        #expect(hist.map(\.version) == [2, 1, 0])
    }

    @Test func missingVersionsAndUnsupportedFeatures() async throws {
        let (store, dir) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/g")
        try await t.create(schema: Schema([Field("id", .int64)]))
        try await t.append([try RecordBatch(schema: Schema([Field("id", .int64)]), columns: [Column(type: .int64, values: .int64([1, 2]))])])
        try await t.append([try RecordBatch(schema: Schema([Field("id", .int64)]), columns: [Column(type: .int64, values: .int64([3]))])])
        try FileManager.default.removeItem(at: dir.appendingPathComponent("warehouse/main/default/g/_delta_log/00000000000000000001.json"))
        await #expect(throws: TableError.self) { try await t.snapshot() }
        #expect(try await t.snapshot(.version(0)).files.isEmpty)

        let log = DeltaLog(store: store, tableKey: "warehouse/main/default/dv")
        let meta = DeltaMetadata(id: "x", schemaString: DeltaSchema.string(Schema([Field("id", .int64)])), partitionColumns: [], configuration: [:], createdTime: nil)
        _ = try await log.commit([.protocol(DeltaProtocol(minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["deletionVectors"], writerFeatures: [])), .metaData(meta)],
                                 readVersion: nil, reads: .none)
        await #expect(throws: TableError.unsupported("Delta reader feature deletionVectors")) { try await log.snapshot() }
    }

    @Test func timeTravelByTimestamp() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/tt")
        try await t.create(schema: try smallBatch(0..<1).schema)
        try await t.append([try smallBatch(0..<10)])
        try await Task.sleep(for: .milliseconds(20))
        try await t.append([try smallBatch(10..<15)])
        let hist = try await t.history()
        #expect(hist.map(\.version) == [2, 1, 0])
        #expect(hist[0].timestamp > hist[1].timestamp)
        #expect(try await ids(t, .timestamp(hist[1].timestamp)) == Array(0..<10))
        #expect(try await ids(t, .timestamp(hist[0].timestamp + 1000)) == Array(0..<15))
        await #expect(throws: TableError.self) { try await ids(t, .timestamp(hist[2].timestamp - 100_000)) }
    }

    @Test func jsonParserEdgeCases() throws {
        let j = try LakeJSON.parse(#"{"a":[1,-2,3.5,1e3,true,false,null],"s":"q\"\\\/\n\u00e9\ud83d\ude00","big":9223372036854775807,"e":{}}"#)
        #expect(j["a"] == .array([.int(1), .int(-2), .double(3.5), .double(1000), .bool(true), .bool(false), .null]))
        #expect(j["s"]?.string == "q\"\\/\né😀")
        #expect(j["big"]?.int == .max)
        #expect(try LakeJSON.parse(j.serialized()) == j)
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", String(repeating: "[", count: 500)] {
            #expect(throws: (any Error).self, "\(bad)") { try LakeJSON.parse(bad) }
        }
    }

    @Test func incrementalReplayMatchesFullReplay() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/inc")
        try await t.create(schema: try smallBatch(0..<1).schema)
        try await t.append([try smallBatch(0..<3)])
        let base = try await t.log.snapshot()
        try await t.overwrite([try smallBatch(10..<12)])
        try await t.append([try smallBatch(20..<21)])
        let full = try await t.log.snapshot()
        let inc = try await t.log.snapshot(version: nil, from: base)
        #expect(inc.files == full.files)
        #expect(inc.addedVersion == full.addedVersion)
        #expect(inc.commitTimestamps == full.commitTimestamps)
        #expect(inc.version == 3)
    }
}
