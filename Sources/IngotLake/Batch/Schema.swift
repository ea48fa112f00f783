/// The logical type of a column.
public enum LakeType: Sendable, Hashable, CustomStringConvertible {
    case bool
    case int8, int16, int32, int64
    case float32, float64
    case string, binary
    /// Days since 1970-01-01.
    case date
    /// Microseconds since the epoch; `utc` true for instants (timestamptz), false for local wall time.
    case timestamp(utc: Bool)
    /// Fixed-point decimal, precision 1...38.
    case decimal(precision: Int, scale: Int)
    /// A list; the field is the element (its name is informational, `element` by default).
    indirect case list(Field)
    /// A struct with named child fields.
    case `struct`([Field])
    /// A map; keys are never null.
    indirect case map(key: Field, value: Field)

    /// Whether this is a list, struct or map.
    public var isNested: Bool {
        switch self {
        case .list, .struct, .map: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .bool: return "bool"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .float32: return "float32"
        case .float64: return "float64"
        case .string: return "string"
        case .binary: return "binary"
        case .date: return "date"
        case .timestamp(let utc): return utc ? "timestamp[us, UTC]" : "timestamp[us]"
        case .decimal(let p, let s): return "decimal(\(p),\(s))"
        case .list(let e): return "list<\(e.type)\(e.nullable ? "" : " not null")>"
        case .struct(let fs): return "struct<" + fs.map { "\($0.name): \($0.type)\($0.nullable ? "" : " not null")" }.joined(separator: ", ") + ">"
        case .map(let k, let v): return "map<\(k.type), \(v.type)\(v.nullable ? "" : " not null")>"
        }
    }

    /// Parses the names `description` produces (plus a few aliases), for explicit schemas.
    public init?(name: String) {
        let n = name.lowercased().replacingOccurrences(of: " ", with: "")
        switch n {
        case "bool", "boolean": self = .bool
        case "int8", "tinyint": self = .int8
        case "int16", "smallint": self = .int16
        case "int32", "int", "integer": self = .int32
        case "int64", "bigint", "long": self = .int64
        case "float32", "float": self = .float32
        case "float64", "double": self = .float64
        case "string", "utf8", "varchar": self = .string
        case "binary", "bytes": self = .binary
        case "date": self = .date
        case "timestamp", "timestamp[us]", "timestamp_ntz": self = .timestamp(utc: false)
        case "timestamp[us,utc]", "timestamptz", "timestamp_utc": self = .timestamp(utc: true)
        default:
            if n.hasPrefix("decimal("), n.hasSuffix(")") {
                let parts = n.dropFirst(8).dropLast().split(separator: ",")
                guard parts.count == 2, let p = Int(parts[0]), let s = Int(parts[1]), (1...38).contains(p), (0...p).contains(s) else {
                    return nil
                }
                self = .decimal(precision: p, scale: s)
            } else {
                return nil
            }
        }
    }
}

/// One column of a schema.
public struct Field: Sendable, Hashable {
    public var name: String
    public var type: LakeType
    public var nullable: Bool
    /// Stable field id (Parquet `field_id`, Iceberg/Delta column-mapping id).
    public var id: Int32?

    /// - Parameters:
    ///   - name: column name.
    ///   - type: logical type.
    ///   - nullable: whether nulls are allowed.
    ///   - id: optional stable field id.
    public init(_ name: String, _ type: LakeType, nullable: Bool = true, id: Int32? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.id = id
    }
}

extension LakeType {
    /// `list<element>` with a nullable element named `element`.
    public static func listOf(_ element: LakeType, nullable: Bool = true) -> LakeType { .list(Field("element", element, nullable: nullable)) }
    /// `map<key, value>` with fields named `key` and `value`.
    public static func mapOf(_ key: LakeType, _ value: LakeType, valueNullable: Bool = true) -> LakeType {
        .map(key: Field("key", key, nullable: false), value: Field("value", value, nullable: valueNullable))
    }
}

/// An ordered list of fields plus free-form key/value metadata.
public struct Schema: Sendable, Hashable {
    public var fields: [Field]
    public var metadata: [String: String]

    public init(_ fields: [Field], metadata: [String: String] = [:]) {
        self.fields = fields
        self.metadata = metadata
    }

    /// Index of the field with this name.
    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }
}
