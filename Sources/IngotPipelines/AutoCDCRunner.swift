import Foundation
import IngotCatalog
import IngotCore
import IngotLake

/// A lake value in a checkpoint (JSON): a kind tag and its text.
public struct CDCValue: Sendable, Codable, Hashable {
    public var t: String
    public var v: String

    init(_ value: Value?) {
        switch value {
        case nil: t = "n"; v = ""
        case .bool(let b): t = "b"; v = b ? "1" : "0"
        case .int(let i): t = "i"; v = String(i)
        case .double(let d): t = "d"; v = String(d.bitPattern)
        case .string(let s): t = "s"; v = s
        case .bytes(let b): t = "x"; v = Data(b).base64EncodedString()
        case .decimal(let m): t = "m"; v = String(m)
        }
    }

    var value: Value? {
        switch t {
        case "b": return .bool(v == "1")
        case "i": return Int64(v).map { .int($0) }
        case "d": return UInt64(v).map { .double(Double(bitPattern: $0)) }
        case "s": return .string(v)
        case "x": return Data(base64Encoded: v).map { .bytes(Array($0)) }
        case "m": return Int128(v).map { .decimal($0) }
        default: return nil
        }
    }
}

/// SCD type 1 state of one key: the sequence value last applied and whether it was a delete (a
/// tombstone, so that an older change arriving later is ignored).
public struct CDCKeyState: Sendable, Codable, Equatable {
    public var seq: CDCValue
    public var deleted: Bool
}

/// One change of the feed: its key, sequence value, whether it deletes, and the row's values in the
/// order of the target's data columns.
struct CDCChange {
    var key: [Value]
    var seq: Value
    var delete: Bool
    var values: [Value?]
    var order: Int
}

enum CDCLogic {
    static func keyText(_ key: [Value]) -> String { key.map { let c = CDCValue($0); return c.t + ":" + c.v }.joined(separator: "\u{1f}") }

    static func compare(_ a: Value, _ b: Value, _ flow: PipelineCDCFlow) throws -> Int {
        guard let c = compareValues(a, b) else {
            throw PipelineError(.invalidState, "\(flow.location): SEQUENCE BY values \(a) and \(b) cannot be compared")
        }
        return c
    }

    /// Sorts a key's changes by sequence (stable); equal sequence values are allowed only for
    /// identical changes (a duplicate delivery, applied once) and are an error otherwise.
    static func ordered(_ changes: [CDCChange], _ flow: PipelineCDCFlow) throws -> [CDCChange] {
        var err: Error?
        let sorted = changes.sorted { a, b in
            do {
                let c = try compare(a.seq, b.seq, flow)
                return c != 0 ? c < 0 : a.order < b.order
            } catch { err = error; return a.order < b.order }
        }
        if let err { throw err }
        var out: [CDCChange] = []
        for c in sorted {
            if let last = out.last, try compare(last.seq, c.seq, flow) == 0 {
                if last.delete == c.delete && last.values == c.values { continue }
                throw PipelineError(.invalidState,
                    "\(flow.location): two different changes for key (\(c.key.map { "\($0)" }.joined(separator: ", "))) have the same SEQUENCE BY value \(c.seq); "
                    + "the sequence must order the changes of a key")
            }
            out.append(c)
        }
        return out
    }

    /// SCD type 1: the row after applying `changes` (ordered) to `row`, and the key's new state.
    /// Changes not newer than `state` are ignored (already applied, or older than a later change).
    static func applySCD1(row: [Value?]?, state: CDCKeyState?, changes: [CDCChange], flow: PipelineCDCFlow) throws -> (row: [Value?]?, state: CDCKeyState?, applied: Int) {
        var row = row, state = state, applied = 0
        for c in changes {
            if let s = state, let prev = s.seq.value, try compare(c.seq, prev, flow) <= 0 { continue }
            if c.delete {
                row = nil
            } else {
                var v = c.values
                if flow.ignoreNullUpdates, let old = row { for j in v.indices where v[j] == nil { v[j] = old[j] } }
                row = v
            }
            state = CDCKeyState(seq: CDCValue(c.seq), deleted: c.delete)
            applied += 1
        }
        return (row, state, applied)
    }

    /// SCD type 2: a key's history rebuilt from its existing history rows (data columns followed by
    /// `__START_AT`, `__END_AT`) and new changes. Existing rows are turned back into the changes that
    /// made them (a row starting at s is an upsert at s; an end that no row starts at is a delete), the
    /// new ones are merged in by sequence (a change at a sequence already present is a duplicate), and
    /// the history is replayed: an upsert closes the open row and opens a new one unless its tracked
    /// columns equal the open row's (then only untracked columns are updated in place); a delete
    /// closes the open row.
    static func rebuildSCD2(history: [[Value?]], changes: [CDCChange], tracked: [Int], untracked: [Int], flow: PipelineCDCFlow) throws -> [[Value?]] {
        guard let width = history.first?.count ?? changes.first.map({ $0.values.count + 2 }) else { return [] }
        let start = width - 2, end = width - 1
        var old: [CDCChange] = []
        let starts = history.compactMap { $0[start] }
        for (n, r) in history.enumerated() {
            guard let s = r[start] else { continue }
            old.append(CDCChange(key: [], seq: s, delete: false, values: Array(r[0..<start]), order: n - history.count))
            if let e = r[end], try !starts.contains(where: { try compare($0, e, flow) == 0 }) {
                old.append(CDCChange(key: [], seq: e, delete: true, values: [], order: n - history.count))
            }
        }
        var all = old
        for c in changes where try !old.contains(where: { try compare($0.seq, c.seq, flow) == 0 }) { all.append(c) }
        var err: Error?
        all.sort { a, b in
            do {
                let c = try compare(a.seq, b.seq, flow)
                return c != 0 ? c < 0 : a.order < b.order
            } catch { err = error; return a.order < b.order }
        }
        if let err { throw err }
        var out: [[Value?]] = []
        var open: Int?
        for c in all {
            if c.delete {
                if let o = open { out[o][end] = c.seq; open = nil }
                continue
            }
            var v = c.values
            if flow.ignoreNullUpdates, let o = open { for j in v.indices where v[j] == nil { v[j] = out[o][j] } }
            if let o = open, tracked.allSatisfy({ out[o][$0] == v[$0] }) {
                for j in untracked { out[o][j] = v[j] }
                continue
            }
            if let o = open { out[o][end] = c.seq }
            out.append(v + [c.seq, nil])
            open = out.count - 1
        }
        return out
    }
}

extension PipelineRunner {
    static let cdcSeq = "__ingot_cdc_seq"
    static let cdcDelete = "__ingot_cdc_delete"

    /// Runs one micro-batch of an AUTO CDC flow: the source rows new since the checkpoint are applied
    /// to the target in one commit (a replace of the affected keys' rows), with the checkpoint
    /// recorded as pending first, as for other streaming tables.
    func runCDC(_ d: PipelineDataset, _ flow: PipelineCDCFlow, pipelineID: String, checkpoint inCheckpoint: StreamCheckpoint, def: PipelineDefinition,
                metrics: inout DatasetMetrics, stages: inout [Stage]) async throws {
        var checkpoint = inCheckpoint
        let s = def.settings
        let target = try TableName(catalog: s.catalog, schema: s.schema, table: d.name)
        var newFiles: [String] = []
        var newSources: [String: Int64] = [:]
        var newSchemas = checkpoint.schemas ?? [:]
        var stage: Stage?
        switch flow.source {
        case .files(let path, let options):
            let (st, files, schema) = try await stageNewFiles(path: path, options: options, def: def, done: Set(checkpoint.files),
                                                               known: checkpoint.schemas?[path], line: flow.location)
            if let schema { newSchemas[path] = schema }
            stage = st
            newFiles = files
            metrics.inputFiles = files.count
            metrics.sourceFiles = files
        case .stream(let parts), .table(let parts):
            let full = parts.count == 3 ? parts : parts.count == 2 ? [s.catalog] + parts : [s.catalog, s.schema] + parts
            let source = try TableName(catalog: full[0], schema: full[1], table: full[2])
            let (st, key, version) = try await stageStream(source, checkpoint: checkpoint.sources)
            if let key, let version { newSources[key] = version }
            stage = st
        }
        if let stage { stages.append(stage) }
        guard let stage else {
            if !newSources.isEmpty {
                checkpoint.sources.merge(newSources) { _, b in b }
                try await store.saveCheckpoint(pipelineID: pipelineID, dataset: d.name, checkpoint)
            }
            metrics.tableVersion = try await currentVersion(target)
            return
        }
        // The new changes, with the sequence and delete flag computed by the engine.
        let resolver = StagedResolver(base: NamespaceTableResolver(tables: tables, owner: owner), stages: [stage.name.lowercased(): stage.table])
        let engine = try engines.engine(for: s).session(resolver: resolver, options: SQLEngineOptions(catalog: s.catalog, schema: s.schema))
        let del = flow.deleteWhen.map { "CASE WHEN (\($0)) THEN 1 ELSE 0 END" } ?? "0"
        let staged = "\(Self.q(StagedResolver.catalog)).`s`.\(Self.q(stage.name))"
        let result: SQLResult
        do {
            result = try await sql(engine, "SELECT *, (\(flow.sequenceBy)) AS \(Self.cdcSeq), \(del) AS \(Self.cdcDelete) FROM \(staged)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw PipelineError(.invalidState, "\(flow.location): flow \(flow.name): \((error as? any IngotError)?.message ?? "\(error)")")
        }
        let sourceFields = result.schema.fields.filter { $0.name != Self.cdcSeq && $0.name != Self.cdcDelete }
        let sourceNames = sourceFields.map(\.name)
        let unknownCols = flow.columns.unknown(in: sourceNames) + flow.trackHistory.unknown(in: sourceNames)
        guard unknownCols.isEmpty else { throw PipelineError("\(flow.location): COLUMNS / TRACK HISTORY name columns the source lacks: \(unknownCols.joined(separator: ", "))") }
        let selected = flow.columns.select(sourceNames)
        for k in flow.keys where !selected.contains(where: { $0.lowercased() == k.lowercased() }) {
            throw PipelineError("\(flow.location): KEYS column \(k) is not among the target's columns (source columns: \(sourceNames.joined(separator: ", ")))")
        }
        let scd2 = flow.scdType == 2
        if scd2, let bad = selected.first(where: { ["__start_at", "__end_at"].contains($0.lowercased()) }) {
            throw PipelineError("\(flow.location): the source column \(bad) clashes with the SCD type 2 history columns")
        }
        let seqType = result.schema.fields.first { $0.name == Self.cdcSeq }!.type

        // The target: created on first use; columns new in the source are added (nullable).
        if try await tables.namespace.tableIfExists(target) == nil {
            var fields = selected.map { n in Field(n, sourceFields.first { $0.name == n }!.type, nullable: true) }
            if scd2 { fields += [Field("__START_AT", seqType, nullable: true), Field("__END_AT", seqType, nullable: true)] }
            try await tables.create(target, schema: Schema(fields), comment: "AUTO CDC target of flow \(flow.name)", owner: owner)
        }
        var (_, table) = try await tables.open(target)
        var schema = try await table.snapshot().schema
        let missing = selected.filter { n in schema.index(of: n) == nil }
        if !missing.isEmpty {
            let v = try await table.addColumns(missing.map { n in Field(n, sourceFields.first { $0.name == n }!.type, nullable: true) })
            try await tables.committed(target, table: table, version: v)
            (_, table) = try await tables.open(target)
            schema = try await table.snapshot().schema
        }
        // Rows are handled as the data columns followed (SCD 2) by __START_AT, __END_AT, whatever the
        // table's column order (added columns come after the history columns).
        let history: Set<String> = ["__start_at", "__end_at"]
        let dataFields = scd2 ? schema.fields.filter { !history.contains($0.name.lowercased()) } : schema.fields
        let startType = scd2 ? (schema.fields.first { $0.name.lowercased() == "__start_at" }?.type ?? seqType) : seqType
        let rowSchema = scd2 ? Schema(dataFields + [Field("__START_AT", startType, nullable: true), Field("__END_AT", startType, nullable: true)]) : schema
        let rowColumns = rowSchema.fields.map { f in schema.fields.firstIndex { $0.name.lowercased() == f.name.lowercased() }! }
        let keyIdx = flow.keys.map { k in dataFields.firstIndex { $0.name.lowercased() == k.lowercased() }! }
        let seqName = flow.sequenceBy.trimmingCharacters(in: .whitespaces).lowercased()
        let tracked: [Int] = {
            let chosen = Set(flow.trackHistory.select(dataFields.map(\.name)).map { $0.lowercased() })
            return dataFields.indices.filter { !keyIdx.contains($0) && dataFields[$0].name.lowercased() != seqName && chosen.contains(dataFields[$0].name.lowercased()) }
        }()
        let untracked = dataFields.indices.filter { !keyIdx.contains($0) && !tracked.contains($0) && dataFields[$0].name.lowercased() != seqName }

        // Changes grouped by key, in input order.
        var byKey: [String: [CDCChange]] = [:]
        var keyOrder: [String] = []
        var order = 0
        for b in result.batches {
            let cols: [Column?] = try dataFields.map { f in
                guard selected.contains(where: { $0 == f.name }), let c = b.column(named: f.name) else { return nil }
                return try TableBatches.cast(c, to: f.type, column: f.name)
            }
            let seqCol = try TableBatches.cast(b.column(named: Self.cdcSeq)!, to: startType, column: "SEQUENCE BY")
            let delCol = b.column(named: Self.cdcDelete)!
            for r in 0..<b.numRows {
                let values = cols.map { $0?.value(at: r) }
                var key: [Value] = []
                for k in keyIdx {
                    guard let v = values[k] else {
                        throw PipelineError(.invalidState, "\(flow.location): a change has a null KEYS column \(dataFields[k].name)")
                    }
                    key.append(v)
                }
                guard let seq = seqCol.value(at: r) else {
                    throw PipelineError(.invalidState, "\(flow.location): a change for key (\(key.map { "\($0)" }.joined(separator: ", "))) has a null SEQUENCE BY value")
                }
                let isDelete: Bool
                switch delCol.value(at: r) { case .int(let x)?: isDelete = x != 0; case .bool(let x)?: isDelete = x; default: isDelete = false }
                let text = CDCLogic.keyText(key)
                if byKey[text] == nil { keyOrder.append(text) }
                byKey[text, default: []].append(CDCChange(key: key, seq: seq, delete: isDelete, values: values, order: order))
                order += 1
            }
        }
        metrics.inputRecords = Int64(order)

        // The target's rows of the affected keys.
        let affected = Set(keyOrder)
        let keyNames = keyIdx.map { dataFields[$0].name }
        let keyValues = Dictionary(keyOrder.map { ($0, byKey[$0]![0].key) }, uniquingKeysWith: { a, _ in a })
        let keyFilter: @Sendable (Set<String>) -> ClosureFilter = { keys in
            // Files whose key statistics rule out every key of the batch are not read.
            var lo: [Value?] = Array(repeating: nil, count: keyNames.count), hi = lo
            for k in keys {
                for (j, v) in (keyValues[k] ?? []).enumerated() {
                    if lo[j] == nil || (compareValues(v, lo[j]!) ?? 0) < 0 { lo[j] = v }
                    if hi[j] == nil || (compareValues(v, hi[j]!) ?? 0) > 0 { hi[j] = v }
                }
            }
            let hint: ParquetPredicate = keys.isEmpty ? .or([]) : .and(keyNames.indices.map { j in .between(keyNames[j], lo[j]!, hi[j]!) })
            return ClosureFilter(description: "keys of the CDC batch", hint: hint) { batch in
                let cols = keyNames.map { batch.column(named: $0)! }
                return (0..<batch.numRows).map { r in
                    var key: [Value] = []
                    for c in cols { guard let v = c.value(at: r) else { return false }; key.append(v) }
                    return keys.contains(CDCLogic.keyText(key))
                }
            }
        }
        var existing: [String: [[Value?]]] = [:]
        try await table.read(where: keyFilter(affected)) { b in
            for r in 0..<b.numRows {
                let row = rowColumns.map { b.columns[$0].value(at: r) }
                let key = keyIdx.compactMap { row[$0] }
                existing[CDCLogic.keyText(key), default: []].append(row)
            }
        }

        var changedKeys = Set<String>()
        var newRows: [[Value?]] = []
        var cdcState = checkpoint.cdc ?? [:]
        var applied: Int64 = 0
        for text in keyOrder {
            let changes = try CDCLogic.ordered(byKey[text]!, flow)
            let old = existing[text] ?? []
            if scd2 {
                let rebuilt = try CDCLogic.rebuildSCD2(history: old, changes: changes, tracked: tracked, untracked: untracked, flow: flow)
                func sortKey(_ r: [Value?]) -> String { r.map { CDCValue($0).t + CDCValue($0).v }.joined(separator: "\u{1f}") }
                if rebuilt.map(sortKey).sorted() != old.map(sortKey).sorted() {
                    changedKeys.insert(text)
                    newRows += rebuilt
                    applied += Int64(changes.count)
                }
            } else {
                let (row, state, n) = try CDCLogic.applySCD1(row: old.first, state: cdcState[text], changes: changes, flow: flow)
                cdcState[text] = state
                if n > 0, !(old.count == 1 && row == old.first) {
                    changedKeys.insert(text)
                    if let row { newRows.append(row) }
                }
                applied += Int64(n)
            }
        }
        metrics.outputRecords = Int64(newRows.count)

        // One commit replacing the changed keys' rows, with the checkpoint pending around it.
        let base = try await currentVersion(target) ?? -1
        checkpoint.pending = .init(files: newFiles, sources: newSources, baseVersion: base, schemas: newSchemas)
        if !scd2 { checkpoint.pending?.cdc = cdcState }
        try await store.saveCheckpoint(pipelineID: pipelineID, dataset: d.name, checkpoint)
        if !changedKeys.isEmpty {
            var builders = rowSchema.fields.map { ColumnBuilder(type: $0.type) }
            for row in newRows { for (j, v) in row.enumerated() { builders[j].append(v) } }
            let batch = try TableBatches.conform(try RecordBatch(schema: rowSchema, columns: builders.map { $0.finish() }), to: schema)
            let change = try await table.overwrite(where: keyFilter(changedKeys), [batch])
            if change.committed { try await tables.committed(target, table: table, version: change.version) }
        }
        checkpoint.files += newFiles
        checkpoint.sources.merge(newSources) { _, b in b }
        if !scd2 { checkpoint.cdc = cdcState }
        checkpoint.schemas = newSchemas
        checkpoint.pending = nil
        try await store.saveCheckpoint(pipelineID: pipelineID, dataset: d.name, checkpoint)
        metrics.tableVersion = try await currentVersion(target)
        metrics.droppedRecords = 0
        _ = applied
    }
}
