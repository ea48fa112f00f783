import Foundation
import IngotCore

/// A JSON value with ordered object keys and exact integers, used by the table formats (Delta actions,
/// Iceberg metadata, Avro schemas) where key order, int-vs-double and round-tripping matter.
public indirect enum LakeJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([LakeJSON])
    case object([(String, LakeJSON)])

    public static func == (a: LakeJSON, b: LakeJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(b)
        case .int(let i): h.combine(i)
        case .double(let d): h.combine(d)
        case .string(let s): h.combine(s)
        case .array(let a): h.combine(a)
        case .object(let o): for (k, v) in o { h.combine(k); h.combine(v) }
        }
    }

    // MARK: access

    public subscript(key: String) -> LakeJSON? {
        if case .object(let o) = self { return o.first { $0.0 == key }?.1 }
        return nil
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var int: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return d.rounded() == d && abs(d) < 9.0e18 ? Int64(d) : nil
        default: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var array: [LakeJSON]? { if case .array(let a) = self { return a }; return nil }
    public var object: [(String, LakeJSON)]? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// A string-to-string object as a dictionary (non-string values are rendered as JSON).
    public var stringMap: [String: String]? {
        guard let o = object else { return nil }
        var m: [String: String] = [:]
        for (k, v) in o { m[k] = v.string ?? (v.isNull ? nil : v.serialized()) }
        return m
    }

    /// Sets or replaces a key of an object (no-op on other values).
    public mutating func set(_ key: String, _ value: LakeJSON) {
        guard case .object(var o) = self else { return }
        if let i = o.firstIndex(where: { $0.0 == key }) { o[i].1 = value } else { o.append((key, value)) }
        self = .object(o)
    }

    public static func strings(_ m: [String: String]) -> LakeJSON {
        .object(m.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }

    // MARK: serialization

    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN || d.isInfinite { out += "null" } else if d.rounded() == d && abs(d) < 1e15 { out += String(Int64(d)) + ".0" } else { out += "\(d)" }
        case .string(let s): LakeJSON.appendString(s, to: &out)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                v.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                LakeJSON.appendString(k, to: &out)
                out += pretty ? ": " : ":"
                v.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    static func appendString(_ s: String, to out: inout String) {
        JSONText.appendQuoted(s, to: &out)
    }

    // MARK: parsing

    public static func parse(_ text: String) throws -> LakeJSON { try parse(Array(text.utf8)) }

    public static func parse<C: Collection>(_ bytes: C) throws -> LakeJSON where C.Element == UInt8 {
        var p = Parser(bytes: Array(bytes))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.pos == p.bytes.count else { throw LakeJSONError("trailing characters at offset \(p.pos)") }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        var pos = 0

        mutating func skipSpace() {
            while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x0A || bytes[pos] == 0x0D || bytes[pos] == 0x09 { pos += 1 }
        }

        mutating func expect(_ word: String) throws {
            let w = Array(word.utf8)
            guard pos + w.count <= bytes.count, Array(bytes[pos..<pos + w.count]) == w else { throw LakeJSONError("expected \(word) at offset \(pos)") }
            pos += w.count
        }

        mutating func value(depth: Int) throws -> LakeJSON {
            guard depth < 200 else { throw LakeJSONError("nested too deeply") }
            guard pos < bytes.count else { throw LakeJSONError("unexpected end") }
            switch bytes[pos] {
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                pos += 1
                var a: [LakeJSON] = []
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(a) }
                while true {
                    skipSpace()
                    a.append(try value(depth: depth + 1))
                    skipSpace()
                    guard pos < bytes.count else { throw LakeJSONError("unterminated array") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(a) }
                    throw LakeJSONError("expected , or ] at offset \(pos)")
                }
            case UInt8(ascii: "{"):
                pos += 1
                var o: [(String, LakeJSON)] = []
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(o) }
                while true {
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw LakeJSONError("expected a key at offset \(pos)") }
                    let k = try string()
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw LakeJSONError("expected : at offset \(pos)") }
                    pos += 1
                    skipSpace()
                    o.append((k, try value(depth: depth + 1)))
                    skipSpace()
                    guard pos < bytes.count else { throw LakeJSONError("unterminated object") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(o) }
                    throw LakeJSONError("expected , or } at offset \(pos)")
                }
            default:
                return try number()
            }
        }

        mutating func number() throws -> LakeJSON {
            let start = pos
            var isDouble = false
            while pos < bytes.count {
                let c = bytes[pos]
                if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                    pos += 1
                } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                    isDouble = true
                    pos += 1
                } else {
                    break
                }
            }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            guard !text.isEmpty else { throw LakeJSONError("unexpected character at offset \(start)") }
            if !isDouble, let i = Int64(text) { return .int(i) }
            guard let d = Double(text) else { throw LakeJSONError("bad number \(text)") }
            return .double(d)
        }

        mutating func hex4() throws -> UInt32 {
            guard pos + 4 <= bytes.count else { throw LakeJSONError("bad \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[pos]
                pos += 1
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw LakeJSONError("bad \\u escape")
                }
                v = v << 4 | d
            }
            return v
        }

        mutating func string() throws -> String {
            pos += 1
            var out: [UInt8] = []
            while true {
                guard pos < bytes.count else { throw LakeJSONError("unterminated string") }
                let c = bytes[pos]
                pos += 1
                if c == UInt8(ascii: "\"") { break }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard pos < bytes.count else { throw LakeJSONError("unterminated string") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if v >= 0xD800 && v < 0xDC00, pos + 6 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                        pos += 2
                        let lo = try hex4()
                        v = 0x10000 + ((v - 0xD800) << 10) + (lo &- 0xDC00)
                    }
                    out += Array(String(Unicode.Scalar(v).map(Character.init) ?? "\u{FFFD}").utf8)
                default: out.append(e)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

public struct LakeJSONError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = "invalid JSON: " + d }
}
