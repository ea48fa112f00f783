import Foundation
@testable import IngotLake

/// A batch with every type, nulls, extremes, unicode and empty strings.
func sampleBatch(rows: Int, seed: UInt64 = 1) throws -> RecordBatch {
    var rng = SplitMix(seed)
    let fields: [Field] = [
        Field("b", .bool, id: 1), Field("i8", .int8, id: 2), Field("i16", .int16, id: 3), Field("i32", .int32, nullable: false, id: 4),
        Field("i64", .int64, id: 5), Field("f32", .float32, id: 6), Field("f64", .float64, id: 7), Field("s", .string, id: 8),
        Field("bin", .binary, id: 9), Field("d", .date, id: 10), Field("ts", .timestamp(utc: false), id: 11),
        Field("tsz", .timestamp(utc: true), id: 12), Field("dec9", .decimal(precision: 9, scale: 2), id: 13),
        Field("dec18", .decimal(precision: 18, scale: 4), id: 14), Field("dec38", .decimal(precision: 38, scale: 10), id: 15),
        Field("lowcard", .string, id: 16),
    ]
    var builders = fields.map { ColumnBuilder(type: $0.type) }
    let strings = ["", "héllo", "日本語", "a\"b\\c\n", "🙂", "plain"]
    let max38 = Int128("99999999999999999999999999999999999999")!
    for r in 0..<rows {
        let null = { (k: UInt64) -> Bool in rng.next() % k == 0 }
        builders[0].append(null(5) ? nil : .bool(rng.next() & 1 == 1))
        builders[1].append(null(7) ? nil : .int(Int64(Int8.min) + Int64(rng.next() % 256)))
        builders[2].append(null(7) ? nil : .int(Int64(Int16(truncatingIfNeeded: rng.next()))))
        builders[3].append(.int(r == 0 ? Int64(Int32.min) : r == 1 ? Int64(Int32.max) : Int64(Int32(truncatingIfNeeded: rng.next()))))
        builders[4].append(r == 2 ? .int(.min) : r == 3 ? .int(.max) : null(9) ? nil : .int(Int64(bitPattern: rng.next())))
        let specials: [Double] = [.nan, .infinity, -.infinity, -0.0, 0, 1.5e-300]
        builders[5].append(null(6) ? nil : .double(r < 6 ? specials[r] : Double(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF))))
        builders[6].append(null(6) ? nil : .double(r < 6 ? specials[r] : Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF) * (rng.next() & 1 == 0 ? 1 : -1)))
        builders[7].append(null(4) ? nil : .string(r % 3 == 0 ? strings[Int(rng.next() % 6)] : "v\(rng.next() % 100_000)"))
        builders[8].append(null(4) ? nil : .bytes((0..<Int(rng.next() % 5)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
        builders[9].append(null(8) ? nil : .int(Int64(rng.next() % 80_000) - 40_000))
        builders[10].append(null(8) ? nil : .int(Int64(bitPattern: rng.next()) / 4096))
        builders[11].append(null(8) ? nil : .int(-Int64(rng.next() % 10_000_000_000_000)))
        builders[12].append(null(8) ? nil : .decimal(r == 4 ? 999_999_999 : r == 5 ? -999_999_999 : Int128(Int32(truncatingIfNeeded: rng.next()) % 999_999_999)))
        builders[13].append(null(8) ? nil : .decimal(Int128(Int64(bitPattern: rng.next()) % 999_999_999_999_999_999)))
        builders[14].append(null(8) ? nil : .decimal(r == 4 ? max38 : r == 5 ? -max38 : Int128(Int64(bitPattern: rng.next())) * 1_000_000_007))
        builders[15].append(null(10) ? nil : .string(["red", "green", "blue"][Int(rng.next() % 3)]))
    }
    return try RecordBatch(schema: Schema(fields, metadata: ["origin": "test"]), columns: builders.map { $0.finish() })
}

struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Compares two columns value by value (NaN equals NaN by bit pattern).
func sameValues(_ a: Column, _ b: Column) -> Bool {
    guard a.count == b.count, a.type == b.type else { return false }
    for i in 0..<a.count {
        let x = a.value(at: i), y = b.value(at: i)
        if case .double(let p)? = x, case .double(let q)? = y {
            if p.bitPattern != q.bitPattern && !(p.isNaN && q.isNaN) { return false }
        } else if x != y {
            return false
        }
    }
    return true
}

func writeToMemory(_ batches: [RecordBatch], options: ParquetWriteOptions) async throws -> [UInt8] {
    let sink = MemorySink()
    let w = try ParquetWriter(sink: sink, schema: batches[0].schema, options: options)
    for b in batches { try await w.write(b) }
    try await w.close()
    return sink.bytes
}

func readAll(_ bytes: [UInt8], columns: [String]? = nil) async throws -> (ParquetReader, [RecordBatch]) {
    let r = try await ParquetReader.open(MemorySource(bytes, name: "mem.parquet"))
    var out: [RecordBatch] = []
    try await r.forEachBatch(columns: columns) { out.append($0) }
    return (r, out)
}

func concat(_ batches: [RecordBatch]) throws -> RecordBatch {
    let schema = batches[0].schema
    var builders = schema.fields.map { ColumnBuilder(type: $0.type) }
    for b in batches {
        for (k, c) in b.columns.enumerated() { for i in 0..<c.count { builders[k].append(c.value(at: i)) } }
    }
    return try RecordBatch(schema: schema, columns: builders.map { $0.finish() })
}
