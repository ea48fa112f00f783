/// How one schema field is laid out in Parquet (physical type, annotations, definition level).
struct LeafLayout {
    var field: Field
    var physical: PhysicalType
    var typeLength: Int32?
    /// Levels of a leaf inside a nested column (nil for flat columns).
    var nestedDef: Int?
    var maxRep = 0
    /// Path in the schema of a nested leaf.
    var path: [String]?
    var maxDef: Int { nestedDef ?? (field.nullable ? 1 : 0) }

    init(_ field: Field) {
        self.field = field
        switch field.type {
        case .list, .struct, .map:
            physical = .int32  // placeholder: nested fields are laid out by NestedLayout
        case .bool: physical = .boolean
        case .int8, .int16, .int32, .date: physical = .int32
        case .int64, .timestamp: physical = .int64
        case .float32: physical = .float
        case .float64: physical = .double
        case .string, .binary: physical = .byteArray
        case .decimal(let p, _):
            if p <= 9 {
                physical = .int32
            } else if p <= 18 {
                physical = .int64
            } else {
                physical = .fixedLenByteArray
                typeLength = Int32(Decimals.byteWidth(precision: p))
            }
        }
    }

    var schemaElement: SchemaElement {
        var e = SchemaElement()
        e.type = physical
        e.typeLength = typeLength
        e.repetition = field.nullable ? .optional : .required
        e.name = field.name
        e.fieldId = field.id
        switch field.type {
        case .int8:
            e.logical = .integer(bits: 8, signed: true)
            e.convertedType = 15
        case .int16:
            e.logical = .integer(bits: 16, signed: true)
            e.convertedType = 16
        case .string:
            e.logical = .string
            e.convertedType = 0
        case .date:
            e.logical = .date
            e.convertedType = 6
        case .timestamp(let utc):
            e.logical = .timestamp(utc: utc, unit: 2)
            if utc { e.convertedType = 10 }
        case .decimal(let p, let s):
            e.logical = .decimal(scale: Int32(s), precision: Int32(p))
            e.convertedType = 5
            e.scale = Int32(s)
            e.precision = Int32(p)
        default: break
        }
        return e
    }
}

/// Decimal helpers: FIXED_LEN_BYTE_ARRAY widths and big-endian two's complement.
enum Decimals {
    /// The fewest bytes that hold any unscaled value of `precision` digits.
    static func byteWidth(precision: Int) -> Int {
        var n = 1
        var limit = Int128(1) << 7  // 2^(8n-1)
        var maxValue = Int128(1)
        for _ in 0..<precision { maxValue *= 10 }
        maxValue -= 1
        while limit <= maxValue {
            n += 1
            if n >= 16 { return 16 }
            limit <<= 8
        }
        return n
    }

    /// Appends the `width`-byte big-endian two's complement of `v`.
    static func appendBigEndian(_ v: Int128, width: Int, into out: inout [UInt8]) {
        for k in stride(from: width - 1, through: 0, by: -1) {
            out.append(UInt8(truncatingIfNeeded: v >> Int128(8 * k)))
        }
    }

    /// Reads a big-endian two's complement integer of 1...16 bytes.
    static func fromBigEndian(_ bytes: UnsafeRawBufferPointer) -> Int128 {
        guard let first = bytes.first else { return 0 }
        var v: Int128 = first & 0x80 != 0 ? -1 : 0
        for b in bytes { v = (v << 8) | Int128(b) }
        return v
    }

    static func fromBigEndian(_ bytes: ArraySlice<UInt8>) -> Int128 {
        bytes.withUnsafeBytes { fromBigEndian($0) }
    }
}
