/// A bit pattern for hashing and exact equality (so -0.0 != 0.0 and NaNs compare by payload).
protocol DictionaryKey: FixedWidthValue {
    var bits: UInt64 { get }
}

extension Int32: DictionaryKey { var bits: UInt64 { UInt64(UInt32(bitPattern: self)) } }
extension Int64: DictionaryKey { var bits: UInt64 { UInt64(bitPattern: self) } }
extension Float: DictionaryKey { var bits: UInt64 { UInt64(bitPattern.self) } }
extension Double: DictionaryKey { var bits: UInt64 { bitPattern } }

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

    /// Indices for `input`, appended to `out`.
    func insert(_ input: UnsafeBufferPointer<T>, into out: inout [UInt32]) {
        out.reserveCapacity(out.count + input.count)
        for v in input { out.append(index(v)) }
    }

    @inline(__always) func index(_ v: T) -> UInt32 {
        let b = v.bits
        var i = Int(truncatingIfNeeded: mix64(b)) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if values[Int(s)].bits == b { return UInt32(s) }
            i = (i + 1) & mask
        }
        let idx = Int32(values.count)
        slots[i] = idx
        values.append(v)
        if values.count * 2 > mask { grow() }
        return UInt32(idx)
    }

    private func grow() {
        let newCap = (mask + 1) * 2
        slots = [Int32](repeating: -1, count: newCap)
        mask = newCap - 1
        for (k, v) in values.enumerated() {
            var i = Int(truncatingIfNeeded: mix64(v.bits)) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(k)
        }
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

    /// The index of bytes `p[0..<n]`, inserting them if new.
    func index(_ p: UnsafeRawPointer?, _ n: Int) -> UInt32 {
        let h = Self.hash(p, n)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if hashes[Int(s)] == h {
                let r = values.range(Int(s))
                if r.count == n {
                    let equal = values.data.withUnsafeBytes { d in n == 0 || memcmp(d.baseAddress! + r.lowerBound, p!, n) == 0 }
                    if equal { return UInt32(s) }
                }
            }
            i = (i + 1) & mask
        }
        let idx = Int32(values.count)
        slots[i] = idx
        hashes.append(h)
        if n > 0 { values.data.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n)) }
        values.offsets.append(Int32(truncatingIfNeeded: values.data.count))
        if values.count * 2 > mask { grow() }
        return UInt32(idx)
    }

    private func grow() {
        let newCap = (mask + 1) * 2
        slots = [Int32](repeating: -1, count: newCap)
        mask = newCap - 1
        for (k, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(k)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
