import Foundation
import IngotLake

/// Computes a ``TableProfile`` for the latest version of a table. Row counts, null counts and
/// min/max come from the Delta log's per-file `stats` when every live file carries them (no data is
/// read); the data files are scanned only when a file lacks stats, a column has none (booleans,
/// binary, decimals, partition columns, long strings' max) or distinct counts are wanted — distinct
/// counts are approximate (``HyperLogLog``).
public enum TableProfiler {
    public static func profile(_ table: LakeTable, computeDistinct: Bool, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) async throws -> TableProfile {
        let snap = try await table.snapshot()
        let schema = try snap.schema
        let fields = schema.fields
        let partitionColumns = Set(snap.metadata.partitionColumns)

        // 1. The log's statistics.
        var rows: Int64 = 0
        var rowsKnown = true
        var nulls = [Int64?](repeating: 0, count: fields.count)
        var mins = [Bound?](repeating: nil, count: fields.count)
        var maxs = [Bound?](repeating: nil, count: fields.count)
        var minKnown = [Bool](repeating: true, count: fields.count)
        var maxKnown = [Bool](repeating: true, count: fields.count)
        for add in snap.files {
            let stats = add.stats.flatMap { try? LakeJSON.parse($0) }
            if let n = stats?["numRecords"]?.int { rows += n } else { rowsKnown = false }
            for (i, f) in fields.enumerated() {
                if partitionColumns.contains(f.name) || f.type.isNested {
                    nulls[i] = nil; minKnown[i] = false; maxKnown[i] = false
                    continue
                }
                if let n = stats?["nullCount"]?[f.name]?.int, let sum = nulls[i] { nulls[i] = sum + n } else { nulls[i] = nil }
                // A file whose column is all null has no min/max but does not make the others unknown.
                let allNull = stats?["nullCount"]?[f.name]?.int == stats?["numRecords"]?.int && stats?["numRecords"] != nil
                if let v = stats?["minValues"]?[f.name].flatMap(Bound.init) { mins[i] = Bound.lower(mins[i], v) } else if !allNull { minKnown[i] = false }
                if let v = stats?["maxValues"]?[f.name].flatMap(Bound.init) { maxs[i] = Bound.upper(maxs[i], v) } else if !allNull { maxKnown[i] = false }
            }
        }
        let statsComplete = rowsKnown && fields.indices.allSatisfy { nulls[$0] != nil && minKnown[$0] && maxKnown[$0] }

        // 2. A scan when the stats cannot answer, or for distinct counts.
        var scan: ScanAccumulator?
        if !statsComplete || computeDistinct, !snap.files.isEmpty {
            var acc = ScanAccumulator(fields: fields, bounds: fields.indices.map { !minKnown[$0] || !maxKnown[$0] })
            try await table.read(.version(snap.version)) { batch in acc.add(batch) }
            scan = acc
        }

        var columns: [ColumnProfile] = []
        let rowCount = rowsKnown ? rows : (scan?.rows ?? 0)
        for (i, f) in fields.enumerated() {
            var source = "stats"
            var nullCount = nulls[i]
            if nullCount == nil, let scan { nullCount = scan.nulls[i]; source = "scan" }
            var lo = minKnown[i] ? mins[i] : nil
            var hi = maxKnown[i] ? maxs[i] : nil
            if let scan, !minKnown[i] || !maxKnown[i] {
                if !minKnown[i] { lo = scan.mins[i] }
                if !maxKnown[i] { hi = scan.maxs[i] }
                source = source == "stats" ? "stats+scan" : source
            }
            var distinct: Int64?
            if computeDistinct, let scan, let h = scan.sketches[i] {
                distinct = min(h.estimate, rowCount - (nullCount ?? 0))
                if source == "stats" { source = "stats+scan" }
            }
            if snap.files.isEmpty { nullCount = 0 }
            columns.append(ColumnProfile(
                name: f.name, type: "\(f.type)", null_count: nullCount,
                null_rate: nullCount.map { rowCount > 0 ? Double($0) / Double(rowCount) : 0 }, distinct_count: distinct,
                min: lo?.text(f.type), max: hi?.text(f.type), source: source))
        }
        return TableProfile(
            table_version: snap.version, row_count: rowCount, num_files: snap.files.count, size_bytes: snap.files.reduce(0) { $0 + $1.size },
            last_commit_ms: snap.timestamp, profiled_at_ms: now, scanned: scan != nil, columns: columns)
    }

    /// Drift of `current` against `previous`: row count change and the columns whose min, max or null rate moved.
    public static func drift(_ current: TableProfile, previous: TableProfile?) -> ProfileDrift? {
        guard let previous else { return nil }
        let change = current.row_count - previous.row_count
        let pct: Double? = previous.row_count > 0 ? Double(change) * 100 / Double(previous.row_count) : (change == 0 ? 0 : nil)
        var columns: [ProfileDrift.ColumnDrift] = []
        for c in current.columns {
            guard let p = previous.column(c.name) else { continue }
            let rateChange = (c.null_rate ?? 0) - (p.null_rate ?? 0)
            if p.min != c.min || p.max != c.max || abs(rateChange) > 1e-12 {
                columns.append(.init(name: c.name, previous_min: p.min, min: c.min, previous_max: p.max, max: c.max,
                                     null_rate_change: abs(rateChange) > 1e-12 ? rateChange : nil))
            }
        }
        return ProfileDrift(previous_version: previous.table_version, row_count_change: change, row_count_change_pct: pct, columns: columns)
    }
}

/// A min or max bound, comparable within its kind.
enum Bound: Equatable {
    case int(Int64)
    case double(Double)
    case string(String)

    init?(_ json: LakeJSON) {
        switch json {
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        default: return nil
        }
    }

    init?(_ value: Value) {
        switch value {
        case .int(let i): self = .int(i)
        case .double(let d): if d.isNaN { return nil }; self = .double(d)
        case .string(let s): self = .string(s)
        case .bool(let b): self = .int(b ? 1 : 0)
        case .decimal, .bytes: return nil
        }
    }

    static func less(_ a: Bound, _ b: Bound) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): x < y
        case (.double(let x), .double(let y)): x < y
        case (.int(let x), .double(let y)): Double(x) < y
        case (.double(let x), .int(let y)): x < Double(y)
        case (.string(let x), .string(let y)): Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        default: false
        }
    }

    static func lower(_ a: Bound?, _ b: Bound) -> Bound { guard let a else { return b }; return less(b, a) ? b : a }
    static func upper(_ a: Bound?, _ b: Bound) -> Bound { guard let a else { return b }; return less(a, b) ? b : a }

    /// Scan values are raw (days, microseconds); stats values are already text for dates and timestamps.
    func text(_ type: LakeType) -> String {
        switch (self, type) {
        case (.int(let x), .date): ValueFormatting.date(x)
        case (.int(let x), .timestamp(let utc)): ValueFormatting.timestamp(x, utc: utc)
        case (.int(let x), .bool): x == 0 ? "false" : "true"
        case (.int(let x), _): String(x)
        case (.double(let d), _): d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case (.string(let s), _): s
        }
    }
}

/// Null counts, min/max and distinct sketches accumulated over scanned batches.
struct ScanAccumulator {
    let fields: [Field]
    var rows: Int64 = 0
    var nulls: [Int64]
    var mins: [Bound?]
    var maxs: [Bound?]
    var sketches: [HyperLogLog?]
    /// Columns whose min/max the scan must find (the stats lack them); the others only hash.
    let bounds: [Bool]

    init(fields: [Field], bounds: [Bool]) {
        self.fields = fields
        self.bounds = bounds
        nulls = Array(repeating: 0, count: fields.count)
        mins = Array(repeating: nil, count: fields.count)
        maxs = Array(repeating: nil, count: fields.count)
        sketches = fields.map { $0.type.isNested ? nil : HyperLogLog() }
    }

    mutating func add(_ batch: RecordBatch) {
        rows += Int64(batch.numRows)
        for i in fields.indices {
            let c = batch.columns[i]
            nulls[i] += Int64(c.nullCount)
            guard var sketch = sketches[i] else { continue }
            var lo = mins[i], hi = maxs[i]
            switch c.values {
            case .int32(let v):
                for r in 0..<v.count where !c.isNull(r) {
                    sketch.add(hash: HyperLogLog.mix(UInt64(bitPattern: Int64(v[r]))))
                    let b = Bound.int(Int64(v[r])); lo = Bound.lower(lo, b); hi = Bound.upper(hi, b)
                }
            case .int64(let v):
                for r in 0..<v.count where !c.isNull(r) {
                    sketch.add(hash: HyperLogLog.mix(UInt64(bitPattern: v[r])))
                    let b = Bound.int(v[r]); lo = Bound.lower(lo, b); hi = Bound.upper(hi, b)
                }
            case .bytes(let b):
                for r in 0..<b.count where !c.isNull(r) { sketch.add(hash: HyperLogLog.hash(bytes: b.bytes(r))) }
                if bounds[i], case .string = fields[i].type {
                    for r in 0..<b.count where !c.isNull(r) {
                        let s = Bound.string(b.string(r)); lo = Bound.lower(lo, s); hi = Bound.upper(hi, s)
                    }
                }
            default:
                for r in 0..<c.count where !c.isNull(r) {
                    guard let value = c.value(at: r) else { continue }
                    sketch.add(hash: Self.hash(value))
                    if let b = Bound(value) { lo = Bound.lower(lo, b); hi = Bound.upper(hi, b) }
                }
            }
            sketches[i] = sketch
            mins[i] = lo
            maxs[i] = hi
        }
    }

    static func hash(_ value: Value) -> UInt64 {
        switch value {
        case .bool(let b): HyperLogLog.mix(b ? 1 : 2)
        case .int(let i): HyperLogLog.mix(UInt64(bitPattern: i))
        case .double(let d): HyperLogLog.mix(d == 0 ? 0 : d.bitPattern)
        case .string(let s): HyperLogLog.hash(bytes: s.utf8)
        case .bytes(let b): HyperLogLog.hash(bytes: b)
        case .decimal(let d): HyperLogLog.mix(UInt64(truncatingIfNeeded: d) ^ HyperLogLog.mix(UInt64(truncatingIfNeeded: d >> 64)))
        }
    }
}
