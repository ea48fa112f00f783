import Foundation
import IngotCore
import IngotStorage

/// Which version of a table to read.
public enum TableVersion: Sendable, Equatable {
    case latest
    case version(Int64)
    /// Epoch milliseconds: the latest version committed at or before it.
    case timestamp(Int64)
}

/// Produces the batches of a write: calls `emit` for each batch.
public typealias BatchSource = @Sendable (_ emit: (RecordBatch) async throws -> Void) async throws -> Void

/// Options of table writes.
public struct TableWriteOptions: Sendable {
    public var parquet: ParquetWriteOptions
    /// A data file is closed after this many rows (per partition).
    public var targetFileRows = 4_000_000

    public init() {
        parquet = ParquetWriteOptions(codec: .zstd)
    }
}

/// A Delta Lake table with Iceberg v2 metadata mirrored from its log, stored under `key` in an object store.
///
/// The Delta log is the source of truth and the commit point; after every commit (and before every
/// write) the Iceberg metadata is brought up to date.
public struct LakeTable: Sendable {
    public let store: any ObjectStore
    /// The table root key, e.g. `warehouse/main/default/orders`.
    public let key: String
    /// Absolute URI of the table root (used in Iceberg metadata).
    public let location: String
    public let log: DeltaLog
    public let iceberg: IcebergMirror
    public var writeOptions = TableWriteOptions()

    /// - Parameters:
    ///   - location: the table root URI; derived from a ``LocalObjectStore``'s root when omitted.
    public init(store: any ObjectStore, key: String, location: String? = nil) throws {
        let key = key.hasSuffix("/") ? String(key.dropLast()) : key
        _ = try ObjectKey.validate(key)
        self.store = store
        self.key = key
        if let location {
            self.location = location
        } else if let local = store as? LocalObjectStore {
            self.location = "file://" + local.root.path + (local.root.path.hasSuffix("/") ? "" : "/") + key
        } else {
            throw TableError.invalidArgument("a table location URI is needed for this object store")
        }
        log = DeltaLog(store: store, tableKey: key)
        iceberg = IcebergMirror(store: store, tableKey: key, location: self.location)
    }

    /// `catalog.schema.table` → `warehouse/catalog/schema/table`.
    public static func key(forName name: String) throws -> String {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }) else {
            throw TableError.invalidArgument("table name '\(name)' must be catalog.schema.table")
        }
        return "warehouse/" + parts.joined(separator: "/")
    }

    public func exists() async throws -> Bool { try await log.exists() }

    // MARK: - Create

    /// Creates the table (Delta version 0), optionally with its first data in the same commit.
    /// Fields without ids get ids after the largest given one.
    @discardableResult
    public func create(schema: Schema, partitionColumns: [String] = [], properties: [String: String] = [:], data: BatchSource? = nil) async throws -> Int64 {
        var schema = schema
        guard !schema.fields.isEmpty else { throw TableError.invalidArgument("a table needs at least one column") }
        guard Set(schema.fields.map(\.name)).count == schema.fields.count else { throw TableError.invalidArgument("duplicate column names") }
        var next = (schema.fields.compactMap(\.id).max() ?? 0) + 1
        for i in schema.fields.indices where schema.fields[i].id == nil {
            schema.fields[i].id = next
            next += 1
        }
        guard Set(schema.fields.compactMap(\.id)).count == schema.fields.count else { throw TableError.invalidArgument("duplicate field ids") }
        for p in partitionColumns {
            guard let f = schema.fields.first(where: { $0.name == p }) else { throw TableError.invalidArgument("partition column \(p) is not in the schema") }
            if case .decimal = f.type { throw TableError.unsupported("decimal partition columns") }
            if f.type == .binary { throw TableError.unsupported("binary partition columns") }
        }
        guard partitionColumns.count < schema.fields.count else { throw TableError.invalidArgument("every column is a partition column") }
        schema.metadata = [:]
        let ntz = schema.fields.contains { $0.type == .timestamp(utc: false) }
        let proto = ntz
            ? DeltaProtocol(minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["timestampNtz"], writerFeatures: ["timestampNtz"])
            : DeltaProtocol(minReaderVersion: 1, minWriterVersion: 2)
        let now = Clock.nowMillis()
        let meta = DeltaMetadata(id: IDGenerator.uuid(), schemaString: DeltaSchema.string(schema), partitionColumns: partitionColumns,
                                 configuration: properties, createdTime: now)
        let files = try await writeFiles(schema: schema, partitionColumns: partitionColumns, source: data ?? { _ in })
        var actions: [DeltaAction] = [
            .commitInfo(commitInfo(operation: data == nil ? "CREATE TABLE" : "CREATE TABLE AS SELECT", mode: "ErrorIfExists",
                                   partitionColumns: partitionColumns, readVersion: nil, blind: true, files: files)),
            .protocol(proto), .metaData(meta),
        ]
        actions += files.map { .add($0) }
        let v = try await log.commit(actions, readVersion: nil, reads: .none)
        try await iceberg.sync(log: log)
        return v
    }

    // MARK: - Write

    /// Appends the batches as one commit. Returns the new version.
    @discardableResult
    public func append(_ source: @escaping BatchSource) async throws -> Int64 {
        try await write(overwrite: false, source)
    }

    /// Replaces the whole table's data with the batches, as one commit. Returns the new version.
    @discardableResult
    public func overwrite(_ source: @escaping BatchSource) async throws -> Int64 {
        try await write(overwrite: true, source)
    }

    public func append(_ batches: [RecordBatch]) async throws -> Int64 { try await append { emit in for b in batches { try await emit(b) } } }
    public func overwrite(_ batches: [RecordBatch]) async throws -> Int64 { try await overwrite { emit in for b in batches { try await emit(b) } } }

    /// A whole-table overwrite does not depend on the rows it replaces, so when a concurrent commit
    /// removed files it read, it is retried against the new snapshot (removing whatever is live then)
    /// rather than failing; only a concurrent metadata change is a real conflict.
    private func write(overwrite: Bool, _ source: @escaping BatchSource) async throws -> Int64 {
        try await iceberg.sync(log: log)
        var snap = try await log.snapshot()
        try checkWritable(snap)
        if overwrite, snap.metadata.configuration["delta.appendOnly"] == "true" {
            throw TableError.invalidArgument("table \(key) is append-only (delta.appendOnly=true)")
        }
        let schema = try snap.schema
        let files = try await writeFiles(schema: schema, partitionColumns: snap.metadata.partitionColumns, source: source)
        var attempts = 0
        while true {
            attempts += 1
            let now = Clock.nowMillis()
            var actions: [DeltaAction] = [
                .commitInfo(commitInfo(operation: "WRITE", mode: overwrite ? "Overwrite" : "Append", partitionColumns: snap.metadata.partitionColumns,
                                       readVersion: snap.version, blind: !overwrite, files: files)),
            ]
            var reads = DeltaLog.ReadSet.none
            if overwrite {
                actions += snap.files.map {
                    .remove(DeltaRemove(path: $0.path, deletionTimestamp: now, dataChange: true, partitionValues: $0.partitionValues, size: $0.size))
                }
                reads = .wholeTable
            }
            actions += files.map { .add($0) }
            let committed: Int64
            do {
                committed = try await log.commit(actions, readVersion: snap.version, reads: reads)
            } catch TableError.conflict(let why) where overwrite && attempts < 100 {
                let next = try await log.snapshot(version: nil, from: snap)
                guard next.metadata == snap.metadata, next.proto == snap.proto else {
                    for f in files { try? await store.delete(fileKey(f)) }
                    throw TableError.conflict(why)
                }
                snap = next
                continue
            } catch {
                // The data files of a failed commit are unreferenced; remove them (vacuum would too).
                for f in files { try? await store.delete(fileKey(f)) }
                throw error
            }
            // Committed: from here on the data files belong to the table.
            try await iceberg.sync(log: log, base: snap)
            return committed
        }
    }

    func checkWritable(_ snap: DeltaSnapshot) throws {
        if snap.proto.minWriterVersion > 7 { throw TableError.unsupported("Delta writer version \(snap.proto.minWriterVersion)") }
        let supported: Set<String> = ["timestampNtz", "appendOnly", "invariants"]
        for f in snap.proto.writerFeatures ?? [] where !supported.contains(f) {
            throw TableError.unsupported("writing with Delta writer feature \(f)")
        }
        if snap.proto.writerFeatures == nil, snap.proto.minWriterVersion > 2 {
            throw TableError.unsupported("writing Delta writer version \(snap.proto.minWriterVersion) (constraints, generated columns, change data feed)")
        }
    }

    func commitInfo(operation: String, mode: String, partitionColumns: [String], readVersion: Int64?, blind: Bool, files: [DeltaAdd]) -> LakeJSON {
        var o: [(String, LakeJSON)] = [
            ("timestamp", .int(Clock.nowMillis())), ("operation", .string(operation)),
            ("operationParameters", .object([
                ("mode", .string(mode)),
                ("partitionBy", .string(LakeJSON.array(partitionColumns.map { .string($0) }).serialized())),
            ])),
        ]
        if let readVersion { o.append(("readVersion", .int(readVersion))) }
        o += [
            ("isolationLevel", "Serializable"), ("isBlindAppend", .bool(blind)),
            ("operationMetrics", .object([
                ("numFiles", .string(String(files.count))),
                ("numOutputRows", .string(String(files.reduce(0) { $0 + ($1.numRecords ?? 0) }))),
                ("numOutputBytes", .string(String(files.reduce(0) { $0 + $1.size }))),
            ])),
            ("engineInfo", "Ingot/0.1.0"), ("txnId", .string(IDGenerator.uuid())),
        ]
        return .object(o)
    }

    /// Writes the batches as Parquet data files (split by partition), returning their add actions.
    func writeFiles(schema: Schema, partitionColumns: [String], source: BatchSource) async throws -> [DeltaAdd] {
        let partIdx = try partitionColumns.map { p in
            guard let i = schema.index(of: p) else { throw TableError.invalidArgument("partition column \(p) is not in the schema") }
            return i
        }
        let sink = FileSet(table: self, schema: schema, partitionColumns: partitionColumns, partitionIndexes: partIdx)
        try await source { batch in
            let b = try TableBatches.conform(batch, to: schema)
            if b.numRows == 0 { return }
            try await sink.write(b)
        }
        return try await sink.finish()
    }

    // MARK: - Schema evolution

    /// Adds nullable columns at the end of the schema (new field ids after the largest). Existing
    /// files read the new columns as null. Returns the new version.
    @discardableResult
    public func addColumns(_ fields: [Field]) async throws -> Int64 {
        try await iceberg.sync(log: log)
        let snap = try await log.snapshot()
        try checkWritable(snap)
        var schema = try snap.schema
        var next = (schema.fields.compactMap(\.id).max() ?? 0) + 1
        for var f in fields {
            guard schema.index(of: f.name) == nil else { throw TableError.alreadyExists("column \(f.name) already exists") }
            guard f.nullable else { throw TableError.invalidArgument("added column \(f.name) must be nullable") }
            if f.type == .timestamp(utc: false), snap.proto.readerFeatures?.contains("timestampNtz") != true {
                throw TableError.unsupported("adding a timestamp_ntz column to a table without the timestampNtz feature")
            }
            f.id = next
            next += 1
            schema.fields.append(f)
        }
        guard !fields.isEmpty else { return snap.version }
        var meta = snap.metadata
        meta.schemaString = DeltaSchema.string(schema)
        let info = commitInfo(operation: "ADD COLUMNS", mode: "Append", partitionColumns: meta.partitionColumns, readVersion: snap.version, blind: false, files: [])
        let v = try await log.commit([.commitInfo(info), .metaData(meta)], readVersion: snap.version, reads: .none)
        try await iceberg.sync(log: log, base: snap)
        return v
    }

    // MARK: - Read

    /// The Delta snapshot of a version.
    public func snapshot(_ version: TableVersion = .latest) async throws -> DeltaSnapshot {
        switch version {
        case .latest: return try await log.snapshot()
        case .version(let v): return try await log.snapshot(version: v)
        case .timestamp(let ms): return try await log.snapshot(version: try await self.version(atMillis: ms))
        }
    }

    /// The object key of a data file.
    public func fileKey(_ add: DeltaAdd) -> String { key + "/" + PartitionValues.decodePath(add.path) }

    /// Streams the rows of a version, one batch per row group of each data file, in the table's schema
    /// (or the projection `columns`). Partition values come from the log when the file lacks the column.
    /// - Parameters:
    ///   - partitions: when given, only files whose partition values (column → string, nil = null) pass are read.
    public func read(_ version: TableVersion = .latest, columns: [String]? = nil, partitions: (([String: String?]) -> Bool)? = nil,
                     _ body: (RecordBatch) async throws -> Void) async throws {
        let snap = try await snapshot(version)
        let schema = try snap.schema
        let wanted: [Field]
        if let columns {
            wanted = try columns.map { c in
                guard let f = schema.fields.first(where: { $0.name == c }) else { throw TableError.invalidArgument("no column \(c)") }
                return f
            }
        } else {
            wanted = schema.fields
        }
        let partitionSet = Set(snap.metadata.partitionColumns)
        for add in snap.files {
            if let partitions, !partitions(add.partitionValues) { continue }
            try await readFile(add, fields: wanted, partitionColumns: partitionSet, body)
        }
    }

    /// Streams one data file's rows in the given fields (one batch per row group); partition values
    /// come from the log, columns missing from the file are null.
    func readFile(_ add: DeltaAdd, fields wanted: [Field], partitionColumns partitionSet: Set<String>,
                  _ body: (RecordBatch) async throws -> Void) async throws {
        let outSchema = Schema(wanted)
        let reader = try await ParquetReader.open(try await ObjectSource(store: store, key: fileKey(add)))
        let inFile = Set(reader.schema.fields.map(\.name))
        let fromFile = wanted.filter { inFile.contains($0.name) && !partitionSet.contains($0.name) }.map(\.name)
        func emit(_ batch: RecordBatch?, rows: Int) async throws {
            var cols: [Column] = []
            for f in wanted {
                if partitionSet.contains(f.name) {
                    cols.append(try TableBatches.constant(try PartitionValues.value(add.partitionValues[f.name] ?? nil, f.type), f.type, rows: rows))
                } else if let batch, let c = batch.column(named: f.name) {
                    cols.append(try TableBatches.cast(c, to: f.type, column: f.name))
                } else {
                    cols.append(try TableBatches.constant(nil, f.type, rows: rows))
                }
            }
            try await body(try RecordBatch(schema: outSchema, columns: cols))
        }
        if fromFile.isEmpty {
            // Only partition or missing columns: one batch per row group with the row count.
            for g in 0..<reader.numRowGroups { try await emit(nil, rows: Int(reader.rowCount(ofRowGroup: g))) }
        } else {
            try await reader.forEachBatch(columns: fromFile) { b in try await emit(b, rows: b.numRows) }
        }
    }

    /// Commit history, newest first.
    public func history() async throws -> [DeltaCommit] { try await log.history() }
}

/// Accumulates data files during one write: one open Parquet writer per partition.
final class FileSet: @unchecked Sendable {
    let table: LakeTable
    let schema: Schema
    let partitionColumns: [String]
    let partitionIndexes: [Int]
    final class Open {
        let writer: ParquetWriter
        let relPath: String
        let values: [String: String?]
        var stats: FileStats
        init(writer: ParquetWriter, relPath: String, values: [String: String?], stats: FileStats) {
            self.writer = writer
            self.relPath = relPath
            self.values = values
            self.stats = stats
        }
    }
    var open: [[String?]: Open] = [:]
    var done: [DeltaAdd] = []

    init(table: LakeTable, schema: Schema, partitionColumns: [String], partitionIndexes: [Int]) {
        self.table = table
        self.schema = schema
        self.partitionColumns = partitionColumns
        self.partitionIndexes = partitionIndexes
    }

    func write(_ batch: RecordBatch) async throws {
        if partitionIndexes.isEmpty {
            try await write(batch, partition: [])
            return
        }
        var groups: [[String?]: [Int]] = [:]
        var order: [[String?]] = []
        for r in 0..<batch.numRows {
            let k = partitionIndexes.map { PartitionValues.string(batch.columns[$0], r) }
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(r)
        }
        for k in order {
            let rows = groups[k]!
            let sub = rows.count == batch.numRows ? batch : try TableBatches.take(batch, rows)
            try await write(sub, partition: k)
        }
    }

    private func write(_ batch: RecordBatch, partition: [String?]) async throws {
        let o: Open
        if let existing = open[partition] {
            o = existing
        } else {
            var dir = ""
            var values: [String: String?] = [:]
            for (i, name) in partitionColumns.enumerated() {
                values[name] = partition[i]
                dir += PartitionValues.escape(name) + "=" + (partition[i].map(PartitionValues.escape) ?? "__HIVE_DEFAULT_PARTITION__") + "/"
            }
            let rel = dir + "part-\(IDGenerator.uuid()).zstd.parquet"
            let sink = try await ObjectSink(store: table.store, key: table.key + "/" + rel)
            let w = try ParquetWriter(sink: sink, schema: schema, options: table.writeOptions.parquet)
            o = Open(writer: w, relPath: rel, values: values, stats: FileStats(schema: schema, skip: Set(partitionColumns)))
            open[partition] = o
        }
        try await o.writer.write(batch)
        o.stats.add(batch)
        if o.stats.rows >= Int64(table.writeOptions.targetFileRows) {
            try await close(partition)
        }
    }

    private func close(_ partition: [String?]) async throws {
        guard let o = open.removeValue(forKey: partition) else { return }
        let summary = try await o.writer.close()
        done.append(DeltaAdd(path: PartitionValues.encodePath(o.relPath), partitionValues: o.values, size: summary.bytes,
                             modificationTime: Clock.nowMillis(), dataChange: true, stats: o.stats.json()))
    }

    func finish() async throws -> [DeltaAdd] {
        for k in Array(open.keys) { try await close(k) }
        return done
    }
}

/// Per-file column statistics in Delta's stats JSON form.
struct FileStats {
    let schema: Schema
    let skip: Set<String>
    var rows: Int64 = 0
    var nulls: [Int64]
    var mins: [Value?]
    var maxs: [Value?]
    var maxUnknown: [Bool]

    init(schema: Schema, skip: Set<String>) {
        self.schema = schema
        self.skip = skip
        nulls = Array(repeating: 0, count: schema.fields.count)
        mins = Array(repeating: nil, count: schema.fields.count)
        maxs = Array(repeating: nil, count: schema.fields.count)
        maxUnknown = Array(repeating: false, count: schema.fields.count)
    }

    static func less(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y
        case (.double(let x), .double(let y)): return x < y
        case (.string(let x), .string(let y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        case (.decimal(let x), .decimal(let y)): return x < y
        default: return false
        }
    }

    mutating func add(_ batch: RecordBatch) {
        rows += Int64(batch.numRows)
        for (i, f) in schema.fields.enumerated() where !skip.contains(f.name) {
            let c = batch.columns[i]
            nulls[i] += Int64(c.nullCount)
            switch f.type {
            case .bool, .binary, .decimal: continue
            default: break
            }
            switch c.values {
            case .int32(let v):
                var lo = Int32.max, hi = Int32.min, any = false
                for r in 0..<v.count where !c.isNull(r) { lo = min(lo, v[r]); hi = max(hi, v[r]); any = true }
                if any { merge(i, .int(Int64(lo)), .int(Int64(hi))) }
            case .int64(let v):
                var lo = Int64.max, hi = Int64.min, any = false
                for r in 0..<v.count where !c.isNull(r) { lo = min(lo, v[r]); hi = max(hi, v[r]); any = true }
                if any { merge(i, .int(lo), .int(hi)) }
            case .float32, .float64:
                var lo = Double.infinity, hi = -Double.infinity, any = false
                for r in 0..<c.count where !c.isNull(r) {
                    guard case .double(let d) = c.value(at: r) else { continue }
                    if d.isNaN { continue }
                    lo = min(lo, d); hi = max(hi, d); any = true
                }
                if any { merge(i, .double(lo), .double(hi)) }
            case .bytes(let b):
                var lo = -1, hi = -1
                b.data.withUnsafeBufferPointer { d in
                    func slice(_ r: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: d[b.range(r)]) }
                    for r in 0..<b.count where !c.isNull(r) {
                        if lo < 0 { lo = r; hi = r; continue }
                        let s = slice(r)
                        if s.lexicographicallyPrecedes(slice(lo)) { lo = r }
                        if slice(hi).lexicographicallyPrecedes(s) { hi = r }
                    }
                }
                if lo >= 0 {
                    let loS = b.string(lo), hiS = b.string(hi)
                    if hiS.count > 32 { maxUnknown[i] = true }
                    merge(i, .string(String(loS.prefix(32))), .string(hiS))
                }
            default: continue
            }
        }
    }

    mutating func merge(_ i: Int, _ lo: Value, _ hi: Value) {
        if let m = mins[i] { if FileStats.less(lo, m) { mins[i] = lo } } else { mins[i] = lo }
        if let m = maxs[i] { if FileStats.less(m, hi) { maxs[i] = hi } } else { maxs[i] = hi }
    }

    func render(_ v: Value, _ t: LakeType) -> LakeJSON? {
        switch (v, t) {
        case (.int(let x), .date): return .string(ValueFormatting.date(x))
        case (.int(let x), .timestamp(let utc)):
            // Delta timestamp stats have millisecond precision: round the min down and the max up by the caller's choice.
            let s = ValueFormatting.timestamp(x, utc: utc)
            return .string(String(s.prefix(23)) + (utc ? "Z" : ""))
        case (.int(let x), _): return .int(x)
        case (.double(let d), _): return d.isFinite ? .double(d) : nil
        case (.string(let s), _): return .string(s)
        default: return nil
        }
    }

    func json() -> String {
        var minV: [(String, LakeJSON)] = [], maxV: [(String, LakeJSON)] = [], nullV: [(String, LakeJSON)] = []
        for (i, f) in schema.fields.enumerated() where !skip.contains(f.name) {
            nullV.append((f.name, .int(nulls[i])))
            if case .timestamp = f.type {
                // Truncated to ms: the min stays a lower bound; the max is only safe when it has no sub-ms digits.
                if let lo = mins[i], let r = render(lo, f.type) { minV.append((f.name, r)) }
                if let hi = maxs[i], case .int(let x) = hi, x % 1000 == 0, let r = render(hi, f.type) { maxV.append((f.name, r)) }
                continue
            }
            if let lo = mins[i], let r = render(lo, f.type) { minV.append((f.name, r)) }
            if !maxUnknown[i], let hi = maxs[i], let r = render(hi, f.type) { maxV.append((f.name, r)) }
        }
        return LakeJSON.object([("numRecords", .int(rows)), ("minValues", .object(minV)), ("maxValues", .object(maxV)), ("nullCount", .object(nullV))]).serialized()
    }
}

/// Batch helpers: conforming to a table schema, taking rows, constants, casts.
public enum TableBatches {
    /// Reorders and casts a batch's columns to the table schema (by name). Missing nullable columns are null.
    public static func conform(_ batch: RecordBatch, to schema: Schema) throws -> RecordBatch {
        let names = Set(schema.fields.map(\.name))
        for f in batch.schema.fields where !names.contains(f.name) {
            throw TableError.invalidArgument("column \(f.name) is not in the table schema")
        }
        var cols: [Column] = []
        for f in schema.fields {
            if let c = batch.column(named: f.name) {
                let cast = try cast(c, to: f.type, column: f.name)
                if !f.nullable, cast.nullCount > 0 { throw TableError.invalidArgument("column \(f.name) is NOT NULL but the data has nulls") }
                cols.append(cast)
            } else {
                guard f.nullable else { throw TableError.invalidArgument("column \(f.name) is NOT NULL and missing from the data") }
                cols.append(try constant(nil, f.type, rows: batch.numRows))
            }
        }
        return try RecordBatch(schema: schema, columns: cols)
    }

    public static func constant(_ value: Value?, _ type: LakeType, rows: Int) throws -> Column {
        var b = ColumnBuilder(type: type)
        b.reserve(rows)
        for _ in 0..<rows { b.append(value) }
        return b.finish()
    }

    /// The given rows of a batch, in order.
    public static func take(_ batch: RecordBatch, _ rows: [Int]) throws -> RecordBatch {
        try RecordBatch(schema: batch.schema, columns: batch.columns.map { take($0, rows) })
    }

    static func take(_ c: Column, _ rows: [Int]) -> Column {
        func pick<T>(_ v: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(rows.count)
            for r in rows { out.append(v[r]) }
            return out
        }
        let values: ColumnValues
        switch c.values {
        case .bool(let v): values = .bool(pick(v))
        case .int32(let v): values = .int32(pick(v))
        case .int64(let v): values = .int64(pick(v))
        case .float32(let v): values = .float32(pick(v))
        case .float64(let v): values = .float64(pick(v))
        case .decimal(let v): values = .decimal(pick(v))
        case .bytes(let v):
            var b = BinaryValues()
            b.offsets.reserveCapacity(rows.count + 1)
            for r in rows { b.append(v.data[v.range(r)]) }
            values = .bytes(b)
        case .list, .struct, .map:
            return Column.build(c.type, rows.map { c.nestedValue(at: $0) })
        }
        var validity: Bitmap?
        if let src = c.validity {
            var bm = Bitmap(count: rows.count, allSet: true)
            for (i, r) in rows.enumerated() where !src.isSet(r) { bm.set(i, false) }
            validity = bm
        }
        return Column(type: c.type, values: values, validity: validity)
    }

    /// A column of `type` whose row `i` is row `sources[i].row` of column `sources[i].column` (any type,
    /// nested included); the columns must already have `type`.
    public static func pick(_ type: LakeType, _ sources: [(column: Column, row: Int)]) -> Column {
        if type.isNested { return Column.build(type, sources.map { $0.column.nestedValue(at: $0.row) }) }
        var b = ColumnBuilder(type: type)
        b.reserve(sources.count)
        for (c, r) in sources { b.append(c.value(at: r)) }
        return b.finish()
    }

    /// Converts a column to `type` (integer widening/narrowing with range checks, int→float, float width,
    /// timestamp zone relabel); identical types pass through.
    public static func cast(_ c: Column, to type: LakeType, column: String) throws -> Column {
        if c.type == type { return c }
        // Nested columns read from a file carry the file's child names and ids; same shape is the same column.
        if c.type.isNested, let relabeled = c.relabeled(to: type) { return relabeled }
        func fail() -> TableError { .invalidArgument("column \(column) is \(c.type), the table expects \(type)") }
        switch (c.type, type) {
        case (.timestamp, .timestamp):
            var c = c
            c.type = type
            return c
        case (.int8, _), (.int16, _), (.int32, _), (.int64, _), (.float32, _), (.float64, _), (.date, .date):
            break
        default:
            throw fail()
        }
        var b = ColumnBuilder(type: type)
        b.reserve(c.count)
        for i in 0..<c.count {
            guard let v = c.value(at: i) else { b.appendNull(); continue }
            switch (v, type) {
            case (.int(let x), .int8): guard Int8(exactly: x) != nil else { throw fail() }; b.append(v)
            case (.int(let x), .int16): guard Int16(exactly: x) != nil else { throw fail() }; b.append(v)
            case (.int(let x), .int32): guard Int32(exactly: x) != nil else { throw fail() }; b.append(v)
            case (.int, .int64): b.append(v)
            case (.int(let x), .float32), (.int(let x), .float64): b.append(.double(Double(x)))
            case (.double, .float32), (.double, .float64): b.append(v)
            case (.int(let x), .decimal(_, let s)):
                var m: Int128 = 1
                for _ in 0..<s { m *= 10 }
                b.append(.decimal(Int128(x) * m))
            default: throw fail()
            }
        }
        return b.finish()
    }
}
