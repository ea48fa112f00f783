/// Thrift compact protocol types (the nibble values on the wire).
enum TType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
    case binary = 8, list = 9, set = 10, map = 11, structure = 12
}

/// Decodes the Thrift compact protocol from a byte buffer. Every length and count is checked
/// against the bytes that remain, so corrupt input fails with `LakeError.corrupt` instead of
/// allocating or looping without bound.
struct ThriftReader {
    let bytes: [UInt8]
    var pos: Int
    let end: Int
    private var lastField: [Int16] = []
    private var current: Int16 = 0
    private var depth = 0
    /// The value of the last boolean field header (compact protocol folds it into the type).
    private(set) var pendingBool = false

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        pos = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var remaining: Int { end - pos }

    mutating func byte() throws -> UInt8 {
        guard pos < end else { throw corrupt("metadata truncated") }
        let b = bytes[pos]
        pos += 1
        return b
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw corrupt("varint too long") }
        }
    }

    mutating func i64() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    mutating func i32() throws -> Int32 {
        let v = try i64()
        guard let r = Int32(exactly: v) else { throw corrupt("i32 out of range") }
        return r
    }

    /// A non-negative i32 (sizes and counts).
    mutating func count() throws -> Int {
        let v = try i32()
        guard v >= 0 else { throw corrupt("negative size \(v)") }
        return Int(v)
    }

    mutating func binary() throws -> [UInt8] {
        let n = try varint()
        guard n <= UInt64(remaining) else { throw corrupt("binary length \(n) exceeds the \(remaining) bytes left") }
        let out = Array(bytes[pos..<pos + Int(n)])
        pos += Int(n)
        return out
    }

    mutating func string() throws -> String { String(decoding: try binary(), as: UTF8.self) }

    mutating func double() throws -> Double {
        guard remaining >= 8 else { throw corrupt("metadata truncated") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[pos + i]) << (8 * UInt64(i)) }
        pos += 8
        return Double(bitPattern: v)
    }

    mutating func structBegin() throws {
        depth += 1
        guard depth < 64 else { throw corrupt("metadata nested too deeply") }
        lastField.append(current)
        current = 0
    }

    mutating func structEnd() {
        depth -= 1
        current = lastField.popLast() ?? 0
    }

    /// The next field's id and type, or nil at the struct's stop byte.
    mutating func field() throws -> (id: Int16, type: UInt8)? {
        let b = try byte()
        if b == 0 { return nil }
        let type = b & 0x0F
        let delta = b >> 4
        if delta != 0 {
            current &+= Int16(delta)
        } else {
            let v = try i64()
            guard let id = Int16(exactly: v) else { throw corrupt("field id out of range") }
            current = id
        }
        if type == TType.boolTrue.rawValue { pendingBool = true }
        if type == TType.boolFalse.rawValue { pendingBool = false }
        return (current, type)
    }

    /// A list header: element count and element type.
    mutating func listHeader() throws -> (count: Int, type: UInt8) {
        let b = try byte()
        var n = Int(b >> 4)
        if n == 15 {
            let v = try varint()
            guard v <= UInt64(Int32.max) else { throw corrupt("list too long") }
            n = Int(v)
        }
        // Every element takes at least one byte.
        guard n <= remaining else { throw corrupt("list of \(n) elements exceeds the \(remaining) bytes left") }
        return (n, b & 0x0F)
    }

    /// Reads a boolean field's value: for a field it's in the header; in a list it's a byte.
    mutating func bool(type: UInt8) -> Bool { type == TType.boolTrue.rawValue ? true : pendingBool }

    mutating func listBool() throws -> Bool { try byte() == 1 }

    /// Skips a value of the given type.
    mutating func skip(_ type: UInt8) throws {
        switch type {
        case TType.boolTrue.rawValue, TType.boolFalse.rawValue: return
        case TType.byte.rawValue: _ = try byte()
        case TType.i16.rawValue, TType.i32.rawValue, TType.i64.rawValue: _ = try varint()
        case TType.double.rawValue:
            guard remaining >= 8 else { throw corrupt("metadata truncated") }
            pos += 8
        case TType.binary.rawValue:
            let n = try varint()
            guard n <= UInt64(remaining) else { throw corrupt("binary length exceeds the bytes left") }
            pos += Int(n)
        case TType.list.rawValue, TType.set.rawValue:
            let (n, t) = try listHeader()
            try enter()
            for _ in 0..<n {
                if t == TType.boolTrue.rawValue || t == TType.boolFalse.rawValue { _ = try byte() } else { try skip(t) }
            }
            depth -= 1
        case TType.map.rawValue:
            let v = try varint()
            guard v <= UInt64(remaining) else { throw corrupt("map too long") }
            if v == 0 { return }
            let kv = try byte()
            try enter()
            for _ in 0..<Int(v) {
                try skipElement(kv >> 4)
                try skipElement(kv & 0x0F)
            }
            depth -= 1
        case TType.structure.rawValue:
            try structBegin()
            while let f = try field() { try skip(f.type) }
            structEnd()
        default:
            throw corrupt("unknown thrift type \(type)")
        }
    }

    private mutating func skipElement(_ t: UInt8) throws {
        if t == TType.boolTrue.rawValue || t == TType.boolFalse.rawValue { _ = try byte() } else { try skip(t) }
    }

    private mutating func enter() throws {
        depth += 1
        guard depth < 64 else { throw corrupt("metadata nested too deeply") }
    }
}

/// Encodes the Thrift compact protocol.
struct ThriftWriter {
    var out: [UInt8] = []
    private var lastField: [Int16] = []
    private var current: Int16 = 0

    init() { out.reserveCapacity(256) }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    mutating func fieldHeader(_ id: Int16, _ type: TType) {
        let delta = id - current
        if delta > 0 && delta <= 15 {
            out.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            out.append(type.rawValue)
            zigzag(Int64(id))
        }
        current = id
    }

    mutating func i32(_ id: Int16, _ v: Int32) {
        fieldHeader(id, .i32)
        zigzag(Int64(v))
    }

    mutating func i64(_ id: Int16, _ v: Int64) {
        fieldHeader(id, .i64)
        zigzag(v)
    }

    mutating func bool(_ id: Int16, _ v: Bool) { fieldHeader(id, v ? .boolTrue : .boolFalse) }

    mutating func binary(_ id: Int16, _ bytes: [UInt8]) {
        fieldHeader(id, .binary)
        varint(UInt64(bytes.count))
        out.append(contentsOf: bytes)
    }

    mutating func string(_ id: Int16, _ s: String) { binary(id, Array(s.utf8)) }

    mutating func listHeader(_ id: Int16, count: Int, type: TType) {
        fieldHeader(id, .list)
        listHeader(count: count, type: type)
    }

    mutating func listHeader(count: Int, type: TType) {
        if count < 15 {
            out.append(UInt8(count) << 4 | type.rawValue)
        } else {
            out.append(0xF0 | type.rawValue)
            varint(UInt64(count))
        }
    }

    mutating func listI32(_ v: Int32) { zigzag(Int64(v)) }

    mutating func listString(_ s: String) {
        varint(UInt64(s.utf8.count))
        out.append(contentsOf: s.utf8)
    }

    /// Begins a struct-valued field (`id` nil for a list element).
    mutating func structBegin(_ id: Int16?) {
        if let id { fieldHeader(id, .structure) }
        lastField.append(current)
        current = 0
    }

    /// Ends a struct (writes the stop byte).
    mutating func structEnd() {
        out.append(0)
        current = lastField.popLast() ?? 0
    }

    /// A struct with no fields, e.g. a union member like `StringType`.
    mutating func emptyStruct(_ id: Int16) {
        structBegin(id)
        structEnd()
    }
}
