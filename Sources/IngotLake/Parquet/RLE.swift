/// The RLE / bit-packed hybrid encoding (definition levels, dictionary indices, booleans in v2).
enum RLE {
    /// Number of bits needed to store values up to `maxValue`.
    static func bitWidth(_ maxValue: UInt64) -> Int { maxValue == 0 ? 0 : 64 - maxValue.leadingZeroBitCount }

    /// Decodes `count` values, returning the number of bytes consumed.
    /// - Parameters:
    ///   - input: the encoded runs (without any length prefix).
    ///   - bitWidth: 0...32.
    ///   - count: values to produce; runs past the end of `input` are corrupt.
    ///   - out: room for `count` values.
    @discardableResult
    static func decode(_ input: UnsafeRawBufferPointer, bitWidth: Int, count: Int, into out: UnsafeMutablePointer<UInt32>) throws -> Int {
        guard (0...32).contains(bitWidth) else { throw corrupt("bit width \(bitWidth) out of range") }
        if count == 0 { return 0 }
        if bitWidth == 0 {
            out.initialize(repeating: 0, count: count)
            return 0
        }
        var pos = 0
        var produced = 0
        let n = input.count
        let valueBytes = (bitWidth + 7) / 8
        while produced < count {
            // ULEB128 run header
            var header: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard pos < n else { throw corrupt("RLE data truncated") }
                let b = input[pos]
                pos += 1
                header |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
                if shift > 35 { throw corrupt("RLE run header too long") }
            }
            if header & 1 == 0 {
                let run = Int(header >> 1)
                guard run > 0 else { throw corrupt("empty RLE run") }
                guard pos + valueBytes <= n else { throw corrupt("RLE data truncated") }
                var v: UInt32 = 0
                for i in 0..<valueBytes { v |= UInt32(input[pos + i]) << UInt32(8 * i) }
                pos += valueBytes
                if bitWidth < 32 { v &= (UInt32(1) << UInt32(bitWidth)) - 1 }
                let take = min(run, count - produced)
                (out + produced).initialize(repeating: v, count: take)
                produced += take
            } else {
                let groups = Int(header >> 1)
                guard groups > 0 else { throw corrupt("empty bit-packed run") }
                let values = groups * 8
                let bytes = groups * bitWidth
                let available = n - pos
                // Writers may end the last run early: take whatever whole values are present.
                let usable = min(bytes, available)
                let take = min(values, count - produced, usable * 8 / bitWidth)
                guard take > 0 else { throw corrupt("RLE data truncated") }
                unpack(input.baseAddress! + pos, byteCount: usable, bitWidth: bitWidth, count: take, into: out + produced)
                produced += take
                pos += usable
            }
        }
        return pos
    }

    /// Unpacks LSB-first bit-packed values. `byteCount` bytes are readable from `src`.
    static func unpack(_ src: UnsafeRawPointer, byteCount: Int, bitWidth: Int, count: Int, into out: UnsafeMutablePointer<UInt32>) {
        let mask: UInt64 = bitWidth == 64 ? ~0 : (UInt64(1) << UInt64(bitWidth)) - 1
        var i = 0
        // Fast path: 8-byte loads while they stay in bounds.
        while i < count {
            let bit = i * bitWidth
            let byte = bit >> 3
            if byte + 8 > byteCount { break }
            let word = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
            out[i] = UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
            i += 1
        }
        while i < count {
            let bit = i * bitWidth
            var word: UInt64 = 0
            let byte = bit >> 3
            for k in 0..<min(8, byteCount - byte) { word |= UInt64(src.load(fromByteOffset: byte + k, as: UInt8.self)) << UInt64(8 * k) }
            out[i] = UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
            i += 1
        }
    }

    /// Unpacks 64-bit-wide-capable values (DELTA_BINARY_PACKED miniblocks), width 0...64.
    static func unpack64(_ src: UnsafeRawPointer, byteCount: Int, bitWidth: Int, count: Int, into out: UnsafeMutablePointer<UInt64>) {
        if bitWidth == 0 {
            out.initialize(repeating: 0, count: count)
            return
        }
        let mask: UInt64 = bitWidth == 64 ? ~0 : (UInt64(1) << UInt64(bitWidth)) - 1
        for i in 0..<count {
            let bit = i * bitWidth
            let byte = bit >> 3
            let shift = UInt64(bit & 7)
            var lo: UInt64 = 0
            var hi: UInt64 = 0
            if byte + 8 <= byteCount {
                lo = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
            } else {
                for k in 0..<max(0, min(8, byteCount - byte)) { lo |= UInt64(src.load(fromByteOffset: byte + k, as: UInt8.self)) << UInt64(8 * k) }
            }
            var v = lo >> shift
            if shift > 0, bitWidth + Int(shift) > 64, byte + 8 < byteCount {
                hi = UInt64(src.load(fromByteOffset: byte + 8, as: UInt8.self))
                v |= hi << (64 - shift)
            }
            out[i] = v & mask
        }
    }

    /// Appends the hybrid encoding of `values` to `out`.
    static func encode(_ values: UnsafeBufferPointer<UInt32>, bitWidth: Int, into out: inout [UInt8]) {
        let n = values.count
        if n == 0 { return }
        let valueBytes = (bitWidth + 7) / 8
        var i = 0
        @inline(__always) func header(_ v: Int) {
            var h = UInt64(v)
            while h >= 0x80 {
                out.append(UInt8(h & 0x7F) | 0x80)
                h >>= 7
            }
            out.append(UInt8(h))
        }
        @inline(__always) func runAt(_ i: Int) -> Bool {
            guard i + 8 <= n else { return false }
            let v = values[i]
            for k in 1..<8 where values[i + k] != v { return false }
            return true
        }
        while i < n {
            let v = values[i]
            var j = i + 1
            while j < n && values[j] == v { j += 1 }
            if j - i >= 8 {
                header((j - i) << 1)
                for k in 0..<valueBytes { out.append(UInt8(truncatingIfNeeded: v >> UInt32(8 * k))) }
                i = j
                continue
            }
            let start = i
            var groups = 0
            while i < n && groups < 1 << 20 {
                if groups > 0 && runAt(i) { break }
                i += 8
                groups += 1
            }
            let end = min(i, n)
            i = end
            header(groups << 1 | 1)
            pack(values, from: start, to: end, paddedTo: groups * 8, bitWidth: bitWidth, into: &out)
        }
    }

    /// Bit-packs values[from..<to] LSB-first, padding with zeros to `paddedTo` values.
    static func pack(_ values: UnsafeBufferPointer<UInt32>, from: Int, to: Int, paddedTo: Int, bitWidth: Int, into out: inout [UInt8]) {
        // Grow once, then store bytes through a pointer (no per-byte append checks).
        let total = (paddedTo * bitWidth + 7) / 8
        let base = out.count
        out.append(contentsOf: repeatElement(0, count: total))
        out.withUnsafeMutableBufferPointer { o in
            let dst = o.baseAddress! + base
            var p = 0
            var acc: UInt64 = 0
            var bits = 0
            for k in 0..<paddedTo {
                let v = from + k < to ? UInt64(values[from + k]) : 0
                acc |= v << UInt64(bits)
                bits += bitWidth
                while bits >= 8 {
                    dst[p] = UInt8(truncatingIfNeeded: acc)
                    p += 1
                    acc >>= 8
                    bits -= 8
                }
            }
            if bits > 0 { dst[p] = UInt8(truncatingIfNeeded: acc) }
        }
    }

    /// Bit-packs 64-bit values (width 0...64) LSB-first.
    static func pack64(_ values: UnsafeBufferPointer<UInt64>, bitWidth: Int, into out: inout [UInt8]) {
        if bitWidth == 0 { return }
        var acc: UInt64 = 0
        var bits = 0
        for v in values {
            let m = bitWidth == 64 ? v : v & ((1 << UInt64(bitWidth)) - 1)
            acc |= m << UInt64(bits)
            let total = bits + bitWidth
            if total >= 64 {
                for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: acc >> UInt64(8 * k))) }
                acc = bits == 0 ? 0 : m >> UInt64(64 - bits)
                bits = total - 64
            } else {
                bits = total
            }
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: acc))
                acc >>= 8
                bits -= 8
            }
        }
        if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
    }
}
