/// Renders Avro data as JSON (CLI, tests) and builds a sample file covering every type.
public enum AvroJSON {
    /// Records become objects keyed by field name, unions their branch value, bytes and fixed arrays of
    /// byte values, enums their symbol.
    public static func render(_ value: AvroValue, _ schema: AvroSchema) -> LakeJSON {
        switch (schema.kind, value) {
        case (.union(let branches), .union(let i, let v)) where i < branches.count: return render(v, branches[i])
        case (_, .null): return .null
        case (_, .boolean(let b)): return .bool(b)
        case (_, .int(let v)): return .int(Int64(v))
        case (_, .long(let v)): return .int(v)
        case (_, .float(let f)): return .double(Double(f))
        case (_, .double(let d)): return .double(d)
        case (_, .bytes(let b)), (_, .fixed(let b)): return .array(b.map { .int(Int64($0)) })
        case (_, .string(let s)): return .string(s)
        case (.record(_, _, let fields), .record(let values)):
            return .object(zip(fields, values).map { ($0.name, render($1, $0.type)) })
        case (.enumeration(_, _, let symbols), .enumeration(let i)): return .string(i < symbols.count ? symbols[i] : "?")
        case (.array(let items), .array(let values)): return .array(values.map { render($0, items) })
        case (.map(let vt), .map(let entries)): return .object(entries.map { ($0.0, render($0.1, vt)) })
        default: return .null
        }
    }

    /// The schema of ``sampleFile(codec:rows:)``.
    public static let sampleSchema = AvroSchema.record("sample", [
        AvroField("n", .null, id: 1),
        AvroField("b", .boolean, id: 2),
        AvroField("i", .int, id: 3),
        AvroField("l", .long, id: 4),
        AvroField("f", .float, id: 5),
        AvroField("d", .double, id: 6),
        AvroField("by", .bytes, id: 7),
        AvroField("s", .string, id: 8),
        AvroField("e", AvroSchema(.enumeration(name: "color", namespace: nil, symbols: ["RED", "GREEN", "BLUE"])), id: 9),
        AvroField("a", .array(.long, elementId: 100), id: 10),
        AvroField("m", AvroSchema(.map(.string), props: [("key-id", 101), ("value-id", 102)]), id: 11),
        AvroField("u", .optional(.string), id: 12),
        AvroField("fx", AvroSchema(.fixed(name: "f4", namespace: nil, size: 4)), id: 13),
        AvroField("dt", .logical(.int, "date"), id: 14),
        AvroField("r", .optional(.record("inner", [AvroField("x", .long, id: 16), AvroField("y", .optional(.double), id: 17)])), id: 15),
    ])

    public static func sampleValue(_ k: Int) -> AvroValue {
        let i = Int64(k)
        return .record([
            .null, .boolean(k % 2 == 0), .int(Int32(truncatingIfNeeded: i * 7919 - 500_000)), .long(i == 1 ? .min : i == 2 ? .max : i * -1_234_567_891),
            .float(Float(k) * 0.5), .double(Double(k) / 3.0), .bytes((0..<(k % 5)).map { UInt8(($0 * 37 + k) % 256) }),
            .string(k % 3 == 0 ? "héllo \(k) 日本" : "s\(k)"), .enumeration(k % 3),
            .array((0..<(k % 4)).map { .long(Int64($0) - i) }), .map((0..<(k % 3)).map { ("k\($0)", .string("v\(k)")) }),
            k % 4 == 0 ? .null : .string("u\(k)"), .fixed([UInt8(k & 255), 1, 2, 3]), .int(Int32(k)),
            k % 5 == 0 ? .null : .record([.long(i), k % 2 == 0 ? .null : .double(Double(k) + 0.25)]),
        ])
    }

    public static func sampleFile(codec: AvroCodec, rows: Int) throws -> [UInt8] {
        var w = AvroFileWriter(schema: sampleSchema, codec: codec, metadata: [("ingot.sample", "yes")])
        w.blockRecords = 100
        for k in 0..<rows { try w.append(sampleValue(k)) }
        return try w.finish()
    }
}
