import IngotCore

/// Renders column values as text and JSON (CLI output, previews).
public enum ValueFormatting {
    /// Civil date for days since 1970-01-01 (proleptic Gregorian).
    public static func civil(days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, Int(m), Int(d))
    }

    /// Days since 1970-01-01 for a civil date.
    public static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v < 0 ? -v : v)
        return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
    }

    public static func date(_ days: Int64) -> String {
        let c = civil(days: days)
        return "\(pad(c.year, 4))-\(pad(Int64(c.month), 2))-\(pad(Int64(c.day), 2))"
    }

    /// ISO 8601 with microseconds; `Z` suffix for UTC instants.
    public static func timestamp(_ micros: Int64, utc: Bool) -> String {
        var day = micros / 86_400_000_000
        if micros % 86_400_000_000 < 0 { day -= 1 }
        var rest = micros % 86_400_000_000
        if rest < 0 { rest += 86_400_000_000 }
        let secs = rest / 1_000_000
        let frac = rest % 1_000_000
        return date(day) + "T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2)).\(pad(frac, 6))" + (utc ? "Z" : "")
    }

    public static func decimal(_ v: Int128, scale: Int) -> String {
        let neg = v < 0
        var digits = String(v.magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return (neg ? "-" : "") + digits
    }

    public static func double(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        return "\(d)"
    }

    public static func float(_ f: Float) -> String {
        if f.isNaN { return "NaN" }
        if f.isInfinite { return f > 0 ? "Infinity" : "-Infinity" }
        return "\(f)"
    }

    static let base64Chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func base64<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        let b = Array(bytes)
        var i = 0
        while i + 3 <= b.count {
            let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            out += [base64Chars[Int(n >> 18)], base64Chars[Int(n >> 12 & 63)], base64Chars[Int(n >> 6 & 63)], base64Chars[Int(n & 63)]]
            i += 3
        }
        if b.count - i == 1 {
            let n = UInt32(b[i]) << 16
            out += [base64Chars[Int(n >> 18)], base64Chars[Int(n >> 12 & 63)], 61, 61]
        } else if b.count - i == 2 {
            let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
            out += [base64Chars[Int(n >> 18)], base64Chars[Int(n >> 12 & 63)], base64Chars[Int(n >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends a JSON string literal.
    public static func appendJSONString(_ s: String, to out: inout String) {
        JSONText.appendQuoted(s, to: &out)
    }

    /// Appends the JSON form of row `i` of a column: numbers as numbers (NaN/Infinity as the bare
    /// tokens Python's json accepts), dates and timestamps as ISO strings, decimals as strings,
    /// binary as base64.
    public static func appendJSON(_ column: Column, _ i: Int, to out: inout String) {
        if column.isNull(i) {
            out += "null"
            return
        }
        switch column.values {
        case .bool(let v): out += v[i] ? "true" : "false"
        case .int32(let v):
            if column.type == .date { out += "\"" + date(Int64(v[i])) + "\"" } else { out += String(v[i]) }
        case .int64(let v):
            if case .timestamp(let utc) = column.type { out += "\"" + timestamp(v[i], utc: utc) + "\"" } else { out += String(v[i]) }
        case .float32(let v): out += float(v[i])
        case .float64(let v): out += double(v[i])
        case .bytes(let v):
            if column.type == .string { appendJSONString(v.string(i), to: &out) } else { out += "\"" + base64(v.bytes(i)) + "\"" }
        case .decimal(let v):
            if case .decimal(_, let s) = column.type { out += "\"" + decimal(v[i], scale: s) + "\"" }
        case .list(let o, let child):
            out += "["
            for j in Int(o[i])..<Int(o[i + 1]) {
                if j > Int(o[i]) { out += ", " }
                appendJSON(child, j, to: &out)
            }
            out += "]"
        case .map(let o, let keys, let vals):
            // Pairs, not an object: keys need not be strings and may repeat.
            out += "["
            for j in Int(o[i])..<Int(o[i + 1]) {
                if j > Int(o[i]) { out += ", " }
                out += "["
                appendJSON(keys, j, to: &out)
                out += ", "
                appendJSON(vals, j, to: &out)
                out += "]"
            }
            out += "]"
        case .struct(_, let children):
            guard case .struct(let fs) = column.type else { out += "null"; return }
            out += "{"
            for (k, c) in children.enumerated() {
                if k > 0 { out += ", " }
                appendJSONString(fs[k].name, to: &out)
                out += ": "
                appendJSON(c, i, to: &out)
            }
            out += "}"
        }
    }

    /// Human-readable text of a value (tables).
    public static func text(_ column: Column, _ i: Int) -> String {
        if column.isNull(i) { return "null" }
        switch column.values {
        case .bytes(let v) where column.type == .string: return v.string(i)
        case .bytes(let v): return "0x" + v.bytes(i).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        default:
            var s = ""
            appendJSON(column, i, to: &s)
            if s.hasPrefix("\""), s.hasSuffix("\""), s.count >= 2 { return String(s.dropFirst().dropLast()) }
            return s
        }
    }

    /// One JSON object per row (`{"col": value, ...}`), appended to `out` with a trailing newline.
    public static func appendJSONLines(_ batch: RecordBatch, rows: Range<Int>, to out: inout String) {
        var names: [String] = []
        for f in batch.schema.fields {
            var n = ""
            appendJSONString(f.name, to: &n)
            names.append(n)
        }
        for r in rows {
            out += "{"
            for (k, c) in batch.columns.enumerated() {
                if k > 0 { out += ", " }
                out += names[k]
                out += ": "
                appendJSON(c, r, to: &out)
            }
            out += "}\n"
        }
    }
}
