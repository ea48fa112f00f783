/// A bit pattern for hashing and exact equality (so -0.0 != 0.0 and NaNs compare by payload).
protocol DictionaryKey: FixedWidthValue {
    var bits: UInt64 { get }
    /// Adds the value to running statistics.
    func accumulate(into stats: inout StatsAccumulator)
    /// The value as an integer (for DELTA_BINARY_PACKED); nil for floating point.
    var integer: Int64? { get }
}

extension Int32: DictionaryKey {
    var bits: UInt64 { UInt64(UInt32(bitPattern: self)) }
    @inline(__always) func accumulate(into stats: inout StatsAccumulator) { stats.add(int: self) }
    var integer: Int64? { Int64(self) }
}

extension Int64: DictionaryKey {
    var bits: UInt64 { UInt64(bitPattern: self) }
    @inline(__always) func accumulate(into stats: inout StatsAccumulator) { stats.add(int: self) }
    var integer: Int64? { self }
}

extension Float: DictionaryKey {
    var bits: UInt64 { UInt64(bitPattern.self) }
    @inline(__always) func accumulate(into stats: inout StatsAccumulator) { stats.add(float: Double(self)) }
    var integer: Int64? { nil }
}

extension Double: DictionaryKey {
    var bits: UInt64 { bitPattern }
    @inline(__always) func accumulate(into stats: inout StatsAccumulator) { stats.add(float: self) }
    var integer: Int64? { nil }
}

@inline(__always) func mix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Open-addressing dictionary for fixed-width values.
final class FixedDictionary<T: DictionaryKey> {
    private(set) var values: [T] = []
    private var slots: [Int32]
    private var mask: Int

    init() {
        slots = [Int32](repeating: -1, count: 1024)
        mask = 1023
    }

    var count: Int { values.count }
    var byteSize: Int { values.count * MemoryLayout<T>.size }

    /// Indices for `input`, appended to `out`. Works on local copies so the hot loop has no
    /// dynamic exclusivity checks.
    func insert(_ input: UnsafeBufferPointer<T>, into out: inout [UInt32]) {
        var vals = values
        var sl = slots
        var m = mask
        values = []
        slots = []
        out.reserveCapacity(out.count + input.count)
        for v in input {
            let b = v.bits
            var i = Int(truncatingIfNeeded: mix64(b)) & m
            var found: Int32 = -1
            sl.withUnsafeBufferPointer { s in
                vals.withUnsafeBufferPointer { vp in
                    while true {
                        let x = s[i]
                        if x < 0 { break }
                        if vp[Int(x)].bits == b {
                            found = x
                            break
                        }
                        i = (i + 1) & m
                    }
                }
            }
            if found >= 0 {
                out.append(UInt32(found))
                continue
            }
            let idx = Int32(vals.count)
            sl[i] = idx
            vals.append(v)
            out.append(UInt32(idx))
            if vals.count * 2 > m {
                let cap = (m + 1) * 2
                sl = [Int32](repeating: -1, count: cap)
                m = cap - 1
                for (k, x) in vals.enumerated() {
                    var j = Int(truncatingIfNeeded: mix64(x.bits)) & m
                    while sl[j] >= 0 { j = (j + 1) & m }
                    sl[j] = Int32(k)
                }
            }
        }
        values = vals
        slots = sl
        mask = m
    }
}

/// Open-addressing dictionary for byte strings.
final class BytesDictionary {
    private(set) var values = BinaryValues()
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    init() {
        slots = [Int32](repeating: -1, count: 1024)
        mask = 1023
    }

    var count: Int { values.count }
    /// PLAIN-encoded size.
    var byteSize: Int { values.data.count + 4 * values.count }

    @inline(__always)
    static func hash(_ p: UnsafeRawPointer?, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(n)
        guard let p else { return mix64(h) }
        var i = 0
        while i + 8 <= n {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01B3
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        return mix64(h ^ tail)
    }

    /// Byte equality of two n-byte strings (n > 0); 8...16 bytes compare as two words.
    @inline(__always)
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        if n >= 8 && n <= 16 {
            return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
                && a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        return memcmp(a, b, n) == 0
    }

    /// Indices of `rows` (or only `present` rows) of a byte column, appended to `out`.
    func insert(data: UnsafeRawBufferPointer, offsets: UnsafeBufferPointer<Int32>, rows: Range<Int>, present: [Int]?, into out: inout [UInt32]) {
        var vals = values
        var hs = hashes
        var sl = slots
        var m = mask
        values = BinaryValues()
        hashes = []
        slots = []
        @inline(__always) func one(_ r: Int) {
            let lo = Int(offsets[r]), n = Int(offsets[r + 1]) - lo
            let p = data.baseAddress.map { $0 + lo }
            let h = Self.hash(p, n)
            var i = Int(truncatingIfNeeded: h) & m
            var found: Int32 = -1
            vals.data.withUnsafeBytes { d in
                vals.offsets.withUnsafeBufferPointer { vo in
                    hs.withUnsafeBufferPointer { hp in
                        sl.withUnsafeBufferPointer { s in
                            while true {
                                let x = s[i]
                                if x < 0 { break }
                                if hp[Int(x)] == h {
                                    let a = Int(vo[Int(x)]), b = Int(vo[Int(x) + 1])
                                    if b - a == n && (n == 0 || Self.equal(d.baseAddress! + a, p!, n)) {
                                        found = x
                                        break
                                    }
                                }
                                i = (i + 1) & m
                            }
                        }
                    }
                }
            }
            if found >= 0 {
                out.append(UInt32(found))
                return
            }
            let idx = Int32(hs.count)
            sl[i] = idx
            hs.append(h)
            if n > 0 { vals.data.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n)) }
            vals.offsets.append(Int32(truncatingIfNeeded: vals.data.count))
            out.append(UInt32(idx))
            if hs.count * 2 > m {
                let cap = (m + 1) * 2
                sl = [Int32](repeating: -1, count: cap)
                m = cap - 1
                for (k, x) in hs.enumerated() {
                    var j = Int(truncatingIfNeeded: x) & m
                    while sl[j] >= 0 { j = (j + 1) & m }
                    sl[j] = Int32(k)
                }
            }
        }
        out.reserveCapacity(out.count + rows.count)
        if let present { for r in present { one(r) } } else { for r in rows { one(r) } }
        values = vals
        hashes = hs
        slots = sl
        mask = m
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
