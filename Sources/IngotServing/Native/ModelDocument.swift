#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed JSON or UBJSON model document. Typed arrays keep the element type the file stored, so
/// float32 tree parameters stay exact.
indirect enum ModelDocument: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A float32 scalar (UBJSON `d`; a JSON real when parsed with `realsAsFloat32`).
    case float(Float)
    case double(Double)
    case string(String)
    case array([ModelDocument])
    case object([String: ModelDocument])
    case floats([Float])
    case doubles([Double])
    case ints([Int64])

    subscript(key: String) -> ModelDocument? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var object: [String: ModelDocument]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Elements of an array of any kind, boxed.
    var elements: [ModelDocument]? {
        switch self {
        case .array(let a): return a
        case .floats(let f): return f.map { .float($0) }
        case .doubles(let d): return d.map { .double($0) }
        case .ints(let i): return i.map { .int($0) }
        default: return nil
        }
    }

    var int64: Int64? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        case .float(let f) where f == f.rounded(): return Int64(exactly: f)
        case .double(let d) where d == d.rounded(): return Int64(exactly: d)
        case .string(let s): return Int64(s)
        default: return nil
        }
    }

    var float32: Float? {
        switch self {
        case .float(let f): return f
        case .double(let d): return Float(d)
        case .int(let i): return Float(i)
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return Float(s)
        default: return nil
        }
    }

    var double: Double? {
        switch self {
        case .float(let f): return Double(f)
        case .double(let d): return d
        case .int(let i): return Double(i)
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    var floatArray: [Float]? {
        switch self {
        case .floats(let f): return f
        case .doubles(let d): return d.map { Float($0) }
        case .ints(let i): return i.map { Float($0) }
        case .array(let a):
            var out: [Float] = []
            out.reserveCapacity(a.count)
            for e in a { guard let f = e.float32 else { return nil }; out.append(f) }
            return out
        default: return nil
        }
    }

    var intArray: [Int64]? {
        switch self {
        case .ints(let i): return i
        case .floats(let f): return f.allSatisfy { $0 == $0.rounded() && $0.magnitude < 9e15 } ? f.map { Int64($0) } : nil
        case .doubles(let d): return d.allSatisfy { $0 == $0.rounded() && $0.magnitude < 9e15 } ? d.map { Int64($0) } : nil
        case .array(let a):
            var out: [Int64] = []
            out.reserveCapacity(a.count)
            for e in a { guard let i = e.int64 else { return nil }; out.append(i) }
            return out
        default: return nil
        }
    }

    /// The value as a request cell (for category lists).
    var scoringValue: ScoringValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let f): return .double(Double(f))
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        default: return .null
        }
    }
}

/// A small strict JSON parser producing ``ModelDocument``.
struct ModelJSONParser {
    private let bytes: [UInt8]
    private var i = 0
    private let realsAsFloat32: Bool
    private let format: String

    /// - Parameters:
    ///   - realsAsFloat32: parse non-integer numbers straight to float32 (XGBoost writes float32 values,
    ///     and going through double could round twice).
    ///   - format: names the document in error messages.
    static func parse(_ bytes: [UInt8], realsAsFloat32: Bool = false, format: String = "JSON") throws -> ModelDocument {
        var p = ModelJSONParser(bytes: bytes + [0], realsAsFloat32: realsAsFloat32, format: format)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.bytes[p.i] == 0, p.i == p.bytes.count - 1 else { throw p.fail("trailing characters") }
        return v
    }

    private init(bytes: [UInt8], realsAsFloat32: Bool, format: String) {
        self.bytes = bytes
        self.realsAsFloat32 = realsAsFloat32
        self.format = format
    }

    private func fail(_ what: String) -> NativeModelError {
        .parse(format: format, detail: "\(what) at byte \(i)")
    }

    private mutating func skipSpace() {
        while true {
            let c = bytes[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    private mutating func value(depth: Int) throws -> ModelDocument {
        guard depth < 256 else { throw fail("nesting too deep") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var out: [String: ModelDocument] = [:]
            skipSpace()
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
            while true {
                skipSpace()
                guard bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try string()
                skipSpace()
                guard bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                out[key] = try value(depth: depth + 1)
                skipSpace()
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var out: [ModelDocument] = []
            skipSpace()
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
            while true {
                skipSpace()
                out.append(try value(depth: depth + 1))
                skipSpace()
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N"): try literal("NaN"); return realsAsFloat32 ? .float(.nan) : .double(.nan)
        default:
            return try number()
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        guard i + n < bytes.count, bytes[i..<i + n].elementsEqual(w) else { throw fail("unexpected character") }
        i += n
    }

    private mutating func number() throws -> ModelDocument {
        let start = i
        var real = false
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        if bytes[i] == UInt8(ascii: "I") {  // -Infinity / Infinity as Python's json writes them
            try literal("Infinity")
            let v = bytes[start] == UInt8(ascii: "-") ? -Double.infinity : .infinity
            return realsAsFloat32 ? .float(Float(v)) : .double(v)
        }
        while true {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 { i += 1; continue }
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: "-")
            {
                real = true
                i += 1
                continue
            }
            break
        }
        guard i > start, !(i == start + 1 && bytes[start] == UInt8(ascii: "-")) else { throw fail("unexpected character") }
        if !real, i - start < 19 {
            var v: Int64 = 0
            var k = start
            let negative = bytes[k] == UInt8(ascii: "-")
            if negative { k += 1 }
            while k < i { v = v * 10 + Int64(bytes[k] - 0x30); k += 1 }
            return .int(negative ? -v : v)
        }
        // strtof/strtod are correctly rounded; the buffer ends with a NUL, and the scan stopped at a
        // non-number byte, so the C parser stops at the same place.
        return try bytes.withUnsafeBufferPointer { buf -> ModelDocument in
            let p = UnsafeRawPointer(buf.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>?
            if realsAsFloat32 {
                let v = strtof(p, &end)
                guard let e = end, UnsafeRawPointer(e) - UnsafeRawPointer(p) == i - start else { throw fail("bad number") }
                return .float(v)
            }
            let v = strtod(p, &end)
            guard let e = end, UnsafeRawPointer(e) - UnsafeRawPointer(p) == i - start else { throw fail("bad number") }
            return .double(v)
        }
    }

    private mutating func string() throws -> String {
        i += 1  // opening quote
        var out: [UInt8] = []
        while true {
            let c = bytes[i]
            if c == 0 && i == bytes.count - 1 { throw fail("unterminated string") }
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
            default: throw fail("bad escape")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            i += 1
            switch c {
            case 0x30...0x39: v = v * 16 + UInt32(c - 0x30)
            case 0x41...0x46: v = v * 16 + UInt32(c - 0x37)
            case 0x61...0x66: v = v * 16 + UInt32(c - 0x57)
            default: throw fail("bad \\u escape")
            }
        }
        return v
    }
}
