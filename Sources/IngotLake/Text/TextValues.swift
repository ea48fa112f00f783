import Foundation

/// Parsing of text fields (CSV cells, JSON strings) into typed values.
enum TextValues {
    static func int(_ p: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        let n = p.count
        guard n > 0 else { return nil }
        var neg = false
        if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
            neg = p[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < n, n - i <= 19 else { return n - i <= 20 ? slowInt(p) : nil }
        var v: Int64 = 0
        while i < n {
            let d = p[i] &- 48
            guard d < 10 else { return nil }
            v = v &* 10 &+ Int64(d)
            i += 1
        }
        if v < 0 { return slowInt(p) }
        return neg ? -v : v
    }

    private static func slowInt(_ p: UnsafeRawBufferPointer) -> Int64? { Int64(String(decoding: p, as: UTF8.self)) }

    /// Exact powers of ten (10^0 ... 10^22 are exactly representable as doubles).
    private static let exactPowers: [Double] = (0...22).map { e in
        var v = 1.0
        for _ in 0..<e { v *= 10 }
        return v
    }

    static func double(_ p: UnsafeRawBufferPointer) -> Double? {
        guard p.count > 0, p.count < 64 else { return nil }
        if let v = fastDouble(p) { return v }
        // Only plain decimal/scientific notation and the usual spellings of the special values.
        var ok = true
        for b in p {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "e"), UInt8(ascii: "E"): continue
            default: ok = false
            }
        }
        if !ok {
            let s = String(decoding: p, as: UTF8.self)
            switch s.lowercased() {
            case "nan": return .nan
            case "inf", "infinity", "+inf", "+infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            default: return nil
            }
        }
        // Correctly rounded conversion by the C library without building a String. Only
        // [0-9.+-eE] reach here, so a full parse means the same value as in the C locale (a
        // locale with another decimal point stops at '.'); anything else takes Swift's parser.
        let v = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { tmp -> Double? in
            let n = p.count
            for k in 0..<n { tmp[k] = CChar(bitPattern: p[k]) }
            tmp[n] = 0
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(tmp.baseAddress!, &end)
            guard let end, end == tmp.baseAddress! + n else { return nil }
            return v
        }
        return v ?? Double(String(decoding: p, as: UTF8.self))
    }

    /// Clinger's exact fast path: `[+-]digits[.digits][(e|E)[+-]digits]` with at most 19
    /// significant digits, a mantissa below 2^53 and a power of ten in ±22 (one correctly rounded
    /// multiplication or division). nil means "use the slow path", not "invalid".
    @inline(__always)
    private static func fastDouble(_ p: UnsafeRawBufferPointer) -> Double? {
        let n = p.count
        var i = 0
        var neg = false
        let c0 = p[0]
        if c0 == UInt8(ascii: "-") || c0 == UInt8(ascii: "+") {
            neg = c0 == UInt8(ascii: "-")
            i = 1
        }
        var m: UInt64 = 0
        var sig = 0
        var anyDigit = false
        var scale = 0
        while i < n {
            let d = p[i] &- 48
            guard d < 10 else { break }
            anyDigit = true
            if m != 0 || d != 0 { sig += 1 }
            m = m &* 10 &+ UInt64(d)
            i += 1
        }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = p[i] &- 48
                guard d < 10 else { break }
                anyDigit = true
                if m != 0 || d != 0 { sig += 1 }
                m = m &* 10 &+ UInt64(d)
                scale -= 1
                i += 1
            }
        }
        guard anyDigit, sig <= 19 else { return nil }
        if i < n {
            guard p[i] | 0x20 == UInt8(ascii: "e") else { return nil }
            i += 1
            var eneg = false
            if i < n && (p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+")) {
                eneg = p[i] == UInt8(ascii: "-")
                i += 1
            }
            var e = 0
            var ed = 0
            while i < n {
                let d = p[i] &- 48
                guard d < 10 else { return nil }
                e = e * 10 + Int(d)
                ed += 1
                guard ed <= 5 else { return nil }
                i += 1
            }
            guard ed > 0 else { return nil }
            scale += eneg ? -e : e
        }
        guard i == n else { return nil }
        if m == 0 { return neg ? -0.0 : 0.0 }
        if m <= 1 << 53, scale >= -22, scale <= 22 {
            var v = Double(m)
            v = scale < 0 ? v / exactPowers[-scale] : v * exactPowers[scale]
            return neg ? -v : v
        }
        #if arch(x86_64) || arch(i386)
        // m < 2^64 and 10^|scale| (|scale| <= 27) are exact in Float80, so one extended
        // operation is within half an extended ulp of the true value. Rounding that to Double is
        // correct unless it sits exactly on a midpoint between two doubles (low 11 of its 64
        // significand bits 100_0000_0000): then the C library decides.
        guard scale >= -27, scale <= 27 else { return nil }
        var x = Float80(m)
        x = scale < 0 ? x / exactPowers80[-scale] : x * exactPowers80[scale]
        guard x.significandBitPattern & 0x7FF != 0x400 else { return nil }
        let v = Double(x)
        return neg ? -v : v
        #else
        return nil
        #endif
    }

    #if arch(x86_64) || arch(i386)
    /// 10^0 ... 10^27, exact in Float80 (5^27 < 2^64).
    private static let exactPowers80: [Float80] = (0...27).map { e in
        var v: Float80 = 1
        for _ in 0..<e { v *= 10 }
        return v
    }
    #endif

    static func bool(_ p: UnsafeRawBufferPointer) -> Bool? {
        switch p.count {
        case 4:
            let s = String(decoding: p, as: UTF8.self).lowercased()
            return s == "true" ? true : nil
        case 5:
            let s = String(decoding: p, as: UTF8.self).lowercased()
            return s == "false" ? false : nil
        default: return nil
        }
    }

    @inline(__always) private static func digits(_ p: UnsafeRawBufferPointer, _ at: Int, _ n: Int) -> Int? {
        guard at + n <= p.count else { return nil }
        var v = 0
        for k in at..<at + n {
            let d = p[k] &- 48
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// `YYYY-MM-DD` → days since the epoch.
    static func date(_ p: UnsafeRawBufferPointer) -> Int64? {
        guard p.count == 10, p[4] == UInt8(ascii: "-"), p[7] == UInt8(ascii: "-"),
            let y = digits(p, 0, 4), let m = digits(p, 5, 2), let d = digits(p, 8, 2), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        let days = ValueFormatting.days(year: Int64(y), month: m, day: d)
        let back = ValueFormatting.civil(days: days)
        guard back.month == m, back.day == d else { return nil }
        return days
    }

    /// `YYYY-MM-DD[T ]HH:MM[:SS[.f{1,9}]][Z|±HH[:MM]]` → (µs since the epoch, has a zone).
    static func timestamp(_ p: UnsafeRawBufferPointer) -> (Int64, Bool)? {
        guard p.count >= 16, let day = date(UnsafeRawBufferPointer(rebasing: p[0..<10])), p[10] == UInt8(ascii: "T") || p[10] == UInt8(ascii: " "),
            let hh = digits(p, 11, 2), p[13] == UInt8(ascii: ":"), let mi = digits(p, 14, 2), hh < 24, mi < 60
        else { return nil }
        var i = 16
        var ss = 0
        var micros = 0
        if i < p.count, p[i] == UInt8(ascii: ":") {
            guard let s = digits(p, i + 1, 2), s < 60 else { return nil }
            ss = s
            i += 3
            if i < p.count, p[i] == UInt8(ascii: ".") {
                i += 1
                var n = 0
                while i < p.count, p[i] &- 48 < 10 {
                    if n < 6 { micros = micros * 10 + Int(p[i] - 48) }
                    n += 1
                    i += 1
                }
                guard n > 0 else { return nil }
                for _ in n..<6 where n < 6 { micros *= 10 }
            }
        }
        var offset = 0
        var zoned = false
        if i < p.count {
            if p[i] == UInt8(ascii: "Z") || p[i] == UInt8(ascii: "z") {
                zoned = true
                i += 1
            } else if p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
                let sign = p[i] == UInt8(ascii: "-") ? -1 : 1
                guard let oh = digits(p, i + 1, 2) else { return nil }
                i += 3
                var om = 0
                if i < p.count, p[i] == UInt8(ascii: ":") { i += 1 }
                if i < p.count {
                    guard let m = digits(p, i, 2) else { return nil }
                    om = m
                    i += 2
                }
                offset = sign * (oh * 3600 + om * 60)
                zoned = true
            }
        }
        guard i == p.count else { return nil }
        let secs = day * 86_400 + Int64(hh * 3600 + mi * 60 + ss) - Int64(offset)
        return (secs * 1_000_000 + Int64(micros), zoned)
    }

    /// A decimal literal scaled to `scale` digits (exact; rejects excess precision).
    static func decimal(_ p: UnsafeRawBufferPointer, precision: Int, scale: Int) -> Int128? {
        var i = 0
        var neg = false
        guard p.count > 0 else { return nil }
        if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
            neg = p[0] == UInt8(ascii: "-")
            i = 1
        }
        var v: Int128 = 0
        var digitsSeen = 0
        var frac = -1
        while i < p.count {
            let b = p[i]
            if b == UInt8(ascii: ".") {
                guard frac < 0 else { return nil }
                frac = 0
            } else {
                let d = b &- 48
                guard d < 10 else { return nil }
                if frac >= 0 {
                    if frac == scale {
                        guard d == 0 else { return nil }
                        i += 1
                        continue
                    }
                    frac += 1
                }
                v = v * 10 + Int128(d)
                digitsSeen += 1
                guard digitsSeen <= 40 else { return nil }
            }
            i += 1
        }
        guard digitsSeen > 0 else { return nil }
        for _ in max(frac, 0)..<scale { v *= 10 }
        var limit: Int128 = 1
        for _ in 0..<precision { limit *= 10 }
        guard v < limit else { return nil }
        return neg ? -v : v
    }
}

/// What to do with a malformed row.
public enum MalformedRowPolicy: Sendable {
    /// Throw ``LakeError/malformedRow(file:line:column:detail:)``.
    case fail
    /// Store the raw fields (and the file path) as JSON in a `_rescued_data` string column.
    case rescue
}

/// Type inference state for one column of text input.
struct InferredType {
    enum Kind: Int, Comparable {
        case null = 0, bool, int, double, date, timestamp, string
        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    var kind = Kind.null
    var zoned = false

    mutating func observe(_ p: UnsafeRawBufferPointer, inferDates: Bool = true) {
        if kind == .string { return }
        var k: Kind
        if TextValues.int(p) != nil {
            k = .int
        } else if TextValues.double(p) != nil {
            k = .double
        } else if TextValues.bool(p) != nil {
            k = .bool
        } else if inferDates, TextValues.date(p) != nil {
            k = .date
        } else if inferDates, let (_, z) = TextValues.timestamp(p) {
            k = .timestamp
            zoned = zoned || z
        } else {
            k = .string
        }
        kind = Self.merge(kind, k)
    }

    static func merge(_ a: Kind, _ b: Kind) -> Kind {
        if a == .null { return b }
        if b == .null || a == b { return a }
        let (lo, hi) = a < b ? (a, b) : (b, a)
        if lo == .int && hi == .double { return .double }
        if lo == .date && hi == .timestamp { return .timestamp }
        return .string
    }

    var lakeType: LakeType {
        switch kind {
        case .null, .string: return .string
        case .bool: return .bool
        case .int: return .int64
        case .double: return .float64
        case .date: return .date
        case .timestamp: return .timestamp(utc: zoned)
        }
    }
}

/// How text fields of a column type parse (a trivial enum, computed once per column).
enum TextKind {
    case bytes, int8, int16, int32, int64, double, bool, date, timestamp, decimal(precision: Int, scale: Int), nested

    init(_ type: LakeType) {
        switch type {
        case .string, .binary: self = .bytes
        case .int8: self = .int8
        case .int16: self = .int16
        case .int32: self = .int32
        case .int64: self = .int64
        case .float32, .float64: self = .double
        case .bool: self = .bool
        case .date: self = .date
        case .timestamp: self = .timestamp
        case .decimal(let p, let s): self = .decimal(precision: p, scale: s)
        case .list, .struct, .map: self = .nested
        }
    }

    var isBytes: Bool {
        if case .bytes = self { return true }
        return false
    }
}

/// Appends one text field to a column builder; returns false when it does not parse.
@inline(__always)
func appendText(_ p: UnsafeRawBufferPointer, to b: inout ColumnBuilder) -> Bool {
    appendText(p, kind: TextKind(b.type), to: &b)
}

/// Appends one text field parsed as `kind` (the builder's type); false when it does not parse.
@inline(__always)
func appendText(_ p: UnsafeRawBufferPointer, kind: TextKind, to b: inout ColumnBuilder) -> Bool {
    switch kind {
    case .bytes:
        b.appendBytes(p)
    case .int8, .int16, .int32, .int64:
        guard let v = TextValues.int(p) else { return false }
        switch kind {
        case .int8: guard Int8(exactly: v) != nil else { return false }
        case .int16: guard Int16(exactly: v) != nil else { return false }
        case .int32: guard Int32(exactly: v) != nil else { return false }
        default: break
        }
        b.appendInt(v)
    case .double:
        guard let v = TextValues.double(p) else { return false }
        b.appendDouble(v)
    case .bool:
        guard let v = TextValues.bool(p) else { return false }
        b.appendBool(v)
    case .date:
        guard let v = TextValues.date(p) else { return false }
        b.appendInt(v)
    case .timestamp:
        if let (v, _) = TextValues.timestamp(p) {
            b.appendInt(v)
        } else if let d = TextValues.date(p) {
            b.appendInt(d * 86_400_000_000)
        } else {
            return false
        }
    case .decimal(let precision, let scale):
        guard let v = TextValues.decimal(p, precision: precision, scale: scale) else { return false }
        b.appendDecimal(v)
    case .nested:
        return false
    }
    return true
}
