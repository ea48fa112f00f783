/// Decodes the pages of one column chunk into dense values plus definition levels.
final class ChunkReader {
    let physical: PhysicalType
    let typeLength: Int
    let maxDef: Int
    /// Maximum repetition level (0 for flat columns: no repetition levels are stored).
    let maxRep: Int
    let codec: Codec
    let expectedValues: Int

    var levels: [UInt8] = []
    /// Repetition levels (only when `maxRep > 0`).
    var repLevels: [UInt8] = []
    var bools: [Bool] = []
    var i32: [Int32] = []
    var i64: [Int64] = []
    var f32: [Float] = []
    var f64: [Double] = []
    var bytes = BinaryValues()

    private var hasDictionary = false
    private var dBools: [Bool] = []
    private var d32: [Int32] = []
    private var d64: [Int64] = []
    private var dF: [Float] = []
    private var dD: [Double] = []
    private var dBytes = BinaryValues()
    private var dictCount = 0
    private var rowsRead = 0
    private(set) var nullCount = 0
    private var indexBuffer: [UInt32] = []
    private var levelBuffer: [UInt32] = []
    private let codecContext = CodecContext()

    init(physical: PhysicalType, typeLength: Int, maxDef: Int, maxRep: Int = 0, codec: Codec, expectedValues: Int) {
        self.physical = physical
        self.typeLength = typeLength
        self.maxDef = maxDef
        self.maxRep = maxRep
        self.codec = codec
        self.expectedValues = expectedValues
        let expectedValues = min(expectedValues, 1 << 22)
        switch physical {
        case .boolean: bools.reserveCapacity(expectedValues)
        case .int32: i32.reserveCapacity(expectedValues)
        case .int64, .int96: i64.reserveCapacity(expectedValues)
        case .float: f32.reserveCapacity(expectedValues)
        case .double: f64.reserveCapacity(expectedValues)
        case .byteArray, .fixedLenByteArray: bytes.offsets.reserveCapacity(expectedValues + 1)
        }
        if maxDef > 0 { levels.reserveCapacity(expectedValues) }
        if maxRep > 0 { repLevels.reserveCapacity(expectedValues) }
    }

    /// Decodes every page in `chunk` (the column chunk's bytes).
    func decode(chunk: [UInt8]) throws {
        var pos = 0
        while rowsRead < expectedValues {
            guard pos < chunk.count else { throw corrupt("column chunk ends after \(rowsRead) of \(expectedValues) values") }
            var r = ThriftReader(chunk, from: pos)
            let header = try r.readPageHeader()
            pos = r.pos
            let size = Int(header.compressedSize)
            guard header.compressedSize >= 0, header.uncompressedSize >= 0, size <= chunk.count - pos else {
                throw corrupt("page of \(header.compressedSize) bytes overruns its column chunk")
            }
            try chunk.withUnsafeBytes { raw in
                try page(header, UnsafeRawBufferPointer(rebasing: raw[pos..<pos + size]))
            }
            pos += size
        }
    }

    private func page(_ header: PageHeader, _ body: UnsafeRawBufferPointer) throws {
        switch PageType(rawValue: header.type) {
        case .dictionaryPage:
            guard let d = header.dictionaryPage else { throw corrupt("dictionary page without its header") }
            guard !hasDictionary else { throw corrupt("second dictionary page in a column chunk") }
            guard d.numValues >= 0, Int(d.numValues) <= max(Int(header.uncompressedSize) * 8, 1) else {
                throw corrupt("implausible dictionary size")
            }
            let data = try Compression.decompress(codec, body, uncompressedSize: Int(header.uncompressedSize), context: codecContext)
            try data.withUnsafeBytes { raw in try readDictionary(raw, count: Int(d.numValues)) }
        case .dataPage:
            guard let d = header.dataPage else { throw corrupt("data page without its header") }
            let data = try Compression.decompress(codec, body, uncompressedSize: Int(header.uncompressedSize), context: codecContext)
            try data.withUnsafeBytes { raw in
                let n = try checkedCount(d.numValues, pageBytes: raw.count)
                var pos = 0
                var present = n
                if maxRep > 0 {
                    guard d.repEncoding == Encoding.rle.rawValue else { throw LakeError.unsupported("repetition level encoding \(d.repEncoding)") }
                    guard raw.count >= 4 else { throw corrupt("data page truncated") }
                    let len = Int(raw.loadUnaligned(as: UInt32.self).littleEndian)
                    guard len <= raw.count - 4 else { throw corrupt("repetition levels overrun the page") }
                    try readRepLevels(UnsafeRawBufferPointer(rebasing: raw[4..<4 + len]), count: n)
                    pos = 4 + len
                }
                if maxDef > 0 {
                    guard d.defEncoding == Encoding.rle.rawValue else { throw LakeError.unsupported("definition level encoding \(d.defEncoding)") }
                    guard raw.count >= pos + 4 else { throw corrupt("data page truncated") }
                    let len = Int(UnsafeRawBufferPointer(rebasing: raw[pos...]).loadUnaligned(as: UInt32.self).littleEndian)
                    guard len <= raw.count - pos - 4 else { throw corrupt("definition levels overrun the page") }
                    present = try readLevels(UnsafeRawBufferPointer(rebasing: raw[pos + 4..<pos + 4 + len]), count: n)
                    pos += 4 + len
                }
                try values(UnsafeRawBufferPointer(rebasing: raw[pos...]), encoding: d.encoding, count: present)
                rowsRead += n
            }
        case .dataPageV2:
            guard let d = header.dataPageV2 else { throw corrupt("data page v2 without its header") }
            guard d.defLength >= 0, d.repLength >= 0, Int(d.defLength) + Int(d.repLength) <= body.count,
                Int(d.defLength) + Int(d.repLength) <= Int(header.uncompressedSize)
            else { throw corrupt("level lengths overrun the page") }
            let levelsEnd = Int(d.defLength) + Int(d.repLength)
            let n = try checkedCount(d.numValues, pageBytes: Int(header.uncompressedSize))
            var present = n
            if maxRep > 0 {
                try readRepLevels(UnsafeRawBufferPointer(rebasing: body[0..<Int(d.repLength)]), count: n)
            }
            if maxDef > 0 {
                present = try readLevels(UnsafeRawBufferPointer(rebasing: body[Int(d.repLength)..<levelsEnd]), count: n)
            }
            let rest = UnsafeRawBufferPointer(rebasing: body[levelsEnd...])
            let valueSize = Int(header.uncompressedSize) - levelsEnd
            if d.isCompressed && codec != .uncompressed {
                let data = try Compression.decompress(codec, rest, uncompressedSize: valueSize, context: codecContext)
                try data.withUnsafeBytes { raw in try values(raw, encoding: d.encoding, count: present) }
            } else {
                try values(rest, encoding: d.encoding, count: present)
            }
            rowsRead += n
        case .indexPage, nil:
            return
        }
    }

    /// Caps the values a page may claim so corrupt headers cannot trigger huge allocations.
    private func checkedCount(_ n: Int32, pageBytes: Int) throws -> Int {
        guard n >= 0 else { throw corrupt("negative value count") }
        let count = Int(n)
        guard count <= expectedValues - rowsRead else { throw corrupt("pages hold more values than the column chunk") }
        guard count <= max(1 << 20, pageBytes * 8 * 64) else { throw corrupt("implausible value count \(count)") }
        return count
    }

    /// Decodes repetition levels and appends them to `repLevels`.
    private func readRepLevels(_ raw: UnsafeRawBufferPointer, count: Int) throws {
        if levelBuffer.count < count { levelBuffer = [UInt32](repeating: 0, count: count) }
        let bw = RLE.bitWidth(UInt64(maxRep))
        try levelBuffer.withUnsafeMutableBufferPointer { buf in
            _ = try RLE.decode(raw, bitWidth: bw, count: count, into: buf.baseAddress!)
        }
        let mr = UInt32(maxRep)
        var bad = false
        levelBuffer.withUnsafeBufferPointer { src in
            for i in 0..<count {
                let l = src[i]
                if l > mr { bad = true }
                repLevels.append(UInt8(truncatingIfNeeded: l))
            }
        }
        guard !bad else { throw corrupt("repetition level above the maximum \(maxRep)") }
    }

    /// Decodes definition levels; returns the number of present values.
    private func readLevels(_ raw: UnsafeRawBufferPointer, count: Int) throws -> Int {
        if levelBuffer.count < count { levelBuffer = [UInt32](repeating: 0, count: count) }
        let bw = RLE.bitWidth(UInt64(maxDef))
        try levelBuffer.withUnsafeMutableBufferPointer { buf in
            _ = try RLE.decode(raw, bitWidth: bw, count: count, into: buf.baseAddress!)
        }
        var present = 0
        let md = UInt32(maxDef)
        var lv = levels
        levels = []
        defer { levels = lv }
        let base = lv.count
        lv.append(contentsOf: repeatElement(0, count: count))
        var bad = false
        lv.withUnsafeMutableBufferPointer { out in
            levelBuffer.withUnsafeBufferPointer { src in
                for i in 0..<count {
                    let l = src[i]
                    if l > md { bad = true }
                    if l == md { present += 1 }
                    out[base + i] = UInt8(truncatingIfNeeded: l)
                }
            }
        }
        guard !bad else { throw corrupt("definition level above the maximum \(maxDef)") }
        nullCount += count - present
        return present
    }

    private func readDictionary(_ raw: UnsafeRawBufferPointer, count: Int) throws {
        switch physical {
        case .boolean: _ = try Plain.decodeBool(raw, count: count, into: &dBools)
        case .int32: _ = try Plain.decode(raw, count: count, into: &d32)
        case .int64: _ = try Plain.decode(raw, count: count, into: &d64)
        case .int96: _ = try Plain.decodeInt96(raw, count: count, into: &d64)
        case .float: _ = try Plain.decode(raw, count: count, into: &dF)
        case .double: _ = try Plain.decode(raw, count: count, into: &dD)
        case .byteArray: _ = try Plain.decodeByteArray(raw, count: count, into: &dBytes)
        case .fixedLenByteArray: _ = try Plain.decodeFixedBytes(raw, width: typeLength, count: count, into: &dBytes)
        }
        dictCount = count
        hasDictionary = true
    }

    private func values(_ raw: UnsafeRawBufferPointer, encoding: Int32, count: Int) throws {
        guard let enc = Encoding(rawValue: encoding) else { throw LakeError.unsupported("encoding \(encoding)") }
        switch enc {
        case .plain:
            switch physical {
            case .boolean: _ = try Plain.decodeBool(raw, count: count, into: &bools)
            case .int32: _ = try Plain.decode(raw, count: count, into: &i32)
            case .int64: _ = try Plain.decode(raw, count: count, into: &i64)
            case .int96: _ = try Plain.decodeInt96(raw, count: count, into: &i64)
            case .float: _ = try Plain.decode(raw, count: count, into: &f32)
            case .double: _ = try Plain.decode(raw, count: count, into: &f64)
            case .byteArray: _ = try Plain.decodeByteArray(raw, count: count, into: &bytes)
            case .fixedLenByteArray: _ = try Plain.decodeFixedBytes(raw, width: typeLength, count: count, into: &bytes)
            }
        case .plainDictionary, .rleDictionary:
            guard hasDictionary else { throw corrupt("dictionary-encoded page without a dictionary") }
            guard count > 0 else { return }
            guard raw.count >= 1 else { throw corrupt("dictionary page data truncated") }
            let bw = Int(raw[0])
            if indexBuffer.count < count { indexBuffer = [UInt32](repeating: 0, count: count) }
            try indexBuffer.withUnsafeMutableBufferPointer { idx in
                try RLE.decode(UnsafeRawBufferPointer(rebasing: raw[1...]), bitWidth: bw, count: count, into: idx.baseAddress!)
                var maxIndex: UInt32 = 0
                for i in 0..<count { maxIndex = max(maxIndex, idx[i]) }
                guard Int(maxIndex) < dictCount else { throw corrupt("dictionary index \(maxIndex) out of range (\(dictCount) entries)") }
                let indices = UnsafeBufferPointer(rebasing: idx[0..<count])
                switch physical {
                case .boolean: gather(dBools, indices, into: &bools)
                case .int32: gather(d32, indices, into: &i32)
                case .int64, .int96: gather(d64, indices, into: &i64)
                case .float: gather(dF, indices, into: &f32)
                case .double: gather(dD, indices, into: &f64)
                case .byteArray, .fixedLenByteArray:
                    Plain.gatherBytes(dBytes, indices, into: &bytes)
                }
            }
        case .rle:
            guard physical == .boolean else { throw LakeError.unsupported("RLE for \(physical)") }
            guard raw.count >= 4 else { throw corrupt("RLE boolean data truncated") }
            let len = Int(raw.loadUnaligned(as: UInt32.self).littleEndian)
            guard len <= raw.count - 4 else { throw corrupt("RLE boolean data truncated") }
            if indexBuffer.count < count { indexBuffer = [UInt32](repeating: 0, count: count) }
            try indexBuffer.withUnsafeMutableBufferPointer { idx in
                try RLE.decode(UnsafeRawBufferPointer(rebasing: raw[4..<4 + len]), bitWidth: 1, count: count, into: idx.baseAddress!)
                for i in 0..<count { bools.append(idx[i] != 0) }
            }
        case .deltaBinaryPacked:
            switch physical {
            case .int32:
                var tmp: [Int64] = []
                _ = try Delta.decode(raw, count: count, into: &tmp)
                i32.append(contentsOf: tmp.lazy.map { Int32(truncatingIfNeeded: $0) })
            case .int64: _ = try Delta.decode(raw, count: count, into: &i64)
            default: throw corrupt("DELTA_BINARY_PACKED for \(physical)")
            }
        case .deltaLengthByteArray:
            guard physical == .byteArray else { throw corrupt("DELTA_LENGTH_BYTE_ARRAY for \(physical)") }
            _ = try Delta.decodeLengthByteArray(raw, count: count, into: &bytes)
        case .deltaByteArray:
            guard physical == .byteArray || physical == .fixedLenByteArray else { throw corrupt("DELTA_BYTE_ARRAY for \(physical)") }
            _ = try Delta.decodeByteArray(raw, count: count, into: &bytes)
        case .byteStreamSplit:
            var tmp: [UInt8] = []
            switch physical {
            case .int32, .float:
                _ = try ByteStreamSplit.decode(raw, width: 4, count: count, into: &tmp)
                tmp.withUnsafeBytes { t in
                    if physical == .int32 { _ = try? Plain.decode(t, count: count, into: &i32) } else { _ = try? Plain.decode(t, count: count, into: &f32) }
                }
            case .int64, .double:
                _ = try ByteStreamSplit.decode(raw, width: 8, count: count, into: &tmp)
                tmp.withUnsafeBytes { t in
                    if physical == .int64 { _ = try? Plain.decode(t, count: count, into: &i64) } else { _ = try? Plain.decode(t, count: count, into: &f64) }
                }
            case .fixedLenByteArray:
                _ = try ByteStreamSplit.decode(raw, width: typeLength, count: count, into: &tmp)
                _ = try tmp.withUnsafeBytes { t in try Plain.decodeFixedBytes(t, width: typeLength, count: count, into: &bytes) }
            default: throw corrupt("BYTE_STREAM_SPLIT for \(physical)")
            }
        case .bitPacked:
            throw LakeError.unsupported("BIT_PACKED value encoding")
        }
    }

    @inline(__always)
    private func gather<T>(_ dict: [T], _ indices: UnsafeBufferPointer<UInt32>, into out: inout [T]) {
        dict.withUnsafeBufferPointer { d in
            out.reserveCapacity(out.count + indices.count)
            for i in indices { out.append(d[Int(i)]) }
        }
    }

    /// The validity bitmap (nil when the chunk has no nulls).
    func validity() -> Bitmap? {
        guard maxDef > 0, nullCount > 0 else { return nil }
        return levels.withUnsafeBufferPointer { Bitmap(levels: $0, present: UInt8(maxDef)) }
    }

    /// Spreads dense values to one slot per row (null slots get a zero placeholder).
    static func spread<T>(_ dense: [T], levels: [UInt8], present: UInt8, zero: T) -> [T] {
        var out = [T](repeating: zero, count: levels.count)
        var k = 0
        out.withUnsafeMutableBufferPointer { o in
            dense.withUnsafeBufferPointer { d in
                for i in 0..<levels.count where levels[i] == present {
                    o[i] = d[k]
                    k += 1
                }
            }
        }
        return out
    }

    static func spread(_ dense: BinaryValues, levels: [UInt8], present: UInt8) -> BinaryValues {
        var offsets = [Int32]()
        offsets.reserveCapacity(levels.count + 1)
        offsets.append(0)
        var k = 0
        for l in levels {
            if l == present { k += 1 }
            offsets.append(dense.offsets[k])
        }
        return BinaryValues(offsets: offsets, data: dense.data)
    }

    /// Checks that the pages produced as many values as the levels promised.
    func finishCheck() throws {
        let present = maxDef > 0 ? levels.count - nullCount : rowsRead
        let produced: Int
        switch physical {
        case .boolean: produced = bools.count
        case .int32: produced = i32.count
        case .int64, .int96: produced = i64.count
        case .float: produced = f32.count
        case .double: produced = f64.count
        case .byteArray, .fixedLenByteArray: produced = bytes.count
        }
        guard produced == present else { throw corrupt("column chunk decoded \(produced) values, expected \(present)") }
    }
}
