/// A simple predicate for pruning row groups by their column statistics.
public indirect enum ParquetPredicate: Sendable {
    case equal(String, Value)
    case less(String, Value)
    case lessOrEqual(String, Value)
    case greater(String, Value)
    case greaterOrEqual(String, Value)
    case between(String, Value, Value)
    case isNull(String)
    case isNotNull(String)
    case and([ParquetPredicate])
    case or([ParquetPredicate])
}

/// Statistics of one column chunk, decoded to values.
public struct ColumnChunkStats: Sendable {
    public var column: String
    public var physicalType: String
    public var codec: String
    public var encodings: [String]
    public var numValues: Int64
    public var compressedBytes: Int64
    public var uncompressedBytes: Int64
    public var nullCount: Int64?
    public var min: Value?
    public var max: Value?
}

/// Orders two values of the same kind; nil when they are not comparable.
public func compareValues(_ a: Value, _ b: Value) -> Int? {
    switch (a, b) {
    case (.int(let x), .int(let y)): return x < y ? -1 : x > y ? 1 : 0
    case (.double(let x), .double(let y)): return x < y ? -1 : x > y ? 1 : x == y ? 0 : nil
    case (.int(let x), .double(let y)): return compareValues(.double(Double(x)), .double(y))
    case (.double(let x), .int(let y)): return compareValues(.double(x), .double(Double(y)))
    case (.decimal(let x), .decimal(let y)): return x < y ? -1 : x > y ? 1 : 0
    case (.decimal(let x), .int(let y)): return x < Int128(y) ? -1 : x > Int128(y) ? 1 : 0
    case (.int(let x), .decimal(let y)): return Int128(x) < y ? -1 : Int128(x) > y ? 1 : 0
    case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
    case (.string(let x), .string(let y)): return lexCompare(Array(x.utf8), Array(y.utf8))
    case (.bytes(let x), .bytes(let y)): return lexCompare(x, y)
    default: return nil
    }
}

private func lexCompare(_ a: [UInt8], _ b: [UInt8]) -> Int {
    for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
    return a.count - b.count
}

extension ParquetReader {
    /// Statistics of every readable column chunk in a row group.
    public func statistics(rowGroup i: Int) -> [ColumnChunkStats] {
        let group = meta.rowGroups[i]
        return columns.compactMap { c in
            guard !c.isNested, let m = group.columns[c.chunkIndex].meta else { return nil }
            var s = ColumnChunkStats(
                column: c.field.name, physicalType: c.physicalType, codec: Codec(rawValue: m.codec)?.name ?? "codec \(m.codec)",
                encodings: m.encodings.map { Encoding(rawValue: $0)?.name ?? "\($0)" }, numValues: m.numValues,
                compressedBytes: m.totalCompressed, uncompressedBytes: m.totalUncompressed)
            if let st = m.statistics {
                s.nullCount = st.nullCount
                let signedOnly: Bool
                switch c.field.type {
                case .string, .binary: signedOnly = false
                case .decimal: signedOnly = c.physical == .int32 || c.physical == .int64
                default: signedOnly = true
                }
                let lo = st.minValue ?? (signedOnly ? st.min : nil)
                let hi = st.maxValue ?? (signedOnly ? st.max : nil)
                s.min = lo.flatMap { decodeStat($0, c) }
                s.max = hi.flatMap { decodeStat($0, c) }
            }
            return s
        }
    }

    func decodeStat(_ b: [UInt8], _ c: ParquetColumn) -> Value? {
        func le<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard b.count == MemoryLayout<T>.size else { return nil }
            var v: T = 0
            for (i, x) in b.enumerated() { v |= T(truncatingIfNeeded: x) << (8 * i) }
            return v
        }
        let single = ParquetReader.assemble(statReader(b, c) ?? ChunkReader(physical: c.physical, typeLength: 0, maxDef: 0, codec: .uncompressed, expectedValues: 0), c)
        if single.count == 1 { return single.value(at: 0) }
        _ = le(Int32.self)
        return nil
    }

    private func statReader(_ b: [UInt8], _ c: ParquetColumn) -> ChunkReader? {
        let r = ChunkReader(physical: c.physical, typeLength: c.typeLength, maxDef: 0, codec: .uncompressed, expectedValues: 1)
        do {
            try b.withUnsafeBytes { raw in
                switch c.physical {
                case .boolean: guard raw.count == 1 else { throw corrupt("") }
                    r.bools.append(raw[0] != 0)
                case .int32: guard raw.count == 4 else { throw corrupt("") }
                    _ = try Plain.decode(raw, count: 1, into: &r.i32)
                case .int64: guard raw.count == 8 else { throw corrupt("") }
                    _ = try Plain.decode(raw, count: 1, into: &r.i64)
                case .int96: guard raw.count == 12 else { throw corrupt("") }
                    _ = try Plain.decodeInt96(raw, count: 1, into: &r.i64)
                case .float: guard raw.count == 4 else { throw corrupt("") }
                    _ = try Plain.decode(raw, count: 1, into: &r.f32)
                case .double: guard raw.count == 8 else { throw corrupt("") }
                    _ = try Plain.decode(raw, count: 1, into: &r.f64)
                case .byteArray, .fixedLenByteArray:
                    r.bytes.append(b)
                }
            }
        } catch { return nil }
        return r
    }

    /// Whether a row group may hold rows matching the predicate (false only when its statistics
    /// prove it cannot).
    public func mightMatch(rowGroup i: Int, _ predicate: ParquetPredicate) -> Bool {
        let stats = statistics(rowGroup: i)
        let rows = meta.rowGroups[i].numRows
        func find(_ name: String) -> ColumnChunkStats? { stats.first { $0.column == name } }
        func eval(_ p: ParquetPredicate) -> Bool {
            switch p {
            case .and(let ps): return ps.allSatisfy(eval)
            case .or(let ps): return ps.isEmpty || ps.contains(where: eval)
            case .isNull(let c):
                guard let s = find(c), let n = s.nullCount else { return true }
                return n > 0
            case .isNotNull(let c):
                guard let s = find(c), let n = s.nullCount else { return true }
                return n < rows
            case .equal(let c, let v): return range(c, lowerThan: v, orEqual: true) && range(c, greaterThan: v, orEqual: true)
            case .less(let c, let v): return range(c, lowerThan: v, orEqual: false)
            case .lessOrEqual(let c, let v): return range(c, lowerThan: v, orEqual: true)
            case .greater(let c, let v): return range(c, greaterThan: v, orEqual: false)
            case .greaterOrEqual(let c, let v): return range(c, greaterThan: v, orEqual: true)
            case .between(let c, let lo, let hi): return range(c, greaterThan: lo, orEqual: true) && range(c, lowerThan: hi, orEqual: true)
            }
        }
        /// Some value in the chunk is < v (or <= v).
        func range(_ c: String, lowerThan v: Value, orEqual: Bool) -> Bool {
            guard let s = find(c) else { return true }
            if let n = s.nullCount, n == rows { return false }
            guard let lo = s.min, let cmp = compareValues(lo, v) else { return true }
            return orEqual ? cmp <= 0 : cmp < 0
        }
        func range(_ c: String, greaterThan v: Value, orEqual: Bool) -> Bool {
            guard let s = find(c) else { return true }
            if let n = s.nullCount, n == rows { return false }
            guard let hi = s.max, let cmp = compareValues(hi, v) else { return true }
            return orEqual ? cmp >= 0 : cmp > 0
        }
        return eval(predicate)
    }

    /// Row groups that may match the predicate.
    public func rowGroups(matching predicate: ParquetPredicate?) -> [Int] {
        (0..<numRowGroups).filter { predicate == nil || mightMatch(rowGroup: $0, predicate!) }
    }
}
