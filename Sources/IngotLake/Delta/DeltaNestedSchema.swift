/// Delta schemaString forms of nested types (array, map, struct).
extension DeltaSchema {
    /// The schemaString `type` value of a type: a name for primitives, an object for nested types.
    static func typeJSON(_ t: LakeType) -> LakeJSON {
        switch t {
        case .list(let e):
            return .object([("type", "array"), ("elementType", typeJSON(e.type)), ("containsNull", .bool(e.nullable))])
        case .map(let k, let v):
            return .object([("type", "map"), ("keyType", typeJSON(k.type)), ("valueType", typeJSON(v.type)), ("valueContainsNull", .bool(v.nullable))])
        case .struct(let fs):
            let fields: [LakeJSON] = fs.map { f in
                var meta: [(String, LakeJSON)] = []
                if let id = f.id { meta.append(("parquet.field.id", .int(Int64(id)))) }
                return .object([("name", .string(f.name)), ("type", typeJSON(f.type)), ("nullable", .bool(f.nullable)), ("metadata", .object(meta))])
            }
            return .object([("type", "struct"), ("fields", .array(fields))])
        default:
            return .string(typeName(t))
        }
    }

    /// Parses a schemaString `type` value.
    static func type(json t: LakeJSON) throws -> LakeType {
        if let name = t.string { return try type(name) }
        switch t["type"]?.string {
        case "array"?:
            guard let e = t["elementType"] else { throw TableError.corrupt(file: "", detail: "schemaString array without elementType") }
            return .list(Field("element", try type(json: e), nullable: t["containsNull"]?.bool ?? true))
        case "map"?:
            guard let k = t["keyType"], let v = t["valueType"] else { throw TableError.corrupt(file: "", detail: "schemaString map without keyType/valueType") }
            return .map(key: Field("key", try type(json: k), nullable: false), value: Field("value", try type(json: v), nullable: t["valueContainsNull"]?.bool ?? true))
        case "struct"?:
            var out: [Field] = []
            for f in t["fields"]?.array ?? [] {
                guard let name = f["name"]?.string, let ft = f["type"] else { throw TableError.corrupt(file: "", detail: "schemaString field without name/type") }
                let id = f["metadata"]?["parquet.field.id"]?.int ?? f["metadata"]?["delta.columnMapping.id"]?.int
                out.append(Field(name, try type(json: ft), nullable: f["nullable"]?.bool ?? true, id: id.map { Int32(truncatingIfNeeded: $0) }))
            }
            return .struct(out)
        default:
            throw TableError.unsupported("Delta column type \(t.serialized())")
        }
    }
}
