/// Decodes Universal Binary JSON (ubjson.org, draft 12) into a ``ModelDocument``: all value markers
/// (`Z N T F i U I l L d D H C S [ {`), big-endian numbers, and optimized containers (`$` type and `#`
/// count). Strongly typed numeric arrays — what XGBoost writes for tree parameters — stay typed
/// (`[$d#L…` becomes `.floats`).
struct UBJSONDecoder {
    private let bytes: [UInt8]
    private var i = 0
    static let format = "UBJSON model"

    static func decode(_ bytes: [UInt8]) throws -> ModelDocument {
        var d = UBJSONDecoder(bytes: bytes)
        let v = try d.value(depth: 0)
        d.skipNoOps()
        guard d.i == bytes.count else { throw d.fail("trailing bytes") }
        return v
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ what: String) -> NativeModelError { .parse(format: Self.format, detail: "\(what) at byte \(i)") }

    private mutating func byte() throws -> UInt8 {
        guard i < bytes.count else { throw fail("unexpected end") }
        defer { i += 1 }
        return bytes[i]
    }

    private mutating func skipNoOps() {
        while i < bytes.count, bytes[i] == UInt8(ascii: "N") { i += 1 }
    }

    private mutating func bigEndian<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let n = MemoryLayout<T>.size
        guard i + n <= bytes.count else { throw fail("unexpected end") }
        var v: T = 0
        for k in 0..<n { v = (v << 8) | T(truncatingIfNeeded: bytes[i + k]) }
        i += n
        return v
    }

    private mutating func float32() throws -> Float { Float(bitPattern: try bigEndian(UInt32.self)) }
    private mutating func float64() throws -> Double { Double(bitPattern: try bigEndian(UInt64.self)) }

    /// An integer introduced by `marker` (used for lengths and counts).
    private mutating func integer(marker: UInt8) throws -> Int64 {
        switch marker {
        case UInt8(ascii: "i"): return Int64(try bigEndian(Int8.self))
        case UInt8(ascii: "U"): return Int64(try bigEndian(UInt8.self))
        case UInt8(ascii: "I"): return Int64(try bigEndian(Int16.self))
        case UInt8(ascii: "l"): return Int64(try bigEndian(Int32.self))
        case UInt8(ascii: "L"): return try bigEndian(Int64.self)
        default: throw fail("expected an integer marker, found 0x\(String(marker, radix: 16))")
        }
    }

    private mutating func length() throws -> Int {
        let n = try integer(marker: try byte())
        guard n >= 0, n <= Int64(bytes.count - i) * 8 + 64 else { throw fail("bad length \(n)") }
        return Int(n)
    }

    private mutating func string() throws -> String {
        let n = try length()
        guard i + n <= bytes.count else { throw fail("string runs past the end") }
        defer { i += n }
        return String(decoding: bytes[i..<i + n], as: UTF8.self)
    }

    private mutating func value(depth: Int) throws -> ModelDocument {
        skipNoOps()
        return try value(marker: try byte(), depth: depth)
    }

    private mutating func value(marker: UInt8, depth: Int) throws -> ModelDocument {
        guard depth < 256 else { throw fail("nesting too deep") }
        switch marker {
        case UInt8(ascii: "Z"): return .null
        case UInt8(ascii: "T"): return .bool(true)
        case UInt8(ascii: "F"): return .bool(false)
        case UInt8(ascii: "i"), UInt8(ascii: "U"), UInt8(ascii: "I"), UInt8(ascii: "l"), UInt8(ascii: "L"):
            return .int(try integer(marker: marker))
        case UInt8(ascii: "d"): return .float(try float32())
        case UInt8(ascii: "D"): return .double(try float64())
        case UInt8(ascii: "C"): return .string(String(UnicodeScalar(try byte())))
        case UInt8(ascii: "S"): return .string(try string())
        case UInt8(ascii: "H"):
            let text = try string()
            guard let v = Double(text) else { throw fail("bad high-precision number '\(text)'") }
            return .double(v)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "{"): return try object(depth: depth)
        default: throw fail("unknown marker 0x\(String(marker, radix: 16))")
        }
    }

    /// Reads an optional `$type` and `#count` after a container opener.
    private mutating func containerHeader() throws -> (type: UInt8?, count: Int?) {
        var type: UInt8?
        var count: Int?
        if i < bytes.count, bytes[i] == UInt8(ascii: "$") {
            i += 1
            type = try byte()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "#") else { throw fail("'$' without '#'") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "#") {
            i += 1
            count = try length()
        }
        return (type, count)
    }

    private mutating func array(depth: Int) throws -> ModelDocument {
        let (type, count) = try containerHeader()
        if let type, let n = count {
            let width: Int
            switch type {
            case UInt8(ascii: "d"): width = 4
            case UInt8(ascii: "D"), UInt8(ascii: "L"): width = 8
            case UInt8(ascii: "l"): width = 4
            case UInt8(ascii: "I"): width = 2
            case UInt8(ascii: "i"), UInt8(ascii: "U"): width = 1
            default: width = 0
            }
            if width > 0 {
                guard n <= (bytes.count - i) / width else { throw fail("typed array runs past the end") }
                switch type {
                case UInt8(ascii: "d"):
                    var out = [Float](repeating: 0, count: n)
                    for k in 0..<n { out[k] = try float32() }
                    return .floats(out)
                case UInt8(ascii: "D"):
                    var out = [Double](repeating: 0, count: n)
                    for k in 0..<n { out[k] = try float64() }
                    return .doubles(out)
                default:
                    var out = [Int64](repeating: 0, count: n)
                    for k in 0..<n { out[k] = try integer(marker: type) }
                    return .ints(out)
                }
            }
            var out: [ModelDocument] = []
            out.reserveCapacity(min(n, 1 << 20))
            for _ in 0..<n { out.append(try value(marker: type, depth: depth + 1)) }
            return .array(out)
        }
        var out: [ModelDocument] = []
        if let n = count {
            out.reserveCapacity(min(n, 1 << 20))
            for _ in 0..<n { out.append(try value(depth: depth + 1)) }
            return .array(out)
        }
        while true {
            skipNoOps()
            guard i < bytes.count else { throw fail("unterminated array") }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
            out.append(try value(depth: depth + 1))
        }
    }

    private mutating func object(depth: Int) throws -> ModelDocument {
        let (type, count) = try containerHeader()
        var out: [String: ModelDocument] = [:]
        func member(_ d: inout UBJSONDecoder) throws {
            let key = try d.string()
            out[key] = try type.map { try d.value(marker: $0, depth: depth + 1) } ?? d.value(depth: depth + 1)
        }
        if let n = count {
            for _ in 0..<n { try member(&self) }
            return .object(out)
        }
        while true {
            skipNoOps()
            guard i < bytes.count else { throw fail("unterminated object") }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
            try member(&self)
        }
    }
}
