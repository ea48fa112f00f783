import Foundation

/// Fixed-width primitive values that PLAIN stores as little-endian bytes.
protocol FixedWidthValue: BitwiseCopyable, Hashable, Sendable {
    static var zero: Self { get }
}

extension Int32: FixedWidthValue { static var zero: Int32 { 0 } }
extension Int64: FixedWidthValue { static var zero: Int64 { 0 } }
extension Float: FixedWidthValue { static var zero: Float { 0 } }
extension Double: FixedWidthValue { static var zero: Double { 0 } }

/// Bounds-checked ULEB/zigzag reading from a raw buffer.
struct ByteCursor {
    let buf: UnsafeRawBufferPointer
    var pos = 0

    init(_ buf: UnsafeRawBufferPointer) { self.buf = buf }

    var remaining: Int { buf.count - pos }

    mutating func uleb() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < buf.count else { throw corrupt("encoded data truncated") }
            let b = buf[pos]
            pos += 1
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw corrupt("varint too long") }
        }
    }

    mutating func zigzag() throws -> Int64 {
        let v = try uleb()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }
}

/// PLAIN encoding and decoding.
enum Plain {
    /// Decodes `count` fixed-width values; returns the bytes consumed.
    static func decode<T: FixedWidthValue>(_ input: UnsafeRawBufferPointer, count: Int, into out: inout [T]) throws -> Int {
        let size = MemoryLayout<T>.size
        let bytes = count * size
        guard bytes <= input.count else { throw corrupt("PLAIN data truncated: need \(bytes) bytes, have \(input.count)") }
        if count == 0 { return 0 }
        let old = out.count
        out.append(contentsOf: repeatElement(T.zero, count: count))
        out.withUnsafeMutableBytes { dst in
            (dst.baseAddress! + old * size).copyMemory(from: input.baseAddress!, byteCount: bytes)
        }
        return bytes
    }

    static func decodeBool(_ input: UnsafeRawBufferPointer, count: Int, into out: inout [Bool]) throws -> Int {
        let bytes = (count + 7) / 8
        guard bytes <= input.count else { throw corrupt("PLAIN boolean data truncated") }
        out.reserveCapacity(out.count + count)
        for i in 0..<count { out.append(input[i >> 3] & (1 << UInt8(i & 7)) != 0) }
        return bytes
    }

    static func decodeByteArray(_ input: UnsafeRawBufferPointer, count: Int, into out: inout BinaryValues) throws -> Int {
        // Pass 1: validate every length and size the output exactly.
        var pos = 0
        let n = input.count
        var total = 0
        for _ in 0..<count {
            guard pos + 4 <= n else { throw corrupt("PLAIN byte array truncated") }
            let len = Int(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: pos, as: UInt32.self)))
            pos += 4
            guard len <= n - pos else { throw corrupt("byte array length \(len) exceeds the page") }
            total += len
            pos += len
        }
        if count == 0 { return 0 }
        // Pass 2: copy.
        var data = out.data
        var offsets = out.offsets
        out = BinaryValues(offsets: [], data: [])
        let base = data.count
        data.append(contentsOf: repeatElement(0, count: total))
        offsets.reserveCapacity(offsets.count + count)
        var dst = base
        pos = 0
        data.withUnsafeMutableBytes { d in
            let src = input.baseAddress!
            for _ in 0..<count {
                let len = Int(UInt32(littleEndian: src.loadUnaligned(fromByteOffset: pos, as: UInt32.self)))
                pos += 4
                if len > 0 { (d.baseAddress! + dst).copyMemory(from: src + pos, byteCount: len) }
                pos += len
                dst += len
                offsets.append(Int32(truncatingIfNeeded: dst))
            }
        }
        out = BinaryValues(offsets: offsets, data: data)
        return pos
    }

    /// Appends dictionary entries selected by `indices` (all already checked to be in range).
    static func gatherBytes(_ dict: BinaryValues, _ indices: UnsafeBufferPointer<UInt32>, into out: inout BinaryValues) {
        var data = out.data
        var offsets = out.offsets
        out = BinaryValues(offsets: [], data: [])
        dict.offsets.withUnsafeBufferPointer { dofs in
            var total = 0
            for i in indices { total += Int(dofs[Int(i) + 1] - dofs[Int(i)]) }
            var dst = data.count
            data.append(contentsOf: repeatElement(0, count: total))
            offsets.reserveCapacity(offsets.count + indices.count)
            data.withUnsafeMutableBytes { d in
                dict.data.withUnsafeBytes { src in
                    for i in indices {
                        let lo = Int(dofs[Int(i)]), len = Int(dofs[Int(i) + 1]) - lo
                        if len > 0 { (d.baseAddress! + dst).copyMemory(from: src.baseAddress! + lo, byteCount: len) }
                        dst += len
                        offsets.append(Int32(truncatingIfNeeded: dst))
                    }
                }
            }
        }
        out = BinaryValues(offsets: offsets, data: data)
    }

    static func decodeFixedBytes(_ input: UnsafeRawBufferPointer, width: Int, count: Int, into out: inout BinaryValues) throws -> Int {
        let bytes = width * count
        guard width >= 0, bytes <= input.count else { throw corrupt("PLAIN fixed-length data truncated") }
        out.data.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[0..<bytes]))
        var off = out.offsets.last ?? 0
        out.offsets.reserveCapacity(out.offsets.count + count)
        for _ in 0..<count {
            off += Int32(width)
            out.offsets.append(off)
        }
        return bytes
    }

    /// INT96 (nanos of day, Julian day) to microseconds since the epoch.
    static func decodeInt96(_ input: UnsafeRawBufferPointer, count: Int, into out: inout [Int64]) throws -> Int {
        guard count * 12 <= input.count else { throw corrupt("INT96 data truncated") }
        out.reserveCapacity(out.count + count)
        for i in 0..<count {
            let nanos = Int64(littleEndian: input.loadUnaligned(fromByteOffset: i * 12, as: Int64.self))
            let day = Int64(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: i * 12 + 8, as: UInt32.self)))
            out.append((day - 2_440_588) &* 86_400_000_000 &+ nanos / 1000)
        }
        return count * 12
    }

    static func encode<T: FixedWidthValue>(_ values: UnsafeBufferPointer<T>, into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(values))
    }

    static func encodeBool(_ values: UnsafeBufferPointer<Bool>, into out: inout [UInt8]) {
        var byte: UInt8 = 0
        for (i, v) in values.enumerated() {
            if v { byte |= 1 << UInt8(i & 7) }
            if i & 7 == 7 {
                out.append(byte)
                byte = 0
            }
        }
        if values.count & 7 != 0 { out.append(byte) }
    }
}

/// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY.
enum Delta {
    /// Decodes exactly `count` integers; returns the bytes consumed.
    static func decode(_ input: UnsafeRawBufferPointer, count: Int, into out: inout [Int64]) throws -> Int {
        var c = ByteCursor(input)
        let blockSize = try c.uleb()
        let miniCount = try c.uleb()
        let total = try c.uleb()
        let first = try c.zigzag()
        guard blockSize > 0, blockSize % 128 == 0, blockSize <= 1 << 16, miniCount > 0, blockSize % miniCount == 0,
            (blockSize / miniCount) % 32 == 0
        else { throw corrupt("bad DELTA_BINARY_PACKED header") }
        guard total == UInt64(count) else { throw corrupt("DELTA_BINARY_PACKED holds \(total) values, expected \(count)") }
        if count == 0 { return c.pos }
        let perMini = Int(blockSize / miniCount)
        let minis = Int(miniCount)
        out.reserveCapacity(out.count + count)
        out.append(first)
        var produced = 1
        var last = first
        var tmp = [UInt64](repeating: 0, count: perMini)
        while produced < count {
            let minDelta = try c.zigzag()
            guard c.remaining >= minis else { throw corrupt("DELTA_BINARY_PACKED truncated") }
            let widthsAt = c.pos
            c.pos += minis
            for m in 0..<minis where produced < count {
                let w = Int(input[widthsAt + m])
                guard w <= 64 else { throw corrupt("DELTA_BINARY_PACKED bit width \(w)") }
                let bytes = perMini * w / 8
                let take = min(perMini, count - produced)
                let avail = min(bytes, c.remaining)
                guard avail * 8 >= take * w else { throw corrupt("DELTA_BINARY_PACKED truncated") }
                tmp.withUnsafeMutableBufferPointer { t in
                    RLE.unpack64(input.baseAddress! + c.pos, byteCount: avail, bitWidth: w, count: take, into: t.baseAddress!)
                }
                for k in 0..<take {
                    last = last &+ minDelta &+ Int64(bitPattern: tmp[k])
                    out.append(last)
                }
                produced += take
                c.pos += avail
            }
        }
        return c.pos
    }

    /// Encodes with 128-value blocks of 4 miniblocks.
    static func encode(_ values: UnsafeBufferPointer<Int64>, into out: inout [UInt8]) {
        var w = ThriftWriter()
        w.varint(128)
        w.varint(4)
        w.varint(UInt64(values.count))
        w.zigzag(values.first ?? 0)
        out.append(contentsOf: w.out)
        var i = 1
        var adjusted = [UInt64](repeating: 0, count: 128)
        while i < values.count {
            let n = min(128, values.count - i)
            var minDelta = Int64.max
            for k in 0..<n { minDelta = min(minDelta, values[i + k] &- values[i + k - 1]) }
            for k in 0..<128 { adjusted[k] = k < n ? UInt64(bitPattern: (values[i + k] &- values[i + k - 1]) &- minDelta) : 0 }
            var h = ThriftWriter()
            h.zigzag(minDelta)
            out.append(contentsOf: h.out)
            let needed = (n + 31) / 32
            var widths = [Int](repeating: 0, count: 4)
            for m in 0..<needed {
                var maxV: UInt64 = 0
                for k in m * 32..<m * 32 + 32 { maxV |= adjusted[k] }
                widths[m] = RLE.bitWidth(maxV)
            }
            for m in 0..<4 { out.append(UInt8(widths[m])) }
            adjusted.withUnsafeBufferPointer { a in
                for m in 0..<needed {
                    RLE.pack64(UnsafeBufferPointer(rebasing: a[m * 32..<m * 32 + 32]), bitWidth: widths[m], into: &out)
                }
            }
            i += n
        }
    }

    static func decodeLengthByteArray(_ input: UnsafeRawBufferPointer, count: Int, into out: inout BinaryValues) throws -> Int {
        var lengths: [Int64] = []
        var pos = try decode(input, count: count, into: &lengths)
        out.offsets.reserveCapacity(out.offsets.count + count)
        for len in lengths {
            guard len >= 0, len <= Int64(input.count - pos) else { throw corrupt("DELTA_LENGTH_BYTE_ARRAY length out of range") }
            out.data.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[pos..<pos + Int(len)]))
            out.offsets.append(Int32(truncatingIfNeeded: out.data.count))
            pos += Int(len)
        }
        return pos
    }

    static func decodeByteArray(_ input: UnsafeRawBufferPointer, count: Int, into out: inout BinaryValues) throws -> Int {
        var prefixes: [Int64] = []
        var pos = try decode(input, count: count, into: &prefixes)
        var suffixLengths: [Int64] = []
        pos += try decode(UnsafeRawBufferPointer(rebasing: input[pos...]), count: count, into: &suffixLengths)
        var previous: Range<Int> = 0..<0
        out.offsets.reserveCapacity(out.offsets.count + count)
        for i in 0..<count {
            let p = prefixes[i], s = suffixLengths[i]
            guard p >= 0, p <= Int64(previous.count), s >= 0, s <= Int64(input.count - pos) else {
                throw corrupt("DELTA_BYTE_ARRAY prefix or suffix out of range")
            }
            let start = out.data.count
            if p > 0 {
                for k in 0..<Int(p) { out.data.append(out.data[previous.lowerBound + k]) }
            }
            out.data.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[pos..<pos + Int(s)]))
            pos += Int(s)
            out.offsets.append(Int32(truncatingIfNeeded: out.data.count))
            previous = start..<out.data.count
        }
        return pos
    }
}

/// BYTE_STREAM_SPLIT: byte k of every value is stored in stream k.
enum ByteStreamSplit {
    /// Decodes `count` values of `width` bytes into raw little-endian bytes appended to `out`.
    static func decode(_ input: UnsafeRawBufferPointer, width: Int, count: Int, into out: inout [UInt8]) throws -> Int {
        guard width > 0, width * count <= input.count else { throw corrupt("BYTE_STREAM_SPLIT data truncated") }
        let old = out.count
        out.append(contentsOf: repeatElement(0, count: width * count))
        out.withUnsafeMutableBufferPointer { o in
            for k in 0..<width {
                let stream = k * count
                for i in 0..<count { o[old + i * width + k] = input[stream + i] }
            }
        }
        return width * count
    }

    static func encode(_ raw: UnsafeRawBufferPointer, width: Int, into out: inout [UInt8]) {
        let count = raw.count / width
        for k in 0..<width {
            for i in 0..<count { out.append(raw[i * width + k]) }
        }
    }
}
