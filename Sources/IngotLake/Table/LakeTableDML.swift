import Foundation
import IngotCore
import IngotStorage

/// Row-level changes (copy-on-write), compaction, vacuum, type widening and time travel helpers.
///
/// Every command is one Delta commit (followed by the Iceberg mirror). Data files are never edited:
/// a file with matching rows is removed and its surviving / changed rows are written to new files;
/// files that partition values or column statistics rule out are not read at all. The files a command
/// scanned are its read set: if a concurrent commit removed any of them, the commit fails with
/// ``TableError/conflict(_:)`` (retry the command); concurrent blind appends do not conflict.
extension LakeTable {
    // MARK: - DELETE

    /// Deletes the rows matching `filter` (every row when omitted).
    @discardableResult
    public func delete(where filter: any RowFilter = AllRows()) async throws -> TableChange {
        let (snap, schema) = try await beginChange(dataChange: true)
        let sink = newSink(schema: schema, partitionColumns: snap.metadata.partitionColumns)
        let scan = try await copyOnWrite(snap: snap, schema: schema, filter: filter, sink: sink, dropsMatchedRows: true) { batch, mask in
            let keep = mask.indices.filter { !mask[$0] }
            return (keep.count == batch.numRows ? batch : try TableBatches.take(batch, keep), mask.count - keep.count)
        }
        let adds = try await sink.finish()
        let metrics: [(String, Int64)] = [
            ("numDeletedRows", scan.changedRows), ("numRemovedFiles", Int64(scan.removed.count)), ("numAddedFiles", Int64(adds.count)),
            ("numCopiedRows", scan.outputRows), ("numRemovedBytes", scan.removed.reduce(0) { $0 + $1.size }),
            ("numAddedBytes", adds.reduce(0) { $0 + $1.size }), ("numFilesScanned", Int64(scan.scanned.count)),
            ("numFilesSkipped", Int64(snap.files.count - scan.scanned.count)),
        ]
        return try await commitChange(snap: snap, operation: "DELETE", parameters: [("predicate", LakeJSON.array([.string(filter.description)]).serialized())],
                                      metrics: metrics, removes: scan.removed, adds: adds, reads: scan.scanned)
    }

    // MARK: - UPDATE

    /// Sets columns of the rows matching `filter`. Constants are type-checked against the schema once;
    /// computed columns are cast (widening) to the column type.
    @discardableResult
    public func update(where filter: any RowFilter = AllRows(), set assignments: [String: ColumnAssignment]) async throws -> TableChange {
        let (snap, schema) = try await beginChange(dataChange: true)
        guard !assignments.isEmpty else { throw TableError.invalidArgument("UPDATE needs at least one column to set") }
        var plan: [(Int, Field, ColumnAssignment)] = []
        for (name, a) in assignments.sorted(by: { $0.key < $1.key }) {
            guard let i = schema.index(of: name) else { throw TableError.invalidArgument("UPDATE: no column \(name)") }
            let f = schema.fields[i]
            if case .value(let v) = a {
                plan.append((i, f, .value(try LakeTable.assignable(v, to: f))))
            } else {
                plan.append((i, f, a))
            }
        }
        let sink = newSink(schema: schema, partitionColumns: snap.metadata.partitionColumns)
        let scan = try await copyOnWrite(snap: snap, schema: schema, filter: filter, sink: sink) { batch, mask in
            let changed = mask.reduce(0) { $0 + ($1 ? 1 : 0) }
            if changed == 0 { return (batch, 0) }
            var cols = batch.columns
            for (i, f, a) in plan {
                let newValues: Column?
                var constant: Value?
                switch a {
                case .value(let v): newValues = nil; constant = v
                case .compute(let fn):
                    let c = try TableBatches.cast(try fn(batch), to: f.type, column: f.name)
                    guard c.count == batch.numRows else { throw TableError.invalidArgument("UPDATE: the value of \(f.name) has \(c.count) rows, the batch \(batch.numRows)") }
                    newValues = c
                }
                let old = cols[i]
                let fill = try newValues ?? TableBatches.constant(constant, f.type, rows: 1)
                cols[i] = TableBatches.pick(f.type, (0..<batch.numRows).map { r in mask[r] ? (fill, newValues == nil ? 0 : r) : (old, r) })
            }
            return (try TableBatches.conform(try RecordBatch(schema: schema, columns: cols), to: schema), changed)
        }
        let adds = try await sink.finish()
        let metrics: [(String, Int64)] = [
            ("numUpdatedRows", scan.changedRows), ("numCopiedRows", scan.outputRows - scan.changedRows),
            ("numRemovedFiles", Int64(scan.removed.count)), ("numAddedFiles", Int64(adds.count)),
            ("numRemovedBytes", scan.removed.reduce(0) { $0 + $1.size }), ("numAddedBytes", adds.reduce(0) { $0 + $1.size }),
        ]
        return try await commitChange(snap: snap, operation: "UPDATE", parameters: [("predicate", LakeJSON.array([.string(filter.description)]).serialized())],
                                      metrics: metrics, removes: scan.removed, adds: adds, reads: scan.scanned)
    }

    // MARK: - MERGE

    /// Upserts `source` by the key columns: a target row whose (non-null) key equals a source row's is
    /// updated from it (its columns present in the source) or deleted, per `whenMatched`; source rows
    /// matching no target row are inserted when `whenNotMatchedInsert`. Like Delta, it is an error
    /// when two source rows match the same target row.
    @discardableResult
    public func merge(source batches: [RecordBatch], keys: [String], whenMatched: MergeMatchedAction = .update,
                      whenNotMatchedInsert: Bool = true) async throws -> TableChange {
        let (snap, schema) = try await beginChange(dataChange: true)
        guard !keys.isEmpty else { throw TableError.invalidArgument("MERGE needs at least one key column") }
        guard !batches.isEmpty else { return TableChange(version: snap.version, committed: false, metrics: ["numSourceRows": 0]) }
        // Source columns in the table's types.
        var sourceFields: [Field] = []
        if let first = batches.first {
            for f in first.schema.fields {
                guard let i = schema.index(of: f.name) else { throw TableError.invalidArgument("MERGE: source column \(f.name) is not in the table") }
                sourceFields.append(schema.fields[i])
            }
        }
        for k in keys where !sourceFields.contains(where: { $0.name == k }) {
            throw TableError.invalidArgument("MERGE: key column \(k) is missing from the " + (schema.index(of: k) == nil ? "table" : "source"))
        }
        let sourceSchema = Schema(sourceFields)
        var source: [RecordBatch] = []
        for b in batches where b.numRows > 0 {
            guard b.schema.fields.map(\.name) == sourceFields.map(\.name) else { throw TableError.invalidArgument("MERGE: source batches have different columns") }
            source.append(try RecordBatch(schema: sourceSchema, columns: try zip(b.columns, sourceFields).map { try TableBatches.cast($0, to: $1.type, column: $1.name) }))
        }
        let sourceKeyIdx = keys.map { sourceSchema.index(of: $0)! }
        var keyIndex: [[Value]: [(Int, Int)]] = [:]
        var lo: [Value?] = Array(repeating: nil, count: keys.count), hi: [Value?] = Array(repeating: nil, count: keys.count)
        var sourceRows: Int64 = 0
        for (bi, b) in source.enumerated() {
            sourceRows += Int64(b.numRows)
            rows: for r in 0..<b.numRows {
                var key: [Value] = []
                for (k, ci) in sourceKeyIdx.enumerated() {
                    guard let v = b.columns[ci].value(at: r) else { continue rows }
                    key.append(v)
                    if lo[k] == nil || (compareValues(v, lo[k]!) ?? 0) < 0 { lo[k] = v }
                    if hi[k] == nil || (compareValues(v, hi[k]!) ?? 0) > 0 { hi[k] = v }
                }
                keyIndex[key, default: []].append((bi, r))
            }
        }
        // Only files that may hold a source key are scanned.
        let hint: ParquetPredicate = keyIndex.isEmpty ? .or([]) : .and(keys.enumerated().map { k, name in .between(name, lo[k]!, hi[k]!) })
        let targetKeyIdx = keys.map { schema.index(of: $0)! }
        let sourceColumnForTarget: [Int?] = schema.fields.map { sourceSchema.index(of: $0.name) }
        final class State: @unchecked Sendable {
            var matched = Set<[Value]>()
            var updated: Int64 = 0
            var deleted: Int64 = 0
        }
        let state = State()
        let index = keyIndex
        let filter = ClosureFilter(description: "merge on " + keys.joined(separator: ", "), hint: hint) { batch in
            (0..<batch.numRows).map { r in
                var key: [Value] = []
                for ci in targetKeyIdx {
                    guard let v = batch.columns[ci].value(at: r) else { return false }
                    key.append(v)
                }
                return index[key] != nil
            }
        }
        let sink = newSink(schema: schema, partitionColumns: snap.metadata.partitionColumns)
        let scan = try await copyOnWrite(snap: snap, schema: schema, filter: filter, sink: sink) { batch, mask in
            var matches: [Int: (Int, Int)] = [:]
            for r in 0..<batch.numRows where mask[r] {
                let key = targetKeyIdx.map { batch.columns[$0].value(at: r)! }
                let hits = index[key]!
                if hits.count > 1 {
                    throw TableError.invalidArgument("MERGE: \(hits.count) source rows match the same target row (key \(key.map { "\($0)" }.joined(separator: ", "))); "
                                                     + "a target row may be matched by at most one source row — deduplicate the source")
                }
                state.matched.insert(key)
                matches[r] = hits[0]
            }
            switch whenMatched {
            case .none:
                return (batch, 0)
            case .delete:
                let keep = (0..<batch.numRows).filter { matches[$0] == nil }
                state.deleted += Int64(matches.count)
                return (keep.count == batch.numRows ? batch : try TableBatches.take(batch, keep), matches.count)
            case .update:
                if matches.isEmpty { return (batch, 0) }
                var cols: [Column] = []
                for (i, f) in schema.fields.enumerated() {
                    guard let si = sourceColumnForTarget[i] else { cols.append(batch.columns[i]); continue }
                    cols.append(TableBatches.pick(f.type, (0..<batch.numRows).map { r in
                        if let (sb, sr) = matches[r] { return (source[sb].columns[si], sr) }
                        return (batch.columns[i], r)
                    }))
                }
                state.updated += Int64(matches.count)
                return (try TableBatches.conform(try RecordBatch(schema: schema, columns: cols), to: schema), matches.count)
            }
        }
        // Inserts: source rows whose key matched nothing (null keys never match).
        var inserted: Int64 = 0
        if whenNotMatchedInsert {
            for b in source {
                var rows: [Int] = []
                for r in 0..<b.numRows {
                    var key: [Value] = []
                    var null = false
                    for ci in sourceKeyIdx { if let v = b.columns[ci].value(at: r) { key.append(v) } else { null = true } }
                    if null || !state.matched.contains(key) { rows.append(r) }
                }
                if rows.isEmpty { continue }
                let sub = rows.count == b.numRows ? b : try TableBatches.take(b, rows)
                try await sink.write(try TableBatches.conform(sub, to: schema))
                inserted += Int64(rows.count)
            }
        }
        let adds = try await sink.finish()
        let metrics: [(String, Int64)] = [
            ("numSourceRows", sourceRows), ("numTargetRowsInserted", inserted), ("numTargetRowsUpdated", state.updated),
            ("numTargetRowsDeleted", state.deleted), ("numTargetRowsCopied", scan.outputRows - state.updated),
            ("numOutputRows", scan.outputRows + inserted), ("numTargetFilesRemoved", Int64(scan.removed.count)),
            ("numTargetFilesAdded", Int64(adds.count)), ("numTargetFilesScanned", Int64(scan.scanned.count)),
        ]
        let params: [(String, String)] = [
            ("predicate", LakeJSON.array([.string(keys.map { "target.\($0) = source.\($0)" }.joined(separator: " AND "))]).serialized()),
            ("matchedPredicates", LakeJSON.array(whenMatched == .none ? [] : [.object([("actionType", .string(whenMatched == .update ? "update" : "delete"))])]).serialized()),
            ("notMatchedPredicates", LakeJSON.array(whenNotMatchedInsert ? [.object([("actionType", "insert")])] : []).serialized()),
        ]
        return try await commitChange(snap: snap, operation: "MERGE", parameters: params, metrics: metrics, removes: scan.removed, adds: adds, reads: scan.scanned)
    }

    /// ``merge(source:keys:whenMatched:whenNotMatchedInsert:)`` from a batch source (collected in memory).
    @discardableResult
    public func merge(source: BatchSource, keys: [String], whenMatched: MergeMatchedAction = .update, whenNotMatchedInsert: Bool = true) async throws -> TableChange {
        final class Box: @unchecked Sendable { var batches: [RecordBatch] = [] }
        let box = Box()
        try await source { box.batches.append($0) }
        return try await merge(source: box.batches, keys: keys, whenMatched: whenMatched, whenNotMatchedInsert: whenNotMatchedInsert)
    }

    // MARK: - Overwrite where (replaceWhere)

    /// Replaces the rows matching `filter` with the batches (Delta `replaceWhere`): every written row must
    /// match the filter; existing matching rows are deleted (whole files when partition values decide).
    @discardableResult
    public func overwrite(where filter: any RowFilter, _ data: @escaping BatchSource) async throws -> TableChange {
        let (snap, schema) = try await beginChange(dataChange: true)
        let sink = newSink(schema: schema, partitionColumns: snap.metadata.partitionColumns)
        var written: Int64 = 0
        do {
            try await data { batch in
                let b = try TableBatches.conform(batch, to: schema)
                if b.numRows == 0 { return }
                let m = try filter.matches(b)
                if let bad = m.firstIndex(of: false) {
                    throw TableError.invalidArgument("replaceWhere: written row \(bad) does not match the condition \(filter.description)")
                }
                written += Int64(b.numRows)
                try await sink.write(b)
            }
        } catch {
            for f in (try? await sink.finish()) ?? [] { try? await store.delete(fileKey(f)) }
            throw error
        }
        let scan: Scan
        do {
            scan = try await copyOnWrite(snap: snap, schema: schema, filter: filter, sink: sink, dropsMatchedRows: true) { batch, mask in
                let keep = mask.indices.filter { !mask[$0] }
                return (keep.count == batch.numRows ? batch : try TableBatches.take(batch, keep), mask.count - keep.count)
            }
        } catch {
            for f in (try? await sink.finish()) ?? [] { try? await store.delete(fileKey(f)) }
            throw error
        }
        let adds = try await sink.finish()
        let metrics: [(String, Int64)] = [
            ("numFiles", Int64(adds.count)), ("numOutputRows", written + scan.outputRows), ("numDeletedRows", scan.changedRows),
            ("numCopiedRows", scan.outputRows), ("numRemovedFiles", Int64(scan.removed.count)), ("numAddedFiles", Int64(adds.count)),
            ("numOutputBytes", adds.reduce(0) { $0 + $1.size }),
        ]
        let params: [(String, String)] = [
            ("mode", "Overwrite"), ("partitionBy", LakeJSON.array(snap.metadata.partitionColumns.map { .string($0) }).serialized()),
            ("predicate", LakeJSON.array([.string(filter.description)]).serialized()),
        ]
        return try await commitChange(snap: snap, operation: "WRITE", parameters: params, metrics: metrics, removes: scan.removed, adds: adds,
                                      reads: scan.scanned, alwaysCommit: true)
    }

    @discardableResult
    public func overwrite(where filter: any RowFilter, _ batches: [RecordBatch]) async throws -> TableChange {
        try await overwrite(where: filter) { emit in for b in batches { try await emit(b) } }
    }

    /// Replaces one partition: `values` names partition columns (nil = the null partition).
    @discardableResult
    public func overwrite(partition values: [String: String?], _ data: @escaping BatchSource) async throws -> TableChange {
        let snap = try await log.snapshot()
        let schema = try snap.schema
        var parts: [ParquetPredicate] = []
        for (name, v) in values.sorted(by: { $0.key < $1.key }) {
            guard snap.metadata.partitionColumns.contains(name), let i = schema.index(of: name) else {
                throw TableError.invalidArgument("\(name) is not a partition column")
            }
            if let value = try PartitionValues.value(v, schema.fields[i].type) { parts.append(.equal(name, value)) } else { parts.append(.isNull(name)) }
        }
        return try await overwrite(where: PredicateFilter(.and(parts)), data)
    }

    // MARK: - OPTIMIZE

    /// Compacts small files of each partition into files near `targetFileSize` bytes (`dataChange: false`).
    @discardableResult
    public func optimize(targetFileSize: Int64 = 128 * 1024 * 1024, where filter: (any RowFilter)? = nil) async throws -> TableChange {
        guard targetFileSize > 0 else { throw TableError.invalidArgument("targetFileSize must be positive") }
        try await iceberg.sync(log: log)
        let snap = try await log.snapshot()
        try checkWritable(snap)
        let schema = try snap.schema
        let partitionSet = Set(snap.metadata.partitionColumns)
        var groups: [[String?]: [DeltaAdd]] = [:]
        for f in snap.files {
            if let hint = filter?.pruningHint, !FilePruning.mightMatch(f, hint, schema: schema, partitionColumns: partitionSet) { continue }
            if f.size >= targetFileSize { continue }
            groups[snap.metadata.partitionColumns.map { f.partitionValues[$0] ?? nil }, default: []].append(f)
        }
        var bins: [[DeltaAdd]] = []
        for key in groups.keys.sorted(by: { "\($0)" < "\($1)" }) {
            var current: [DeltaAdd] = []
            var size: Int64 = 0
            for f in groups[key]!.sorted(by: { ($0.size, $0.path) < ($1.size, $1.path) }) {
                if size + f.size > targetFileSize, !current.isEmpty {
                    if current.count > 1 { bins.append(current) }
                    current = []
                    size = 0
                }
                current.append(f)
                size += f.size
            }
            if current.count > 1 { bins.append(current) }
        }
        var removed: [DeltaAdd] = []
        var adds: [DeltaAdd] = []
        do {
            for bin in bins {
                let rows = bin.reduce(Int64(0)) { $0 + ($1.numRecords ?? 0) }
                let bytes = bin.reduce(Int64(0)) { $0 + $1.size }
                var t = self
                if rows > 0 { t.writeOptions.targetFileRows = max(1, Int(Double(targetFileSize) / (Double(bytes) / Double(rows)))) }
                let sink = FileSet(table: t, schema: schema, partitionColumns: snap.metadata.partitionColumns,
                                   partitionIndexes: snap.metadata.partitionColumns.map { schema.index(of: $0)! })
                for f in bin {
                    try await readFile(f, fields: schema.fields, partitionColumns: partitionSet) { b in try await sink.write(b) }
                }
                adds += try await sink.finish()
                removed += bin
            }
        } catch {
            for f in adds { try? await store.delete(fileKey(f)) }
            throw error
        }
        for i in adds.indices { adds[i].dataChange = false }
        let metrics: [(String, Int64)] = [
            ("numFilesAdded", Int64(adds.count)), ("numFilesRemoved", Int64(removed.count)),
            ("numAddedBytes", adds.reduce(0) { $0 + $1.size }), ("numRemovedBytes", removed.reduce(0) { $0 + $1.size }),
            ("numBatches", Int64(bins.count)), ("totalConsideredFiles", Int64(snap.files.count)),
            ("numRemovedFiles", Int64(removed.count)), ("numAddedFiles", Int64(adds.count)),
        ]
        let params: [(String, String)] = [
            ("predicate", LakeJSON.array(filter.map { [.string($0.description)] } ?? []).serialized()), ("targetSize", String(targetFileSize)),
        ]
        return try await commitChange(snap: snap, operation: "OPTIMIZE", parameters: params, metrics: metrics, removes: removed, adds: adds,
                                      reads: Set(removed.map(\.path)), dataChange: false)
    }

    // MARK: - Type widening

    /// Widens a column's type (int8/int16 → int32/int64, int32 → int64, float32 → float64, int → float64)
    /// as one commit. The Delta `typeWidening` table feature is not used (deltalake 1.6.6 refuses to read
    /// tables with that reader feature): the files are rewritten in the new type in the same commit
    /// (dataChange false), so every reader of the plain protocol reads it. Partition columns need no
    /// rewrite. Iceberg gets a new schema with the promoted type (same field id).
    @discardableResult
    public func widenColumn(_ name: String, to type: LakeType) async throws -> TableChange {
        try await iceberg.sync(log: log)
        let snap = try await log.snapshot()
        try checkWritable(snap)
        var schema = try snap.schema
        guard let i = schema.index(of: name) else { throw TableError.invalidArgument("no column \(name)") }
        let from = schema.fields[i].type
        if from == type { return TableChange(version: snap.version, committed: false, metrics: [:]) }
        let ok: Bool
        switch (from, type) {
        case (.int8, .int16), (.int8, .int32), (.int8, .int64), (.int16, .int32), (.int16, .int64), (.int32, .int64): ok = true
        case (.float32, .float64), (.int8, .float64), (.int16, .float64), (.int32, .float64): ok = true
        default: ok = false
        }
        guard ok else { throw TableError.invalidArgument("cannot widen column \(name) from \(from) to \(type) (supported: smaller int → larger int, float → double, int → double)") }
        let isPartition = snap.metadata.partitionColumns.contains(name)
        if isPartition, case .float64 = type { throw TableError.unsupported("changing the partition column \(name) to a floating type") }
        schema.fields[i].type = type
        var meta = snap.metadata
        meta.schemaString = DeltaSchema.string(schema)
        var removed: [DeltaAdd] = []
        var adds: [DeltaAdd] = []
        if !isPartition {
            let sink = newSink(schema: schema, partitionColumns: snap.metadata.partitionColumns)
            do {
                for f in snap.files {
                    try await readFile(f, fields: schema.fields, partitionColumns: Set(snap.metadata.partitionColumns)) { b in try await sink.write(b) }
                }
                adds = try await sink.finish()
            } catch {
                for f in (try? await sink.finish()) ?? [] { try? await store.delete(fileKey(f)) }
                throw error
            }
            removed = snap.files
            for k in adds.indices { adds[k].dataChange = false }
        }
        let metrics: [(String, Int64)] = [("numRemovedFiles", Int64(removed.count)), ("numAddedFiles", Int64(adds.count))]
        let params: [(String, String)] = [("column", name), ("from", DeltaSchema.typeName(from)), ("to", DeltaSchema.typeName(type))]
        return try await commitChange(snap: snap, operation: "CHANGE COLUMN", parameters: params, metrics: metrics, removes: removed, adds: adds,
                                      reads: Set(snap.files.map(\.path)), dataChange: false, metadata: meta, alwaysCommit: true)
    }

    // MARK: - VACUUM

    /// Deletes data files no retained version references: versions committed within `retention` of now,
    /// the version current at the start of the window, and the latest version (so time travel to any
    /// instant in the window works), plus files Iceberg snapshots in the window list. Files not referenced
    /// by any version (left by crashed writers) go too. Only files older than the window are deleted;
    /// `_delta_log/`, `metadata/` and hidden (`_`/`.`) paths are never touched.
    /// - Parameters:
    ///   - retention: seconds; below 7 days only with `enforceRetentionDuration: false` (Delta's
    ///     `retentionDurationCheck`).
    ///   - dryRun: list what would be deleted without deleting.
    /// - Returns: the deleted (or deletable) object keys, sorted.
    @discardableResult
    public func vacuum(retention: TimeInterval = 7 * 24 * 3600, dryRun: Bool = false, enforceRetentionDuration: Bool = true) async throws -> [String] {
        let minimum: TimeInterval = 7 * 24 * 3600
        if retention < 0 { throw TableError.invalidArgument("vacuum retention must not be negative") }
        if enforceRetentionDuration, retention < minimum {
            throw TableError.invalidArgument("vacuum retention \(Int(retention / 3600)) hours is below the safe minimum of 168 hours (7 days): readers "
                                             + "and writers may still need the files; pass enforceRetentionDuration: false (retentionDurationCheck) to override")
        }
        try await iceberg.sync(log: log)
        let nowMs = Clock.nowMillis()
        let cutoff = nowMs - Int64(retention * 1000)
        // Commit times as readers see them (file times, forced monotonic), and the retained versions:
        // those current at some instant of the window [cutoff, now], plus the latest.
        let commits = try await log.listCommits()
        guard let latestVersion = commits.last?.version else { throw TableError.notFound("no Delta table at \(key)") }
        var times: [Int64] = []
        var previousTime: Int64 = .min
        for c in commits {
            let ts = max(Int64((c.info.modified.timeIntervalSince1970 * 1000).rounded()), previousTime == .min ? 0 : previousTime + 1)
            times.append(ts)
            previousTime = ts
        }
        var keep = Set<String>()
        var previous: DeltaSnapshot?
        for (i, c) in commits.enumerated() {
            let next = i + 1 < commits.count ? times[i + 1] : .max
            guard next > cutoff || c.version == latestVersion else { continue }
            let s = try await log.snapshot(version: c.version, from: previous)
            previous = s
            for f in s.files { keep.insert(f.path) }
        }
        var keepKeys = Set(keep.map { key + "/" + PartitionValues.decodePath($0) })
        for k in try await iceberg.referencedDataKeys(since: cutoff) { keepKeys.insert(k) }
        var out: [String] = []
        for o in try await store.list(prefix: key + "/", recursive: true) where !o.isDirectory {
            guard o.key.hasPrefix(key + "/") else { continue }
            let rel = String(o.key.dropFirst(key.count + 1))
            let parts = rel.split(separator: "/")
            if parts.first == "_delta_log" || parts.first == "metadata" { continue }
            // Hidden paths (except partition directories like `_x=1`).
            if parts.contains(where: { ($0.hasPrefix("_") || $0.hasPrefix(".")) && !$0.contains("=") }) { continue }
            if keepKeys.contains(o.key) { continue }
            let modified = Int64((o.modified.timeIntervalSince1970 * 1000).rounded(.down))
            if modified >= cutoff { continue }
            out.append(o.key)
        }
        out.sort()
        if !dryRun {
            for k in out { try await store.delete(k) }
        }
        return out
    }

    // MARK: - Filtered reads

    /// The live files of a snapshot that may hold rows satisfying `hint` (by partition values and Delta
    /// column statistics); all files when `hint` is nil.
    public func files(_ snap: DeltaSnapshot, mayMatch hint: ParquetPredicate?) throws -> [DeltaAdd] {
        guard let hint else { return snap.files }
        let schema = try snap.schema
        let partitionSet = Set(snap.metadata.partitionColumns)
        return snap.files.filter { FilePruning.mightMatch($0, hint, schema: schema, partitionColumns: partitionSet) }
    }

    /// Streams the rows of a version matching `filter`, projected to `columns` (all when nil); files the
    /// filter's pruning hint rules out are not read.
    public func read(_ version: TableVersion = .latest, columns: [String]? = nil, where filter: any RowFilter,
                     _ body: (RecordBatch) async throws -> Void) async throws {
        let snap = try await snapshot(version)
        let schema = try snap.schema
        let partitionSet = Set(snap.metadata.partitionColumns)
        let projection: [Int] = try (columns ?? schema.fields.map(\.name)).map { c in
            guard let i = schema.index(of: c) else { throw TableError.invalidArgument("no column \(c)") }
            return i
        }
        let outSchema = Schema(projection.map { schema.fields[$0] })
        for add in try files(snap, mayMatch: filter.pruningHint) {
            try await readFile(add, fields: schema.fields, partitionColumns: partitionSet) { b in
                let m = try filter.matches(b)
                let rows = m.indices.filter { m[$0] }
                if rows.isEmpty { return }
                let kept = rows.count == b.numRows ? b : try TableBatches.take(b, rows)
                try await body(try RecordBatch(schema: outSchema, columns: projection.map { kept.columns[$0] }))
            }
        }
    }

    // MARK: - Time travel and history

    /// The version current at `date` (latest commit at or before it); a clear error before the first commit.
    public func version(at date: Date) async throws -> Int64 {
        try await version(atMillis: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    func version(atMillis ms: Int64) async throws -> Int64 {
        do {
            return try await log.version(atTimestamp: ms)
        } catch TableError.notFound(let why) {
            if let first = try await log.listCommits().first {
                let t0 = Int64((first.info.modified.timeIntervalSince1970 * 1000).rounded())
                throw TableError.notFound("timestamp \(ValueFormatting.timestamp(ms * 1000, utc: true)) is before the first commit of \(key) "
                                          + "(version \(first.version) at \(ValueFormatting.timestamp(t0 * 1000, utc: true)))")
            }
            throw TableError.notFound(why)
        }
    }

    /// Commit history, newest first, with each commit's operation details.
    public func historyEntries(limit: Int? = nil) async throws -> [TableHistoryEntry] {
        var all = try await log.history()
        if let limit { all = Array(all.prefix(limit)) }
        return all.map(TableHistoryEntry.init)
    }

    // MARK: - Machinery

    /// Syncs the mirror, loads the latest snapshot and checks the table takes row-level changes.
    func beginChange(dataChange: Bool) async throws -> (DeltaSnapshot, Schema) {
        try await iceberg.sync(log: log)
        let snap = try await log.snapshot()
        try checkWritable(snap)
        if dataChange, snap.metadata.configuration["delta.appendOnly"] == "true" {
            throw TableError.invalidArgument("table \(key) is append-only (delta.appendOnly=true)")
        }
        return (snap, try snap.schema)
    }

    func newSink(schema: Schema, partitionColumns: [String]) -> FileSet {
        FileSet(table: self, schema: schema, partitionColumns: partitionColumns, partitionIndexes: partitionColumns.map { schema.index(of: $0)! })
    }

    struct Scan {
        var scanned = Set<String>()
        var removed: [DeltaAdd] = []
        /// Rows the transform reported changed (deleted, updated).
        var changedRows: Int64 = 0
        /// Rows written back from rewritten files.
        var outputRows: Int64 = 0
    }

    /// Reads every file the filter may touch and rewrites those with matching rows. `transform` gets a
    /// batch and its match flags and returns the rows to keep (in the table schema) and how many rows it changed.
    /// - Parameter dropsMatchedRows: the transform deletes matched rows (delete, replaceWhere): a file whose
    ///   partition values match is removed without reading it.
    func copyOnWrite(snap: DeltaSnapshot, schema: Schema, filter: any RowFilter, sink: FileSet, dropsMatchedRows: Bool = false,
                     transform: (RecordBatch, [Bool]) throws -> (RecordBatch, Int)) async throws -> Scan {
        let partitionSet = Set(snap.metadata.partitionColumns)
        let hint = filter.pruningHint
        // A predicate over partition columns only is decided per file without reading it.
        var partitionOnly: PredicateFilter?
        if let pf = filter as? PredicateFilter, LakeTable.columns(of: pf.predicate).isSubset(of: partitionSet) { partitionOnly = pf }
        var scan = Scan()
        do {
            for add in snap.files {
                if let hint, !FilePruning.mightMatch(add, hint, schema: schema, partitionColumns: partitionSet) { continue }
                scan.scanned.insert(add.path)
                if let pf = partitionOnly {
                    let fields = snap.metadata.partitionColumns.map { schema.fields[schema.index(of: $0)!] }
                    let cols = try fields.map { try TableBatches.constant(try PartitionValues.value(add.partitionValues[$0.name] ?? nil, $0.type), $0.type, rows: 1) }
                    if try pf.matches(try RecordBatch(schema: Schema(fields), columns: cols))[0] {
                        if dropsMatchedRows, let n = add.numRecords {
                            scan.removed.append(add)
                            scan.changedRows += n
                            continue
                        }
                        // Every row matches: let the transform see them all.
                        var outs: [RecordBatch] = []
                        var changed = 0
                        try await readFile(add, fields: schema.fields, partitionColumns: partitionSet) { b in
                            let (o, c) = try transform(b, [Bool](repeating: true, count: b.numRows))
                            changed += c
                            if o.numRows > 0 { outs.append(o) }
                        }
                        if changed > 0 {
                            scan.removed.append(add)
                            scan.changedRows += Int64(changed)
                            for o in outs { scan.outputRows += Int64(o.numRows); try await sink.write(o) }
                        }
                    }
                    continue
                }
                var outs: [RecordBatch] = []
                var changed = 0
                try await readFile(add, fields: schema.fields, partitionColumns: partitionSet) { b in
                    let mask = try filter.matches(b)
                    guard mask.count == b.numRows else { throw TableError.invalidArgument("the row filter returned \(mask.count) flags for \(b.numRows) rows") }
                    let (o, c) = try transform(b, mask)
                    changed += c
                    if o.numRows > 0 { outs.append(o) }
                }
                if changed > 0 {
                    scan.removed.append(add)
                    scan.changedRows += Int64(changed)
                    for o in outs { scan.outputRows += Int64(o.numRows); try await sink.write(o) }
                }
            }
        } catch {
            for f in (try? await sink.finish()) ?? [] { try? await store.delete(fileKey(f)) }
            throw error
        }
        return scan
    }

    static func columns(of p: ParquetPredicate) -> Set<String> {
        switch p {
        case .equal(let c, _), .less(let c, _), .lessOrEqual(let c, _), .greater(let c, _), .greaterOrEqual(let c, _),
             .between(let c, _, _), .isNull(let c), .isNotNull(let c): return [c]
        case .and(let ps), .or(let ps): return ps.reduce(into: Set<String>()) { $0.formUnion(columns(of: $1)) }
        }
    }

    /// Commits removes + adds (+ metadata) as one version; deletes the new files when the commit fails.
    func commitChange(snap: DeltaSnapshot, operation: String, parameters: [(String, String)], metrics: [(String, Int64)],
                      removes: [DeltaAdd], adds: [DeltaAdd], reads: Set<String>, dataChange: Bool = true,
                      metadata: DeltaMetadata? = nil, alwaysCommit: Bool = false) async throws -> TableChange {
        let metricMap = Dictionary(metrics, uniquingKeysWith: { a, _ in a })
        if removes.isEmpty, adds.isEmpty, metadata == nil, !alwaysCommit {
            return TableChange(version: snap.version, committed: false, metrics: metricMap)
        }
        let now = Clock.nowMillis()
        var info: [(String, LakeJSON)] = [
            ("timestamp", .int(now)), ("operation", .string(operation)),
            ("operationParameters", .object(parameters.map { ($0.0, .string($0.1)) })),
            ("readVersion", .int(snap.version)), ("isolationLevel", "Serializable"), ("isBlindAppend", false),
            ("operationMetrics", .object(metrics.map { ($0.0, .string(String($0.1))) })),
            ("engineInfo", "Ingot/0.1.0"),
        ]
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { info.append(("userName", .string(user))) }
        info.append(("txnId", .string(IDGenerator.uuid())))
        var actions: [DeltaAction] = [.commitInfo(.object(info))]
        if let metadata { actions.append(.metaData(metadata)) }
        actions += removes.map {
            .remove(DeltaRemove(path: $0.path, deletionTimestamp: now, dataChange: dataChange, partitionValues: $0.partitionValues, size: $0.size))
        }
        actions += adds.map { a in
            var a = a
            a.dataChange = dataChange
            return .add(a)
        }
        let v: Int64
        do {
            v = try await log.commit(actions, readVersion: snap.version, reads: .files(reads.union(removes.map(\.path))))
        } catch {
            for f in adds { try? await store.delete(fileKey(f)) }
            throw error
        }
        try await iceberg.sync(log: log, base: snap)
        return TableChange(version: v, committed: true, metrics: metricMap)
    }

    /// A constant for `update`, checked against the column (type, range, nullability).
    static func assignable(_ v: Value?, to f: Field) throws -> Value? {
        guard let v else {
            guard f.nullable else { throw TableError.invalidArgument("UPDATE: column \(f.name) is NOT NULL") }
            return nil
        }
        func bad() -> TableError { .invalidArgument("UPDATE: value \(v) does not fit column \(f.name) of type \(f.type)") }
        switch (f.type, v) {
        case (.int8, .int(let x)): guard Int8(exactly: x) != nil else { throw bad() }; return v
        case (.int16, .int(let x)): guard Int16(exactly: x) != nil else { throw bad() }; return v
        case (.int32, .int(let x)): guard Int32(exactly: x) != nil else { throw bad() }; return v
        case (.int64, .int): return v
        case (.int8, .double), (.int16, .double), (.int32, .double), (.int64, .double): throw bad()
        case (.float32, .int(let x)), (.float64, .int(let x)): return .double(Double(x))
        case (.bool, .string(let s)):
            switch s.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw bad()
            }
        case (.int8, .string(let s)), (.int16, .string(let s)), (.int32, .string(let s)), (.int64, .string(let s)):
            guard let x = Int64(s) else { throw bad() }
            return try assignable(.int(x), to: f)
        case (.float32, .string(let s)), (.float64, .string(let s)):
            guard let x = Double(s) else { throw bad() }
            return .double(x)
        default:
            return try PredicateFilter.coerceLiteral(v, to: f.type, column: f.name)
        }
    }
}

/// One commit of a table's history.
public struct TableHistoryEntry: Sendable {
    public let version: Int64
    /// Commit time, epoch milliseconds (the commit file's time, as delta-rs uses).
    public let timestamp: Int64
    public let operation: String
    public let operationParameters: [String: String]
    public let operationMetrics: [String: String]
    public let engineInfo: String?
    public let userName: String?
    public let readVersion: Int64?
    public let isBlindAppend: Bool?
    /// The whole commitInfo object.
    public let info: LakeJSON

    init(_ c: DeltaCommit) {
        version = c.version
        timestamp = c.timestamp
        operation = c.operation
        func strings(_ j: LakeJSON?) -> [String: String] {
            var out: [String: String] = [:]
            for (k, v) in j?.object ?? [] { out[k] = v.string ?? v.serialized() }
            return out
        }
        operationParameters = strings(c.info["operationParameters"])
        operationMetrics = strings(c.info["operationMetrics"])
        engineInfo = c.info["engineInfo"]?.string
        userName = c.info["userName"]?.string
        readVersion = c.info["readVersion"]?.int
        isBlindAppend = c.info["isBlindAppend"]?.bool
        info = c.info
    }
}

extension TableVersion {
    /// The version current at `date` (latest commit at or before it).
    public static func at(_ date: Date) -> TableVersion { .timestamp(Int64((date.timeIntervalSince1970 * 1000).rounded(.down))) }
}
