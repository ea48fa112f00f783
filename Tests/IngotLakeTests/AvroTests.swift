import Foundation
import Testing
@testable import IngotLake

@Suite struct AvroTests {
    @Test func zigzagVarintsMatchTheSpec() throws {
        let cases: [(Int64, [UInt8])] = [(0, [0x00]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]), (2, [0x04]), (-64, [0x7F]), (64, [0x80, 0x01])]
        for (v, bytes) in cases {
            var e = AvroEncoder()
            e.writeLong(v)
            #expect(e.out == bytes, "\(v)")
            var d = AvroDecoder(bytes)
            #expect(try d.readLong() == v)
        }
        for v: Int64 in [.min, .max, .min + 1, 1 << 40, -(1 << 40)] {
            var e = AvroEncoder()
            e.writeLong(v)
            var d = AvroDecoder(e.out)
            #expect(try d.readLong() == v)
        }
        var e = AvroEncoder()
        try e.write(.string("foo"), as: .string)
        #expect(e.out == [0x06, 0x66, 0x6F, 0x6F])
    }

    @Test func schemaJSONKeepsIcebergAttributes() throws {
        let text = #"{"type":"record","name":"manifest_entry","fields":[{"name":"status","type":"int","field-id":0},{"name":"a","type":{"type":"array","items":"long","element-id":7}},{"name":"m","type":{"type":"map","values":"string","key-id":8,"value-id":9}},{"name":"d","type":["null",{"type":"int","logicalType":"date"}],"field-id":3,"default":null}]}"#
        let s = try AvroSchema.parse(text)
        #expect(s.fields[0].fieldId == 0)
        #expect(s.fields[1].type.prop("element-id") == .int(7))
        #expect(s.fields[2].type.prop("key-id") == .int(8))
        guard case .union(let branches) = s.fields[3].type.kind else { Issue.record("not a union"); return }
        #expect(branches[1].logicalType == "date")
        #expect(s.fields[3].props.contains { $0.0 == "default" && $0.1 == .null })
        #expect(try AvroSchema.parse(s.text) == s)
        #expect(try LakeJSON.parse(s.text) == LakeJSON.parse(text))
    }

    @Test(arguments: [AvroCodec.null, .deflate, .snappy, .zstandard]) func containerRoundTrip(codec: AvroCodec) throws {
        var w = AvroFileWriter(schema: AvroJSON.sampleSchema, codec: codec, metadata: [("snapshot-id", "42")])
        w.blockRecords = 37
        let values = (0..<500).map(AvroJSON.sampleValue)
        for v in values { try w.append(v) }
        let bytes = try w.finish()
        let r = try AvroFileReader(bytes)
        #expect(r.codec == codec)
        #expect(r.metadata["snapshot-id"] == "42")
        #expect(r.schema == AvroJSON.sampleSchema)
        let back = try r.readAll()
        #expect(back.count == values.count)
        // Plain values come back with explicit union branches; compare through the JSON rendering.
        for (a, b) in zip(back, values) {
            #expect(AvroJSON.render(a, r.schema) == AvroJSON.render(try reencode(b), r.schema))
        }
    }

    func reencode(_ v: AvroValue) throws -> AvroValue {
        var e = AvroEncoder()
        try e.write(v, as: AvroJSON.sampleSchema)
        var d = AvroDecoder(e.out)
        return try d.read(AvroJSON.sampleSchema)
    }

    @Test func negativeBlockCountsAndMultipleBlocks() throws {
        // array<long> as two blocks: count -2 with byte size, then count 1, then 0.
        var e = AvroEncoder()
        e.writeLong(-2)
        e.writeLong(2)
        e.writeLong(5)
        e.writeLong(-7)
        e.writeLong(1)
        e.writeLong(9)
        e.writeLong(0)
        var d = AvroDecoder(e.out)
        #expect(try d.read(.array(.long)) == .array([.long(5), .long(-7), .long(9)]))
        #expect(d.atEnd)
        var m = AvroEncoder()
        m.writeLong(-1)
        m.writeLong(3)
        m.writeString("k")
        m.writeLong(4)
        m.writeLong(0)
        var dm = AvroDecoder(m.out)
        #expect(try dm.read(AvroSchema(.map(.long))) == .map([("k", .long(4))]))
    }

    @Test func corruptLengthsFailWithoutAllocating() throws {
        var e = AvroEncoder()
        e.writeLong(Int64(1) << 50)   // a string claiming 1 PB
        var d = AvroDecoder(e.out)
        #expect(throws: TableError.self) { try d.read(.string) }
        var a = AvroEncoder()
        a.writeLong(Int64(1) << 40)   // an array claiming 2^40 longs
        var da = AvroDecoder(a.out)
        #expect(throws: TableError.self) { try da.read(.array(.long)) }
        var n = AvroEncoder()
        n.writeLong(Int64(1) << 40)   // 2^40 nulls
        var dn = AvroDecoder(n.out)
        #expect(throws: TableError.self) { try dn.read(.array(.null)) }
        #expect(throws: TableError.self) { try AvroFileReader(Array("Obj".utf8)) }
    }

    @Test func mutatedFilesNeverCrash() throws {
        var w = AvroFileWriter(schema: AvroJSON.sampleSchema, codec: .deflate)
        w.blockRecords = 20
        for k in 0..<100 { try w.append(AvroJSON.sampleValue(k)) }
        let good = try w.finish()
        var raw = AvroFileWriter(schema: AvroJSON.sampleSchema, codec: .null)
        for k in 0..<100 { try raw.append(AvroJSON.sampleValue(k)) }
        let goodRaw = try raw.finish()
        var rng = SplitMix(7)
        for i in 0..<600 {
            var bytes = i % 2 == 0 ? good : goodRaw
            switch rng.next() % 3 {
            case 0: bytes.removeLast(Int(rng.next() % UInt64(bytes.count)))
            case 1:
                for _ in 0..<(1 + rng.next() % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            default:
                let at = Int(rng.next() % UInt64(bytes.count))
                bytes.insert(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], at: at)
            }
            do {
                let r = try AvroFileReader(bytes)
                _ = try r.readAll()
            } catch is TableError {
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
    }

    @Test func deflateIsRaw() throws {
        let data = Array(repeating: UInt8(ascii: "a"), count: 1000)
        let z = try AvroDeflate.compress(data)
        // Raw deflate has no zlib header (0x78) and no gzip magic.
        #expect(z.first != 0x78 && z.first != 0x1F)
        #expect(try AvroDeflate.decompress(z, limit: 1 << 20) == data)
        #expect(throws: TableError.self) { try AvroDeflate.decompress(z, limit: 10) }
    }

    @Test func namedTypesAreReferencedOnceAndRecursionIsNamed() throws {
        let point = AvroSchema.record("point", [AvroField("x", .long), AvroField("y", .long)])
        let s = AvroSchema.record("pair", [AvroField("a", point), AvroField("b", point), AvroField("c", .optional(point))])
        let text = s.text
        #expect(text.components(separatedBy: "\"fields\"").count == 3)   // pair + point defined once
        let back = try AvroSchema.parse(text)
        #expect(back == s)
        var e = AvroEncoder()
        let v = AvroValue.record([.record([.long(1), .long(2)]), .record([.long(3), .long(4)]), .null])
        try e.write(v, as: back)
        var d = AvroDecoder(e.out)
        #expect(try d.read(back) == .record([.record([.long(1), .long(2)]), .record([.long(3), .long(4)]), .union(0, .null)]))
        let recursive = #"{"type":"record","name":"node","fields":[{"name":"next","type":["null","node"]}]}"#
        #expect(throws: TableError.unsupported("recursive Avro schema (node)")) { try AvroSchema.parse(recursive) }
    }
}
