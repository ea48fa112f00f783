/// How one top-level field is laid out: its schema elements and its leaves (one for flat fields).
struct FieldLayout {
    var field: Field
    /// Indexes into the writer's leaf layouts.
    var leaves: Range<Int>
    var elements: [SchemaElement]
    var nested: Bool

    /// Lays out a field; nested members without field ids get ids from `nextId`.
    static func make(_ field: Field, firstLeaf: Int, nextId: inout Int32, into leaves: inout [LeafLayout]) -> FieldLayout {
        if !field.type.isNested {
            let l = LeafLayout(field)
            leaves.append(l)
            return FieldLayout(field: field, leaves: firstLeaf..<firstLeaf + 1, elements: [l.schemaElement], nested: false)
        }
        var elements: [SchemaElement] = []
        let f = emit(field, path: [], def: 0, rep: 0, nextId: &nextId, elements: &elements, leaves: &leaves)
        return FieldLayout(field: f, leaves: firstLeaf..<leaves.count, elements: elements, nested: true)
    }

    private static func withId(_ f: Field, _ nextId: inout Int32) -> Field {
        var f = f
        if f.id == nil {
            f.id = nextId
            nextId += 1
        }
        return f
    }

    /// Appends the schema elements and leaves of `field` (parent levels `def`/`rep`); returns the
    /// field with ids filled in.
    private static func emit(_ field: Field, path: [String], def: Int, rep: Int, nextId: inout Int32,
                             elements: inout [SchemaElement], leaves: inout [LeafLayout]) -> Field {
        var field = withId(field, &nextId)
        let d = def + (field.nullable ? 1 : 0)
        let p = path + [field.name]
        var group = SchemaElement()
        group.name = field.name
        group.repetition = field.nullable ? .optional : .required
        group.fieldId = field.id
        switch field.type {
        case .struct(let fs):
            group.numChildren = Int32(fs.count)
            elements.append(group)
            field.type = .struct(fs.map { emit($0, path: p, def: d, rep: rep, nextId: &nextId, elements: &elements, leaves: &leaves) })
        case .list(let e):
            group.numChildren = 1
            group.convertedType = 3
            group.logical = .list
            elements.append(group)
            var r = SchemaElement()
            r.name = "list"
            r.repetition = .repeated
            r.numChildren = 1
            elements.append(r)
            var ef = e
            ef.name = "element"
            field.type = .list(emit(ef, path: p + ["list"], def: d + 1, rep: rep + 1, nextId: &nextId, elements: &elements, leaves: &leaves))
        case .map(let k, let v):
            group.numChildren = 1
            group.convertedType = 1
            group.logical = .map
            elements.append(group)
            var r = SchemaElement()
            r.name = "key_value"
            r.repetition = .repeated
            r.numChildren = 2
            elements.append(r)
            var kf = k, vf = v
            kf.name = "key"
            kf.nullable = false
            vf.name = "value"
            let k2 = emit(kf, path: p + ["key_value"], def: d + 1, rep: rep + 1, nextId: &nextId, elements: &elements, leaves: &leaves)
            let v2 = emit(vf, path: p + ["key_value"], def: d + 1, rep: rep + 1, nextId: &nextId, elements: &elements, leaves: &leaves)
            field.type = .map(key: k2, value: v2)
        default:
            var l = LeafLayout(field)
            l.nestedDef = d
            l.maxRep = rep
            l.path = p
            leaves.append(l)
            elements.append(l.schemaElement)
        }
        return field
    }
}

/// Levels and present-value indexes of one leaf for a run of records.
struct LeafLevels {
    var def: [UInt8] = []
    var rep: [UInt8] = []
    /// Indexes into the leaf's column of the values that are present.
    var present: [Int] = []
}

/// Turns nested columns into repetition/definition levels (Dremel striping).
enum NestedShredder {
    static func leafCount(_ t: LakeType) -> Int {
        switch t {
        case .struct(let fs): return fs.reduce(0) { $0 + leafCount($1.type) }
        case .list(let e): return leafCount(e.type)
        case .map(let k, let v): return leafCount(k.type) + leafCount(v.type)
        default: return 1
        }
    }

    /// The leaf columns of a nested column, depth-first (the order of the schema's leaves).
    static func leafColumns(_ c: Column) -> [Column] {
        switch c.values {
        case .struct(_, let children): return children.flatMap { leafColumns($0) }
        case .list(_, let child): return leafColumns(child)
        case .map(_, let k, let v): return leafColumns(k) + leafColumns(v)
        default: return [c]
        }
    }

    /// Whether two types have the same shape (names, ids and nullability aside).
    static func sameShape(_ a: LakeType, _ b: LakeType) -> Bool { a.isSameShape(as: b) }

    /// Levels of records `rows` of `column` (described by `field`) for each of its leaves.
    static func shred(_ column: Column, field: Field, rows: Range<Int>) throws -> [LeafLevels] {
        var out = [LeafLevels](repeating: LeafLevels(), count: leafCount(field.type))
        for i in rows {
            try value(column, field, i, leaf: 0, r: 0, d: 0, depth: 0, into: &out)
        }
        return out
    }

    private static func nulls(_ t: LakeType, leaf: Int, r: Int, d: Int, into out: inout [LeafLevels]) {
        for k in leaf..<leaf + leafCount(t) {
            out[k].rep.append(UInt8(r))
            out[k].def.append(UInt8(d))
        }
    }

    /// Value `i` of `c`: `r` is the repetition level to emit for its first entry, `d` the
    /// definition level of its parent, `depth` the number of enclosing repeated levels.
    private static func value(_ c: Column, _ f: Field, _ i: Int, leaf: Int, r: Int, d: Int, depth: Int, into out: inout [LeafLevels]) throws {
        if c.isNull(i) {
            guard f.nullable else { throw LakeError.invalidArgument("field \(f.name) is not nullable but holds a null") }
            nulls(f.type, leaf: leaf, r: r, d: d, into: &out)
            return
        }
        let d1 = d + (f.nullable ? 1 : 0)
        switch (c.values, f.type) {
        case (.struct(_, let children), .struct(let fs)):
            var l = leaf
            for (k, cf) in fs.enumerated() {
                try value(children[k], cf, i, leaf: l, r: r, d: d1, depth: depth, into: &out)
                l += leafCount(cf.type)
            }
        case (.list(let o, let child), .list(let ef)):
            let range = Int(o[i])..<Int(o[i + 1])
            if range.isEmpty {
                nulls(f.type, leaf: leaf, r: r, d: d1, into: &out)
            } else {
                for j in range {
                    try value(child, ef, j, leaf: leaf, r: j == range.lowerBound ? r : depth + 1, d: d1 + 1, depth: depth + 1, into: &out)
                }
            }
        case (.map(let o, let keys, let vals), .map(let kf, let vf)):
            let range = Int(o[i])..<Int(o[i + 1])
            if range.isEmpty {
                nulls(f.type, leaf: leaf, r: r, d: d1, into: &out)
            } else {
                let vleaf = leaf + leafCount(kf.type)
                for j in range {
                    let rr = j == range.lowerBound ? r : depth + 1
                    try value(keys, kf, j, leaf: leaf, r: rr, d: d1 + 1, depth: depth + 1, into: &out)
                    try value(vals, vf, j, leaf: vleaf, r: rr, d: d1 + 1, depth: depth + 1, into: &out)
                }
            }
        case (.list, _), (.map, _), (.struct, _):
            throw LakeError.invalidArgument("column \(f.name) does not have the shape of \(f.type)")
        default:
            out[leaf].rep.append(UInt8(r))
            out[leaf].def.append(UInt8(d1))
            out[leaf].present.append(i)
        }
    }
}
