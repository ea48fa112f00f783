/// Options for ``JSONLinesReader``.
public struct JSONLinesOptions: Sendable {
    public var schema: Schema?
    public var inferenceRows = 1000
    /// Infer dates and timestamps from ISO strings.
    public var inferDates = true
    public var malformed: MalformedRowPolicy = .fail
    public var batchRows = 65_536

    public init() {}
}

/// A scalar parsed from a JSON line.
enum JSONScalar {
    case null
    case bool(Bool)
    /// A number's text and whether it is integral.
    case number([UInt8], integral: Bool)
    case string([UInt8])
    /// A nested array or object, kept as its JSON text.
    case raw([UInt8])
}

/// A minimal JSON parser for one object per line.
struct JSONLineParser {
    let b: UnsafeRawBufferPointer
    var i = 0

    init(_ b: UnsafeRawBufferPointer) { self.b = b }

    mutating func ws() { while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 13 || b[i] == 10 { i += 1 } }

    mutating func object() throws -> [([UInt8], JSONScalar)] {
        ws()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { throw JSONError.bad("expected an object") }
        i += 1
        var out: [([UInt8], JSONScalar)] = []
        ws()
        if i < b.count, b[i] == UInt8(ascii: "}") {
            i += 1
            return try end(out)
        }
        while true {
            ws()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw JSONError.bad("expected a key") }
            let key = try string()
            ws()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw JSONError.bad("expected ':'") }
            i += 1
            ws()
            out.append((key, try value(depth: 0)))
            ws()
            guard i < b.count else { throw JSONError.bad("unterminated object") }
            if b[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard b[i] == UInt8(ascii: "}") else { throw JSONError.bad("expected ',' or '}'") }
            i += 1
            return try end(out)
        }
    }

    private mutating func end(_ out: [([UInt8], JSONScalar)]) throws -> [([UInt8], JSONScalar)] {
        ws()
        guard i == b.count else { throw JSONError.bad("trailing characters") }
        return out
    }

    mutating func value(depth: Int) throws -> JSONScalar {
        guard depth < 100 else { throw JSONError.bad("nested too deeply") }
        guard i < b.count else { throw JSONError.bad("missing value") }
        let c = b[i]
        switch c {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let start = i
            try skipNested(depth: depth)
            return .raw(Array(b[start..<i]))
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N"): try literal("NaN"); return .number(Array("NaN".utf8), integral: false)
        case UInt8(ascii: "I"): try literal("Infinity"); return .number(Array("Infinity".utf8), integral: false)
        default:
            let start = i
            var integral = true
            if i < b.count, b[i] == UInt8(ascii: "-") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "I") {
                    try literal("Infinity")
                    return .number(Array("-Infinity".utf8), integral: false)
                }
            }
            while i < b.count {
                let x = b[i]
                if x >= 48 && x <= 57 { i += 1; continue }
                if x == UInt8(ascii: ".") || x == UInt8(ascii: "e") || x == UInt8(ascii: "E") || x == UInt8(ascii: "+") || x == UInt8(ascii: "-") {
                    integral = false
                    i += 1
                    continue
                }
                break
            }
            guard i > start else { throw JSONError.bad("unexpected character") }
            let text = Array(b[start..<i])
            let ok = text.withUnsafeBytes { TextValues.double($0) != nil }
            guard ok else { throw JSONError.bad("bad number") }
            return .number(text, integral: integral)
        }
    }

    private mutating func literal(_ s: String) throws {
        for u in s.utf8 {
            guard i < b.count, b[i] == u else { throw JSONError.bad("bad literal") }
            i += 1
        }
    }

    private mutating func skipNested(depth: Int) throws {
        let open = b[i]
        let close = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
        i += 1
        ws()
        if i < b.count, b[i] == close {
            i += 1
            return
        }
        while true {
            ws()
            if open == UInt8(ascii: "{") {
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw JSONError.bad("expected a key") }
                _ = try string()
                ws()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw JSONError.bad("expected ':'") }
                i += 1
                ws()
            }
            _ = try value(depth: depth + 1)
            ws()
            guard i < b.count else { throw JSONError.bad("unterminated") }
            if b[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard b[i] == close else { throw JSONError.bad("expected a separator") }
            i += 1
            return
        }
    }

    mutating func string() throws -> [UInt8] {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw JSONError.bad("unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return out
            }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < b.count else { throw JSONError.bad("bad escape") }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                var cp = try hex4()
                if (0xD800..<0xDC00).contains(cp), i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let lo = try hex4()
                    guard (0xDC00..<0xE000).contains(lo) else { throw JSONError.bad("bad surrogate pair") }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                }
                let scalar = Unicode.Scalar(cp) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: out.append(e)
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count else { throw JSONError.bad("bad \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw JSONError.bad("bad \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}

enum JSONError: Error {
    case bad(String)
    var text: String {
        switch self { case .bad(let s): return s }
    }
}

/// Reads JSON-lines files (one object per line) into record batches, inferring a schema from a sample.
public final class JSONLinesReader: @unchecked Sendable {
    public private(set) var schema: Schema
    public let path: String
    private let options: JSONLinesOptions
    private let file: FileSource
    private var fileOffset: Int64 = 0
    private var buf: [UInt8] = []
    private var pos = 0
    private var eof = false
    private var line = 0
    private var sample: [(line: Int, bytes: [UInt8])] = []
    private var columnCount = 0
    private var index: [[UInt8]: Int] = [:]

    public var bytesRead: Int64 { fileOffset - Int64(buf.count - pos) }
    public var fileSize: Int64 { file.size }

    public init(path: String, options: JSONLinesOptions = JSONLinesOptions()) throws {
        self.path = path
        self.options = options
        file = try FileSource(path: path)
        schema = Schema([])
        if let s = options.schema {
            schema = s
        } else {
            var names: [[UInt8]] = []
            var types: [InferredType] = []
            var seen: [[UInt8]: Int] = [:]
            while sample.count < max(1, options.inferenceRows), let (n, l) = try nextLine() {
                sample.append((n, l))
                guard let obj = try? l.withUnsafeBytes({ b -> [([UInt8], JSONScalar)] in var p = JSONLineParser(b); return try p.object() }) else { continue }
                for (k, v) in obj {
                    let idx: Int
                    if let x = seen[k] { idx = x } else {
                        idx = names.count
                        seen[k] = idx
                        names.append(k)
                        types.append(InferredType())
                    }
                    switch v {
                    case .null: break
                    case .bool: types[idx].kind = InferredType.merge(types[idx].kind, .bool)
                    case .number(_, let integral):
                        types[idx].kind = InferredType.merge(types[idx].kind, integral ? .int : .double)
                    case .string(let s):
                        var t = InferredType()
                        if options.inferDates { s.withUnsafeBytes { t.observe($0) } }
                        let k: InferredType.Kind = t.kind == .date || t.kind == .timestamp ? t.kind : .string
                        if t.zoned { types[idx].zoned = true }
                        types[idx].kind = InferredType.merge(types[idx].kind, k)
                    case .raw: types[idx].kind = .string
                    }
                }
            }
            schema = Schema(zip(names, types).map { Field(String(decoding: $0.0, as: UTF8.self), $0.1.lakeType) })
        }
        columnCount = schema.fields.count
        for (k, f) in schema.fields.enumerated() { index[Array(f.name.utf8)] = k }
        if options.malformed == .rescue { schema.fields.append(Field("_rescued_data", .string)) }
    }

    private func nextLine() throws -> (Int, [UInt8])? {
        while true {
            if let nl = buf[pos...].firstIndex(of: 10) {
                line += 1
                var end = nl
                if end > pos, buf[end - 1] == 13 { end -= 1 }
                let l = Array(buf[pos..<end])
                pos = nl + 1
                if l.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
                return (line, l)
            }
            if eof {
                guard pos < buf.count else { return nil }
                line += 1
                let l = Array(buf[pos...])
                pos = buf.count
                if l.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { return nil }
                return (line, l)
            }
            if pos > 0 {
                buf.removeFirst(pos)
                pos = 0
            }
            let want = Int(min(Int64(4 << 20), file.size - fileOffset))
            if want > 0 { buf += try file.readSync(offset: fileOffset, length: want) }
            fileOffset += Int64(want)
            if fileOffset >= file.size { eof = true }
        }
    }

    /// The next batch, or nil at the end.
    public func next() throws -> RecordBatch? {
        var builders = schema.fields.prefix(columnCount).map { ColumnBuilder(type: $0.type) }
        var rescued = ColumnBuilder(type: .string)
        let rescue = options.malformed == .rescue
        var rows = 0
        var filled = [Bool](repeating: false, count: columnCount)
        while rows < options.batchRows {
            let item: (Int, [UInt8])
            if !sample.isEmpty { item = sample.removeFirst() } else {
                guard let l = try nextLine() else { break }
                item = l
            }
            let (lineNo, bytes) = item
            var bad: [(String, String)] = []
            let parsed: [([UInt8], JSONScalar)]
            do {
                parsed = try bytes.withUnsafeBytes { b in var p = JSONLineParser(b); return try p.object() }
            } catch let e as JSONError {
                if !rescue { throw LakeError.malformedRow(file: path, line: lineNo, column: "-", detail: "invalid JSON: \(e.text)") }
                for k in 0..<columnCount { builders[k].appendNull() }
                var s = "{\"_raw\": "
                ValueFormatting.appendJSONString(String(decoding: bytes, as: UTF8.self), to: &s)
                s += ", \"_file_path\": "
                ValueFormatting.appendJSONString(path, to: &s)
                rescued.append(.string(s + "}"))
                rows += 1
                continue
            }
            for k in 0..<columnCount { filled[k] = false }
            for (key, v) in parsed {
                guard let k = index[key], !filled[k] else {
                    if rescue { bad.append((String(decoding: key, as: UTF8.self), rawText(v))) }
                    continue
                }
                filled[k] = true
                var ok = true
                switch v {
                case .null: builders[k].appendNull()
                case .bool(let x):
                    if builders[k].type == .bool { builders[k].appendBool(x) } else if builders[k].type == .string {
                        builders[k].append(.string(x ? "true" : "false"))
                    } else { ok = false }
                case .number(let t, _), .string(let t), .raw(let t):
                    ok = t.withUnsafeBytes { appendText($0, to: &builders[k]) }
                }
                if !ok {
                    if !rescue {
                        throw LakeError.malformedRow(file: path, line: lineNo, column: schema.fields[k].name,
                            detail: "cannot read \(rawText(v).prefix(100)) as \(schema.fields[k].type)")
                    }
                    builders[k].appendNull()
                    bad.append((schema.fields[k].name, rawText(v)))
                }
            }
            for k in 0..<columnCount where !filled[k] { builders[k].appendNull() }
            if rescue {
                if bad.isEmpty { rescued.appendNull() } else {
                    var s = "{"
                    for (name, raw) in bad {
                        ValueFormatting.appendJSONString(name, to: &s)
                        s += ": "
                        ValueFormatting.appendJSONString(raw, to: &s)
                        s += ", "
                    }
                    s += "\"_file_path\": "
                    ValueFormatting.appendJSONString(path, to: &s)
                    rescued.append(.string(s + "}"))
                }
            }
            rows += 1
        }
        if rows == 0 { return nil }
        var cols = builders.map { $0.finish() }
        if rescue { cols.append(rescued.finish()) }
        return try RecordBatch(schema: schema, columns: cols)
    }

    private func rawText(_ v: JSONScalar) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let t, _), .string(let t), .raw(let t): return String(decoding: t, as: UTF8.self)
        }
    }
}
