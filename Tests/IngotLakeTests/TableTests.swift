import Foundation
import IngotStorage
import Testing
@testable import IngotLake

@Suite struct TableTests {
    @Test func partitionedAppendOverwriteRead() async throws {
        let (store, dir) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/p")
        let first = try smallBatch(0..<100, region: { $0 % 7 == 0 ? nil : ["eu", "us", "a b/c"][Int($0 % 3)] })
        #expect(try await t.create(schema: first.schema, partitionColumns: ["region"], properties: ["owner": "me"]) { emit in try await emit(first) } == 0)
        #expect(try await t.append([try smallBatch(100..<150)]) == 1)
        #expect(try await ids(t) == Array(0..<150))
        #expect(try await t.overwrite([try smallBatch(1000..<1010)]) == 2)
        #expect(try await ids(t) == Array(1000..<1010))
        #expect(try await ids(t, .version(0)) == Array(0..<100))
        #expect(try await ids(t, .version(1)) == Array(0..<150))
        // Partition values round-trip (null, escaping) and rows keep their region.
        var seen: [Int64: String?] = [:]
        try await t.read(.version(0)) { b in
            for r in 0..<b.numRows {
                guard case .int(let id) = b.columns[0].value(at: r) else { continue }
                if case .string(let s) = b.columns[2].value(at: r) { seen[id] = s } else { seen[id] = .some(nil) }
            }
        }
        #expect(seen[7]! == nil)
        var eu: [Int64] = []
        try await t.read(.version(1), columns: ["id", "region"], partitions: { $0["region"] == "eu" }) { b in
            #expect(b.schema.fields.map(\.name) == ["id", "region"])
            if case .int64(let xs) = b.columns[0].values { eu += xs }
        }
        let firstEu: [Int64] = (0..<100).filter { (i: Int64) -> Bool in i % 7 != 0 && i % 3 == 0 }
        let laterEu: [Int64] = (100..<150).filter { (i: Int64) -> Bool in i % 2 == 0 }
        #expect(eu.sorted() == firstEu + laterEu)
        #expect(seen[2]! == "a b/c")
        let snap = try await t.snapshot(.version(0))
        #expect(snap.metadata.configuration["owner"] == "me")
        #expect(snap.files.allSatisfy { $0.numRecords != nil })
        #expect(snap.files.contains { $0.path.hasPrefix("region=a%20b%252Fc/") })
        // Iceberg metadata for every version, hint without newline.
        let hint = try String(contentsOf: dir.appendingPathComponent("warehouse/main/default/p/metadata/version-hint.text"), encoding: .utf8)
        #expect(hint == "3")
        let meta = try LakeJSON.parse(try await store.get("warehouse/main/default/p/metadata/v3.metadata.json"))
        #expect(meta["format-version"] == .int(2))
        #expect(meta["current-snapshot-id"] == .int(3))
        #expect(meta["snapshots"]?.array?.count == 3)
        #expect(meta["snapshots"]?.array?.last?["summary"]?["operation"] == .string("overwrite"))
        #expect(meta["metadata-log"]?.array?.count == 2)
        #expect(meta["partition-specs"]?.array?.first?["fields"]?.array?.first?["field-id"] == .int(1000))
        // v2 (an append) reuses v1's manifest and adds one; v3 (an overwrite) rewrites one manifest.
        let prefix = "file://" + store.root.path + "/"
        func manifests(_ n: Int) async throws -> [(path: String, entries: [(status: Int64, snapshot: Int64)])] {
            let m = try LakeJSON.parse(try await store.get("warehouse/main/default/p/metadata/v\(n).metadata.json"))
            let listPath = try #require(m["snapshots"]?.array?.last?["manifest-list"]?.string)
            let list = try AvroFileReader(try await store.get(String(listPath.dropFirst(prefix.count))))
            #expect(list.metadata["sequence-number"] == String(n))
            var out: [(String, [(Int64, Int64)])] = []
            for e in try list.readAll() {
                let mPath = try #require(e.field("manifest_path", in: list.schema)?.stringValue)
                let manifest = try AvroFileReader(try await store.get(String(mPath.dropFirst(prefix.count))))
                #expect(manifest.metadata["format-version"] == "2")
                #expect(manifest.metadata["content"] == "data")
                var entries: [(Int64, Int64)] = []
                try manifest.forEach { x in
                    entries.append((x.field("status", in: manifest.schema)?.longValue ?? -1, x.field("snapshot_id", in: manifest.schema)?.longValue ?? -1))
                }
                out.append((mPath, entries))
            }
            return out
        }
        let m1 = try await manifests(1)
        let m2 = try await manifests(2)
        #expect(m2.count == 2)
        #expect(m2[1].path == m1[0].path)
        #expect(m2[0].entries.allSatisfy { $0.status == 1 && $0.snapshot == 2 })
        let m3 = try await manifests(3)
        #expect(m3.count == 1)
        // Live files ADDED by snapshot 3; the files the overwrite removed are DELETED entries of snapshot 3.
        #expect(m3[0].entries.filter { $0.status != 2 }.allSatisfy { $0.status == 1 && $0.snapshot == 3 })
        #expect(m3[0].entries.filter { $0.status == 2 }.count == m2.reduce(0) { $0 + $1.entries.count })
        #expect(m3[0].entries.filter { $0.status == 2 }.allSatisfy { $0.snapshot == 3 })
    }

    @Test func everyTypeUnpartitioned() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/all")
        let batch = try sampleBatch(rows: 300, seed: 5)
        try await t.create(schema: batch.schema)
        try await t.append([batch])
        let snap = try await t.snapshot()
        #expect(snap.proto.readerFeatures == ["timestampNtz"])
        var rows: [RecordBatch] = []
        try await t.read { rows.append($0) }
        #expect(rows.count == 1)
        // Compare renderings (NaN != NaN for Column equality).
        var got = "", want = ""
        ValueFormatting.appendJSONLines(rows[0], rows: 0..<rows[0].numRows, to: &got)
        ValueFormatting.appendJSONLines(batch, rows: 0..<batch.numRows, to: &want)
        #expect(got == want)
        #expect(rows[0].columns.map(\.type) == batch.columns.map(\.type))
        #expect(rows[0].schema.fields.map(\.id) == batch.schema.fields.map(\.id))
    }

    @Test func schemaChecksAndCasts() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/s")
        try await t.create(schema: Schema([Field("id", .int64, nullable: false), Field("x", .float64)]))
        // int32 input is widened; missing nullable columns become null.
        let b = try RecordBatch(schema: Schema([Field("id", .int32)]), columns: [Column(type: .int32, values: .int32([1, 2, 3]))])
        try await t.append([b])
        #expect(try await ids(t) == [1, 2, 3])
        let bad = try RecordBatch(schema: Schema([Field("zzz", .int64)]), columns: [Column(type: .int64, values: .int64([1]))])
        await #expect(throws: TableError.self) { try await t.append([bad]) }
        let missing = try RecordBatch(schema: Schema([Field("x", .float64)]), columns: [Column(type: .float64, values: .float64([1]))])
        await #expect(throws: TableError.self) { try await t.append([missing]) }
        #expect(try await t.snapshot().version == 1)
        #expect(throws: TableError.self) { try LakeTable.key(forName: "a.b") }
        #expect(try LakeTable.key(forName: "main.default.orders") == "warehouse/main/default/orders")
    }

    @Test func partitionValueParsing() throws {
        #expect(PartitionValues.parseDate("1970-01-02") == 1)
        #expect(PartitionValues.parseTimestamp("1970-01-01 00:00:01.5") == 1_500_000)
        #expect(PartitionValues.parseTimestamp("1970-01-02T00:00:00Z") == 86_400_000_000)
        #expect(PartitionValues.escape("a b/c=d") == "a b%2Fc%3Dd")
        #expect(PartitionValues.decodePath(PartitionValues.encodePath("x=a%2F b/p.parquet")) == "x=a%2F b/p.parquet")
        #expect(IcebergMirror.uuidText("not-a-uuid").count == 36)
    }

    @Test func concurrentAppendsInProcess() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/cc")
        try await t.create(schema: try smallBatch(0..<1).schema, partitionColumns: ["region"])
        try await withThrowingTaskGroup(of: Int64.self) { g in
            for k in 0..<8 { g.addTask { try await t.append([try smallBatch(Int64(k * 100)..<Int64(k * 100 + 10))]) } }
            var versions: [Int64] = []
            for try await v in g { versions.append(v) }
            #expect(versions.sorted() == Array(1...8))
        }
        #expect(try await ids(t).count == 80)
        #expect(try await t.iceberg.latestMetadataVersion() == 9)
    }

    @Test func racingOverwritesRetryAndKeepVersionOrder() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/ow")
        try await t.create(schema: try smallBatch(0..<1).schema)
        let results = try await withThrowingTaskGroup(of: (Int64, Bool, Range<Int64>).self) { g in
            for k in 0..<6 {
                let r = Int64(k * 100)..<Int64(k * 100 + 5 + k)
                let over = k % 2 == 0
                g.addTask { (over ? try await t.overwrite([try smallBatch(r)]) : try await t.append([try smallBatch(r)]), over, r) }
            }
            var out: [(Int64, Bool, Range<Int64>)] = []
            for try await x in g { out.append(x) }
            return out.sorted { $0.0 < $1.0 }
        }
        #expect(results.map(\.0) == Array(1...6))
        var state: [Int64] = []
        for (v, over, r) in results {
            state = (over ? [] : state) + Array(r)
            #expect(try await ids(t, .version(v)) == state.sorted(), "version \(v)")
        }
        let appendOnly = try LakeTable(store: store, key: "warehouse/main/default/ao")
        try await appendOnly.create(schema: try smallBatch(0..<1).schema, properties: ["delta.appendOnly": "true"])
        await #expect(throws: TableError.self) { try await appendOnly.overwrite([try smallBatch(0..<2)]) }
    }

    @Test func addColumnsKeepsOldFilesReadable() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/evo")
        try await t.create(schema: try smallBatch(0..<1).schema)
        try await t.append([try smallBatch(0..<4)])
        #expect(try await t.addColumns([Field("extra", .float64)]) == 2)
        let schema = try await t.snapshot().schema
        #expect(schema.fields.last == Field("extra", .float64, id: 5))
        var nulls = 0
        try await t.read { b in nulls += b.column(named: "extra")?.nullCount ?? 0 }
        #expect(nulls == 4)
        await #expect(throws: TableError.self) { try await t.addColumns([Field("id", .int64)]) }
        let meta = try LakeJSON.parse(try await store.get("warehouse/main/default/evo/metadata/v3.metadata.json"))
        #expect(meta["current-schema-id"] == .int(1))
        #expect(meta["last-column-id"] == .int(5))
    }
}
