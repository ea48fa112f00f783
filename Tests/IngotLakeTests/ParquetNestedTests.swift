import Foundation
import Testing
@testable import IngotLake

private func s(_ x: String) -> NestedValue { .scalar(.string(x)) }
private func i(_ x: Int64) -> NestedValue { .scalar(.int(x)) }
private func st(_ pairs: [(String, NestedValue)]) -> NestedValue { .struct(pairs.map(\.0), pairs.map(\.1)) }

/// Nested columns with every null placement: null list / empty list / null element, null struct /
/// struct of nulls, null map / empty map / null value, plus deeper nesting.
func nestedSample(rows: Int) throws -> RecordBatch {
    let inner = LakeType.struct([Field("c", .string), Field("d", .listOf(.int32))])
    let fields: [Field] = [
        Field("id", .int64, nullable: false),
        Field("li", .listOf(.int32)),
        Field("ls", .listOf(.string)),
        Field("st", .struct([Field("a", .int64), Field("b", inner)])),
        Field("ms", .mapOf(.string, .string)),
        Field("mi", .mapOf(.string, .int64)),
        Field("lst", .listOf(.struct([Field("x", .int32), Field("y", .string)]))),
        Field("ll", .listOf(.listOf(.int64))),
        Field("req", .struct([Field("p", .int32, nullable: false), Field("q", .listOf(.string, nullable: false), nullable: false)]), nullable: false),
        Field("ml", .mapOf(.int32, .listOf(.string))),
    ]
    var cols: [[NestedValue]] = fields.map { _ in [] }
    var rng = SplitMix(42)
    for r in 0..<rows {
        let k = Int(rng.next() % 8)
        cols[0].append(i(Int64(r)))
        cols[1].append([.null, .list([]), .list([.null]), .list([i(1), i(2), .null, i(3)]), .list([i(Int64(r))]), .list((0..<Int64(k)).map { i($0 * 7) }), .list([i(-5)]), .null][k])
        cols[2].append([.list([s("a"), .null, s("")]), .null, .list([]), .list([.null, .null]), .list([s("héllo"), s("日本")]), .list([s("v\(r % 13)")]), .list([s("x")]), .list([])][k])
        cols[3].append([
            .null, st([("a", .null), ("b", .null)]), st([("a", i(1)), ("b", st([("c", .null), ("d", .null)]))]),
            st([("a", i(2)), ("b", st([("c", s("z")), ("d", .list([]))]))]), st([("a", .null), ("b", st([("c", s("q")), ("d", .list([.null, i(9)]))]))]),
            st([("a", i(Int64(r))), ("b", .null)]), .null, st([("a", i(3)), ("b", st([("c", s("w")), ("d", .list([i(1)]))]))]),
        ][k])
        cols[4].append([.null, .map([], []), .map([s("k")], [.null]), .map([s("a"), s("b")], [s("1"), s("2")]), .map([s("r\(r % 5)")], [s("v")]), .null, .map([s("x")], [s("")]), .map([], [])][k])
        cols[5].append([.map([s("n")], [i(1)]), .null, .map([], []), .map([s("a"), s("b"), s("c")], [i(1), .null, i(3)]), .null, .map([s("z")], [i(Int64(r))]), .map([], []), .map([s("k")], [.null])][k])
        cols[6].append([.null, .list([]), .list([.null]), .list([st([("x", .null), ("y", s("a"))])]), .list([st([("x", i(1)), ("y", .null)]), .null, st([("x", i(2)), ("y", s("b"))])]),
                        .list([st([("x", i(Int64(r % 100))), ("y", s("r"))])]), .null, .list([])][k])
        cols[7].append([.null, .list([]), .list([.null]), .list([.list([])]), .list([.list([.null])]), .list([.list([i(1), i(2)]), .null, .list([]), .list([i(3)])]), .list([.list([i(Int64(r))])]), .null][k])
        cols[8].append(st([("p", i(Int64(r % 1000))), ("q", .list(k % 2 == 0 ? [] : [s("a"), s("b\(k)")]))]))
        cols[9].append([.null, .map([], []), .map([i(1)], [.null]), .map([i(2), i(3)], [.list([]), .list([s("a"), .null])]), .map([i(4)], [.list([s("x")])]), .null, .map([i(Int64(r % 50))], [.list([.null])]), .map([], [])][k])
    }
    let columns = zip(fields, cols).map { Column.build($0.0.type, $0.1) }
    return try RecordBatch(schema: Schema(fields), columns: columns)
}

private func roundTrip(_ batch: RecordBatch, _ options: ParquetWriteOptions) async throws -> ParquetReader {
    let sink = MemorySink()
    let w = try ParquetWriter(sink: sink, schema: batch.schema, options: options)
    try await w.write(batch)
    try await w.close()
    return try await ParquetReader.open(MemorySource(sink.bytes))
}

private func readAll(_ r: ParquetReader, columns: [String]? = nil) async throws -> [RecordBatch] {
    var out: [RecordBatch] = []
    try await r.forEachBatch(columns: columns) { out.append($0) }
    return out
}

@Suite struct ParquetNestedTests {
    @Test(arguments: [1, 2], [true, false])
    func nestedRoundTrip(pageVersion: Int, dictionary: Bool) async throws {
        let batch = try nestedSample(rows: 3000)
        var o = ParquetWriteOptions(codec: .zstd)
        o.dataPageVersion = pageVersion
        o.dictionary = dictionary
        o.pageRowLimit = 700
        o.rowGroupRows = 1300
        let r = try await roundTrip(batch, o)
        #expect(r.skippedColumns.isEmpty)
        #expect(r.columns.map(\.field.name) == batch.schema.fields.map(\.name))
        for (a, b) in zip(r.schema.fields, batch.schema.fields) {
            #expect(NestedShredder.sameShape(a.type, b.type), "\(a.name): \(a.type) vs \(b.type)")
            #expect(a.nullable == b.nullable, "\(a.name)")
        }
        let batches = try await readAll(r)
        #expect(batches.count == 3)
        var row = 0
        for b in batches {
            for k in 0..<b.numRows {
                for (c, col) in b.columns.enumerated() {
                    let want = batch.columns[c].nestedValue(at: row)
                    let got = col.nestedValue(at: k)
                    #expect(got == want, "column \(batch.schema.fields[c].name) row \(row)")
                    if got != want { return }
                }
                row += 1
            }
        }
        #expect(row == 3000)
    }

    @Test func projectionAndStatsSkipNested() async throws {
        let batch = try nestedSample(rows: 200)
        let r = try await roundTrip(batch, ParquetWriteOptions())
        let got = try await readAll(r, columns: ["mi", "id"])
        #expect(got[0].schema.fields.map(\.name) == ["mi", "id"])
        for k in 0..<200 { #expect(got[0].columns[0].nestedValue(at: k) == batch.columns[5].nestedValue(at: k)) }
        #expect(r.statistics(rowGroup: 0).map(\.column) == ["id"])
        #expect(r.mightMatch(rowGroup: 0, .isNull("st")))
        #expect(r.mightMatch(rowGroup: 0, .equal("li", .int(1))))
        #expect(!r.mightMatch(rowGroup: 0, .greater("id", .int(1000))))
    }

    @Test func jsonRenderingAndSlicing() throws {
        let fields = [Field("li", .listOf(.int32)), Field("ms", .mapOf(.string, .string)), Field("st", .struct([Field("a", .int64), Field("b", .struct([Field("c", .string)]))]))]
        let one = try RecordBatch(schema: Schema(fields), columns: [
            Column.build(fields[0].type, [.list([i(1), i(2), .null, i(3)]), .null, .list([])]),
            Column.build(fields[1].type, [.map([s("a"), s("b")], [s("1"), .null]), .map([], []), .null]),
            Column.build(fields[2].type, [.struct(["a", "b"], [i(2), .struct(["c"], [s("z")])]), .struct(["a", "b"], [.null, .null]), .null]),
        ])
        var out = ""
        ValueFormatting.appendJSONLines(one, rows: 0..<3, to: &out)
        #expect(out == #"{"li": [1, 2, null, 3], "ms": [["a", "1"], ["b", null]], "st": {"a": 2, "b": {"c": "z"}}}"# + "\n"
            + #"{"li": null, "ms": [], "st": {"a": null, "b": null}}"# + "\n" + #"{"li": [], "ms": null, "st": null}"# + "\n")
        let batch = try nestedSample(rows: 16)
        let sl = batch.slice(5..<11)
        for c in 0..<batch.columns.count {
            for k in 0..<6 { #expect(sl.columns[c].nestedValue(at: k) == batch.columns[c].nestedValue(at: k + 5)) }
        }
    }

    @Test func flatFilesUnchanged() async throws {
        let batch = try sampleBatch(rows: 500)
        let r = try await roundTrip(batch, ParquetWriteOptions())
        #expect(r.columns.allSatisfy { !$0.isNested })
        let got = try await readAll(r)
        for (a, b) in zip(got[0].columns, batch.columns) { #expect(sameValues(a, b)) }
    }

    @Test func wrongShapeIsRejected() async throws {
        let f = Field("l", .listOf(.int32))
        let w = try ParquetWriter(sink: MemorySink(), schema: Schema([f]))
        let bad = try RecordBatch(schema: Schema([Field("l", .listOf(.string))]), columns: [Column.build(.listOf(.string), [.list([s("a")])])])
        await #expect(throws: LakeError.self) { try await w.write(bad) }
    }

    /// Legacy shapes other writers produce: a two-level LIST (`repeated int32 array`) and a bare
    /// repeated field, written by hand with the leaf writer.
    @Test func legacyTwoLevelListsAndBareRepeated() async throws {
        var la = LeafLayout(Field("array", .int32, nullable: false))
        la.nestedDef = 2
        la.maxRep = 1
        la.path = ["a", "array"]
        var lr = LeafLayout(Field("r", .int32, nullable: false))
        lr.nestedDef = 1
        lr.maxRep = 1
        lr.path = ["r"]
        let o = ParquetWriteOptions(codec: .uncompressed)
        let ca = ChunkWriter(layout: la, options: o), cr = ChunkWriter(layout: lr, options: o)
        // a: null, [], [1, 2], [3]      r: [5], [], [6, 7], []
        try ca.appendNested(.int32([1, 2, 3]), def: [0, 1, 2, 2, 2], rep: [0, 0, 0, 1, 0], present: [0, 1, 2], rows: 4)
        try cr.appendNested(.int32([5, 6, 7]), def: [1, 0, 1, 1, 0], rep: [0, 0, 0, 1, 0], present: [0, 1, 2], rows: 4)
        var file = Array("PAR1".utf8)
        var group = RowGroup()
        group.numRows = 4
        for c in [ca, cr] {
            var (bytes, meta) = try c.finish()
            meta.dataPageOffset += Int64(file.count)
            if let d = meta.dictionaryPageOffset { meta.dictionaryPageOffset = d + Int64(file.count) }
            group.columns.append(ColumnChunk(filePath: nil, fileOffset: meta.dataPageOffset, meta: meta))
            file += bytes
        }
        var root = SchemaElement()
        root.name = "schema"
        root.numChildren = 2
        var a = SchemaElement()
        a.name = "a"
        a.repetition = .optional
        a.numChildren = 1
        a.convertedType = 3
        var arr = la.schemaElement
        arr.repetition = .repeated
        var r = lr.schemaElement
        r.repetition = .repeated
        var meta = FileMetaData()
        meta.schema = [root, a, arr, r]
        meta.numRows = 4
        meta.rowGroups = [group]
        var w = ThriftWriter()
        w.write(meta)
        file += w.out
        withUnsafeBytes(of: UInt32(w.out.count).littleEndian) { file.append(contentsOf: $0) }
        file += Array("PAR1".utf8)
        let reader = try await ParquetReader.open(MemorySource(file))
        #expect(reader.schema.fields.map(\.type.description) == ["list<int32 not null>", "list<int32 not null>"])
        #expect(reader.schema.fields.map(\.nullable) == [true, false])
        let b = try await reader.readRowGroup(0)
        #expect((0..<4).map { b.columns[0].nestedValue(at: $0) } == [.null, .list([]), .list([i(1), i(2)]), .list([i(3)])])
        #expect((0..<4).map { b.columns[1].nestedValue(at: $0) } == [.list([i(5)]), .list([]), .list([i(6), i(7)]), .list([])])
    }
}

@Suite struct NestedColumnModelTests {
    @Test func relabelKeepsValues() throws {
        let a = LakeType.listOf(.struct([Field("x", .int32, id: 7)]))
        let b = LakeType.list(Field("item", .struct([Field("x", .int32, nullable: false, id: 3)]), nullable: false))
        let c = Column.build(a, [.list([.struct(["x"], [.scalar(.int(1))])]), .null])
        let r = try #require(c.relabeled(to: b))
        #expect(r.type == b)
        #expect(r.nestedValue(at: 0) == c.nestedValue(at: 0))
        #expect(r.isNull(1))
        #expect(c.relabeled(to: .listOf(.int32)) == nil)
        #expect(a.isSameShape(as: b) && !a.isSameShape(as: .listOf(.int64)))
        #expect(Column.nulls(.mapOf(.string, .int32), count: 3).nullCount == 3)
    }
}
