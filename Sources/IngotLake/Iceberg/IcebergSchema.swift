import Foundation

/// Iceberg type names, Avro encodings and partition-value conversion for Ingot schemas.
enum IcebergTypes {
    static func typeName(_ t: LakeType) -> String {
        switch t {
        case .bool: return "boolean"
        case .int8, .int16, .int32: return "int"
        case .int64: return "long"
        case .float32: return "float"
        case .float64: return "double"
        case .string: return "string"
        case .binary: return "binary"
        case .date: return "date"
        case .timestamp(let utc): return utc ? "timestamptz" : "timestamp"
        case .decimal(let p, let s): return "decimal(\(p), \(s))"
        case .list: return "list"
        case .struct: return "struct"
        case .map: return "map"
        }
    }

    /// The Iceberg type JSON: a string for primitives, an object for list / struct / map.
    static func typeJSON(_ t: LakeType) -> LakeJSON {
        func field(_ f: Field) -> LakeJSON {
            .object([("id", .int(Int64(f.id ?? 0))), ("name", .string(f.name)), ("required", .bool(!f.nullable)), ("type", typeJSON(f.type))])
        }
        switch t {
        case .list(let e):
            return .object([("type", "list"), ("element-id", .int(Int64(e.id ?? 0))), ("element", typeJSON(e.type)), ("element-required", .bool(!e.nullable))])
        case .struct(let fs):
            return .object([("type", "struct"), ("fields", .array(fs.map(field)))])
        case .map(let k, let v):
            return .object([("type", "map"), ("key-id", .int(Int64(k.id ?? 0))), ("key", typeJSON(k.type)), ("value-id", .int(Int64(v.id ?? 0))),
                            ("value", typeJSON(v.type)), ("value-required", .bool(!v.nullable))])
        default:
            return .string(typeName(t))
        }
    }

    /// The schema JSON object (`{"type":"struct","schema-id":..,"fields":[...]}`).
    static func schemaJSON(_ schema: Schema, id: Int) -> LakeJSON {
        .object([
            ("type", "struct"), ("schema-id", .int(Int64(id))),
            ("fields", .array(schema.fields.map { f in
                .object([("id", .int(Int64(f.id ?? 0))), ("name", .string(f.name)), ("required", .bool(!f.nullable)), ("type", typeJSON(f.type))])
            })),
        ])
    }

    /// The schema's fields compared by id, name, type and nullability (to detect schema changes).
    static func sameFields(_ a: LakeJSON?, _ b: LakeJSON) -> Bool {
        a?["fields"] == b["fields"]
    }

    /// Avro schema of a partition value of this type (always optional).
    static func avroPartitionType(_ t: LakeType) throws -> AvroSchema {
        let base: AvroSchema
        switch t {
        case .bool: base = .boolean
        case .int8, .int16, .int32: base = .int
        case .int64: base = .long
        case .float32: base = .float
        case .float64: base = .double
        case .string: base = .string
        case .binary: base = .bytes
        case .date: base = .logical(.int, "date")
        case .timestamp(let utc):
            var s = AvroSchema.logical(.long, "timestamp-micros")
            s.props.append(("adjust-to-utc", .bool(utc)))
            base = s
        case .decimal: throw TableError.unsupported("Iceberg metadata for decimal partition columns")
        case .list, .struct, .map: throw TableError.unsupported("nested partition columns")
        }
        return .optional(base)
    }

    /// Converts a Delta partition value string to the Avro datum of the Iceberg partition tuple.
    static func partitionDatum(_ value: String?, _ t: LakeType) throws -> AvroValue {
        guard let value, !value.isEmpty else { return .null }
        func bad() -> TableError { .invalidArgument("partition value '\(value)' is not a valid \(t)") }
        switch t {
        case .bool: return .boolean(value.lowercased() == "true")
        case .int8, .int16, .int32: guard let v = Int32(value) else { throw bad() }; return .int(v)
        case .int64: guard let v = Int64(value) else { throw bad() }; return .long(v)
        case .float32: guard let v = Float(value) else { throw bad() }; return .float(v)
        case .float64: guard let v = Double(value) else { throw bad() }; return .double(v)
        case .string: return .string(value)
        case .binary: return .bytes(Array(value.utf8))
        case .date: guard let d = PartitionValues.parseDate(value) else { throw bad() }; return .int(Int32(d))
        case .timestamp: guard let us = PartitionValues.parseTimestamp(value) else { throw bad() }; return .long(us)
        case .decimal: throw TableError.unsupported("Iceberg metadata for decimal partition columns")
        case .list, .struct, .map: throw TableError.unsupported("nested partition columns")
        }
    }
}

/// Delta partition values: typed values ↔ the strings in `partitionValues` and Hive-style directories.
public enum PartitionValues {
    /// `YYYY-MM-DD` → days since the epoch.
    public static func parseDate(_ s: String) -> Int64? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        var sign: Int64 = 1
        var p = parts.map(String.init)
        if s.hasPrefix("-") { sign = -1; p.removeFirst() }
        guard p.count == 3, let y = Int64(p[0]), let m = Int(p[1]), let d = Int(p[2]), (1...12).contains(m), (1...31).contains(d) else { return nil }
        return ValueFormatting.days(year: sign * y, month: m, day: d)
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff]` (or with `T`, optional trailing `Z`) → microseconds since the epoch.
    public static func parseTimestamp(_ s: String) -> Int64? {
        var t = s
        if t.hasSuffix("Z") { t.removeLast() }
        let sep = t.firstIndex(where: { $0 == " " || $0 == "T" })
        let datePart = sep.map { String(t[..<$0]) } ?? t
        guard let days = parseDate(datePart) else { return nil }
        var micros: Int64 = 0
        if let sep {
            let time = t[t.index(after: sep)...]
            let hms = time.split(separator: ":")
            guard hms.count == 3, let h = Int64(hms[0]), let m = Int64(hms[1]) else { return nil }
            let secParts = hms[2].split(separator: ".")
            guard let sec = Int64(secParts[0]) else { return nil }
            var frac: Int64 = 0
            if secParts.count > 1 {
                let digits = String(secParts[1].prefix(6))
                guard let f = Int64(digits) else { return nil }
                frac = f
                for _ in digits.count..<6 { frac *= 10 }
            }
            micros = ((h * 60 + m) * 60 + sec) * 1_000_000 + frac
        }
        return days * 86_400_000_000 + micros
    }

    /// The Delta partition-value string of row `i` of a column (nil for null).
    public static func string(_ column: Column, _ i: Int) -> String? {
        if column.isNull(i) { return nil }
        switch column.type {
        case .timestamp:
            guard case .int64(let v) = column.values else { return nil }
            let us = v[i]
            let days = us >= 0 ? us / 86_400_000_000 : (us - 86_399_999_999) / 86_400_000_000
            let rem = us - days * 86_400_000_000
            let secs = rem / 1_000_000
            let frac = rem % 1_000_000
            func two(_ x: Int64) -> String { x < 10 ? "0\(x)" : "\(x)" }
            var s = ValueFormatting.date(days) + " " + two(secs / 3600) + ":" + two(secs / 60 % 60) + ":" + two(secs % 60)
            if frac != 0 {
                let f = String(frac)
                s += "." + String(repeating: "0", count: 6 - f.count) + f
            }
            return s
        case .date:
            guard case .int32(let v) = column.values else { return nil }
            return ValueFormatting.date(Int64(v[i]))
        default:
            return ValueFormatting.text(column, i)
        }
    }

    /// Parses a partition-value string into a column value of type `t`.
    public static func value(_ s: String?, _ t: LakeType) throws -> Value? {
        guard let s, !s.isEmpty else { return nil }
        func bad() -> TableError { .invalidArgument("partition value '\(s)' is not a valid \(t)") }
        switch t {
        case .bool: return .bool(s.lowercased() == "true")
        case .int8, .int16, .int32, .int64: guard let v = Int64(s) else { throw bad() }; return .int(v)
        case .float32, .float64: guard let v = Double(s) else { throw bad() }; return .double(v)
        case .string: return .string(s)
        case .binary: return .bytes(Array(s.utf8))
        case .date: guard let d = parseDate(s) else { throw bad() }; return .int(d)
        case .timestamp: guard let v = parseTimestamp(s) else { throw bad() }; return .int(v)
        case .decimal(_, let scale):
            guard let d = Decimal(string: s) else { throw bad() }
            var scaled = d
            for _ in 0..<scale { scaled *= 10 }
            guard let i = Int128(NSDecimalNumber(decimal: scaled).stringValue.split(separator: ".")[0]) else { throw bad() }
            return .decimal(i)
        case .list, .struct, .map: throw TableError.unsupported("nested partition values")
        }
    }

    /// Hive-style escaping of a directory name segment (`%XX` for anything outside `[A-Za-z0-9_.-]` and space).
    public static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || c == "_" || c == "-" || c == "." || c == " " {
                out.append(c)
            } else {
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Percent-encodes a relative path for Delta's `add.path` (keeps `/`).
    public static func encodePath(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "_-.~/=".contains(c) {
                out.append(c)
            } else {
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Decodes a percent-encoded path.
    public static func decodePath(_ s: String) -> String {
        s.removingPercentEncoding ?? s
    }
}
