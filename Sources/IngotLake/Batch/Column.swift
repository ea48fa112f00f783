/// A packed validity bitmap (LSB first, as Arrow): bit set = value present.
public struct Bitmap: Sendable, Hashable {
    public private(set) var bytes: [UInt8]
    public private(set) var count: Int

    public init(count: Int, allSet: Bool) {
        self.count = count
        bytes = [UInt8](repeating: allSet ? 0xFF : 0, count: (count + 7) / 8)
    }

    /// Builds a bitmap from definition levels (`level == maxLevel` means present).
    public init(levels: UnsafeBufferPointer<UInt8>, present: UInt8) {
        count = levels.count
        var out = [UInt8](repeating: 0, count: (levels.count + 7) / 8)
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<levels.count where levels[i] == present { o[i >> 3] |= UInt8(1) << UInt8(i & 7) }
        }
        bytes = out
    }

    @inline(__always) public func isSet(_ i: Int) -> Bool { bytes[i >> 3] & (UInt8(1) << UInt8(i & 7)) != 0 }

    @inline(__always) public mutating func set(_ i: Int, _ value: Bool) {
        if value { bytes[i >> 3] |= UInt8(1) << UInt8(i & 7) } else { bytes[i >> 3] &= ~(UInt8(1) << UInt8(i & 7)) }
    }

    public mutating func append(_ value: Bool) {
        if count & 7 == 0 { bytes.append(0) }
        count += 1
        if value { bytes[(count - 1) >> 3] |= UInt8(1) << UInt8((count - 1) & 7) }
    }

    /// Number of unset bits.
    public var nullCount: Int {
        var set = 0
        let full = count >> 3
        for i in 0..<full { set += bytes[i].nonzeroBitCount }
        for i in (full << 3)..<count where isSet(i) { set += 1 }
        return count - set
    }
}

/// Variable-length values: `offsets` has count+1 entries into `data`.
public struct BinaryValues: Sendable, Hashable {
    public var offsets: [Int32]
    public var data: [UInt8]

    public init() {
        offsets = [0]
        data = []
    }

    public init(offsets: [Int32], data: [UInt8]) {
        self.offsets = offsets
        self.data = data
    }

    public var count: Int { offsets.count - 1 }

    @inline(__always) public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        data.append(contentsOf: bytes)
        offsets.append(Int32(truncatingIfNeeded: data.count))
    }

    public mutating func append(_ string: String) {
        var s = string
        s.withUTF8 { data.append(contentsOf: $0) }
        offsets.append(Int32(truncatingIfNeeded: data.count))
    }

    @inline(__always) public func range(_ i: Int) -> Range<Int> { Int(offsets[i])..<Int(offsets[i + 1]) }
    public func bytes(_ i: Int) -> ArraySlice<UInt8> { data[range(i)] }
    public func string(_ i: Int) -> String { String(decoding: data[range(i)], as: UTF8.self) }
}

/// The physical storage of a column's values. Null slots hold an arbitrary placeholder.
public enum ColumnValues: Sendable, Hashable {
    case bool([Bool])
    /// int8, int16, int32 and date.
    case int32([Int32])
    /// int64 and timestamp.
    case int64([Int64])
    case float32([Float])
    case float64([Double])
    /// string and binary.
    case bytes(BinaryValues)
    /// decimal (unscaled value).
    case decimal([Int128])
    /// list: `offsets` (count+1 entries) into the element column `values`.
    indirect case list(offsets: [Int32], values: Column)
    /// struct: one child column per field, each `count` long.
    case `struct`(count: Int, children: [Column])
    /// map: `offsets` (count+1 entries) into the `keys` and `values` columns.
    indirect case map(offsets: [Int32], keys: Column, values: Column)

    public var count: Int {
        switch self {
        case .bool(let v): return v.count
        case .int32(let v): return v.count
        case .int64(let v): return v.count
        case .float32(let v): return v.count
        case .float64(let v): return v.count
        case .bytes(let v): return v.count
        case .decimal(let v): return v.count
        case .list(let o, _), .map(let o, _, _): return o.count - 1
        case .struct(let n, _): return n
        }
    }

    /// Empty storage for a logical type.
    public static func empty(for type: LakeType) -> ColumnValues {
        switch type {
        case .bool: return .bool([])
        case .int8, .int16, .int32, .date: return .int32([])
        case .int64, .timestamp: return .int64([])
        case .float32: return .float32([])
        case .float64: return .float64([])
        case .string, .binary: return .bytes(BinaryValues())
        case .decimal: return .decimal([])
        case .list(let e): return .list(offsets: [0], values: Column(type: e.type, values: .empty(for: e.type)))
        case .struct(let fs): return .struct(count: 0, children: fs.map { Column(type: $0.type, values: .empty(for: $0.type)) })
        case .map(let k, let v):
            return .map(offsets: [0], keys: Column(type: k.type, values: .empty(for: k.type)), values: Column(type: v.type, values: .empty(for: v.type)))
        }
    }
}

/// A typed column: values plus an optional validity bitmap (nil = no nulls).
public struct Column: Sendable, Hashable {
    public var type: LakeType
    public var values: ColumnValues
    public var validity: Bitmap?

    public init(type: LakeType, values: ColumnValues, validity: Bitmap? = nil) {
        self.type = type
        self.values = values
        self.validity = validity
    }

    public var count: Int { values.count }
    public var nullCount: Int { validity?.nullCount ?? 0 }
    @inline(__always) public func isNull(_ i: Int) -> Bool { validity.map { !$0.isSet(i) } ?? false }

    /// The value at a row as a generic scalar (slow path: printing, tests, statistics of text input).
    /// Nested values (lists, structs, maps) have no scalar form: use ``nestedValue(at:)``.
    public func value(at i: Int) -> Value? {
        if isNull(i) { return nil }
        switch values {
        case .list, .struct, .map: return nil
        case .bool(let v): return .bool(v[i])
        case .int32(let v): return .int(Int64(v[i]))
        case .int64(let v): return .int(v[i])
        case .float32(let v): return .double(Double(v[i]))
        case .float64(let v): return .double(v[i])
        case .bytes(let v):
            if type == .string { return .string(v.string(i)) }
            return .bytes(Array(v.bytes(i)))
        case .decimal(let v): return .decimal(v[i])
        }
    }

    /// Rows `range` of this column as a new column.
    public func slice(_ range: Range<Int>) -> Column {
        if type.isNested { return nestedSlice(range) }
        var b = ColumnBuilder(type: type)
        b.reserve(range.count)
        for i in range { b.append(value(at: i)) }
        return b.finish()
    }
}

/// A generic scalar, used where speed does not matter.
public enum Value: Sendable, Hashable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case decimal(Int128)
}

/// Builds a column value by value (text readers, tests).
public struct ColumnBuilder: Sendable {
    public let type: LakeType
    /// The storage `type` uses (a trivial enum, so hot appends switch without copying `type`).
    @usableFromInline enum Slot: UInt8, Sendable { case bool, i32, i64, f32, f64, bytes, dec, nested }
    @usableFromInline let slot: Slot
    private var bools: [Bool] = []
    private var i32: [Int32] = []
    private var i64: [Int64] = []
    private var f32: [Float] = []
    private var f64: [Double] = []
    private var bytes = BinaryValues()
    private var dec: [Int128] = []
    private var validity: Bitmap
    private var hasNull = false

    public init(type: LakeType) {
        self.type = type
        switch type {
        case .bool: slot = .bool
        case .int8, .int16, .int32, .date: slot = .i32
        case .int64, .timestamp: slot = .i64
        case .float32: slot = .f32
        case .float64: slot = .f64
        case .string, .binary: slot = .bytes
        case .decimal: slot = .dec
        case .list, .struct, .map: slot = .nested
        }
        validity = Bitmap(count: 0, allSet: false)
    }

    public var count: Int { validity.count }

    public mutating func reserve(_ n: Int) {
        switch slot {
        case .bool: bools.reserveCapacity(n)
        case .i32: i32.reserveCapacity(n)
        case .i64: i64.reserveCapacity(n)
        case .f32: f32.reserveCapacity(n)
        case .f64: f64.reserveCapacity(n)
        case .bytes: bytes.offsets.reserveCapacity(n + 1)
        case .dec: dec.reserveCapacity(n)
        case .nested: break
        }
    }

    public mutating func appendNull() {
        validity.append(false)
        hasNull = true
        appendPlaceholder()
    }

    /// Appends an integer to an int/date/timestamp/decimal(unscaled) column.
    public mutating func appendInt(_ x: Int64) {
        validity.append(true)
        switch slot {
        case .i32: i32.append(Int32(truncatingIfNeeded: x))
        case .i64: i64.append(x)
        case .f32: f32.append(Float(x))
        case .f64: f64.append(Double(x))
        case .dec: dec.append(Int128(x))
        default: placeholderNull()
        }
    }

    public mutating func appendDouble(_ x: Double) {
        validity.append(true)
        switch slot {
        case .f32: f32.append(Float(x))
        case .f64: f64.append(x)
        default: placeholderNull()
        }
    }

    public mutating func appendBool(_ x: Bool) {
        validity.append(true)
        if slot == .bool { bools.append(x) } else { placeholderNull() }
    }

    public mutating func appendDecimal(_ x: Int128) {
        validity.append(true)
        if slot == .dec { dec.append(x) } else { placeholderNull() }
    }

    /// Appends bytes to a string/binary column.
    public mutating func appendBytes(_ p: UnsafeRawBufferPointer) {
        validity.append(true)
        if slot == .bytes { bytes.append(p) } else { placeholderNull() }
    }

    /// Turns the value just marked valid into a null placeholder (wrong kind of value).
    private mutating func placeholderNull() {
        validity.set(validity.count - 1, false)
        hasNull = true
        appendPlaceholder()
    }

    private mutating func appendPlaceholder() {
        switch slot {
        case .bool: bools.append(false)
        case .i32: i32.append(0)
        case .i64: i64.append(0)
        case .f32: f32.append(0)
        case .f64: f64.append(0)
        case .bytes: bytes.offsets.append(Int32(truncatingIfNeeded: bytes.data.count))
        case .dec: dec.append(0)
        case .nested: break
        }
    }

    /// Appends a value (nil = null); a value of the wrong kind is stored as a null.
    public mutating func append(_ value: Value?) {
        switch value {
        case nil: appendNull()
        case .bool(let x): appendBool(x)
        case .int(let x): appendInt(x)
        case .double(let x): appendDouble(x)
        case .string(let s):
            var s = s
            s.withUTF8 { appendBytes(UnsafeRawBufferPointer($0)) }
        case .bytes(let b): b.withUnsafeBytes { appendBytes($0) }
        case .decimal(let x): appendDecimal(x)
        }
    }

    /// The finished column (validity dropped when there were no nulls). A builder of a nested
    /// type only holds nulls.
    public func finish() -> Column {
        if type.isNested { return Column.nulls(type, count: validity.count) }
        let values: ColumnValues
        switch slot {
        case .bool: values = .bool(bools)
        case .i32: values = .int32(i32)
        case .i64: values = .int64(i64)
        case .f32: values = .float32(f32)
        case .f64: values = .float64(f64)
        case .bytes: values = .bytes(bytes)
        case .dec: values = .decimal(dec)
        case .nested: values = .empty(for: type)
        }
        return Column(type: type, values: values, validity: hasNull ? validity : nil)
    }
}

/// A set of equally long columns with a schema: what readers produce and writers take.
public struct RecordBatch: Sendable, Hashable {
    public var schema: Schema
    public var columns: [Column]
    public var numRows: Int

    /// - Parameters:
    ///   - schema: one field per column.
    ///   - columns: the columns, all `numRows` long.
    public init(schema: Schema, columns: [Column]) throws {
        guard schema.fields.count == columns.count else {
            throw LakeError.invalidArgument("schema has \(schema.fields.count) fields but \(columns.count) columns were given")
        }
        let n = columns.first?.count ?? 0
        for (f, c) in zip(schema.fields, columns) {
            guard c.count == n else { throw LakeError.invalidArgument("column \(f.name) has \(c.count) rows, expected \(n)") }
            if !f.nullable, c.nullCount > 0 { throw LakeError.invalidArgument("column \(f.name) is not nullable but has nulls") }
        }
        self.schema = schema
        self.columns = columns
        self.numRows = n
    }

    /// Rows `range` as a new batch.
    public func slice(_ range: Range<Int>) -> RecordBatch {
        // swiftlint:disable:next force_try
        try! RecordBatch(schema: schema, columns: columns.map { $0.slice(range) })
    }

    /// The column with this name.
    public func column(named name: String) -> Column? { schema.index(of: name).map { columns[$0] } }
}
