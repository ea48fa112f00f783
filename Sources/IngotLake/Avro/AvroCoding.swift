/// An Avro datum. Records are positional (in the schema's field order).
public indirect enum AvroValue: Sendable, Hashable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    case string(String)
    case record([AvroValue])
    /// Index into the enum's symbols.
    case enumeration(Int)
    case array([AvroValue])
    case map([(String, AvroValue)])
    /// An explicit union branch; plain values are matched to the first fitting branch when writing.
    case union(Int, AvroValue)
    case fixed([UInt8])

    public static func == (a: AvroValue, b: AvroValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.boolean(let x), .boolean(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.long(let x), .long(let y)): return x == y
        case (.float(let x), .float(let y)): return x.bitPattern == y.bitPattern
        case (.double(let x), .double(let y)): return x.bitPattern == y.bitPattern
        case (.bytes(let x), .bytes(let y)), (.fixed(let x), .fixed(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.record(let x), .record(let y)), (.array(let x), .array(let y)): return x == y
        case (.enumeration(let x), .enumeration(let y)): return x == y
        case (.map(let x), .map(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.union(let i, let x), .union(let j, let y)): return i == j && x == y
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .long(let v): h.combine(v)
        case .string(let s): h.combine(s)
        default: h.combine(0)
        }
    }

    /// The value without its union wrapper.
    public var unwrapped: AvroValue {
        if case .union(_, let v) = self { return v.unwrapped }
        return self
    }

    /// Looks up a record field by name.
    public func field(_ name: String, in schema: AvroSchema) -> AvroValue? {
        guard case .record(let values) = unwrapped, let i = schema.unwrappedRecord.firstIndex(where: { $0.name == name }), i < values.count else { return nil }
        return values[i].unwrapped
    }

    public var longValue: Int64? {
        switch unwrapped {
        case .int(let v): return Int64(v)
        case .long(let v): return v
        default: return nil
        }
    }
    public var stringValue: String? { if case .string(let s) = unwrapped { return s }; return nil }
    public var bytesValue: [UInt8]? {
        switch unwrapped {
        case .bytes(let b), .fixed(let b): return b
        default: return nil
        }
    }
    public var isNull: Bool { if case .null = unwrapped { return true }; return false }
}

extension AvroSchema {
    /// The fields of this record, or of the record branch of a `["null", record]` union.
    var unwrappedRecord: [AvroField] {
        switch kind {
        case .record(_, _, let f): return f
        case .union(let branches): return branches.lazy.compactMap { b -> [AvroField]? in if case .record(_, _, let f) = b.kind { return f }; return nil }.first ?? []
        default: return []
        }
    }
}

// MARK: - Encoding

/// Appends Avro binary encodings to a byte buffer.
public struct AvroEncoder {
    public var out: [UInt8] = []
    public init() {}

    public mutating func writeLong(_ v: Int64) {
        var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while z >= 0x80 {
            out.append(UInt8(z & 0x7F) | 0x80)
            z >>= 7
        }
        out.append(UInt8(z))
    }

    public mutating func writeBytes<C: Collection>(_ b: C) where C.Element == UInt8 {
        writeLong(Int64(b.count))
        out.append(contentsOf: b)
    }

    public mutating func writeString(_ s: String) { writeBytes(Array(s.utf8)) }

    /// Encodes `value` as `schema`; throws when they don't fit together.
    public mutating func write(_ value: AvroValue, as schema: AvroSchema) throws {
        switch (schema.kind, value) {
        case (.union(let branches), .union(let i, let v)):
            guard i >= 0, i < branches.count else { throw TableError.invalidArgument("Avro union branch \(i) out of range") }
            writeLong(Int64(i))
            try write(v, as: branches[i])
        case (.union(let branches), _):
            guard let i = branches.firstIndex(where: { AvroEncoder.fits(value, $0) }) else {
                throw TableError.invalidArgument("Avro value \(value) fits no branch of the union")
            }
            writeLong(Int64(i))
            try write(value, as: branches[i])
        case (_, .union(_, let v)):
            try write(v, as: schema)
        case (.null, .null): break
        case (.boolean, .boolean(let b)): out.append(b ? 1 : 0)
        case (.int, .int(let v)): writeLong(Int64(v))
        case (.int, .long(let v)):
            guard let v32 = Int32(exactly: v) else { throw TableError.invalidArgument("Avro int out of range: \(v)") }
            writeLong(Int64(v32))
        case (.long, .long(let v)): writeLong(v)
        case (.long, .int(let v)): writeLong(Int64(v))
        case (.float, .float(let f)): withUnsafeBytes(of: f.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case (.double, .double(let d)): withUnsafeBytes(of: d.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case (.double, .float(let f)): withUnsafeBytes(of: Double(f).bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case (.bytes, .bytes(let b)): writeBytes(b)
        case (.bytes, .fixed(let b)): writeBytes(b)
        case (.string, .string(let s)): writeString(s)
        case (.record(_, _, let fields), .record(let values)):
            guard fields.count == values.count else {
                throw TableError.invalidArgument("Avro record has \(fields.count) fields, the value \(values.count)")
            }
            for (f, v) in zip(fields, values) { try write(v, as: f.type) }
        case (.enumeration(_, _, let symbols), .enumeration(let i)):
            guard i >= 0, i < symbols.count else { throw TableError.invalidArgument("Avro enum index \(i) out of range") }
            writeLong(Int64(i))
        case (.enumeration(_, _, let symbols), .string(let s)):
            guard let i = symbols.firstIndex(of: s) else { throw TableError.invalidArgument("Avro enum has no symbol \(s)") }
            writeLong(Int64(i))
        case (.array(let items), .array(let values)):
            if !values.isEmpty {
                writeLong(Int64(values.count))
                for v in values { try write(v, as: items) }
            }
            writeLong(0)
        case (.map(let valueType), .map(let entries)):
            if !entries.isEmpty {
                writeLong(Int64(entries.count))
                for (k, v) in entries {
                    writeString(k)
                    try write(v, as: valueType)
                }
            }
            writeLong(0)
        case (.fixed(_, _, let size), .fixed(let b)), (.fixed(_, _, let size), .bytes(let b)):
            guard b.count == size else { throw TableError.invalidArgument("Avro fixed(\(size)) given \(b.count) bytes") }
            out.append(contentsOf: b)
        default:
            throw TableError.invalidArgument("Avro value \(value) does not match schema \(schema.text)")
        }
    }

    static func fits(_ value: AvroValue, _ schema: AvroSchema) -> Bool {
        switch (schema.kind, value) {
        case (.null, .null), (.boolean, .boolean), (.int, .int), (.long, .long), (.long, .int), (.float, .float), (.double, .double),
            (.bytes, .bytes), (.string, .string), (.record, .record), (.enumeration, .enumeration), (.enumeration, .string),
            (.array, .array), (.map, .map), (.fixed, .fixed):
            return true
        case (.int, .long(let v)): return Int32(exactly: v) != nil
        default: return false
        }
    }
}

// MARK: - Decoding

/// Reads Avro binary encodings, validating every length against the bytes that remain.
public struct AvroDecoder {
    let bytes: [UInt8]
    public private(set) var pos: Int
    let end: Int
    /// Upper bound on items decoded per value of a zero-size type (arrays of nulls).
    static let maxZeroSizeItems = 1 << 20

    public init(_ bytes: [UInt8], from: Int = 0, to: Int? = nil) {
        self.bytes = bytes
        pos = from
        end = to ?? bytes.count
    }

    public var remaining: Int { end - pos }
    public var atEnd: Bool { pos >= end }

    public mutating func readLong() throws -> Int64 {
        var shift: UInt64 = 0
        var z: UInt64 = 0
        while true {
            guard pos < end else { throw TableError.corrupt(file: "", detail: "Avro varint runs past the end") }
            let b = bytes[pos]
            pos += 1
            guard shift < 64 else { throw TableError.corrupt(file: "", detail: "Avro varint too long") }
            z |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
    }

    public mutating func readFixed(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= remaining else { throw TableError.corrupt(file: "", detail: "Avro length \(n) exceeds the \(remaining) bytes left") }
        let r = Array(bytes[pos..<pos + n])
        pos += n
        return r
    }

    public mutating func readBytes() throws -> [UInt8] {
        let n = try readLong()
        guard n >= 0, n <= Int64(remaining) else { throw TableError.corrupt(file: "", detail: "Avro length \(n) exceeds the \(remaining) bytes left") }
        return try readFixed(Int(n))
    }

    public mutating func readString() throws -> String { String(decoding: try readBytes(), as: UTF8.self) }

    /// Reads a block count; a negative count is followed by the block's byte size.
    mutating func readBlockCount(itemSize: Int, total: inout Int) throws -> Int {
        var n = try readLong()
        if n < 0 {
            guard n != .min else { throw TableError.corrupt(file: "", detail: "Avro block count out of range") }
            n = -n
            let size = try readLong()
            guard size >= 0, size <= Int64(remaining) else { throw TableError.corrupt(file: "", detail: "Avro block size \(size) exceeds the data") }
        }
        if itemSize > 0 {
            guard n <= Int64(remaining / itemSize) else { throw TableError.corrupt(file: "", detail: "Avro block of \(n) items exceeds the data") }
        } else {
            guard n <= Int64(AvroDecoder.maxZeroSizeItems - total) else { throw TableError.corrupt(file: "", detail: "Avro block of \(n) empty items is too large") }
        }
        total += Int(n)
        return Int(n)
    }

    public mutating func read(_ schema: AvroSchema, depth: Int = 0) throws -> AvroValue {
        guard depth < 100 else { throw TableError.corrupt(file: "", detail: "Avro value nested too deeply") }
        switch schema.kind {
        case .null: return .null
        case .boolean:
            guard pos < end else { throw TableError.corrupt(file: "", detail: "Avro boolean past the end") }
            let b = bytes[pos]
            pos += 1
            guard b <= 1 else { throw TableError.corrupt(file: "", detail: "Avro boolean byte \(b)") }
            return .boolean(b == 1)
        case .int:
            let v = try readLong()
            guard let v32 = Int32(exactly: v) else { throw TableError.corrupt(file: "", detail: "Avro int out of range") }
            return .int(v32)
        case .long: return .long(try readLong())
        case .float:
            let b = try readFixed(4)
            return .float(Float(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24))
        case .double:
            let b = try readFixed(8)
            var u: UInt64 = 0
            for i in 0..<8 { u |= UInt64(b[i]) << (8 * UInt64(i)) }
            return .double(Double(bitPattern: u))
        case .bytes: return .bytes(try readBytes())
        case .string: return .string(try readString())
        case .record(_, _, let fields):
            var values: [AvroValue] = []
            values.reserveCapacity(fields.count)
            for f in fields { values.append(try read(f.type, depth: depth + 1)) }
            return .record(values)
        case .enumeration(_, _, let symbols):
            let i = try readLong()
            guard i >= 0, i < Int64(symbols.count) else { throw TableError.corrupt(file: "", detail: "Avro enum index \(i) out of range") }
            return .enumeration(Int(i))
        case .array(let items):
            var values: [AvroValue] = []
            var total = 0
            while true {
                let n = try readBlockCount(itemSize: items.minimumSize, total: &total)
                if n == 0 { break }
                values.reserveCapacity(values.count + n)
                for _ in 0..<n { values.append(try read(items, depth: depth + 1)) }
            }
            return .array(values)
        case .map(let valueType):
            var entries: [(String, AvroValue)] = []
            var total = 0
            while true {
                let n = try readBlockCount(itemSize: 1 + valueType.minimumSize, total: &total)
                if n == 0 { break }
                entries.reserveCapacity(entries.count + n)
                for _ in 0..<n {
                    let k = try readString()
                    entries.append((k, try read(valueType, depth: depth + 1)))
                }
            }
            return .map(entries)
        case .union(let branches):
            let i = try readLong()
            guard i >= 0, i < Int64(branches.count) else { throw TableError.corrupt(file: "", detail: "Avro union branch \(i) out of range") }
            return .union(Int(i), try read(branches[Int(i)], depth: depth + 1))
        case .fixed(_, _, let size): return .fixed(try readFixed(size))
        }
    }
}
