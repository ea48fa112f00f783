/// The Parquet schema as a tree (the footer stores it flattened depth-first).
final class SchemaNode {
    let element: SchemaElement
    var children: [SchemaNode] = []
    /// Column chunk index of a leaf (-1 for groups).
    var leafIndex = -1
    var isLeaf: Bool { leafIndex >= 0 }
    var name: String { element.name }
    var repeated: Bool { element.repetition == .repeated }

    init(_ e: SchemaElement) { element = e }

    /// The root's children and the number of leaves.
    static func tree(_ elements: [SchemaElement]) throws -> ([SchemaNode], Int) {
        var index = 1
        var leaves = 0
        let rootChildren = Int(elements[0].numChildren ?? 0)
        guard rootChildren >= 0, rootChildren < elements.count else { throw corrupt("bad root schema element") }
        func walk(depth: Int) throws -> SchemaNode {
            guard index < elements.count else { throw corrupt("schema ends early") }
            guard depth < 64 else { throw corrupt("schema nested too deeply") }
            let e = elements[index]
            index += 1
            let node = SchemaNode(e)
            if let children = e.numChildren, e.type == nil || children > 0 {
                guard children >= 0, children <= elements.count - index else { throw corrupt("bad num_children") }
                for _ in 0..<children { node.children.append(try walk(depth: depth + 1)) }
                return node
            }
            guard e.type != nil else { throw corrupt("leaf \(e.name) has no type") }
            node.leafIndex = leaves
            leaves += 1
            return node
        }
        var roots: [SchemaNode] = []
        for _ in 0..<rootChildren { roots.append(try walk(depth: 0)) }
        return (roots, leaves)
    }
}

/// How to rebuild one nested value from the levels of its leaves (Dremel record assembly).
///
/// Every node finds its own instances in the levels of its first leaf: entry `i` starts an
/// instance when `rep[i] <= rep` and `def[i] >= def`; the instance is non-null when
/// `def[i] >= present`. List and map elements are the entries with `rep <= elemRep` and
/// `def >= elemDef`. `leaf` indexes ``NestedReadPlan/leaves``.
indirect enum NestedPlan: Sendable {
    case leaf(Int, rep: Int, def: Int)
    case list(leaf: Int, rep: Int, def: Int, present: Int, elemRep: Int, elemDef: Int, element: NestedPlan)
    case structure(leaf: Int, rep: Int, def: Int, present: Int, children: [NestedPlan])
    case map(leaf: Int, rep: Int, def: Int, present: Int, elemRep: Int, elemDef: Int, key: NestedPlan, value: NestedPlan)
}

/// The leaves of a nested top-level column and how to assemble them.
struct NestedReadPlan: Sendable {
    var leaves: [ParquetColumn]
    var plan: NestedPlan
}

/// Maps Parquet groups (LIST, MAP, plain groups, bare repeated fields) to Ingot's nested types,
/// following the backward-compatibility rules of LogicalTypes.md.
struct NestedPlanner {
    var leaves: [ParquetColumn] = []

    static func column(_ n: SchemaNode) throws -> ParquetColumn {
        var p = NestedPlanner()
        let (field, plan) = try p.field(n, path: [], parentDef: 0, parentRep: 0, depth: 0)
        let e = n.element
        let rep = e.repetition == .repeated ? "REPEATED" : e.repetition == .optional ? "OPTIONAL" : "REQUIRED"
        var logical: String?
        if isList(e) { logical = "LIST" } else if isMap(e) { logical = "MAP" }
        guard let first = p.leaves.first else { throw LakeError.unsupported("group \(e.name) without leaves") }
        var c = ParquetColumn(field: field, path: [e.name], physicalType: n.isLeaf ? first.physicalType : "GROUP", logicalType: logical ?? (n.isLeaf ? first.logicalType : nil),
                              repetition: rep, chunkIndex: first.chunkIndex, physical: first.physical, typeLength: 0, maxDef: 0, conversion: .none)
        c.nested = NestedReadPlan(leaves: p.leaves, plan: plan)
        return c
    }

    static func isList(_ e: SchemaElement) -> Bool { e.logical == .list || e.convertedType == 3 }
    static func isMap(_ e: SchemaElement) -> Bool { e.logical == .map || e.convertedType == 1 || e.convertedType == 2 }

    /// A node in field position (top level, struct member, list element, map key or value).
    /// `instDef` is the definition level at which its slot exists: its parent's for list elements,
    /// the enclosing struct's slot level for struct members (a null struct has null members).
    mutating func field(_ n: SchemaNode, path: [String], parentDef: Int, parentRep: Int, instDef: Int? = nil, depth: Int) throws -> (Field, NestedPlan) {
        guard depth < 64 else { throw corrupt("schema nested too deeply") }
        let instDef = instDef ?? parentDef
        let e = n.element
        let path = path + [e.name]
        if n.repeated {
            // A bare repeated field: a required list of required elements.
            let d = parentDef + 1, r = parentRep + 1
            let first = leaves.count
            let (t, plan) = try body(n, path: path, instDef: d, instRep: r, nodeDef: d, nodeRep: r, depth: depth)
            return (Field(e.name, .list(Field("element", t, nullable: false)), nullable: false, id: e.fieldId),
                    .list(leaf: first, rep: parentRep, def: instDef, present: parentDef, elemRep: r, elemDef: d, element: plan))
        }
        let optional = e.repetition == .optional
        let (t, plan) = try body(n, path: path, instDef: instDef, instRep: parentRep, nodeDef: parentDef + (optional ? 1 : 0), nodeRep: parentRep, depth: depth)
        return (Field(e.name, t, nullable: optional, id: e.fieldId), plan)
    }

    /// The content of a node whose instances are found with `instDef`/`instRep` and whose own
    /// levels (non-null threshold) are `nodeDef`/`nodeRep`.
    mutating func body(_ n: SchemaNode, path: [String], instDef: Int, instRep: Int, nodeDef: Int, nodeRep: Int, depth: Int) throws -> (LakeType, NestedPlan) {
        let e = n.element
        let first = leaves.count
        if n.isLeaf {
            var col = try ParquetReader.column(e, path: path, maxDef: nodeDef, chunkIndex: n.leafIndex)
            col.maxRep = nodeRep
            leaves.append(col)
            return (col.field.type, .leaf(first, rep: instRep, def: instDef))
        }
        guard !n.children.isEmpty else { throw LakeError.unsupported("empty group \(e.name)") }
        let cd = nodeDef + 1, cr = nodeRep + 1
        if Self.isList(e), n.children.count == 1, n.children[0].repeated {
            let c = n.children[0]
            let element: Field
            let plan: NestedPlan
            if c.isLeaf || c.children.count > 1 || c.name == "array" || c.name == e.name + "_tuple" {
                // Two-level form: the repeated node is the (required) element.
                let (t, p) = try body(c, path: path + [c.name], instDef: cd, instRep: cr, nodeDef: cd, nodeRep: cr, depth: depth + 1)
                element = Field(c.isLeaf ? "element" : c.name, t, nullable: false, id: c.element.fieldId)
                plan = p
            } else {
                (element, plan) = try field(c.children[0], path: path + [c.name], parentDef: cd, parentRep: cr, depth: depth + 2)
            }
            return (.list(element), .list(leaf: first, rep: instRep, def: instDef, present: nodeDef, elemRep: cr, elemDef: cd, element: plan))
        }
        if Self.isMap(e), n.children.count == 1, n.children[0].repeated, !n.children[0].isLeaf {
            let kv = n.children[0]
            guard kv.children.count == 2 else { throw LakeError.unsupported("map \(e.name) with \(kv.children.count) key/value fields") }
            var (key, kp) = try field(kv.children[0], path: path + [kv.name], parentDef: cd, parentRep: cr, depth: depth + 2)
            let (value, vp) = try field(kv.children[1], path: path + [kv.name], parentDef: cd, parentRep: cr, depth: depth + 2)
            key.nullable = false
            return (.map(key: key, value: value),
                    .map(leaf: first, rep: instRep, def: instDef, present: nodeDef, elemRep: cr, elemDef: cd, key: kp, value: vp))
        }
        var fields: [Field] = []
        var plans: [NestedPlan] = []
        for c in n.children {
            let (f, p) = try field(c, path: path, parentDef: nodeDef, parentRep: nodeRep, instDef: instDef, depth: depth + 1)
            fields.append(f)
            plans.append(p)
        }
        return (.struct(fields), .structure(leaf: first, rep: instRep, def: instDef, present: nodeDef, children: plans))
    }
}

/// Decoded levels and values of one leaf.
struct LeafData {
    let reader: ChunkReader
    let col: ParquetColumn
    /// Level arrays taken out of the reader (empty when the leaf has no such levels).
    let reps: [UInt8]
    let defs: [UInt8]
    let count: Int

    init(reader: ChunkReader, col: ParquetColumn) {
        self.reader = reader
        self.col = col
        reps = reader.maxRep > 0 ? reader.repLevels : []
        defs = reader.maxDef > 0 ? reader.levels : []
        count = reader.maxDef > 0 ? defs.count : reader.maxRep > 0 ? reps.count : reader.expectedValues
    }

    @inline(__always) func rep(_ i: Int) -> Int { reps.isEmpty ? 0 : Int(reps[i]) }
    @inline(__always) func def(_ i: Int) -> Int { defs.isEmpty ? 0 : Int(defs[i]) }
}

extension ParquetReader {
    func readNested(_ group: RowGroup, _ col: ParquetColumn, _ plan: NestedReadPlan) async throws -> Column {
        var data: [LeafData] = []
        for leaf in plan.leaves {
            data.append(LeafData(reader: try await readLeafChunk(group, leaf), col: leaf))
        }
        for d in data {
            if d.reader.maxRep > 0, d.reader.repLevels.count != d.count { throw corrupt("\(col.field.name): repetition and definition level counts differ") }
            if d.reader.maxRep > 0, let r0 = d.reader.repLevels.first, r0 != 0 { throw corrupt("\(col.field.name): first repetition level is not 0") }
        }
        let out = try Self.build(plan.plan, type: col.field.type, data)
        guard out.count == Int(group.numRows) else {
            throw corrupt("nested column \(col.field.name) assembled \(out.count) rows, the row group has \(group.numRows)")
        }
        if !col.field.nullable, out.nullCount > 0 { throw corrupt("required column \(col.field.name) holds nulls") }
        return out
    }

    static func build(_ plan: NestedPlan, type: LakeType, _ leaves: [LeafData]) throws -> Column {
        switch plan {
        case .leaf(let idx, let r, let d):
            let l = leaves[idx]
            let n = l.count
            let maxDef = l.reader.maxDef
            var lv: [UInt8] = []
            lv.reserveCapacity(n)
            var nulls = false
            for i in 0..<n where l.rep(i) <= r {
                let def = l.def(i)
                guard def >= d else { continue }
                let p: UInt8 = def == maxDef ? 1 : 0
                if p == 0 { nulls = true }
                lv.append(p)
            }
            let validity = nulls ? lv.withUnsafeBufferPointer { Bitmap(levels: $0, present: 1) } : nil
            return assemble(l.reader, l.col, levels: lv, present: 1, validity: validity)
        case .structure(let idx, let r, let d, let present, let plans):
            guard case .struct(let fields) = type, fields.count == plans.count else { throw corrupt("nested plan does not match its type") }
            let l = leaves[idx]
            var validity = Bitmap(count: 0, allSet: false)
            var nulls = false
            for i in 0..<l.count where l.rep(i) <= r {
                let def = l.def(i)
                guard def >= d else { continue }
                validity.append(def >= present)
                if def < present { nulls = true }
            }
            let count = validity.count
            var children: [Column] = []
            for (f, p) in zip(fields, plans) {
                let c = try build(p, type: f.type, leaves)
                guard c.count == count else { throw corrupt("struct member \(f.name) has \(c.count) values for \(count) structs") }
                children.append(c)
            }
            return Column(type: type, values: .struct(count: count, children: children), validity: nulls ? validity : nil)
        case .list(let idx, let r, let d, let present, let er, let ed, let elementPlan):
            guard case .list(let ef) = type else { throw corrupt("nested plan does not match its type") }
            let (offsets, validity) = try listOffsets(leaves[idx], r, d, present, er, ed)
            let element = try build(elementPlan, type: ef.type, leaves)
            guard element.count == Int(offsets.last ?? 0) else { throw corrupt("list has \(element.count) elements, its levels say \(offsets.last ?? 0)") }
            return Column(type: type, values: .list(offsets: offsets, values: element), validity: validity)
        case .map(let idx, let r, let d, let present, let er, let ed, let kp, let vp):
            guard case .map(let kf, let vf) = type else { throw corrupt("nested plan does not match its type") }
            let (offsets, validity) = try listOffsets(leaves[idx], r, d, present, er, ed)
            let keys = try build(kp, type: kf.type, leaves)
            let values = try build(vp, type: vf.type, leaves)
            guard keys.count == Int(offsets.last ?? 0), values.count == keys.count else { throw corrupt("map entries do not match their levels") }
            return Column(type: type, values: .map(offsets: offsets, keys: keys, values: values), validity: validity)
        }
    }

    private static func listOffsets(_ l: LeafData, _ r: Int, _ d: Int, _ present: Int, _ er: Int, _ ed: Int) throws -> ([Int32], Bitmap?) {
        var offsets: [Int32] = []
        var validity = Bitmap(count: 0, allSet: false)
        var nulls = false
        var count: Int32 = 0
        var open = false
        for i in 0..<l.count {
            let rep = l.rep(i), def = l.def(i)
            if rep <= r && def >= d {
                offsets.append(count)
                validity.append(def >= present)
                if def < present { nulls = true }
                open = true
            }
            if rep <= er && def >= ed {
                guard open else { throw corrupt("list element outside a list") }
                count += 1
            }
        }
        offsets.append(count)
        return (offsets, nulls ? validity : nil)
    }
}
