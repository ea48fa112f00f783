import Foundation
import IngotStorage
import Testing
@testable import IngotLake

@Suite struct IcebergTests {
    static let required = [
        "format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms", "last-column-id", "schemas",
        "current-schema-id", "partition-specs", "default-spec-id", "last-partition-id", "sort-orders", "default-sort-order-id",
    ]

    @Test func metadataHasTheRequiredFieldsAndMapsVersions() async throws {
        let (store, dir) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/m")
        try await t.create(schema: try smallBatch(0..<1).schema, partitionColumns: ["day"], properties: ["a": "b"])
        try await t.append([try smallBatch(0..<20)])
        let meta = try LakeJSON.parse(try await store.get("warehouse/main/default/m/metadata/v2.metadata.json"))
        for k in Self.required { #expect(meta[k] != nil, "\(k)") }
        #expect(meta["location"]?.string == "file://" + dir.standardizedFileURL.path + "/warehouse/main/default/m")
        #expect(meta["table-uuid"]?.string == (try await t.snapshot()).metadata.id)
        #expect(meta["last-column-id"] == .int(4))
        #expect(meta["last-partition-id"] == .int(1000))
        #expect(meta["properties"]?["a"] == .string("b"))
        #expect(meta["properties"]?["converted_delta_version"] == .string("1"))
        #expect(meta["snapshots"]?.array?.map { $0["snapshot-id"] } == [.int(1), .int(2)])
        #expect(meta["snapshots"]?.array?.last?["parent-snapshot-id"] == .int(1))
        #expect(meta["snapshot-log"]?.array?.count == 2)
        let fields = try #require(meta["schemas"]?.array?.first?["fields"]?.array)
        #expect(fields.map { $0["type"] } == [.string("long"), .string("string"), .string("string"), .string("date")])
        #expect(fields[0]["required"] == .bool(true))
        let hint = try Data(contentsOf: dir.appendingPathComponent("warehouse/main/default/m/metadata/version-hint.text"))
        #expect(hint == Data("2".utf8))
    }

    @Test func aVersionLeftWithoutMetadataIsCompletedBeforeTheNextCommit() async throws {
        let (store, dir) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/crash")
        try await t.create(schema: try smallBatch(0..<1).schema)
        try await t.append([try smallBatch(0..<5)])
        // Simulate a crash between the Delta commit and the Iceberg metadata of version 1.
        let metaDir = dir.appendingPathComponent("warehouse/main/default/crash/metadata")
        try FileManager.default.removeItem(at: metaDir.appendingPathComponent("v2.metadata.json"))
        try Data("1".utf8).write(to: metaDir.appendingPathComponent("version-hint.text"))
        #expect(try await t.iceberg.latestMetadataVersion() == 1)
        try await t.append([try smallBatch(5..<7)])
        #expect(try await t.iceberg.latestMetadataVersion() == 3)
        let meta = try LakeJSON.parse(try await store.get("warehouse/main/default/crash/metadata/v3.metadata.json"))
        #expect(meta["snapshots"]?.array?.count == 3)
        #expect(meta["snapshots"]?.array?.last?["summary"]?["total-records"] == .string("7"))
        #expect(try Data(contentsOf: metaDir.appendingPathComponent("version-hint.text")) == Data("3".utf8))
        // sync is idempotent.
        #expect(try await t.iceberg.sync(log: t.log) == 2)
        // A hint left behind by a writer that died after writing the metadata is moved forward.
        try Data("2".utf8).write(to: metaDir.appendingPathComponent("version-hint.text"))
        #expect(try await t.iceberg.sync(log: t.log) == 2)
        #expect(try Data(contentsOf: metaDir.appendingPathComponent("version-hint.text")) == Data("3".utf8))
    }

    @Test func foreignLogWithoutStatsUsesParquetFooters() async throws {
        let (store, _) = try tableStore()
        let key = "warehouse/main/default/f"
        let schema = Schema([Field("id", .int64)])
        let sink = try await ObjectSink(store: store, key: key + "/data-1.parquet")
        let w = try ParquetWriter(sink: sink, schema: schema)
        try await w.write(try RecordBatch(schema: schema, columns: [Column(type: .int64, values: .int64(Array(0..<33)))]))
        let summary = try await w.close()
        let log = DeltaLog(store: store, tableKey: key)
        let meta = DeltaMetadata(id: "not-a-uuid", schemaString: #"{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}"#,
                                 partitionColumns: [], configuration: [:], createdTime: nil)
        _ = try await log.commit([.protocol(DeltaProtocol()), .metaData(meta),
                                  .add(DeltaAdd(path: "data-1.parquet", partitionValues: [:], size: summary.bytes, modificationTime: 0))],
                                 readVersion: nil, reads: .none)
        let t = try LakeTable(store: store, key: key)
        #expect(try await t.iceberg.sync(log: log) == 0)
        let m = try LakeJSON.parse(try await store.get(key + "/metadata/v1.metadata.json"))
        #expect(m["snapshots"]?.array?.first?["summary"]?["total-records"] == .string("33"))
        #expect(m["table-uuid"]?.string?.count == 36)
        #expect(try await ids(t) == Array(0..<33))
    }

    @Test func readerSeesTheSameRowsAsTheDeltaLog() async throws {
        let (store, dir) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/rt")
        try await t.create(schema: try smallBatch(0..<1).schema, partitionColumns: ["region"])
        try await t.append([try smallBatch(0..<50)])
        try await t.append([try smallBatch(50..<60)])
        try await t.overwrite([try smallBatch(100..<105)])
        let reader = try IcebergTableReader.open(dir.appendingPathComponent("warehouse/main/default/rt").path)
        #expect(reader.currentSnapshotId == 4)
        #expect(reader.snapshots.map(\.operation) == ["append", "append", "append", "overwrite"])
        for v: Int64 in 0...3 {
            var got: [Int64] = []
            try await reader.read(snapshotId: v + 1) { b in
                if case .int64(let xs) = b.columns[0].values { got += xs }
            }
            #expect(got.sorted() == (try await ids(t, .version(v))), "version \(v)")
        }
        #expect(try reader.schema().fields.map(\.id) == [1, 2, 3, 4])
        #expect(throws: TableError.self) { try IcebergTableReader.open(dir.appendingPathComponent("nope").path) }
    }
}
