import Foundation
import IngotStorage
import Testing
@testable import IngotLake

@Suite struct ParquetRoundTripTests {
    static let configs: [(Codec, Int, Bool)] = [
        (.zstd, 1, true), (.zstd, 2, true), (.snappy, 1, false), (.gzip, 2, false), (.uncompressed, 1, true), (.lz4Raw, 2, true),
        (.uncompressed, 2, false),
    ]

    @Test(arguments: 0..<configs.count)
    func roundTrip(config: Int) async throws {
        let (codec, version, dictionary) = Self.configs[config]
        let batch = try sampleBatch(rows: 3000, seed: UInt64(config))
        var o = ParquetWriteOptions(codec: codec)
        o.dataPageVersion = version
        o.dictionary = dictionary
        o.pageRowLimit = 700
        let bytes = try await writeToMemory([batch, batch.slice(0..<10)], options: o)
        let (reader, batches) = try await readAll(bytes)
        #expect(reader.numRows == 3010)
        #expect(reader.schema.fields == batch.schema.fields)
        #expect(reader.keyValueMetadata["origin"] == "test")
        let all = try concat(batches)
        for (k, f) in batch.schema.fields.enumerated() {
            #expect(sameValues(all.columns[k].slice(0..<3000), batch.columns[k]), "column \(f.name)")
        }
    }

    @Test func dictionaryFallbackAndRowGroups() async throws {
        var b = ColumnBuilder(type: .string)
        var ints = ColumnBuilder(type: .int64)
        for i in 0..<50_000 {
            b.append(.string("value-\(i)-" + String(repeating: "x", count: i % 40)))
            ints.append(.int(Int64(i % 10)))
        }
        let batch = try RecordBatch(schema: Schema([Field("s", .string, nullable: false), Field("n", .int64)]), columns: [b.finish(), ints.finish()])
        var o = ParquetWriteOptions()
        o.dictionaryPageLimit = 64 * 1024
        o.rowGroupBytes = 256 << 10
        let bytes = try await writeToMemory([batch], options: o)
        let (reader, batches) = try await readAll(bytes)
        #expect(reader.numRowGroups > 1)
        let stats = reader.statistics(rowGroup: 0)
        #expect(stats[0].encodings.contains("PLAIN"))
        #expect(stats[0].encodings.contains("RLE_DICTIONARY"))
        #expect(stats[1].min == .int(0) && stats[1].max == .int(9))
        let all = try concat(batches)
        #expect(sameValues(all.columns[0], batch.columns[0]))
        #expect(sameValues(all.columns[1], batch.columns[1]))
    }

    @Test func projectionAndPruning() async throws {
        var a = ColumnBuilder(type: .int64)
        var s = ColumnBuilder(type: .string)
        for i in 0..<10_000 {
            a.append(.int(Int64(i)))
            s.append(i < 5000 ? nil : .string("s\(i)"))
        }
        let batch = try RecordBatch(schema: Schema([Field("a", .int64), Field("s", .string)]), columns: [a.finish(), s.finish()])
        var o = ParquetWriteOptions()
        o.rowGroupRows = 1000
        let bytes = try await writeToMemory([batch], options: o)
        let reader = try await ParquetReader.open(MemorySource(bytes))
        #expect(reader.numRowGroups == 10)
        #expect(reader.rowGroups(matching: .equal("a", .int(2500))) == [2])
        #expect(reader.rowGroups(matching: .less("a", .int(1000))) == [0])
        #expect(reader.rowGroups(matching: .greater("a", .int(8999))) == [9])
        #expect(reader.rowGroups(matching: .between("a", .int(1500), .int(3500))) == [1, 2, 3])
        #expect(reader.rowGroups(matching: .isNull("s")) == [0, 1, 2, 3, 4])
        #expect(reader.rowGroups(matching: .and([.isNotNull("s"), .less("a", .int(7000))])) == [5, 6])
        #expect(reader.rowGroups(matching: .equal("s", .string("s9999"))) == [9])
        let g = try await reader.readRowGroup(3, columns: ["s"])
        #expect(g.schema.fields.map(\.name) == ["s"])
        #expect(g.numRows == 1000)
        await #expect(throws: LakeError.self) { _ = try await reader.readRowGroup(0, columns: ["nope"]) }
    }

    @Test func deltaIntegersOption() async throws {
        var a = ColumnBuilder(type: .int32)
        for i in 0..<5000 { a.append(i % 13 == 0 ? nil : .int(Int64(i * 7 - 9000))) }
        let batch = try RecordBatch(schema: Schema([Field("a", .int32)]), columns: [a.finish()])
        var o = ParquetWriteOptions()
        o.dictionary = false
        o.deltaIntegers = true
        let bytes = try await writeToMemory([batch], options: o)
        let (reader, batches) = try await readAll(bytes)
        #expect(reader.statistics(rowGroup: 0)[0].encodings.contains("DELTA_BINARY_PACKED"))
        #expect(sameValues(try concat(batches).columns[0], batch.columns[0]))
    }

    @Test func fileAndObjectStoreIO() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-lake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let batch = try sampleBatch(rows: 100)
        let path = dir.appendingPathComponent("a.parquet").path
        let w = try ParquetWriter(path: path, schema: batch.schema)
        try await w.write(batch)
        try await w.close()
        let r = try await ParquetReader.open(path: path)
        let back = try await r.readRowGroup(0)
        #expect(sameValues(back.columns[7], batch.columns[7]))

        // The same through the object store.
        let store = try LocalObjectStore(root: dir, allowedTopLevel: nil)
        let w2 = try ParquetWriter(sink: try await ObjectSink(store: store, key: "warehouse/t/a.parquet"), schema: batch.schema)
        try await w2.write(batch)
        try await w2.close()
        let r2 = try await ParquetReader.open(try await ObjectSource(store: store, key: "warehouse/t/a.parquet"))
        let back2 = try await r2.readRowGroup(0)
        #expect(sameValues(back2.columns[14], batch.columns[14]))
    }

    @Test func emptyFileAndAllNulls() async throws {
        let schema = Schema([Field("x", .string), Field("y", .float64)])
        let bytes = try await writeToMemory([try RecordBatch(schema: schema, columns: [
            Column(type: .string, values: .bytes(BinaryValues())), Column(type: .float64, values: .float64([])),
        ])], options: ParquetWriteOptions())
        let (reader, batches) = try await readAll(bytes)
        #expect(reader.numRows == 0 && batches.isEmpty)
        var x = ColumnBuilder(type: .string)
        var y = ColumnBuilder(type: .float64)
        for _ in 0..<100 {
            x.append(nil)
            y.append(nil)
        }
        let nulls = try RecordBatch(schema: schema, columns: [x.finish(), y.finish()])
        let bytes2 = try await writeToMemory([nulls], options: ParquetWriteOptions())
        let (_, b2) = try await readAll(bytes2)
        #expect(b2[0].columns[0].nullCount == 100 && b2[0].columns[1].nullCount == 100)
    }
}
