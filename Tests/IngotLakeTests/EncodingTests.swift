import Testing
@testable import IngotLake

@Suite struct EncodingTests {
    @Test(arguments: [0, 1, 2, 3, 7, 8, 13, 20, 31, 32])
    func rleRoundTrip(bitWidth: Int) throws {
        var rng = SplitMix(UInt64(bitWidth))
        let maxV: UInt64 = bitWidth == 0 ? 0 : bitWidth == 32 ? UInt64(UInt32.max) : (1 << UInt64(bitWidth)) - 1
        var values: [UInt32] = []
        for run in 0..<200 {
            let v = UInt32(truncatingIfNeeded: maxV == 0 ? 0 : rng.next() % (maxV + 1))
            let len = Int(rng.next() % 30) + 1
            if run % 2 == 0 { values += Array(repeating: v, count: len) } else {
                for _ in 0..<len { values.append(UInt32(truncatingIfNeeded: maxV == 0 ? 0 : rng.next() % (maxV + 1))) }
            }
        }
        var encoded: [UInt8] = []
        values.withUnsafeBufferPointer { RLE.encode($0, bitWidth: bitWidth, into: &encoded) }
        var decoded = [UInt32](repeating: 99, count: values.count)
        try encoded.withUnsafeBytes { raw in
            try decoded.withUnsafeMutableBufferPointer { out in
                _ = try RLE.decode(raw, bitWidth: bitWidth, count: values.count, into: out.baseAddress!)
            }
        }
        #expect(decoded == values)
    }

    @Test func rleKnownBytes() throws {
        // Spec example: bit-packed 0..7 with width 3 is header 0x03 then 0x88 0xC6 0xFA.
        var out: [UInt8] = []
        let v: [UInt32] = [0, 1, 2, 3, 4, 5, 6, 7]
        v.withUnsafeBufferPointer { RLE.encode($0, bitWidth: 3, into: &out) }
        #expect(out == [0x03, 0x88, 0xC6, 0xFA])
        // A run of 100 fives, width 3.
        out = []
        let r = [UInt32](repeating: 5, count: 100)
        r.withUnsafeBufferPointer { RLE.encode($0, bitWidth: 3, into: &out) }
        #expect(out == [0xC8, 0x01, 0x05])
    }

    @Test func rleRejectsTruncation() {
        let bytes: [UInt8] = [0x03, 0x88]
        var out = [UInt32](repeating: 0, count: 8)
        #expect(throws: LakeError.self) {
            try bytes.withUnsafeBytes { raw in
                try out.withUnsafeMutableBufferPointer { _ = try RLE.decode(raw, bitWidth: 3, count: 8, into: $0.baseAddress!) }
            }
        }
    }

    @Test(arguments: [0, 1, 5, 127, 128, 129, 1000, 4097])
    func deltaRoundTrip(count: Int) throws {
        var rng = SplitMix(UInt64(count))
        var values: [Int64] = []
        for i in 0..<count {
            let v: Int64
            if i % 97 == 0 { v = .min } else if i % 89 == 0 { v = .max } else { v = Int64(i * 3) + Int64(rng.next() % 50) }
            values.append(v)
        }
        if count > 3 { values[2] = -5 }
        var enc: [UInt8] = []
        values.withUnsafeBufferPointer { Delta.encode($0, into: &enc) }
        var dec: [Int64] = []
        let used = try enc.withUnsafeBytes { try Delta.decode($0, count: count, into: &dec) }
        #expect(dec == values)
        #expect(used == enc.count)
    }

    @Test func deltaLengthAndByteArray() throws {
        // DELTA_LENGTH_BYTE_ARRAY of "Hello", "World", "Foobar", "ABCDEF" (spec example) built by hand.
        let strings = ["Hello", "World", "Foobar", "ABCDEF"]
        var enc: [UInt8] = []
        let lengths = strings.map { Int64($0.utf8.count) }
        lengths.withUnsafeBufferPointer { Delta.encode($0, into: &enc) }
        for s in strings { enc += Array(s.utf8) }
        var out = BinaryValues()
        _ = try enc.withUnsafeBytes { try Delta.decodeLengthByteArray($0, count: 4, into: &out) }
        #expect((0..<4).map { out.string($0) } == strings)

        // DELTA_BYTE_ARRAY: axis, axle, babble, babyhood → prefixes 0,2,0,3 suffixes.
        let words = ["axis", "axle", "babble", "babyhood"]
        let prefixes: [Int64] = [0, 2, 0, 3]
        let suffixes = ["axis", "le", "babble", "yhood"]
        var enc2: [UInt8] = []
        prefixes.withUnsafeBufferPointer { Delta.encode($0, into: &enc2) }
        let sl = suffixes.map { Int64($0.utf8.count) }
        sl.withUnsafeBufferPointer { Delta.encode($0, into: &enc2) }
        for s in suffixes { enc2 += Array(s.utf8) }
        var out2 = BinaryValues()
        _ = try enc2.withUnsafeBytes { try Delta.decodeByteArray($0, count: 4, into: &out2) }
        #expect((0..<4).map { out2.string($0) } == words)
    }

    @Test func byteStreamSplit() throws {
        let values: [Double] = [1.5, -2.25, .pi, .infinity]
        var enc: [UInt8] = []
        values.withUnsafeBytes { ByteStreamSplit.encode($0, width: 8, into: &enc) }
        var raw: [UInt8] = []
        _ = try enc.withUnsafeBytes { try ByteStreamSplit.decode($0, width: 8, count: 4, into: &raw) }
        var back: [Double] = []
        _ = try raw.withUnsafeBytes { try Plain.decode($0, count: 4, into: &back) }
        #expect(back == values)
    }

    @Test func plainByteArrayAndBool() throws {
        var enc: [UInt8] = []
        for s in ["", "ab", "ü"] {
            let b = Array(s.utf8)
            enc += withUnsafeBytes(of: UInt32(b.count).littleEndian) { Array($0) } + b
        }
        var out = BinaryValues()
        _ = try enc.withUnsafeBytes { try Plain.decodeByteArray($0, count: 3, into: &out) }
        #expect(out.string(1) == "ab" && out.string(2) == "ü" && out.string(0) == "")
        #expect(throws: LakeError.self) { _ = try enc.withUnsafeBytes { try Plain.decodeByteArray($0, count: 4, into: &out) } }
        let bools = [true, false, true, true, false, false, false, true, true]
        var be: [UInt8] = []
        bools.withUnsafeBufferPointer { Plain.encodeBool($0, into: &be) }
        #expect(be == [0b1000_1101, 0b1])
        var bd: [Bool] = []
        _ = try be.withUnsafeBytes { try Plain.decodeBool($0, count: 9, into: &bd) }
        #expect(bd == bools)
    }

    @Test(arguments: [Codec.uncompressed, .snappy, .gzip, .zstd, .lz4Raw])
    func codecRoundTrip(codec: Codec) throws {
        let input = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 13) }
        let c = try Compression.compress(codec, input)
        let d = try c.withUnsafeBytes { try Compression.decompress(codec, $0, uncompressedSize: input.count) }
        #expect(d == input)
        if codec != .uncompressed {
            var bad = c
            bad[bad.count / 2] ^= 0xFF
            bad.removeLast(bad.count / 3)
            #expect(throws: LakeError.self) { _ = try bad.withUnsafeBytes { try Compression.decompress(codec, $0, uncompressedSize: input.count) } }
        }
    }

    @Test func thriftRoundTrip() throws {
        var meta = FileMetaData()
        var root = SchemaElement()
        root.name = "schema"
        root.numChildren = 1
        var leaf = SchemaElement()
        leaf.name = "col"
        leaf.type = .int64
        leaf.repetition = .optional
        leaf.fieldId = 300
        leaf.logical = .timestamp(utc: true, unit: 2)
        meta.schema = [root, leaf]
        meta.numRows = 1 << 40
        meta.keyValues = [KeyValue(key: "k", value: "v")]
        meta.createdBy = "me"
        meta.columnOrders = 1
        var rg = RowGroup()
        rg.numRows = 5
        var cm = ColumnMetaData()
        cm.type = .int64
        cm.encodings = Array(repeating: 0, count: 20)
        cm.path = ["col"]
        cm.statistics = Statistics(nullCount: 3, maxValue: [1, 2], minValue: [0])
        rg.columns = [ColumnChunk(meta: cm)]
        meta.rowGroups = [rg]
        var w = ThriftWriter()
        w.write(meta)
        var r = ThriftReader(w.out)
        let back = try r.readFileMetaData()
        #expect(back.schema[1].fieldId == 300)
        #expect(back.schema[1].logical == .timestamp(utc: true, unit: 2))
        #expect(back.numRows == 1 << 40)
        #expect(back.rowGroups[0].columns[0].meta?.encodings.count == 20)
        #expect(back.rowGroups[0].columns[0].meta?.statistics?.nullCount == 3)
        #expect(back.keyValues.first?.value == "v")
        #expect(back.columnOrders == 1)
        #expect(r.pos == w.out.count)
        // Every truncation fails cleanly.
        for n in stride(from: 0, to: w.out.count, by: 3) {
            var t = ThriftReader(Array(w.out[0..<n]))
            #expect(throws: LakeError.self) { _ = try t.readFileMetaData() }
        }
    }
}
