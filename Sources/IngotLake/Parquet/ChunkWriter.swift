import Foundation

/// Values of one column in their Parquet physical representation.
enum PhysicalValues {
    case bool([Bool])
    case int32([Int32])
    case int64([Int64])
    case float([Float])
    case double([Double])
    case bytes(BinaryValues, fixed: Bool)

    /// Converts a batch column to the physical storage of its layout (decimals change representation).
    static func from(_ column: Column, layout: LeafLayout) throws -> PhysicalValues {
        switch column.values {
        case .bool(let v): return .bool(v)
        case .int32(let v): return .int32(v)
        case .int64(let v): return .int64(v)
        case .float32(let v): return .float(v)
        case .float64(let v): return .double(v)
        case .bytes(let v): return .bytes(v, fixed: false)
        case .list, .struct, .map:
            throw LakeError.invalidArgument("column \(layout.field.name): nested values reach a leaf writer")
        case .decimal(let v):
            switch layout.physical {
            case .int32: return .int32(v.map { Int32(truncatingIfNeeded: $0) })
            case .int64: return .int64(v.map { Int64(truncatingIfNeeded: $0) })
            default:
                let w = Int(layout.typeLength ?? 16)
                var out = BinaryValues()
                out.data.reserveCapacity(w * v.count)
                out.offsets.reserveCapacity(v.count + 1)
                for x in v {
                    Decimals.appendBigEndian(x, width: w, into: &out.data)
                    out.offsets.append(Int32(out.data.count))
                }
                return .bytes(out, fixed: true)
            }
        }
    }
}

/// Running min/max/null statistics of one column chunk.
struct StatsAccumulator {
    var nulls: Int64 = 0
    var minInt: Int64 = .max, maxInt: Int64 = .min, haveInt = false
    var minF = Double.infinity, maxF = -Double.infinity, haveF = false
    var minBytes: [UInt8]?, maxBytes: [UInt8]?
    var signedBytes = false
    var sawFalse = false, sawTrue = false

    mutating func add<T: BinaryInteger>(int v: T) {
        let x = Int64(v)
        if x < minInt { minInt = x }
        if x > maxInt { maxInt = x }
        haveInt = true
    }

    mutating func add(float x: Double) {
        if x.isNaN { return }
        // -0.0 is the minimum of a zero and +0.0 its maximum (parquet.thrift, ColumnOrder).
        if x < minF || (x == 0 && minF == 0 && x.sign == .minus) { minF = x == 0 ? -0.0 : x }
        if x > maxF || (x == 0 && maxF == 0 && x.sign == .plus) { maxF = x == 0 ? 0.0 : x }
        if x == 0 {
            if minF == 0 { minF = -0.0 }
            if maxF == 0 { maxF = 0.0 }
        }
        haveF = true
    }

    mutating func add(bytes p: UnsafeRawBufferPointer) {
        if let m = minBytes {
            if compare(p, m) < 0 { minBytes = Array(p) }
        } else {
            minBytes = Array(p)
        }
        if let m = maxBytes {
            if compare(p, m) > 0 { maxBytes = Array(p) }
        } else {
            maxBytes = Array(p)
        }
    }

    func compare(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
        b.withUnsafeBytes { bb in
            if signedBytes, let a0 = a.first, let b0 = bb.first, a0 != b0 {
                return Int(a0 ^ 0x80) - Int(b0 ^ 0x80)
            }
            let n = min(a.count, bb.count)
            if n > 0 {
                let c = memcmp(a.baseAddress!, bb.baseAddress!, n)
                if c != 0 { return Int(c) }
            }
            return a.count - bb.count
        }
    }

    /// The Thrift statistics for a chunk of the given physical type.
    func statistics(_ physical: PhysicalType) -> Statistics {
        var s = Statistics()
        s.nullCount = nulls
        switch physical {
        case .boolean:
            if sawFalse || sawTrue {
                s.minValue = [sawFalse ? 0 : 1]
                s.maxValue = [sawTrue ? 1 : 0]
            }
        case .int32:
            if haveInt {
                s.minValue = le(Int32(truncatingIfNeeded: minInt))
                s.maxValue = le(Int32(truncatingIfNeeded: maxInt))
            }
        case .int64:
            if haveInt {
                s.minValue = le(minInt)
                s.maxValue = le(maxInt)
            }
        case .float:
            if haveF {
                s.minValue = le(Float(minF).bitPattern)
                s.maxValue = le(Float(maxF).bitPattern)
            }
        case .double:
            if haveF {
                s.minValue = le(minF.bitPattern)
                s.maxValue = le(maxF.bitPattern)
            }
        case .byteArray, .fixedLenByteArray:
            if var lo = minBytes, var hi = maxBytes {
                if physical == .byteArray, lo.count > 64 || hi.count > 64 {
                    lo = Array(lo.prefix(64))
                    if hi.count > 64 {
                        hi = Array(hi.prefix(64))
                        while let last = hi.last, last == 0xFF { hi.removeLast() }
                        if hi.isEmpty { return s }
                        hi[hi.count - 1] += 1
                    }
                }
                s.minValue = lo
                s.maxValue = hi
            }
        case .int96: break
        }
        return s
    }

    private func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

/// Encodes one column chunk: pages are compressed as they fill and kept in memory until the
/// row group is written.
final class ChunkWriter {
    let layout: LeafLayout
    let options: ParquetWriteOptions
    private(set) var pages: [UInt8] = []
    private var dictionaryPage: [UInt8] = []
    private(set) var numValues: Int64 = 0
    private(set) var uncompressedBytes: Int64 = 0
    private var encodings: [Int32] = []

    // Dictionary state
    private var useDictionary: Bool
    private var dict32: FixedDictionary<Int32>?
    private var dict64: FixedDictionary<Int64>?
    private var dictF: FixedDictionary<Float>?
    private var dictD: FixedDictionary<Double>?
    private var dictB: BytesDictionary?

    /// The page being filled, plus the chunk's running statistics. Hot loops work on a local
    /// copy (taken out and put back) so they pay no dynamic exclusivity checks.
    struct Pending {
        var levels: [UInt32] = []
        /// Repetition levels (nested leaves with maxRep > 0).
        var rep: [UInt32] = []
        var indices: [UInt32] = []
        var plain: [UInt8] = []
        var plainInts: [Int64] = []
        var bools: [Bool] = []
        var stats = StatsAccumulator()
        var values = 0
    }

    private var pending = Pending()
    private var pendingRows = 0
    /// Level entries in the pending page (equals pendingRows for flat columns).
    private var pendingEntries = 0

    let codecContext: CodecContext

    init(layout: LeafLayout, options: ParquetWriteOptions, context: CodecContext = CodecContext()) {
        codecContext = context
        self.layout = layout
        self.options = options
        useDictionary = options.dictionary && layout.physical != .boolean
        pending.stats.signedBytes = layout.physical == .fixedLenByteArray
        if useDictionary {
            switch layout.physical {
            case .int32: dict32 = FixedDictionary()
            case .int64: dict64 = FixedDictionary()
            case .float: dictF = FixedDictionary()
            case .double: dictD = FixedDictionary()
            default: dictB = BytesDictionary()
            }
        }
    }

    private var dictionaryBytes: Int {
        dict32?.byteSize ?? dict64?.byteSize ?? dictF?.byteSize ?? dictD?.byteSize ?? dictB?.byteSize ?? 0
    }

    private var dictionaryCount: Int {
        dict32?.count ?? dict64?.count ?? dictF?.count ?? dictD?.count ?? dictB?.count ?? 0
    }

    /// Estimated size of the chunk so far (for cutting row groups).
    var estimatedBytes: Int { Int(uncompressedBytes) + pending.plain.count + pending.indices.count + dictionaryBytes }

    /// Appends rows of a column.
    func append(_ values: PhysicalValues, validity: Bitmap?, rows: Range<Int>) throws {
        var start = rows.lowerBound
        while start < rows.upperBound {
            let n = min(rows.upperBound - start, options.pageRowLimit - pendingRows, 4096)
            try appendSlice(values, validity: validity, rows: start..<start + n)
            start += n
            pendingRows += n
            pendingEntries += n
            if useDictionary && dictionaryBytes > options.dictionaryPageLimit {
                try flushPage()
                fallBack()
            }
            if pendingRows >= options.pageRowLimit || pending.plain.count >= options.pageByteLimit || pending.plainInts.count * 8 >= options.pageByteLimit {
                try flushPage()
            }
        }
    }

    private func fallBack() {
        // Dictionary values are all in the chunk: their range is the chunk's range so far.
        collectDictionaryStats()
        useDictionary = false
    }

    private func collectDictionaryStats() {
        var stats = pending.stats
        if let d = dict32 { for v in d.values { stats.add(int: v) } }
        if let d = dict64 { for v in d.values { stats.add(int: v) } }
        if let d = dictF { for v in d.values { stats.add(float: Double(v)) } }
        if let d = dictD { for v in d.values { stats.add(float: v) } }
        if let d = dictB {
            d.values.data.withUnsafeBytes { raw in
                for i in 0..<d.count {
                    let r = d.values.range(i)
                    stats.add(bytes: UnsafeRawBufferPointer(rebasing: raw[r]))
                }
            }
        }
        pending.stats = stats
    }

    private func appendSlice(_ values: PhysicalValues, validity: Bitmap?, rows: Range<Int>) throws {
        var st = pending
        pending = Pending()
        defer { pending = st }
        // Definition levels and the rows that hold values.
        var present: [Int]? = nil
        if layout.maxDef > 0 {
            if let validity {
                var p: [Int] = []
                p.reserveCapacity(rows.count)
                st.levels.reserveCapacity(st.levels.count + rows.count)
                for r in rows {
                    if validity.isSet(r) {
                        st.levels.append(1)
                        p.append(r)
                    } else {
                        st.levels.append(0)
                        st.stats.nulls += 1
                    }
                }
                if p.count != rows.count { present = p }
            } else {
                st.levels.append(contentsOf: repeatElement(1, count: rows.count))
            }
        } else if let validity, validity.nullCount > 0 {
            for r in rows where !validity.isSet(r) {
                throw LakeError.invalidArgument("column \(layout.field.name) is required but holds a null")
            }
        }
        numValues += Int64(rows.count)
        let count = present?.count ?? rows.count
        st.values += count
        encodeValues(values, rows: rows, present: present, into: &st)
    }

    /// Appends the levels of `rows` records of a nested leaf and its present values
    /// (`present` indexes `values`).
    func appendNested(_ values: PhysicalValues, def: [UInt8], rep: [UInt8], present: [Int], rows: Int) throws {
        var st = pending
        pending = Pending()
        let md = layout.maxDef
        if md > 0 {
            st.levels.reserveCapacity(st.levels.count + def.count)
            for x in def {
                st.levels.append(UInt32(x))
                if Int(x) < md { st.stats.nulls += 1 }
            }
        }
        if layout.maxRep > 0 {
            st.rep.reserveCapacity(st.rep.count + rep.count)
            for x in rep { st.rep.append(UInt32(x)) }
        }
        numValues += Int64(def.count)
        st.values += present.count
        encodeValues(values, rows: 0..<0, present: present, into: &st)
        pending = st
        pendingRows += rows
        pendingEntries += def.count
        if useDictionary && dictionaryBytes > options.dictionaryPageLimit {
            try flushPage()
            fallBack()
        }
        if pendingRows >= options.pageRowLimit || pendingEntries >= options.pageRowLimit * 4 || pending.plain.count >= options.pageByteLimit
            || pending.plainInts.count * 8 >= options.pageByteLimit {
            try flushPage()
        }
    }

    private func encodeValues(_ values: PhysicalValues, rows: Range<Int>, present: [Int]?, into st: inout Pending) {
        switch values {
        case .bool(let v):
            @inline(__always) func add(_ b: Bool) {
                st.bools.append(b)
                if b { st.stats.sawTrue = true } else { st.stats.sawFalse = true }
            }
            if let present { for r in present { add(v[r]) } } else { for r in rows { add(v[r]) } }
        case .int32(let v): Self.fixed(v, rows: rows, present: present, dict: useDictionary ? dict32 : nil, delta: options.deltaIntegers, into: &st)
        case .int64(let v): Self.fixed(v, rows: rows, present: present, dict: useDictionary ? dict64 : nil, delta: options.deltaIntegers, into: &st)
        case .float(let v): Self.fixed(v, rows: rows, present: present, dict: useDictionary ? dictF : nil, delta: false, into: &st)
        case .double(let v): Self.fixed(v, rows: rows, present: present, dict: useDictionary ? dictD : nil, delta: false, into: &st)
        case .bytes(let v, let isFixed):
            v.data.withUnsafeBytes { data in
                v.offsets.withUnsafeBufferPointer { offsets in
                    if useDictionary, let d = dictB {
                        d.insert(data: data, offsets: offsets, rows: rows, present: present, into: &st.indices)
                        return
                    }
                    @inline(__always) func one(_ r: Int) {
                        let lo = Int(offsets[r]), hi = Int(offsets[r + 1])
                        if !isFixed {
                            var len = UInt32(hi - lo).littleEndian
                            withUnsafeBytes(of: &len) { st.plain.append(contentsOf: $0) }
                        }
                        let slice = UnsafeRawBufferPointer(rebasing: data[lo..<hi])
                        st.plain.append(contentsOf: slice)
                        st.stats.add(bytes: slice)
                    }
                    if let present { for r in present { one(r) } } else { for r in rows { one(r) } }
                }
            }
        }
    }

    private static func fixed<T: DictionaryKey>(_ v: [T], rows: Range<Int>, present: [Int]?, dict: FixedDictionary<T>?, delta: Bool, into st: inout Pending) {
        func process(_ slice: UnsafeBufferPointer<T>) {
            if let dict {
                dict.insert(slice, into: &st.indices)
                return
            }
            for x in slice { x.accumulate(into: &st.stats) }
            if delta, T.self == Int32.self || T.self == Int64.self {
                st.plainInts.reserveCapacity(st.plainInts.count + slice.count)
                for x in slice { st.plainInts.append(x.integer ?? 0) }
            } else {
                Plain.encode(slice, into: &st.plain)
            }
        }
        v.withUnsafeBufferPointer { buf in
            if let present {
                var tmp: [T] = []
                tmp.reserveCapacity(present.count)
                for r in present { tmp.append(buf[r]) }
                tmp.withUnsafeBufferPointer { process($0) }
            } else {
                process(UnsafeBufferPointer(rebasing: buf[rows]))
            }
        }
    }

    // Reusable page buffers (kept between pages so flushing allocates nothing per page).
    private var valueScratch: [UInt8] = []
    private var levelScratch: [UInt8] = []
    private var repScratch: [UInt8] = []
    private var rawScratch: [UInt8] = []

    /// Compresses and stores the pending page.
    func flushPage() throws {
        guard pendingRows > 0 else { return }
        var valueBytes = valueScratch
        valueScratch = []
        valueBytes.removeAll(keepingCapacity: true)
        let encoding: Encoding
        var usePlain = false
        if useDictionary {
            let bw = RLE.bitWidth(UInt64(max(dictionaryCount, 1) - 1))
            valueBytes.append(UInt8(bw))
            valueBytes.reserveCapacity(pending.indices.count * bw / 8 + 16)
            pending.indices.withUnsafeBufferPointer { RLE.encode($0, bitWidth: bw, into: &valueBytes) }
            encoding = .rleDictionary
        } else if layout.physical == .boolean {
            pending.bools.withUnsafeBufferPointer { Plain.encodeBool($0, into: &valueBytes) }
            encoding = .plain
        } else if !pending.plainInts.isEmpty || (options.deltaIntegers && (layout.physical == .int32 || layout.physical == .int64)) {
            pending.plainInts.withUnsafeBufferPointer { Delta.encode($0, into: &valueBytes) }
            encoding = .deltaBinaryPacked
        } else {
            usePlain = true
            encoding = .plain
        }
        var levelBytes = levelScratch
        var repBytes = repScratch
        var raw = rawScratch
        levelScratch = []
        repScratch = []
        rawScratch = []
        levelBytes.removeAll(keepingCapacity: true)
        repBytes.removeAll(keepingCapacity: true)
        raw.removeAll(keepingCapacity: true)
        defer {
            valueScratch = valueBytes
            levelScratch = levelBytes
            repScratch = repBytes
            rawScratch = raw
        }
        let maxDef = layout.maxDef
        if maxDef > 0 { pending.levels.withUnsafeBufferPointer { RLE.encode($0, bitWidth: RLE.bitWidth(UInt64(maxDef)), into: &levelBytes) } }
        if layout.maxRep > 0 { pending.rep.withUnsafeBufferPointer { RLE.encode($0, bitWidth: RLE.bitWidth(UInt64(layout.maxRep)), into: &repBytes) } }
        let nulls = maxDef <= 1 ? pending.levels.count - pending.levels.reduce(0) { $0 + Int($1) } : pending.levels.reduce(0) { $0 + ($1 < UInt32(maxDef) ? 1 : 0) }
        var plain = pending.plain
        pending.plain = []
        defer {
            plain.removeAll(keepingCapacity: true)
            pending.plain = plain
        }
        var header = PageHeader()
        var body: [UInt8] = []
        let valueCount = usePlain ? plain.count : valueBytes.count
        if options.dataPageVersion == 2 {
            let compressedSize = try (usePlain ? plain : valueBytes).withUnsafeBytes {
                try codecContext.compress(options.codec, $0, level: options.compressionLevel, appendingTo: &body)
            }
            header.type = PageType.dataPageV2.rawValue
            header.uncompressedSize = Int32(repBytes.count + levelBytes.count + valueCount)
            header.compressedSize = Int32(repBytes.count + levelBytes.count + compressedSize)
            header.dataPageV2 = DataPageHeaderV2(
                numValues: Int32(pendingEntries), numNulls: Int32(layout.maxDef > 0 ? nulls : 0), numRows: Int32(pendingRows),
                encoding: encoding.rawValue, defLength: Int32(levelBytes.count), repLength: Int32(repBytes.count),
                isCompressed: options.codec != .uncompressed)
            var w = ThriftWriter()
            w.write(header)
            pages += w.out
            pages += repBytes
            pages += levelBytes
            pages += body
            uncompressedBytes += Int64(w.out.count) + Int64(header.uncompressedSize)
        } else {
            let rawCount: Int
            if layout.maxRep > 0 || layout.maxDef > 0 {
                raw.reserveCapacity(8 + repBytes.count + levelBytes.count + valueCount)
                if layout.maxRep > 0 {
                    withUnsafeBytes(of: UInt32(repBytes.count).littleEndian) { raw.append(contentsOf: $0) }
                    raw += repBytes
                }
                if layout.maxDef > 0 {
                    withUnsafeBytes(of: UInt32(levelBytes.count).littleEndian) { raw.append(contentsOf: $0) }
                    raw += levelBytes
                }
                if usePlain { raw += plain } else { raw += valueBytes }
                rawCount = raw.count
                _ = try raw.withUnsafeBytes { try codecContext.compress(options.codec, $0, level: options.compressionLevel, appendingTo: &body) }
            } else {
                rawCount = valueCount
                _ = try (usePlain ? plain : valueBytes).withUnsafeBytes {
                    try codecContext.compress(options.codec, $0, level: options.compressionLevel, appendingTo: &body)
                }
            }
            header.type = PageType.dataPage.rawValue
            header.uncompressedSize = Int32(rawCount)
            header.compressedSize = Int32(body.count)
            header.dataPage = DataPageHeader(numValues: Int32(pendingEntries), encoding: encoding.rawValue, defEncoding: 3, repEncoding: 3)
            var w = ThriftWriter()
            w.write(header)
            pages += w.out
            pages += body
            uncompressedBytes += Int64(w.out.count) + Int64(header.uncompressedSize)
        }
        if !encodings.contains(encoding.rawValue) { encodings.append(encoding.rawValue) }
        pending.levels.removeAll(keepingCapacity: true)
        pending.rep.removeAll(keepingCapacity: true)
        pending.indices.removeAll(keepingCapacity: true)
        pending.plainInts.removeAll(keepingCapacity: true)
        pending.bools.removeAll(keepingCapacity: true)
        pendingRows = 0
        pendingEntries = 0
        pending.values = 0
    }

    /// Finishes the chunk: the dictionary page (if any) followed by the data pages.
    /// - Returns: the chunk bytes, its metadata (offsets relative to the chunk start) and the
    ///   uncompressed size.
    func finish() throws -> (bytes: [UInt8], meta: ColumnMetaData) {
        let (dict, data, meta) = try finishParts()
        return (dict + data, meta)
    }

    /// ``finish()`` without joining the dictionary page and the data pages (written one after
    /// the other, so the data pages are not copied).
    func finishParts() throws -> (dictionary: [UInt8], pages: [UInt8], meta: ColumnMetaData) {
        try flushPage()
        var meta = ColumnMetaData()
        meta.type = layout.physical
        meta.path = layout.path ?? [layout.field.name]
        meta.codec = options.codec.rawValue
        meta.numValues = numValues
        var out: [UInt8] = []
        var dictLength = 0
        let hadDictionary = dict32 != nil || dict64 != nil || dictF != nil || dictD != nil || dictB != nil
        if hadDictionary && encodings.contains(Encoding.rleDictionary.rawValue) {
            var raw: [UInt8] = []
            if let d = dict32 { d.values.withUnsafeBufferPointer { Plain.encode($0, into: &raw) } }
            if let d = dict64 { d.values.withUnsafeBufferPointer { Plain.encode($0, into: &raw) } }
            if let d = dictF { d.values.withUnsafeBufferPointer { Plain.encode($0, into: &raw) } }
            if let d = dictD { d.values.withUnsafeBufferPointer { Plain.encode($0, into: &raw) } }
            if let d = dictB {
                raw.reserveCapacity(d.byteSize)
                for i in 0..<d.count {
                    let r = d.values.range(i)
                    if layout.physical == .byteArray {
                        withUnsafeBytes(of: UInt32(r.count).littleEndian) { raw.append(contentsOf: $0) }
                    }
                    raw += d.values.data[r]
                }
            }
            let compressed = try Compression.compress(options.codec, raw, level: options.compressionLevel, context: codecContext)
            var header = PageHeader()
            header.type = PageType.dictionaryPage.rawValue
            header.uncompressedSize = Int32(raw.count)
            header.compressedSize = Int32(compressed.count)
            header.dictionaryPage = DictionaryPageHeader(numValues: Int32(dictionaryCount), encoding: Encoding.plain.rawValue)
            var w = ThriftWriter()
            w.write(header)
            out = w.out
            out += compressed
            dictLength = out.count
            uncompressedBytes += Int64(w.out.count + raw.count)
            if useDictionary { collectDictionaryStats() }
            meta.dictionaryPageOffset = 0
        }
        meta.dataPageOffset = Int64(dictLength)
        var encs: [Int32] = []
        if dictLength > 0 { encs.append(Encoding.plain.rawValue) }
        for e in encodings where !encs.contains(e) { encs.append(e) }
        if !encs.contains(Encoding.rle.rawValue) { encs.append(Encoding.rle.rawValue) }
        meta.encodings = encs
        meta.totalUncompressed = uncompressedBytes
        meta.totalCompressed = Int64(out.count + pages.count)
        if options.statistics { meta.statistics = pending.stats.statistics(layout.physical) }
        return (out, pages, meta)
    }
}
