import Crypto
import Foundation
import GRDBSQLite

/// Spark SQL functions registered on the engine's SQLite connection (`sqlite3_create_function_v2`).
///
/// Values follow the representation in ``SQLTypes``: dates are `YYYY-MM-DD` text, timestamps
/// `YYYY-MM-DD HH:MM:SS.ffffff` text (UTC), decimals REAL.
enum SparkFunctions {
    typealias Scalar = SQLiteScalar
    typealias Fn = ([Scalar]) throws -> Scalar

    /// Per-connection state the functions read (the statement start time for current_*).
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var micros: Int64 = 0
        func freeze() {
            let now = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
            lock.withLock { micros = now }
        }
        var now: Int64 { lock.withLock { micros } }
    }

    final class ScalarBox {
        let fn: Fn
        init(_ fn: @escaping Fn) { self.fn = fn }
    }

    // MARK: Registration

    static func register(_ db: OpaquePointer, clock: Clock) throws {
        func add(_ name: String, _ nArg: Int32, deterministic: Bool = true, _ fn: @escaping Fn) throws {
            let box = Unmanaged.passRetained(ScalarBox(fn)).toOpaque()
            let flags = SQLITE_UTF8 | (deterministic ? SQLITE_DETERMINISTIC : 0)
            let rc = sqlite3_create_function_v2(db, name, nArg, flags, box, { ctx, argc, argv in
                let box = Unmanaged<ScalarBox>.fromOpaque(sqlite3_user_data(ctx)!).takeUnretainedValue()
                var args: [Scalar] = []
                args.reserveCapacity(Int(argc))
                for i in 0..<Int(argc) { args.append(Scalar(argv?[i])) }
                do {
                    try box.fn(args).setResult(ctx)
                } catch {
                    let msg = (error as? SQLError)?.description ?? String(describing: error)
                    sqlite3_result_error(ctx, msg, -1)
                }
            }, nil, nil, { p in
                if let p { Unmanaged<ScalarBox>.fromOpaque(p).release() }
            })
            guard rc == SQLITE_OK else { throw SQLError.execution("cannot register function \(name) (code \(rc))") }
        }

        // Casts (CAST(x AS t) is rewritten to these).
        try add("spark_cast_timestamp", 1) { a in castTimestamp(a[0]) }
        try add("spark_cast_date", 1) { a in castDate(a[0]) }
        try add("spark_cast_double", 1) { a in castDouble(a[0]).map { .real($0) } ?? .null }
        try add("spark_cast_float", 1) { a in castDouble(a[0]).map { .real(Double(Float($0))) } ?? .null }
        try add("spark_cast_decimal", 3) { a in
            guard case .int(let p) = a[1], case .int(let s) = a[2] else { throw SQLError.invalid("bad decimal type") }
            return castDecimal(a[0], precision: Int(p), scale: Int(s))
        }
        try add("spark_cast_string", 1) { a in castString(a[0]) }
        try add("spark_cast_tinyint", 1) { a in castIntegral(a[0], bits: 8) }
        try add("spark_cast_smallint", 1) { a in castIntegral(a[0], bits: 16) }
        try add("spark_cast_int", 1) { a in castIntegral(a[0], bits: 32) }
        try add("spark_cast_bigint", 1) { a in castIntegral(a[0], bits: 64) }
        try add("spark_cast_boolean", 1) { a in castBoolean(a[0]) }
        try add("spark_cast_binary", 1) { a in
            switch a[0] {
            case .null: return .null
            case .blob: return a[0]
            case .text(let s): return .blob(Array(s.utf8))
            case .int(let x): return .blob((0..<8).reversed().map { UInt8(truncatingIfNeeded: x >> (8 * $0)) })
            case .real: return .null
            }
        }

        // Arithmetic.
        try add("spark_idiv", 2) { a in
            switch (a[0], a[1]) {
            case (.null, _), (_, .null): return .null
            case (.int(let x), .int(let y)):
                if y == 0 { return .null }
                return .int(x.dividedReportingOverflow(by: y).partialValue)
            default:
                guard let x = number(a[0]), let y = number(a[1]), y != 0 else { return .null }
                let q = (x / y).rounded(.towardZero)
                guard q.isFinite, abs(q) < 9.2e18 else { return .null }
                return .int(Int64(q))
            }
        }
        try add("round", 1) { a in round(a[0], .int(0), halfEven: false) }
        try add("round", 2) { a in round(a[0], a[1], halfEven: false) }
        try add("bround", 1) { a in round(a[0], .int(0), halfEven: true) }
        try add("bround", 2) { a in round(a[0], a[1], halfEven: true) }
        for name in ["floor", "ceil", "ceiling"] {
            let up = name != "floor"
            try add(name, 1) { a in
                switch a[0] {
                case .null: return .null
                case .int: return a[0]
                default:
                    guard let d = number(a[0]) else { return .null }
                    let r = up ? d.rounded(.up) : d.rounded(.down)
                    guard r.isFinite, abs(r) < 9.2e18 else { return .real(r) }
                    return .int(Int64(r))
                }
            }
        }
        func math(_ name: String, _ f: @escaping (Double) -> Double?) throws {
            try add(name, 1) { a in
                guard let x = number(a[0]), let r = f(x) else { return .null }
                return .real(r)
            }
        }
        try math("sqrt") { $0 < 0 ? .nan : Foundation.sqrt($0) }
        try math("exp") { Foundation.exp($0) }
        try math("ln") { $0 <= 0 ? nil : Foundation.log($0) }
        try math("log10") { $0 <= 0 ? nil : Foundation.log10($0) }
        try math("log2") { $0 <= 0 ? nil : Foundation.log2($0) }
        try math("cbrt") { Foundation.cbrt($0) }
        try math("log") { $0 <= 0 ? nil : Foundation.log($0) }
        try math("signum") { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }
        try math("sign") { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }
        try add("log", 2) { a in
            guard let b = number(a[0]), let x = number(a[1]), b > 0, x > 0 else { return .null }
            return .real(Foundation.log(x) / Foundation.log(b))
        }
        for name in ["pow", "power"] {
            try add(name, 2) { a in
                guard let x = number(a[0]), let y = number(a[1]) else { return .null }
                return .real(Foundation.pow(x, y))
            }
        }
        try add("pmod", 2) { a in
            switch (a[0], a[1]) {
            case (.int(let x), .int(let y)):
                if y == 0 { return .null }
                let r = x.remainderReportingOverflow(dividingBy: y).partialValue
                return .int(r < 0 ? (r + y).remainderReportingOverflow(dividingBy: y).partialValue : r)
            default:
                guard let x = number(a[0]), let y = number(a[1]), y != 0 else { return .null }
                let r = x.truncatingRemainder(dividingBy: y)
                return .real(r < 0 ? (r + y).truncatingRemainder(dividingBy: y) : r)
            }
        }
        try add("spark_rand", 0, deterministic: false) { _ in .real(Double.random(in: 0..<1)) }

        // Null handling and conditionals.
        try add("nvl", 2) { a in a[0] == .null ? a[1] : a[0] }
        try add("nvl2", 3) { a in a[0] == .null ? a[2] : a[1] }
        try add("isnull_fn", 1) { a in .int(a[0] == .null ? 1 : 0) }
        try add("isnotnull_fn", 1) { a in .int(a[0] == .null ? 0 : 1) }
        try add("greatest", -1) { a in pick(a, greatest: true) }
        try add("least", -1) { a in pick(a, greatest: false) }

        // Strings.
        try add("concat", -1) { a in
            var out = ""
            for v in a {
                guard let s = text(v) else { return .null }
                out += s
            }
            return .text(out)
        }
        try add("concat_ws", -1) { a in
            guard let first = a.first, let sep = text(first) else { return .null }
            return .text(a.dropFirst().compactMap(text).joined(separator: sep))
        }
        for name in ["substring", "substr"] {
            try add(name, 2) { a in substring(a[0], a[1], .int(Int64(Int32.max))) }
            try add(name, 3) { a in substring(a[0], a[1], a[2]) }
        }
        for name in ["upper", "ucase"] { try add(name, 1) { a in text(a[0]).map { .text($0.uppercased()) } ?? .null } }
        for name in ["lower", "lcase"] { try add(name, 1) { a in text(a[0]).map { .text($0.lowercased()) } ?? .null } }
        for name in ["char_length", "character_length", "len"] {
            try add(name, 1) { a in
                switch a[0] {
                case .null: return .null
                case .blob(let b): return .int(Int64(b.count))
                default: return .int(Int64(text(a[0])!.count))
                }
            }
        }
        try add("initcap", 1) { a in
            guard let s = text(a[0]) else { return .null }
            return .text(s.split(separator: " ", omittingEmptySubsequences: false).map { w in
                w.isEmpty ? "" : w.prefix(1).uppercased() + w.dropFirst().lowercased()
            }.joined(separator: " "))
        }
        try add("reverse", 1) { a in text(a[0]).map { .text(String($0.reversed())) } ?? .null }
        try add("repeat", 2) { a in
            guard let s = text(a[0]), case .int(let n) = a[1] else { return .null }
            return .text(String(repeating: s, count: max(0, Int(n))))
        }
        for (name, left) in [("lpad", true), ("rpad", false)] {
            let f: Fn = { a in
                guard let s = text(a[0]), let n = number(a[1]).map({ Int($0) }) else { return .null }
                let pad = a.count > 2 ? text(a[2]) ?? "" : " "
                let chars = Array(s)
                if n <= 0 { return .text("") }
                if chars.count >= n { return .text(String(chars.prefix(n))) }
                if pad.isEmpty { return .text(s) }
                var filler: [Character] = []
                let p = Array(pad)
                while filler.count < n - chars.count { filler.append(p[filler.count % p.count]) }
                return .text(left ? String(filler) + s : s + String(filler))
            }
            try add(name, 2, f)
            try add(name, 3, f)
        }
        try add("left_str", 2) { a in
            guard let s = text(a[0]), let n = number(a[1]) else { return .null }
            return .text(String(s.prefix(max(0, Int(n)))))
        }
        try add("right_str", 2) { a in
            guard let s = text(a[0]), let n = number(a[1]) else { return .null }
            return .text(String(s.suffix(max(0, Int(n)))))
        }
        try add("locate", 2) { a in locate(a[0], a[1], .int(1)) }
        try add("locate", 3) { a in locate(a[0], a[1], a[2]) }
        try add("regexp", 2) { a in
            // SQLite's `x REGEXP p` calls regexp(p, x); Spark's RLIKE is a search (find), not a full match.
            guard let p = text(a[0]), let s = text(a[1]) else { return .null }
            return .int(try regex(p).firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil ? 1 : 0)
        }
        try add("regexp_like", 2) { a in
            guard let s = text(a[0]), let p = text(a[1]) else { return .null }
            return .int(try regex(p).firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil ? 1 : 0)
        }
        let extract: Fn = { a in
            guard let s = text(a[0]), let p = text(a[1]) else { return .null }
            var idx = 1
            if a.count > 2 {
                guard let i = number(a[2]) else { return .null }
                idx = Int(i)
            }
            let re = try regex(p)
            guard idx >= 0, idx <= re.numberOfCaptureGroups else {
                throw SQLError.invalid("regexp_extract: the regex has \(re.numberOfCaptureGroups) groups, group \(idx) requested")
            }
            guard let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return .text("") }
            guard let r = Range(m.range(at: idx), in: s) else { return .text("") }
            return .text(String(s[r]))
        }
        try add("regexp_extract", 2, extract)
        try add("regexp_extract", 3, extract)
        try add("regexp_replace", 3) { a in
            guard let s = text(a[0]), let p = text(a[1]), let r = text(a[2]) else { return .null }
            return .text(try regex(p).stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: javaTemplate(r)))
        }
        let split: Fn = { a in
            guard let s = text(a[0]), let p = text(a[1]) else { return .null }
            var limit = -1
            if a.count > 2, let l = number(a[2]) { limit = Int(l) }
            var parts: [String] = []
            if s.isEmpty {
                parts = [""]
            } else {
                let re = try regex(p)
                var start = s.startIndex
                for m in re.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
                    if limit > 0 && parts.count == limit - 1 { break }
                    guard let r = Range(m.range, in: s) else { continue }
                    if r.isEmpty && (r.lowerBound == s.startIndex || r.lowerBound == s.endIndex) { continue }
                    parts.append(String(s[start..<r.lowerBound]))
                    start = r.upperBound
                }
                parts.append(String(s[start...]))
                if limit <= 0 { while parts.count > 1 && parts.last == "" && limit == 0 { parts.removeLast() } }
            }
            var out = "["
            for (i, x) in parts.enumerated() {
                if i > 0 { out += "," }
                ValueFormatting.appendJSONString(x, to: &out)
            }
            return .text(out + "]")
        }
        try add("split", 2, split)
        try add("split", 3, split)

        // Hashes.
        try add("md5", 1) { a in bytes(a[0]).map { .text(hex(Insecure.MD5.hash(data: $0))) } ?? .null }
        try add("sha1", 1) { a in bytes(a[0]).map { .text(hex(Insecure.SHA1.hash(data: $0))) } ?? .null }
        try add("sha", 1) { a in bytes(a[0]).map { .text(hex(Insecure.SHA1.hash(data: $0))) } ?? .null }
        try add("sha2", 2) { a in
            guard let b = bytes(a[0]), case .int(let bits) = a[1] else { return .null }
            switch bits {
            case 0, 256: return .text(hex(SHA256.hash(data: b)))
            case 384: return .text(hex(SHA384.hash(data: b)))
            case 512: return .text(hex(SHA512.hash(data: b)))
            default: return .null
            }
        }

        // Dates and times.
        try add("spark_current_timestamp", 0, deterministic: false) { _ in .text(SQLTypes.timestampText(clock.now)) }
        try add("spark_current_date", 0, deterministic: false) { _ in .text(SQLTypes.dateText(floorDiv(clock.now, 86_400_000_000))) }
        func datePart(_ name: String, _ f: @escaping (Int64) -> Int64) throws {
            try add(name, 1) { a in
                guard let us = timestampArg(a[0]) else { return .null }
                return .int(f(us))
            }
        }
        try datePart("year") { ValueFormatting.civil(days: floorDiv($0, 86_400_000_000)).year }
        try datePart("month") { Int64(ValueFormatting.civil(days: floorDiv($0, 86_400_000_000)).month) }
        try datePart("quarter") { Int64((ValueFormatting.civil(days: floorDiv($0, 86_400_000_000)).month - 1) / 3 + 1) }
        try datePart("day") { Int64(ValueFormatting.civil(days: floorDiv($0, 86_400_000_000)).day) }
        try datePart("dayofmonth") { Int64(ValueFormatting.civil(days: floorDiv($0, 86_400_000_000)).day) }
        try datePart("hour") { floorMod($0, 86_400_000_000) / 3_600_000_000 }
        try datePart("minute") { floorMod($0, 3_600_000_000) / 60_000_000 }
        try datePart("second") { floorMod($0, 60_000_000) / 1_000_000 }
        // Spark: 1 = Sunday … 7 = Saturday. 1970-01-01 was a Thursday.
        try datePart("dayofweek") { floorMod(floorDiv($0, 86_400_000_000) + 4, 7) + 1 }
        try datePart("weekday") { floorMod(floorDiv($0, 86_400_000_000) + 3, 7) }
        try datePart("dayofyear") { us in
            let d = floorDiv(us, 86_400_000_000)
            return d - ValueFormatting.days(year: ValueFormatting.civil(days: d).year, month: 1, day: 1) + 1
        }
        try datePart("weekofyear") { us in isoWeek(floorDiv(us, 86_400_000_000)) }
        try datePart("unix_date") { floorDiv($0, 86_400_000_000) }
        try datePart("unix_seconds") { floorDiv($0, 1_000_000) }
        try datePart("unix_millis") { floorDiv($0, 1000) }
        try datePart("unix_micros") { $0 }
        try add("unix_timestamp", 0, deterministic: false) { _ in .int(floorDiv(clock.now, 1_000_000)) }
        try add("unix_timestamp", 1) { a in timestampArg(a[0]).map { .int(floorDiv($0, 1_000_000)) } ?? .null }
        try add("unix_timestamp", 2) { a in
            guard let s = text(a[0]), let f = text(a[1]), let us = JavaDateFormat.parse(s, pattern: f) else { return .null }
            return .int(floorDiv(us, 1_000_000))
        }
        try add("from_unixtime", 1) { a in
            guard let s = number(a[0]) else { return .null }
            return .text(JavaDateFormat.format(Int64(s) * 1_000_000, pattern: "yyyy-MM-dd HH:mm:ss"))
        }
        try add("from_unixtime", 2) { a in
            guard let s = number(a[0]), let f = text(a[1]) else { return .null }
            return .text(JavaDateFormat.format(Int64(s) * 1_000_000, pattern: f))
        }
        try add("timestamp_seconds", 1) { a in
            guard let s = number(a[0]) else { return .null }
            return .text(SQLTypes.timestampText(Int64((s * 1_000_000).rounded(.down))))
        }
        try add("timestamp_millis", 1) { a in
            guard case .int(let x) = a[0] else { return .null }
            return .text(SQLTypes.timestampText(x * 1000))
        }
        try add("timestamp_micros", 1) { a in
            guard case .int(let x) = a[0] else { return .null }
            return .text(SQLTypes.timestampText(x))
        }
        try add("to_date", 1) { a in castDate(a[0]) }
        try add("to_date", 2) { a in
            guard let s = text(a[0]), let f = text(a[1]), let us = JavaDateFormat.parse(s, pattern: f) else { return .null }
            return .text(SQLTypes.dateText(floorDiv(us, 86_400_000_000)))
        }
        try add("to_timestamp", 1) { a in castTimestamp(a[0]) }
        try add("to_timestamp", 2) { a in
            guard let s = text(a[0]), let f = text(a[1]), let us = JavaDateFormat.parse(s, pattern: f) else { return .null }
            return .text(SQLTypes.timestampText(us))
        }
        try add("date_format", 2) { a in
            guard let us = timestampArg(a[0]), let f = text(a[1]) else { return .null }
            return .text(JavaDateFormat.format(us, pattern: f))
        }
        try add("date_trunc", 2) { a in
            guard let unit = text(a[0]), let us = timestampArg(a[1]), let t = truncate(us, unit: unit) else { return .null }
            return .text(SQLTypes.timestampText(t))
        }
        try add("trunc", 2) { a in
            guard let d = dateArg(a[0]), let unit = text(a[1]) else { return .null }
            let u = unit.lowercased()
            guard ["year", "yyyy", "yy", "quarter", "month", "mon", "mm", "week"].contains(u),
                  let t = truncate(d * 86_400_000_000, unit: u) else { return .null }
            return .text(SQLTypes.dateText(floorDiv(t, 86_400_000_000)))
        }
        try add("datediff", 2) { a in
            guard let e = dateArg(a[0]), let s = dateArg(a[1]) else { return .null }
            return .int(e - s)
        }
        try add("date_diff", 2) { a in
            guard let e = dateArg(a[0]), let s = dateArg(a[1]) else { return .null }
            return .int(e - s)
        }
        for (name, sign) in [("date_add", Int64(1)), ("date_sub", Int64(-1)), ("dateadd", Int64(1))] {
            try add(name, 2) { a in
                guard let d = dateArg(a[0]), case .int(let n) = a[1] else { return .null }
                return .text(SQLTypes.dateText(d + sign * n))
            }
        }
        try add("add_months", 2) { a in
            guard let d = dateArg(a[0]), case .int(let n) = a[1] else { return .null }
            return .text(SQLTypes.dateText(addMonths(d, n)))
        }
        try add("last_day", 1) { a in
            guard let d = dateArg(a[0]) else { return .null }
            let c = ValueFormatting.civil(days: d)
            return .text(SQLTypes.dateText(ValueFormatting.days(year: c.year, month: c.month, day: SQLTypes.daysIn(c.year, c.month))))
        }
        try add("make_date", 3) { a in
            guard case .int(let y) = a[0], case .int(let m) = a[1], case .int(let d) = a[2], (1...12).contains(m),
                  d >= 1, d <= Int64(SQLTypes.daysIn(y, Int(m))) else { return .null }
            return .text(SQLTypes.dateText(ValueFormatting.days(year: y, month: Int(m), day: Int(d))))
        }
        try add("spark_extract", 2) { a in
            guard let field = text(a[0]), let us = timestampArg(a[1]) else { return .null }
            let d = floorDiv(us, 86_400_000_000)
            let c = ValueFormatting.civil(days: d)
            switch field.lowercased() {
            case "year", "y", "years", "yr", "yrs", "yyyy": return .int(c.year)
            case "quarter", "qtr": return .int(Int64((c.month - 1) / 3 + 1))
            case "month", "mon", "mons", "months": return .int(Int64(c.month))
            case "week", "weeks", "w": return .int(isoWeek(d))
            case "day", "d", "days": return .int(Int64(c.day))
            case "dayofweek", "dow": return .int(floorMod(d + 4, 7) + 1)
            case "doy": return .int(d - ValueFormatting.days(year: c.year, month: 1, day: 1) + 1)
            case "hour", "h", "hours", "hr", "hrs": return .int(floorMod(us, 86_400_000_000) / 3_600_000_000)
            case "minute", "m", "min", "mins", "minutes": return .int(floorMod(us, 3_600_000_000) / 60_000_000)
            case "second", "s", "sec", "seconds", "secs": return .real(Double(floorMod(us, 60_000_000)) / 1_000_000)
            default: throw SQLError.invalid("EXTRACT: unknown field \(field)")
            }
        }

        try SparkAggregates.register(db)
    }

    // MARK: Argument helpers

    static func text(_ v: Scalar) -> String? {
        switch v {
        case .null: return nil
        case .int(let x): return String(x)
        case .real(let d): return SQLTypes.javaDouble(d)
        case .text(let s): return s
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        }
    }

    static func bytes(_ v: Scalar) -> [UInt8]? {
        switch v {
        case .blob(let b): return b
        case .null: return nil
        default: return text(v).map { Array($0.utf8) }
        }
    }

    static func number(_ v: Scalar) -> Double? {
        switch v {
        case .int(let x): return Double(x)
        case .real(let d): return d
        case .text(let s): return castDouble(.text(s))
        default: return nil
        }
    }

    static func hex<D: Sequence>(_ d: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in d { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    /// A timestamp argument: timestamp text, date text, or anything Spark casts to a timestamp.
    static func timestampArg(_ v: Scalar) -> Int64? {
        guard case .text(let s) = v else { return nil }
        return SQLTypes.parseTimestamp(s)
    }

    static func dateArg(_ v: Scalar) -> Int64? {
        guard case .text(let s) = v else { return nil }
        return SQLTypes.parseDate(s)
    }

    static func isoWeek(_ days: Int64) -> Int64 {
        // ISO 8601 week number: the week with the year's first Thursday is week 1.
        let dow = floorMod(days + 3, 7)  // Monday = 0
        let thursday = days - dow + 3
        let y = ValueFormatting.civil(days: thursday).year
        let jan1 = ValueFormatting.days(year: y, month: 1, day: 1)
        return (thursday - jan1) / 7 + 1
    }

    static func addMonths(_ d: Int64, _ n: Int64) -> Int64 {
        let c = ValueFormatting.civil(days: d)
        let total = c.year * 12 + Int64(c.month - 1) + n
        let y = floorDiv(total, 12)
        let m = Int(floorMod(total, 12)) + 1
        return ValueFormatting.days(year: y, month: m, day: min(c.day, SQLTypes.daysIn(y, m)))
    }

    static func truncate(_ us: Int64, unit: String) -> Int64? {
        let day = floorDiv(us, 86_400_000_000)
        let c = ValueFormatting.civil(days: day)
        switch unit.lowercased() {
        case "year", "yyyy", "yy": return ValueFormatting.days(year: c.year, month: 1, day: 1) * 86_400_000_000
        case "quarter": return ValueFormatting.days(year: c.year, month: (c.month - 1) / 3 * 3 + 1, day: 1) * 86_400_000_000
        case "month", "mm", "mon": return ValueFormatting.days(year: c.year, month: c.month, day: 1) * 86_400_000_000
        case "week": return (day - floorMod(day + 3, 7)) * 86_400_000_000
        case "day", "dd": return day * 86_400_000_000
        case "hour": return floorDiv(us, 3_600_000_000) * 3_600_000_000
        case "minute": return floorDiv(us, 60_000_000) * 60_000_000
        case "second": return floorDiv(us, 1_000_000) * 1_000_000
        case "millisecond": return floorDiv(us, 1000) * 1000
        case "microsecond": return us
        default: return nil
        }
    }

    nonisolated(unsafe) static var regexCache: [String: NSRegularExpression] = [:]
    static let regexLock = NSLock()

    static func regex(_ p: String) throws -> NSRegularExpression {
        if let r = regexLock.withLock({ regexCache[p] }) { return r }
        do {
            let r = try NSRegularExpression(pattern: p)
            regexLock.withLock {
                if regexCache.count > 256 { regexCache.removeAll() }
                regexCache[p] = r
            }
            return r
        } catch {
            throw SQLError.invalid("invalid regular expression '\(p)'")
        }
    }

    /// Java replacement strings (`$1`, `\$`) → NSRegularExpression templates (same `$n`, `\` escapes).
    static func javaTemplate(_ r: String) -> String { r }

    /// Spark's `substring(str, pos, len)` on characters (bytes for binary).
    static func substring(_ v: Scalar, _ posV: Scalar, _ lenV: Scalar) -> Scalar {
        guard v != .null, let p = number(posV), let l = number(lenV) else { return .null }
        let pos = Int(p), length = Int(l)
        func cut(_ n: Int) -> Range<Int> {
            var start = pos > 0 ? pos - 1 : (pos < 0 ? n + pos : 0)
            var end = length == Int(Int32.max) ? n : start + length
            start = max(start, 0)
            end = min(end, n)
            if start >= end { return 0..<0 }
            return start..<end
        }
        if case .blob(let b) = v {
            return .blob(Array(b[cut(b.count)]))
        }
        let chars = Array(text(v)!)
        return .text(String(chars[cut(chars.count)]))
    }

    static func locate(_ sub: Scalar, _ s: Scalar, _ pos: Scalar) -> Scalar {
        guard let needle = text(sub), let hay = text(s), let p = number(pos) else { return .null }
        let start = Int(p)
        if start < 1 { return .int(0) }
        let chars = Array(hay), n = Array(needle)
        if n.isEmpty { return .int(Int64(start)) }
        var i = start - 1
        while i + n.count <= chars.count {
            if Array(chars[i..<(i + n.count)]) == n { return .int(Int64(i + 1)) }
            i += 1
        }
        return .int(0)
    }

    /// SQLite's ordering of values (numbers < text < blob); nulls skipped (Spark's greatest/least).
    static func pick(_ a: [Scalar], greatest: Bool) -> Scalar {
        var best: Scalar = .null
        for v in a where v != .null {
            if best == .null { best = v; continue }
            let k = compare(v, best)
            if greatest ? k > 0 : k < 0 { best = v }
        }
        return best
    }

    static func compare(_ x: Scalar, _ y: Scalar) -> Int {
        func rank(_ v: Scalar) -> Int {
            switch v {
            case .null: return 0
            case .int, .real: return 1
            case .text: return 2
            case .blob: return 3
            }
        }
        if rank(x) != rank(y) { return rank(x) < rank(y) ? -1 : 1 }
        switch (x, y) {
        case (.int(let a), .int(let b)): return a < b ? -1 : a > b ? 1 : 0
        case (.text(let a), .text(let b)): return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) ? -1 : (a == b ? 0 : 1)
        case (.blob(let a), .blob(let b)): return a.lexicographicallyPrecedes(b) ? -1 : (a == b ? 0 : 1)
        default:
            let a = number(x) ?? 0, b = number(y) ?? 0
            return a < b ? -1 : a > b ? 1 : 0
        }
    }

    /// Spark's round (HALF_UP) / bround (HALF_EVEN): integers stay integers; doubles are rounded on
    /// their shortest decimal form.
    static func round(_ v: Scalar, _ dV: Scalar, halfEven: Bool) -> Scalar {
        guard case .int(let d64) = dV else { return dV == .null ? .null : .null }
        let d = Int(d64)
        switch v {
        case .null: return .null
        case .int(let x):
            if d >= 0 { return v }
            let m = SQLTypes.pow10(min(-d, 19))
            let big = Int128(x)
            var q = big / m
            let r = big - q * m
            let twice = r.magnitude * 2
            if twice > m.magnitude || (twice == m.magnitude && (!halfEven || q % 2 != 0)) { q += big < 0 ? -1 : 1 }
            return .int(Int64(clamping: q * m))
        default:
            guard let x = number(v) else { return .null }
            guard x.isFinite else { return .real(x) }
            return .real(roundDouble(x, d, halfEven: halfEven))
        }
    }

    static func roundDouble(_ x: Double, _ d: Int, halfEven: Bool) -> Double {
        let s = "\(abs(x))"
        // Work on decimal digits: digits and exponent of the shortest representation.
        var mant = s, exp = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mant = String(s[..<e]); exp = Int(s[s.index(after: e)...]) ?? 0
        }
        var intPart = mant, frac = ""
        if let dot = mant.firstIndex(of: ".") { intPart = String(mant[..<dot]); frac = String(mant[mant.index(after: dot)...]) }
        var digits = Array(intPart + frac).map { Int($0.wholeNumberValue ?? 0) }
        var point = intPart.count + exp
        if point < 0 { digits = Array(repeating: 0, count: -point) + digits; point = 0 }
        while digits.count < point { digits.append(0) }
        let keep = point + d
        if keep < 0 { return 0 * x }
        if keep >= digits.count { return x }
        var kept = Array(digits[0..<keep])
        let next = digits[keep]
        let restNonZero = digits[(keep + 1)...].contains { $0 != 0 }
        let lastOdd = (kept.last ?? 0) % 2 == 1
        let up = next > 5 || (next == 5 && (restNonZero || !halfEven || lastOdd))
        if up {
            var i = kept.count - 1
            var carry = true
            while carry && i >= 0 {
                kept[i] += 1
                if kept[i] == 10 { kept[i] = 0; i -= 1 } else { carry = false }
            }
            if carry { kept.insert(1, at: 0); point += 1 }
        }
        var str = ""
        for (i, c) in kept.enumerated() {
            if i == point { str += "." }
            str += String(c)
        }
        if kept.count <= point { str += String(repeating: "0", count: point - kept.count) }
        if str.isEmpty || str.hasPrefix(".") { str = "0" + str }
        let r = Double(str) ?? 0
        return x < 0 ? -r : r
    }

    // MARK: Casts

    static func castTimestamp(_ v: Scalar) -> Scalar {
        switch v {
        case .null, .blob: return .null
        case .int(let s): return .text(SQLTypes.timestampText(s.multipliedReportingOverflow(by: 1_000_000).partialValue))
        case .real(let s):
            guard s.isFinite else { return .null }
            return .text(SQLTypes.timestampText(Int64((s * 1_000_000).rounded(.down))))
        case .text(let s): return SQLTypes.parseTimestamp(s).map { .text(SQLTypes.timestampText($0)) } ?? .null
        }
    }

    static func castDate(_ v: Scalar) -> Scalar {
        guard case .text(let s) = v else { return .null }
        return SQLTypes.parseDate(s).map { .text(SQLTypes.dateText($0)) } ?? .null
    }

    static func castDouble(_ v: Scalar) -> Double? {
        switch v {
        case .int(let x): return Double(x)
        case .real(let d): return d
        case .text(let s):
            if SQLTypes.isTimestampText(s), let us = SQLTypes.parseTimestamp(s) { return Double(us) / 1_000_000 }
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            switch t.lowercased() {
            case "nan": return .nan
            case "infinity", "+infinity", "inf", "+inf": return .infinity
            case "-infinity", "-inf": return -.infinity
            default: break
            }
            var u = t
            if let last = u.last, "dDfF".contains(last) { u.removeLast() }
            guard !u.isEmpty, u.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
            return Double(u)
        default: return nil
        }
    }

    static func castDecimal(_ v: Scalar, precision: Int, scale: Int) -> Scalar {
        let unscaled: Int128?
        switch v {
        case .null, .blob: return .null
        case .int(let x): unscaled = SQLTypes.decimal(fromText: String(x), precision: precision, scale: scale)
        case .real(let d): unscaled = SQLTypes.decimal(from: d, precision: precision, scale: scale)
        case .text(let s): unscaled = SQLTypes.decimal(fromText: s, precision: precision, scale: scale)
        }
        guard let u = unscaled else { return .null }
        return .real(Double(ValueFormatting.decimal(u, scale: scale)) ?? .nan)
    }

    static func castString(_ v: Scalar) -> Scalar {
        switch v {
        case .null: return .null
        case .int(let x): return .text(String(x))
        case .real(let d): return .text(SQLTypes.javaDouble(d))
        case .text(let s):
            if SQLTypes.isTimestampText(s) {
                // Spark prints timestamps without trailing fraction zeros.
                var t = s
                while t.hasSuffix("0") { t.removeLast() }
                if t.hasSuffix(".") { t.removeLast() }
                return .text(t)
            }
            return v
        case .blob(let b): return .text(String(decoding: b, as: UTF8.self))
        }
    }

    static func castIntegral(_ v: Scalar, bits: Int) -> Scalar {
        func wrap(_ x: Int64) -> Int64 {
            switch bits {
            case 8: return Int64(Int8(truncatingIfNeeded: x))
            case 16: return Int64(Int16(truncatingIfNeeded: x))
            case 32: return Int64(Int32(truncatingIfNeeded: x))
            default: return x
            }
        }
        func fromDouble(_ d: Double) -> Int64 {
            if d.isNaN { return 0 }
            let t = d.rounded(.towardZero)
            switch bits {
            case 64: return t >= 9.223372036854775807e18 ? Int64.max : t <= -9.223372036854775808e18 ? Int64.min : Int64(t)
            default:
                // Java: (int) d saturates to the int range, then narrows for byte/short.
                let i32: Int64 = t >= 2147483647 ? 2147483647 : t <= -2147483648 ? -2147483648 : Int64(t)
                return wrap(i32)
            }
        }
        switch v {
        case .null, .blob: return .null
        case .int(let x): return .int(wrap(x))
        case .real(let d): return .int(fromDouble(d))
        case .text(let s):
            // Spark (non-ANSI): optional sign, digits, optional fraction (truncated); else NULL.
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            var body = Substring(t)
            var neg = false
            if body.first == "-" { neg = true; body = body.dropFirst() } else if body.first == "+" { body = body.dropFirst() }
            var intDigits = body
            if let dot = body.firstIndex(of: ".") {
                let frac = body[body.index(after: dot)...]
                guard frac.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .null }
                intDigits = body[..<dot]
            }
            guard !intDigits.isEmpty || body.contains("."), intDigits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .null }
            guard let mag = intDigits.isEmpty ? 0 : Int128(intDigits) else { return .null }
            let x = neg ? -mag : mag
            let lo: Int128, hi: Int128
            switch bits {
            case 8: lo = Int128(Int8.min); hi = Int128(Int8.max)
            case 16: lo = Int128(Int16.min); hi = Int128(Int16.max)
            case 32: lo = Int128(Int32.min); hi = Int128(Int32.max)
            default: lo = Int128(Int64.min); hi = Int128(Int64.max)
            }
            guard x >= lo, x <= hi else { return .null }
            return .int(Int64(x))
        }
    }

    static func castBoolean(_ v: Scalar) -> Scalar {
        switch v {
        case .null, .blob: return .null
        case .int(let x): return .int(x != 0 ? 1 : 0)
        case .real(let d): return .int(d != 0 ? 1 : 0)
        case .text(let s):
            switch s.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
            case "t", "true", "y", "yes", "1": return .int(1)
            case "f", "false", "n", "no", "0": return .int(0)
            default: return .null
            }
        }
    }
}

// MARK: - Aggregates

/// Spark aggregates SQLite lacks: stddev/variance family, count_if, bool_and/bool_or, collect_list/set,
/// approx_count_distinct (exact), first/last, max_by/min_by.
enum SparkAggregates {
    final class State {
        var n = 0.0, mean = 0.0, m2 = 0.0
        var count: Int64 = 0
        var flag: Bool?
        var items: [SQLiteScalar] = []
        var seen = Set<String>()
        var best: SQLiteScalar = .null
        var bestKey: SQLiteScalar = .null
        var hasFirst = false
    }

    final class AggBox {
        let step: (State, [SQLiteScalar]) -> Void
        let final: (State?) -> SQLiteScalar
        init(step: @escaping (State, [SQLiteScalar]) -> Void, final: @escaping (State?) -> SQLiteScalar) {
            self.step = step
            self.final = final
        }
    }

    static func state(_ ctx: OpaquePointer?, create: Bool) -> State? {
        let size: Int32 = create ? Int32(MemoryLayout<UnsafeRawPointer>.size) : 0
        guard let p = sqlite3_aggregate_context(ctx, size) else { return nil }
        let slot = p.assumingMemoryBound(to: UnsafeRawPointer?.self)
        if let existing = slot.pointee { return Unmanaged<State>.fromOpaque(existing).takeUnretainedValue() }
        guard create else { return nil }
        let s = State()
        slot.pointee = UnsafeRawPointer(Unmanaged.passRetained(s).toOpaque())
        return s
    }

    static func register(_ db: OpaquePointer) throws {
        func add(_ name: String, _ nArg: Int32, step: @escaping (State, [SQLiteScalar]) -> Void, final: @escaping (State?) -> SQLiteScalar) throws {
            let box = Unmanaged.passRetained(AggBox(step: step, final: final)).toOpaque()
            let rc = sqlite3_create_function_v2(db, name, nArg, SQLITE_UTF8 | SQLITE_DETERMINISTIC, box, nil, { ctx, argc, argv in
                let box = Unmanaged<AggBox>.fromOpaque(sqlite3_user_data(ctx)!).takeUnretainedValue()
                guard let s = SparkAggregates.state(ctx, create: true) else { sqlite3_result_error_nomem(ctx); return }
                var args: [SQLiteScalar] = []
                for i in 0..<Int(argc) { args.append(SQLiteScalar(argv?[i])) }
                box.step(s, args)
            }, { ctx in
                let box = Unmanaged<AggBox>.fromOpaque(sqlite3_user_data(ctx)!).takeUnretainedValue()
                let s = SparkAggregates.state(ctx, create: false)
                box.final(s).setResult(ctx)
                if let p = sqlite3_aggregate_context(ctx, 0) {
                    let slot = p.assumingMemoryBound(to: UnsafeRawPointer?.self)
                    if let existing = slot.pointee { Unmanaged<State>.fromOpaque(existing).release(); slot.pointee = nil }
                }
            }, { p in
                if let p { Unmanaged<AggBox>.fromOpaque(p).release() }
            })
            guard rc == SQLITE_OK else { throw SQLError.execution("cannot register aggregate \(name)") }
        }
        let welford: (State, [SQLiteScalar]) -> Void = { s, a in
            guard let x = SparkFunctions.number(a[0]) else { return }
            s.n += 1
            let d = x - s.mean
            s.mean += d / s.n
            s.m2 += d * (x - s.mean)
        }
        for name in ["stddev", "stddev_samp", "std"] {
            try add(name, 1, step: welford) { s in
                guard let s, s.n > 0 else { return .null }
                return s.n < 2 ? .real(.nan) : .real((s.m2 / (s.n - 1)).squareRoot())
            }
        }
        try add("stddev_pop", 1, step: welford) { s in
            guard let s, s.n > 0 else { return .null }
            return .real((s.m2 / s.n).squareRoot())
        }
        for name in ["variance", "var_samp"] {
            try add(name, 1, step: welford) { s in
                guard let s, s.n > 0 else { return .null }
                return s.n < 2 ? .real(.nan) : .real(s.m2 / (s.n - 1))
            }
        }
        try add("var_pop", 1, step: welford) { s in
            guard let s, s.n > 0 else { return .null }
            return .real(s.m2 / s.n)
        }
        try add("count_if", 1, step: { s, a in
            if case .int(let x) = a[0], x != 0 { s.count += 1 }
        }, final: { s in .int(s?.count ?? 0) })
        for name in ["bool_and", "every"] {
            try add(name, 1, step: { s, a in
                guard let x = SparkFunctions.number(a[0]) else { return }
                s.flag = (s.flag ?? true) && x != 0
            }, final: { s in s?.flag.map { .int($0 ? 1 : 0) } ?? .null })
        }
        for name in ["bool_or", "some", "any"] {
            try add(name, 1, step: { s, a in
                guard let x = SparkFunctions.number(a[0]) else { return }
                s.flag = (s.flag ?? false) || x != 0
            }, final: { s in s?.flag.map { .int($0 ? 1 : 0) } ?? .null })
        }
        func jsonArray(_ items: [SQLiteScalar]) -> SQLiteScalar {
            var out = "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                switch v {
                case .int(let x): out += String(x)
                case .real(let d): out += d.isFinite ? SQLTypes.javaDouble(d) : "null"
                default: ValueFormatting.appendJSONString(SparkFunctions.text(v) ?? "", to: &out)
                }
            }
            return .text(out + "]")
        }
        try add("collect_list", 1, step: { s, a in if a[0] != .null { s.items.append(a[0]) } }, final: { s in jsonArray(s?.items ?? []) })
        try add("collect_set", 1, step: { s, a in
            guard a[0] != .null else { return }
            let key = "\(a[0])"
            if s.seen.insert(key).inserted { s.items.append(a[0]) }
        }, final: { s in jsonArray(s?.items ?? []) })
        try add("approx_count_distinct", 1, step: { s, a in
            if a[0] != .null { s.seen.insert("\(a[0])") }
        }, final: { s in .int(Int64(s?.seen.count ?? 0)) })
        for name in ["first", "any_value"] {
            try add(name, 1, step: { s, a in
                if !s.hasFirst { s.best = a[0]; s.hasFirst = true }
            }, final: { s in s?.best ?? .null })
        }
        try add("last", 1, step: { s, a in s.best = a[0] }, final: { s in s?.best ?? .null })
        for (name, greatest) in [("max_by", true), ("min_by", false)] {
            try add(name, 2, step: { s, a in
                guard a[1] != .null else { return }
                if s.bestKey == .null || (SparkFunctions.compare(a[1], s.bestKey) > 0) == greatest && SparkFunctions.compare(a[1], s.bestKey) != 0 {
                    s.bestKey = a[1]
                    s.best = a[0]
                }
            }, final: { s in s?.best ?? .null })
        }
    }
}

// MARK: - Java date patterns

/// Spark's datetime patterns (a subset of java.time's letters): y, M, d, H, h, m, s, S, a, E, D, and
/// quoted literals.
enum JavaDateFormat {
    static let monthsShort = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let monthsLong = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let daysShort = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let daysLong = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    enum Piece { case field(Character, Int), literal(String) }

    static func pieces(_ pattern: String) -> [Piece] {
        var out: [Piece] = []
        let p = Array(pattern)
        var i = 0
        while i < p.count {
            let c = p[i]
            if c == "'" {
                var lit = ""
                i += 1
                while i < p.count {
                    if p[i] == "'" {
                        if i + 1 < p.count, p[i + 1] == "'" { lit.append("'"); i += 2; continue }
                        break
                    }
                    lit.append(p[i]); i += 1
                }
                i += 1
                out.append(.literal(lit.isEmpty ? "'" : lit))
                continue
            }
            if c.isLetter {
                var n = 1
                while i + n < p.count, p[i + n] == c { n += 1 }
                out.append(.field(c, n))
                i += n
                continue
            }
            out.append(.literal(String(c)))
            i += 1
        }
        return out
    }

    static func pad(_ v: Int64, _ n: Int) -> String {
        let s = String(abs(v))
        return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, n - s.count)) + s
    }

    static func format(_ us: Int64, pattern: String) -> String {
        let day = SparkFunctions.floorDiv(us, 86_400_000_000)
        let c = ValueFormatting.civil(days: day)
        let tod = SparkFunctions.floorMod(us, 86_400_000_000)
        let h = tod / 3_600_000_000, mi = tod / 60_000_000 % 60, s = tod / 1_000_000 % 60, frac = tod % 1_000_000
        let dow = Int(SparkFunctions.floorMod(day + 3, 7))
        var out = ""
        for piece in pieces(pattern) {
            switch piece {
            case .literal(let l): out += l
            case .field(let f, let n):
                switch f {
                case "y", "u": out += n == 2 ? pad(SparkFunctions.floorMod(c.year, 100), 2) : pad(c.year, n)
                case "M", "L":
                    if n >= 4 { out += monthsLong[c.month - 1] } else if n == 3 { out += monthsShort[c.month - 1] } else { out += pad(Int64(c.month), n) }
                case "d": out += pad(Int64(c.day), n)
                case "D": out += pad(day - ValueFormatting.days(year: c.year, month: 1, day: 1) + 1, n)
                case "H": out += pad(h, n)
                case "k": out += pad(h == 0 ? 24 : h, n)
                case "h": out += pad(h % 12 == 0 ? 12 : h % 12, n)
                case "K": out += pad(h % 12, n)
                case "m": out += pad(mi, n)
                case "s": out += pad(s, n)
                case "S":
                    let six = pad(frac, 6)
                    out += n <= 6 ? String(six.prefix(n)) : six + String(repeating: "0", count: n - 6)
                case "a": out += h < 12 ? "AM" : "PM"
                case "E": out += n >= 4 ? daysLong[dow] : daysShort[dow]
                case "Q", "q": out += pad(Int64((c.month - 1) / 3 + 1), n)
                case "X", "x", "Z", "O", "z", "V":
                    out += f == "X" ? "Z" : (f == "Z" || f == "x") ? "+0000" : "UTC"
                default: out += String(repeating: f, count: n)
                }
            }
        }
        return out
    }

    /// Parses text with a pattern into UTC microseconds; nil when it does not match.
    static func parse(_ text: String, pattern: String) -> Int64? {
        let t = Array(text)
        var i = 0
        var year: Int64 = 1970, month = 1, day = 1, hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, frac: Int64 = 0
        var pm: Bool?
        var hour12 = false
        func digits(_ minN: Int, _ maxN: Int) -> Int64? {
            var v: Int64 = 0, n = 0
            while i < t.count, n < maxN, let d = t[i].wholeNumberValue, t[i].isASCII { v = v * 10 + Int64(d); i += 1; n += 1 }
            return n >= minN ? v : nil
        }
        func word(_ options: [String]) -> Int? {
            for (k, o) in options.enumerated() {
                let end = i + o.count
                if end <= t.count, String(t[i..<end]).lowercased() == o.lowercased() { i = end; return k }
            }
            return nil
        }
        for piece in pieces(pattern) {
            switch piece {
            case .literal(let l):
                for ch in l {
                    guard i < t.count, t[i] == ch else { return nil }
                    i += 1
                }
            case .field(let f, let n):
                let fixed = n >= 2
                switch f {
                case "y", "u":
                    if n == 2 {
                        guard let v = digits(2, 2) else { return nil }
                        year = 2000 + v
                    } else {
                        guard let v = digits(n, max(n, 9)) else { return nil }
                        year = v
                    }
                case "M", "L":
                    if n >= 4 { guard let k = word(monthsLong) else { return nil }; month = k + 1 } else if n == 3 {
                        guard let k = word(monthsShort) else { return nil }
                        month = k + 1
                    } else {
                        guard let v = digits(fixed ? 2 : 1, 2) else { return nil }
                        month = Int(v)
                    }
                case "d": guard let v = digits(fixed ? 2 : 1, 2) else { return nil }; day = Int(v)
                case "H", "k": guard let v = digits(fixed ? 2 : 1, 2) else { return nil }; hour = v
                case "h", "K": guard let v = digits(fixed ? 2 : 1, 2) else { return nil }; hour = v; hour12 = true
                case "m": guard let v = digits(fixed ? 2 : 1, 2) else { return nil }; minute = v
                case "s": guard let v = digits(fixed ? 2 : 1, 2) else { return nil }; second = v
                case "S":
                    let start = i
                    guard var v = digits(n, n) else { return nil }
                    let got = i - start
                    if got > 6 { for _ in 0..<(got - 6) { v /= 10 } } else { for _ in got..<6 { v *= 10 } }
                    frac = v
                case "a": guard let k = word(["AM", "PM"]) else { return nil }; pm = k == 1
                case "E": guard word(daysLong) != nil || word(daysShort) != nil else { return nil }
                case "X", "Z", "x":
                    if i < t.count, t[i] == "Z" { i += 1 } else if word(["+00:00", "+0000", "+00"]) == nil { return nil }
                default: return nil
                }
            }
        }
        guard i == t.count else { return nil }
        if hour12 {
            guard (1...12).contains(hour) else { return nil }
            if hour == 12 { hour = 0 }
            if pm == true { hour += 12 }
        } else if pm == true, hour < 12 {
            hour += 12
        }
        guard (1...12).contains(month), day >= 1, day <= SQLTypes.daysIn(year, month), hour < 24, minute < 60, second < 60 else { return nil }
        let days = ValueFormatting.days(year: year, month: month, day: day)
        return days * 86_400_000_000 + ((hour * 60 + minute) * 60 + second) * 1_000_000 + frac
    }
}
