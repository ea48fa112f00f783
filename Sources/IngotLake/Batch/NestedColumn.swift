/// A generic nested value (lists, structs, maps and scalars), used where speed does not matter:
/// tests, building small nested columns, Delta checkpoints.
public indirect enum NestedValue: Sendable, Hashable {
    case null
    case scalar(Value)
    case list([NestedValue])
    /// Field names and values, in the struct type's order.
    case `struct`([String], [NestedValue])
    /// Keys and values, pairwise.
    case map([NestedValue], [NestedValue])

    public var isNull: Bool { self == .null }

    /// The scalar, if this is one.
    public var scalar: Value? { if case .scalar(let v) = self { return v }; return nil }
    public var string: String? { if case .scalar(.string(let s)) = self { return s }; return nil }
    public var int: Int64? { if case .scalar(.int(let x)) = self { return x }; return nil }
    public var bool: Bool? { if case .scalar(.bool(let x)) = self { return x }; return nil }

    /// The struct member with this name.
    public subscript(_ name: String) -> NestedValue? {
        guard case .struct(let names, let values) = self, let i = names.firstIndex(of: name) else { return nil }
        return values[i]
    }

    /// Convenience for scalars.
    public init(_ v: Value?) { self = v.map { .scalar($0) } ?? .null }
}

extension Bitmap {
    /// Bits `range` as a new bitmap.
    public func slice(_ range: Range<Int>) -> Bitmap {
        var b = Bitmap(count: range.count, allSet: false)
        for (k, i) in range.enumerated() where isSet(i) { b.set(k, true) }
        return b
    }
}

extension Column {
    /// A column of `count` nulls of any type (nested types get empty children).
    public static func nulls(_ type: LakeType, count: Int) -> Column {
        let validity = Bitmap(count: count, allSet: false)
        switch type {
        case .list(let e):
            return Column(type: type, values: .list(offsets: [Int32](repeating: 0, count: count + 1), values: Column(type: e.type, values: .empty(for: e.type))), validity: validity)
        case .map(let k, let v):
            return Column(type: type, values: .map(offsets: [Int32](repeating: 0, count: count + 1), keys: Column(type: k.type, values: .empty(for: k.type)),
                                                   values: Column(type: v.type, values: .empty(for: v.type))), validity: validity)
        case .struct(let fs):
            return Column(type: type, values: .struct(count: count, children: fs.map { Column.nulls($0.type, count: count) }), validity: validity)
        default:
            var b = ColumnBuilder(type: type)
            for _ in 0..<count { b.appendNull() }
            return b.finish()
        }
    }

    /// A list column. `element` names the element field (default `element`, nullable).
    public static func list(offsets: [Int32], values: Column, validity: Bitmap? = nil, element: Field? = nil) -> Column {
        Column(type: .list(element ?? Field("element", values.type)), values: .list(offsets: offsets, values: values), validity: validity)
    }

    /// A struct column.
    public static func `struct`(fields: [Field], children: [Column], count: Int, validity: Bitmap? = nil) -> Column {
        Column(type: .struct(fields), values: .struct(count: count, children: children), validity: validity)
    }

    /// A map column.
    public static func map(offsets: [Int32], keys: Column, values: Column, validity: Bitmap? = nil, valueNullable: Bool = true) -> Column {
        Column(type: .map(key: Field("key", keys.type, nullable: false), value: Field("value", values.type, nullable: valueNullable)),
               values: .map(offsets: offsets, keys: keys, values: values), validity: validity)
    }

    /// The child column of a struct column with this field name.
    public func child(_ name: String) -> Column? {
        guard case .struct(let fs) = type, case .struct(_, let children) = values, let i = fs.firstIndex(where: { $0.name == name }) else { return nil }
        return children[i]
    }

    /// The element range of row `i` of a list or map column.
    public func elementRange(_ i: Int) -> Range<Int> {
        switch values {
        case .list(let o, _), .map(let o, _, _): return Int(o[i])..<Int(o[i + 1])
        default: return 0..<0
        }
    }

    /// The value at a row, nested or not.
    public func nestedValue(at i: Int) -> NestedValue {
        if isNull(i) { return .null }
        switch values {
        case .list(let o, let child):
            return .list((Int(o[i])..<Int(o[i + 1])).map { child.nestedValue(at: $0) })
        case .map(let o, let keys, let vals):
            let r = Int(o[i])..<Int(o[i + 1])
            return .map(r.map { keys.nestedValue(at: $0) }, r.map { vals.nestedValue(at: $0) })
        case .struct(_, let children):
            guard case .struct(let fs) = type else { return .null }
            return .struct(fs.map(\.name), children.map { $0.nestedValue(at: i) })
        default:
            return NestedValue(value(at: i))
        }
    }

    /// Builds a column of any type from generic values (a value of the wrong shape is stored as null).
    public static func build(_ type: LakeType, _ values: [NestedValue]) -> Column {
        var validity = Bitmap(count: values.count, allSet: true)
        var hasNull = false
        switch type {
        case .list(let e):
            var offsets: [Int32] = [0]
            offsets.reserveCapacity(values.count + 1)
            var items: [NestedValue] = []
            for (i, v) in values.enumerated() {
                if case .list(let xs) = v {
                    items += xs
                } else {
                    validity.set(i, false)
                    hasNull = true
                }
                offsets.append(Int32(items.count))
            }
            return Column(type: type, values: .list(offsets: offsets, values: build(e.type, items)), validity: hasNull ? validity : nil)
        case .map(let kf, let vf):
            var offsets: [Int32] = [0]
            var ks: [NestedValue] = [], vs: [NestedValue] = []
            for (i, v) in values.enumerated() {
                if case .map(let k, let x) = v, k.count == x.count {
                    ks += k
                    vs += x
                } else {
                    validity.set(i, false)
                    hasNull = true
                }
                offsets.append(Int32(ks.count))
            }
            return Column(type: type, values: .map(offsets: offsets, keys: build(kf.type, ks), values: build(vf.type, vs)), validity: hasNull ? validity : nil)
        case .struct(let fs):
            var columns: [[NestedValue]] = fs.map { _ in [] }
            for (i, v) in values.enumerated() {
                if case .struct(let names, let xs) = v {
                    for (k, f) in fs.enumerated() {
                        let j = names.firstIndex(of: f.name)
                        columns[k].append(j.map { xs[$0] } ?? .null)
                    }
                } else {
                    validity.set(i, false)
                    hasNull = true
                    for k in fs.indices { columns[k].append(.null) }
                }
            }
            let children = zip(fs, columns).map { build($0.0.type, $0.1) }
            return Column(type: type, values: .struct(count: values.count, children: children), validity: hasNull ? validity : nil)
        default:
            var b = ColumnBuilder(type: type)
            b.reserve(values.count)
            for v in values { b.append(v.scalar) }
            return b.finish()
        }
    }

    func nestedSlice(_ range: Range<Int>) -> Column {
        let v = validity?.slice(range)
        switch values {
        case .list(let o, let child):
            let base = o[range.lowerBound]
            let offsets = o[range.lowerBound...range.upperBound].map { $0 - base }
            return Column(type: type, values: .list(offsets: offsets, values: child.slice(Int(base)..<Int(o[range.upperBound]))), validity: v)
        case .map(let o, let keys, let vals):
            let base = o[range.lowerBound]
            let offsets = o[range.lowerBound...range.upperBound].map { $0 - base }
            let r = Int(base)..<Int(o[range.upperBound])
            return Column(type: type, values: .map(offsets: offsets, keys: keys.slice(r), values: vals.slice(r)), validity: v)
        case .struct(_, let children):
            return Column(type: type, values: .struct(count: range.count, children: children.map { $0.slice(range) }), validity: v)
        default:
            return self
        }
    }
}

extension LakeType {
    /// Whether two types have the same shape: equal primitives, and nested types whose members have
    /// the same shapes in order (field names, ids and nullability aside).
    public func isSameShape(as other: LakeType) -> Bool {
        switch (self, other) {
        case (.struct(let x), .struct(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0.type.isSameShape(as: $0.1.type) }
        case (.list(let x), .list(let y)): return x.type.isSameShape(as: y.type)
        case (.map(let k1, let v1), .map(let k2, let v2)): return k1.type.isSameShape(as: k2.type) && v1.type.isSameShape(as: v2.type)
        default: return self == other
        }
    }
}

extension Column {
    /// This column labelled with `type` (names, ids, nullability of nested members) when it has the
    /// same shape; nil otherwise. No values are copied.
    public func relabeled(to t: LakeType) -> Column? {
        guard type.isSameShape(as: t) else { return nil }
        switch (values, t) {
        case (.list(let o, let child), .list(let ef)):
            guard let c = child.relabeled(to: ef.type) else { return nil }
            return Column(type: t, values: .list(offsets: o, values: c), validity: validity)
        case (.map(let o, let keys, let vals), .map(let kf, let vf)):
            guard let k = keys.relabeled(to: kf.type), let v = vals.relabeled(to: vf.type) else { return nil }
            return Column(type: t, values: .map(offsets: o, keys: k, values: v), validity: validity)
        case (.struct(let n, let children), .struct(let fs)):
            var out: [Column] = []
            for (c, f) in zip(children, fs) {
                guard let r = c.relabeled(to: f.type) else { return nil }
                out.append(r)
            }
            return Column(type: t, values: .struct(count: n, children: out), validity: validity)
        default:
            return Column(type: t, values: values, validity: validity)
        }
    }
}
