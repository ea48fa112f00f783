import Foundation

/// How lake values live inside SQLite, and back.
///
/// | lake type            | SQLite value                                   | declared type (affinity)      |
/// |----------------------|------------------------------------------------|-------------------------------|
/// | int8/16/32/64        | INTEGER                                        | TINYINT/SMALLINT/INT/BIGINT   |
/// | bool                 | INTEGER 0/1                                    | BOOLEAN INT                   |
/// | float32/float64      | REAL                                           | FLOAT/DOUBLE                  |
/// | string               | TEXT                                           | TEXT                          |
/// | binary               | BLOB                                           | BLOB                          |
/// | date                 | TEXT `YYYY-MM-DD`                              | DATE TEXT                     |
/// | timestamp (UTC/ntz)  | TEXT `YYYY-MM-DD HH:MM:SS.ffffff` (always 6 fraction digits, UTC) | TIMESTAMP TEXT / TIMESTAMP_NTZ TEXT |
/// | decimal(p,s)         | REAL                                           | REAL DECIMAL(p,s)             |
/// | nested               | TEXT (JSON)                                    | JSON TEXT                     |
///
/// Fixed-width timestamp text sorts and compares chronologically with plain text comparison and is
/// understood by SQLite's own date functions. The declared type keeps the lake type so a result
/// column that is a plain column reference gets its lake type back (`sqlite3_column_decltype`).
enum SQLTypes {
    static func declType(_ t: LakeType) -> String {
        switch t {
        case .bool: return "BOOLEAN INT"
        case .int8: return "TINYINT"
        case .int16: return "SMALLINT"
        case .int32: return "INT"
        case .int64: return "BIGINT"
        case .float32: return "FLOAT"
        case .float64: return "DOUBLE"
        case .string: return "TEXT"
        case .binary: return "BLOB"
        case .date: return "DATE TEXT"
        case .timestamp(let utc): return utc ? "TIMESTAMP TEXT" : "TIMESTAMP_NTZ TEXT"
        case .decimal(let p, let s): return "REAL DECIMAL(\(p),\(s))"
        default: return "JSON TEXT"
        }
    }

    /// The lake type of a declared type this engine produced (nil for other declarations).
    static func lakeType(decl: String) -> LakeType? {
        let d = decl.uppercased()
        switch d {
        case "BOOLEAN INT": return .bool
        case "TINYINT": return .int8
        case "SMALLINT": return .int16
        case "INT": return .int32
        case "BIGINT": return .int64
        case "FLOAT": return .float32
        case "DOUBLE": return .float64
        case "TEXT": return .string
        case "BLOB": return .binary
        case "DATE TEXT": return .date
        case "TIMESTAMP TEXT": return .timestamp(utc: true)
        case "TIMESTAMP_NTZ TEXT": return .timestamp(utc: false)
        case "JSON TEXT": return .string
        default:
            if d.hasPrefix("REAL DECIMAL(") {
                return LakeType(name: String(d.dropFirst(5)))
            }
            return nil
        }
    }

    /// Spark SQL's name of a type (DESCRIBE output, result metadata).
    static func sparkName(_ t: LakeType) -> String {
        switch t {
        case .bool: return "boolean"
        case .int8: return "tinyint"
        case .int16: return "smallint"
        case .int32: return "int"
        case .int64: return "bigint"
        case .float32: return "float"
        case .float64: return "double"
        case .string: return "string"
        case .binary: return "binary"
        case .date: return "date"
        case .timestamp(let utc): return utc ? "timestamp" : "timestamp_ntz"
        case .decimal(let p, let s): return "decimal(\(p),\(s))"
        default: return t.description
        }
    }

    /// Parses a Spark type name (CAST targets, CREATE TABLE columns).
    static func parseSparkType(_ name: String) -> LakeType? {
        let n = name.lowercased().replacingOccurrences(of: " ", with: "")
        switch n {
        case "boolean", "bool": return .bool
        case "tinyint", "byte": return .int8
        case "smallint", "short": return .int16
        case "int", "integer": return .int32
        case "bigint", "long": return .int64
        case "float", "real": return .float32
        case "double": return .float64
        case "string", "text": return .string
        case "binary": return .binary
        case "date": return .date
        case "timestamp", "timestamp_ltz": return .timestamp(utc: true)
        case "timestamp_ntz": return .timestamp(utc: false)
        case "decimal", "dec", "numeric": return .decimal(precision: 10, scale: 0)
        default:
            if n.hasPrefix("varchar(") || n.hasPrefix("char(") { return .string }
            for prefix in ["decimal(", "dec(", "numeric("] where n.hasPrefix(prefix) && n.hasSuffix(")") {
                let parts = n.dropFirst(prefix.count).dropLast().split(separator: ",")
                guard let p = parts.first.flatMap({ Int($0) }), (1...38).contains(p) else { return nil }
                let s = parts.count > 1 ? Int(parts[1]) ?? -1 : 0
                guard (0...p).contains(s) else { return nil }
                return .decimal(precision: p, scale: s)
            }
            return nil
        }
    }

    // MARK: - Dates and timestamps

    static func two(_ x: Int64) -> String { x < 10 ? "0\(x)" : "\(x)" }

    /// `YYYY-MM-DD HH:MM:SS.ffffff` (the SQLite-side form of a timestamp).
    static func timestampText(_ micros: Int64) -> String {
        var day = micros / 86_400_000_000
        var rest = micros % 86_400_000_000
        if rest < 0 { rest += 86_400_000_000; day -= 1 }
        let secs = rest / 1_000_000
        let frac = String(rest % 1_000_000)
        return ValueFormatting.date(day) + " " + two(secs / 3600) + ":" + two(secs / 60 % 60) + ":" + two(secs % 60) + "."
            + String(repeating: "0", count: 6 - frac.count) + frac
    }

    static func dateText(_ days: Int64) -> String { ValueFormatting.date(days) }

    static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(_ y: Int64, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses the leading date of a string: `yyyy[-m[m][-d[d]]]`; returns days and the index after it.
    private static func parseDatePart(_ b: [UInt8]) -> (days: Int64, end: Int)? {
        var i = 0
        func digits(_ minN: Int, _ maxN: Int) -> Int64? {
            var v: Int64 = 0, n = 0
            while i < b.count, n < maxN, b[i] >= 48, b[i] <= 57 { v = v * 10 + Int64(b[i] - 48); i += 1; n += 1 }
            return n >= minN ? v : nil
        }
        guard let y = digits(4, 6) else { return nil }
        var m: Int64 = 1, d: Int64 = 1
        if i < b.count, b[i] == UInt8(ascii: "-") {
            i += 1
            guard let mm = digits(1, 2) else { return nil }
            m = mm
            if i < b.count, b[i] == UInt8(ascii: "-") {
                i += 1
                guard let dd = digits(1, 2) else { return nil }
                d = dd
            }
        }
        guard (1...12).contains(m), d >= 1, d <= Int64(daysIn(y, Int(m))) else { return nil }
        return (ValueFormatting.days(year: y, month: Int(m), day: Int(d)), i)
    }

    /// Spark's `CAST(string AS DATE)`: `yyyy`, `yyyy-[m]m`, `yyyy-[m]m-[d]d`, optionally followed by
    /// a space or `T` and anything. Nil when invalid.
    static func parseDate(_ s: String) -> Int64? {
        let b = Array(s.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard let (days, end) = parseDatePart(b) else { return nil }
        if end == b.count { return days }
        if b[end] == UInt8(ascii: " ") || b[end] == UInt8(ascii: "T") { return days }
        return nil
    }

    /// Spark's `CAST(string AS TIMESTAMP)` with a UTC session time zone: a date, optionally `T` or
    /// space and `h[h]:m[m][:s[s][.fraction]]`, optionally a zone (`Z`, `UTC`, `GMT`, `±hh[:mm]`,
    /// `±hhmm`). Returns microseconds since the epoch (UTC) or nil when invalid.
    static func parseTimestamp(_ s: String) -> Int64? {
        let b = Array(s.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard let (days, end) = parseDatePart(b) else { return nil }
        var i = end
        var micros: Int64 = 0
        func digits(_ minN: Int, _ maxN: Int) -> (Int64, Int)? {
            var v: Int64 = 0, n = 0
            while i < b.count, n < maxN, b[i] >= 48, b[i] <= 57 { v = v * 10 + Int64(b[i] - 48); i += 1; n += 1 }
            return n >= minN ? (v, n) : nil
        }
        if i < b.count, b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "T") {
            i += 1
            if i < b.count, b[i] >= 48, b[i] <= 57 {
                guard let (h, _) = digits(1, 2), h < 24 else { return nil }
                var mi: Int64 = 0, se: Int64 = 0, frac: Int64 = 0
                if i < b.count, b[i] == UInt8(ascii: ":") {
                    i += 1
                    guard let (m, _) = digits(1, 2), m < 60 else { return nil }
                    mi = m
                    if i < b.count, b[i] == UInt8(ascii: ":") {
                        i += 1
                        guard let (sec, _) = digits(1, 2), sec < 60 else { return nil }
                        se = sec
                        if i < b.count, b[i] == UInt8(ascii: ".") {
                            i += 1
                            guard let (f, n) = digits(1, 9) else { return nil }
                            var x = f
                            if n > 6 { for _ in 0..<(n - 6) { x /= 10 } } else { for _ in n..<6 { x *= 10 } }
                            frac = x
                        }
                    }
                } else {
                    return nil
                }
                micros = ((h * 60 + mi) * 60 + se) * 1_000_000 + frac
            }
        }
        // Zone.
        while i < b.count, b[i] == UInt8(ascii: " ") { i += 1 }
        var offsetSeconds: Int64 = 0
        if i < b.count {
            let rest = String(decoding: b[i...], as: UTF8.self).uppercased()
            var zone = Substring(rest)
            for prefix in ["UTC", "GMT", "UT", "Z"] where zone.hasPrefix(prefix) {
                zone = zone.dropFirst(prefix.count)
                break
            }
            if !zone.isEmpty {
                guard let sign = zone.first, sign == "+" || sign == "-" else { return nil }
                let body = zone.dropFirst()
                var hh: Int64 = 0, mm: Int64 = 0
                let parts = body.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count == 2 {
                    guard let h = Int64(parts[0]), let m = Int64(parts[1]), parts[0].count <= 2, parts[1].count == 2 else { return nil }
                    hh = h; mm = m
                } else if parts.count == 1, body.allSatisfy(\.isNumber), (1...4).contains(body.count) {
                    if body.count <= 2 { hh = Int64(body)! } else {
                        hh = Int64(body.dropLast(2))!
                        mm = Int64(body.suffix(2))!
                    }
                } else {
                    return nil
                }
                guard hh <= 18, mm < 60 else { return nil }
                offsetSeconds = (hh * 3600 + mm * 60) * (sign == "-" ? -1 : 1)
            }
        }
        return days * 86_400_000_000 + micros - offsetSeconds * 1_000_000
    }

    /// Microseconds of the SQLite-side timestamp text (or any text Spark would cast).
    static func micros(fromText s: String) -> Int64? { parseTimestamp(s) }

    /// Whether text is exactly in the SQLite-side timestamp form.
    static func isTimestampText(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 26 else { return false }
        for (i, c) in b.enumerated() {
            switch i {
            case 4, 7: if c != UInt8(ascii: "-") { return false }
            case 10: if c != UInt8(ascii: " ") { return false }
            case 13, 16: if c != UInt8(ascii: ":") { return false }
            case 19: if c != UInt8(ascii: ".") { return false }
            default: if c < 48 || c > 57 { return false }
            }
        }
        return true
    }

    // MARK: - Numbers

    static func pow10(_ n: Int) -> Int128 {
        var m: Int128 = 1
        for _ in 0..<n { m *= 10 }
        return m
    }

    /// A double rounded HALF_UP to `scale` digits as an unscaled decimal (via its shortest decimal text,
    /// as Spark does). Nil when it does not fit `precision`.
    static func decimal(from d: Double, precision: Int, scale: Int) -> Int128? {
        guard d.isFinite else { return nil }
        return decimal(fromText: "\(d)", precision: precision, scale: scale)
    }

    /// Parses a decimal number (optionally with exponent), rounds HALF_UP to `scale`; nil if invalid or too wide.
    static func decimal(fromText text: String, precision: Int, scale: Int) -> Int128? {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        var neg = false
        if s.first == "-" { neg = true; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        var exp = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(s[s.index(after: e)...]) else { return nil }
            exp = x
            s = s[..<e]
        }
        var intDigits = Substring(s), fracDigits = Substring("")
        if let dot = s.firstIndex(of: ".") {
            intDigits = s[..<dot]
            fracDigits = s[s.index(after: dot)...]
        }
        guard !(intDigits.isEmpty && fracDigits.isEmpty), intDigits.allSatisfy(\.isASCII), intDigits.allSatisfy(\.isNumber),
              fracDigits.allSatisfy(\.isASCII), fracDigits.allSatisfy(\.isNumber) else { return nil }
        var all = Array(intDigits) + Array(fracDigits)
        var pointPos = intDigits.count + exp   // digits before the decimal point
        while all.count > 1, all.first == "0", pointPos > 1 { all.removeFirst(); pointPos -= 1 }
        if pointPos < 0 { all = Array(repeating: "0", count: -pointPos) + all; pointPos = 0 }
        while all.count < pointPos { all.append("0") }
        // Keep `scale` fraction digits, round on the next one.
        let keep = pointPos + scale
        var digits = Array(all.prefix(max(0, keep)))
        while digits.count < keep { digits.append("0") }
        let roundUp = keep < all.count && keep >= 0 && all[keep] >= "5"
        var v: Int128 = 0
        for c in digits {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            guard !o1 else { return nil }
            v = m + Int128(c.wholeNumberValue!)
        }
        if roundUp { v += 1 }
        guard v < pow10(precision) else { return nil }
        return neg ? -v : v
    }

    /// Java's `Double.toString` (Spark's double → string): plain notation for 1e-3 ≤ |d| < 1e7, else
    /// `d.dddE±n`.
    static func javaDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let a = abs(d)
        let shortest = "\(a)"  // Swift: shortest round-trip digits
        // Extract digits and exponent from Swift's form.
        var mant = shortest, exp = 0
        if let e = shortest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mant = String(shortest[..<e])
            exp = Int(shortest[shortest.index(after: e)...])!
        }
        var intPart = mant, frac = ""
        if let dot = mant.firstIndex(of: ".") {
            intPart = String(mant[..<dot]); frac = String(mant[mant.index(after: dot)...])
        }
        var digits = intPart + frac
        var point = intPart.count + exp
        while digits.hasPrefix("0"), digits.count > 1 { digits.removeFirst(); point -= 1 }
        while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
        let sign = d < 0 ? "-" : ""
        if a >= 1e-3 && a < 1e7 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
            if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) + ".0" }
            let i = digits.index(digits.startIndex, offsetBy: point)
            return sign + digits[..<i] + "." + digits[i...]
        }
        let first = digits.prefix(1)
        let rest = digits.dropFirst()
        return sign + first + "." + (rest.isEmpty ? "0" : rest) + "E" + String(point - 1)
    }
}
