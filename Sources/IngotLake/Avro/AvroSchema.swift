/// An Avro schema. Extra attributes (Iceberg's `field-id`, `element-id`, `key-id`, `value-id`,
/// `logicalType`, ...) are kept in `props` and written back.
public struct AvroSchema: Sendable, Hashable {
    public indirect enum Kind: Sendable, Hashable {
        case null, boolean, int, long, float, double, bytes, string
        case record(name: String, namespace: String?, fields: [AvroField])
        case enumeration(name: String, namespace: String?, symbols: [String])
        case array(AvroSchema)
        case map(AvroSchema)
        case union([AvroSchema])
        case fixed(name: String, namespace: String?, size: Int)
    }

    public var kind: Kind
    /// Attributes other than the ones the kind itself defines, in order.
    public var props: [(String, LakeJSON)]

    public init(_ kind: Kind, props: [(String, LakeJSON)] = []) {
        self.kind = kind
        self.props = props
    }

    public static func == (a: AvroSchema, b: AvroSchema) -> Bool { a.kind == b.kind && LakeJSON.object(a.props) == LakeJSON.object(b.props) }
    public func hash(into h: inout Hasher) { h.combine(kind) }

    public static let null = AvroSchema(.null)
    public static let boolean = AvroSchema(.boolean)
    public static let int = AvroSchema(.int)
    public static let long = AvroSchema(.long)
    public static let float = AvroSchema(.float)
    public static let double = AvroSchema(.double)
    public static let bytes = AvroSchema(.bytes)
    public static let string = AvroSchema(.string)

    public static func record(_ name: String, _ fields: [AvroField], props: [(String, LakeJSON)] = []) -> AvroSchema {
        AvroSchema(.record(name: name, namespace: nil, fields: fields), props: props)
    }
    public static func array(_ items: AvroSchema, elementId: Int? = nil) -> AvroSchema {
        AvroSchema(.array(items), props: elementId.map { [("element-id", .int(Int64($0)))] } ?? [])
    }
    /// `["null", T]`.
    public static func optional(_ t: AvroSchema) -> AvroSchema { AvroSchema(.union([.null, t])) }
    /// A primitive with a logical type, e.g. `{"type":"int","logicalType":"date"}`.
    public static func logical(_ base: AvroSchema, _ logicalType: String) -> AvroSchema {
        var s = base
        s.props.append(("logicalType", .string(logicalType)))
        return s
    }

    public func prop(_ key: String) -> LakeJSON? { props.first { $0.0 == key }?.1 }
    public var logicalType: String? { prop("logicalType")?.string }

    public var fields: [AvroField] {
        if case .record(_, _, let f) = kind { return f }
        return []
    }

    /// Smallest encoded size of a value of this schema (0 for null, records of nulls...).
    var minimumSize: Int {
        switch kind {
        case .null: return 0
        case .boolean, .int, .long, .bytes, .string, .enumeration, .array, .map, .union: return 1
        case .float: return 4
        case .double: return 8
        case .fixed(_, _, let n): return n
        case .record(_, _, let fields): return fields.reduce(0) { $0 + $1.type.minimumSize }
        }
    }

    // MARK: JSON

    /// Parses a schema from its JSON text.
    public static func parse(_ text: String) throws -> AvroSchema {
        let json: LakeJSON
        do { json = try LakeJSON.parse(text) } catch { throw TableError.corrupt(file: "", detail: "Avro schema: \(error)") }
        var names: [String: AvroSchema] = [:]
        return try from(json, namespace: nil, names: &names, depth: 0)
    }

    private static func fullName(_ name: String, _ ns: String?) -> String {
        name.contains(".") || (ns ?? "").isEmpty ? name : ns! + "." + name
    }

    static func from(_ json: LakeJSON, namespace: String?, names: inout [String: AvroSchema], depth: Int) throws -> AvroSchema {
        guard depth < 100 else { throw TableError.corrupt(file: "", detail: "Avro schema nested too deeply") }
        switch json {
        case .string(let name):
            if let p = primitive(name) { return p }
            if let named = names[fullName(name, namespace)] ?? names[name] {
                if named.prop(AvroSchema.placeholderKey) != nil { throw TableError.unsupported("recursive Avro schema (\(name))") }
                return named
            }
            throw TableError.corrupt(file: "", detail: "unknown Avro type \(name)")
        case .array(let branches):
            return AvroSchema(.union(try branches.map { try from($0, namespace: namespace, names: &names, depth: depth + 1) }))
        case .object(let o):
            guard let typeJSON = json["type"] else { throw TableError.corrupt(file: "", detail: "Avro schema object without type") }
            guard case .string(let type) = typeJSON else {
                // {"type": {...}} or {"type": [...]}: a nested schema with attributes.
                var inner = try from(typeJSON, namespace: namespace, names: &names, depth: depth + 1)
                inner.props += o.filter { $0.0 != "type" }
                return inner
            }
            func extra(_ known: Set<String>) -> [(String, LakeJSON)] { o.filter { !known.contains($0.0) } }
            switch type {
            case "record", "error":
                guard let name = json["name"]?.string else { throw TableError.corrupt(file: "", detail: "Avro record without a name") }
                let ns = json["namespace"]?.string ?? (name.contains(".") ? nil : namespace)
                // Register a placeholder first so recursive references resolve (to a fieldless record).
                names[fullName(name, ns)] = AvroSchema(.record(name: name, namespace: ns, fields: []), props: [(AvroSchema.placeholderKey, .bool(true))])
                var fields: [AvroField] = []
                for f in json["fields"]?.array ?? [] {
                    guard let fname = f["name"]?.string, let ft = f["type"] else { throw TableError.corrupt(file: "", detail: "Avro field without name or type") }
                    let fs = try from(ft, namespace: ns, names: &names, depth: depth + 1)
                    fields.append(AvroField(fname, fs, props: (f.object ?? []).filter { $0.0 != "name" && $0.0 != "type" }))
                }
                let s = AvroSchema(.record(name: name, namespace: json["namespace"]?.string, fields: fields), props: extra(["type", "name", "namespace", "fields"]))
                names[fullName(name, ns)] = s
                return s
            case "enum":
                guard let name = json["name"]?.string else { throw TableError.corrupt(file: "", detail: "Avro enum without a name") }
                let symbols = (json["symbols"]?.array ?? []).compactMap(\.string)
                let s = AvroSchema(.enumeration(name: name, namespace: json["namespace"]?.string, symbols: symbols), props: extra(["type", "name", "namespace", "symbols"]))
                names[fullName(name, json["namespace"]?.string ?? namespace)] = s
                return s
            case "array":
                guard let items = json["items"] else { throw TableError.corrupt(file: "", detail: "Avro array without items") }
                return AvroSchema(.array(try from(items, namespace: namespace, names: &names, depth: depth + 1)), props: extra(["type", "items"]))
            case "map":
                guard let values = json["values"] else { throw TableError.corrupt(file: "", detail: "Avro map without values") }
                return AvroSchema(.map(try from(values, namespace: namespace, names: &names, depth: depth + 1)), props: extra(["type", "values"]))
            case "fixed":
                guard let name = json["name"]?.string, let size = json["size"]?.int, size >= 0, size < 1 << 24 else {
                    throw TableError.corrupt(file: "", detail: "Avro fixed without a name or valid size")
                }
                let s = AvroSchema(.fixed(name: name, namespace: json["namespace"]?.string, size: Int(size)), props: extra(["type", "name", "namespace", "size"]))
                names[fullName(name, json["namespace"]?.string ?? namespace)] = s
                return s
            default:
                guard var p = primitive(type) else { throw TableError.corrupt(file: "", detail: "unknown Avro type \(type)") }
                p.props = extra(["type"])
                return p
            }
        default:
            throw TableError.corrupt(file: "", detail: "invalid Avro schema JSON")
        }
    }

    static let placeholderKey = "\u{0}being-defined"

    static func primitive(_ name: String) -> AvroSchema? {
        switch name {
        case "null": return .null
        case "boolean": return .boolean
        case "int": return .int
        case "long": return .long
        case "float": return .float
        case "double": return .double
        case "bytes": return .bytes
        case "string": return .string
        default: return nil
        }
    }

    /// The schema as JSON; a named type used again is written as a reference to its name.
    public var json: LakeJSON {
        var defined = Set<String>()
        return json(defined: &defined)
    }

    func json(defined: inout Set<String>) -> LakeJSON {
        func named(_ name: String, _ ns: String?) -> String? {
            let full = (ns.map { $0 + "." } ?? "") + name
            if defined.contains(full) { return full }
            defined.insert(full)
            return nil
        }
        switch kind {
        case .record(let n, let ns, _), .enumeration(let n, let ns, _), .fixed(let n, let ns, _):
            if let ref = named(n, ns) { return .string(ref) }
        default: break
        }
        func withProps(_ base: [(String, LakeJSON)]) -> LakeJSON { .object(base + props) }
        switch kind {
        case .null, .boolean, .int, .long, .float, .double, .bytes, .string:
            let name: String
            switch kind {
            case .null: name = "null"
            case .boolean: name = "boolean"
            case .int: name = "int"
            case .long: name = "long"
            case .float: name = "float"
            case .double: name = "double"
            case .bytes: name = "bytes"
            default: name = "string"
            }
            return props.isEmpty ? .string(name) : withProps([("type", .string(name))])
        case .record(let name, let ns, let fields):
            var base: [(String, LakeJSON)] = [("type", "record"), ("name", .string(name))]
            if let ns { base.append(("namespace", .string(ns))) }
            var fieldJSON: [LakeJSON] = []
            for f in fields { fieldJSON.append(.object([("name", .string(f.name)), ("type", f.type.json(defined: &defined))] + f.props)) }
            base.append(("fields", .array(fieldJSON)))
            return withProps(base)
        case .enumeration(let name, let ns, let symbols):
            var base: [(String, LakeJSON)] = [("type", "enum"), ("name", .string(name))]
            if let ns { base.append(("namespace", .string(ns))) }
            base.append(("symbols", .array(symbols.map { .string($0) })))
            return withProps(base)
        case .array(let items): return withProps([("type", "array"), ("items", items.json(defined: &defined))])
        case .map(let values): return withProps([("type", "map"), ("values", values.json(defined: &defined))])
        case .union(let branches):
            var out: [LakeJSON] = []
            for b in branches { out.append(b.json(defined: &defined)) }
            return .array(out)
        case .fixed(let name, let ns, let size):
            var base: [(String, LakeJSON)] = [("type", "fixed"), ("name", .string(name))]
            if let ns { base.append(("namespace", .string(ns))) }
            base.append(("size", .int(Int64(size))))
            return withProps(base)
        }
    }

    public var text: String { json.serialized() }
}

extension LakeJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// A field of an Avro record.
public struct AvroField: Sendable, Hashable {
    public var name: String
    public var type: AvroSchema
    /// `field-id`, `doc`, `default`, ...
    public var props: [(String, LakeJSON)]

    public init(_ name: String, _ type: AvroSchema, id: Int? = nil, props: [(String, LakeJSON)] = []) {
        self.name = name
        self.type = type
        self.props = (id.map { [("field-id", LakeJSON.int(Int64($0)))] } ?? []) + props
    }

    public var fieldId: Int? { props.first { $0.0 == "field-id" }?.1.int.map(Int.init) }

    public static func == (a: AvroField, b: AvroField) -> Bool { a.name == b.name && a.type == b.type && LakeJSON.object(a.props) == LakeJSON.object(b.props) }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(type) }
}
