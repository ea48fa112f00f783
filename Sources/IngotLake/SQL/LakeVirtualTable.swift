import Foundation
import GRDBSQLite

// MARK: - Bound tables

/// One lake table bound into a SQL statement as a SQLite virtual table, pinned to one snapshot version.
final class BoundTable: @unchecked Sendable {
    /// The virtual table's name in the SQLite connection (`__lake_N`).
    let vtabName: String
    /// The name the statement used (for messages).
    let displayName: String
    let table: LakeTable
    /// Always a concrete `.version(n)` so every scan of the statement sees the same snapshot.
    let version: TableVersion
    let schema: Schema
    let partitionColumns: Set<String>
    /// Files with deletion vectors: row-group pruning bypasses `LakeTable.read`, so it is disabled.
    let hasDeletionVectors: Bool
    /// When set, scans serve this batch instead of reading the table (DML row evaluation).
    var memory: RecordBatch?

    init(vtabName: String, displayName: String, table: LakeTable, snapshot: DeltaSnapshot) throws {
        self.vtabName = vtabName
        self.displayName = displayName
        self.table = table
        version = .version(snapshot.version)
        schema = try snapshot.schema
        partitionColumns = Set(snapshot.metadata.partitionColumns)
        hasDeletionVectors = snapshot.files.contains { $0.deletionVector != nil }
    }

    var createSQL: String {
        "CREATE TABLE x(" + schema.fields.map { $0.name.sqliteQuoted + " " + SQLTypes.declType($0.type) }.joined(separator: ", ") + ")"
    }
}

/// Counters of what scans read (tests and query metrics).
public struct SQLScanStats: Sendable, Equatable {
    /// Batches (row groups) delivered to SQLite.
    public var batches = 0
    /// Rows in those batches.
    public var rows = 0
    /// `xFilter` calls (table scans started).
    public var scans = 0
    public init() {}
}

/// State shared by the module callbacks of one connection: the bound tables and the scan counters.
final class VTabRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var tables: [String: BoundTable] = [:]
    private var _stats = SQLScanStats()
    private var _cancelled = false
    private var used: [String: UInt64] = [:]

    /// Records the columns a plan uses (the union over xBestIndex calls), for materialization.
    func noteColumns(_ name: String, _ mask: UInt64) { lock.withLock { used[name, default: 0] |= mask } }
    func usedColumns(_ name: String) -> UInt64 { lock.withLock { used[name] ?? 0 } }
    func clearUsedColumns() { lock.withLock { used = [:] } }

    func bind(_ t: BoundTable) { lock.withLock { tables[t.vtabName] = t } }
    func unbind(_ name: String) { _ = lock.withLock { tables.removeValue(forKey: name) } }
    func table(_ name: String) -> BoundTable? { lock.withLock { tables[name] } }
    var stats: SQLScanStats { lock.withLock { _stats } }
    func resetStats() { lock.withLock { _stats = SQLScanStats() } }
    func count(batch rows: Int) { lock.withLock { _stats.batches += 1; _stats.rows += rows } }
    func countScan() { lock.withLock { _stats.scans += 1 } }
    var cancelled: Bool {
        get { lock.withLock { _cancelled } }
        set { lock.withLock { _cancelled = newValue } }
    }
}

// MARK: - Async → blocking bridge

/// Runs an async batch producer on the concurrency pool and hands its batches, one at a time and on
/// demand, to a blocking consumer (the SQLite thread). The producer is parked after each batch until
/// the consumer asks for the next, so a scan that stops early (LIMIT) never reads further row groups.
final class BatchFeed: @unchecked Sendable {
    private let cond = NSCondition()
    private var ready: RecordBatch?
    private var done = false
    private var failure: Error?
    private var waiter: CheckedContinuation<Void, Error>?
    private var stopped = false
    private var task: Task<Void, Never>?
    private let isCancelled: @Sendable () -> Bool

    init(isCancelled: @escaping @Sendable () -> Bool,
         producer: @escaping @Sendable (_ deliver: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> Void) {
        self.isCancelled = isCancelled
        task = Task { [self] in
            do {
                try await producer { b in try await self.deliver(b) }
                self.finish(nil)
            } catch {
                self.finish(error)
            }
        }
    }

    private func deliver(_ b: RecordBatch) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            cond.lock()
            if stopped {
                cond.unlock()
                c.resume(throwing: CancellationError())
                return
            }
            ready = b
            waiter = c
            cond.signal()
            cond.unlock()
        }
    }

    private func finish(_ error: Error?) {
        cond.lock()
        done = true
        if failure == nil { failure = error }
        cond.signal()
        cond.unlock()
    }

    /// The next batch, nil at the end; blocks the calling (non-concurrency-pool) thread.
    func next() throws -> RecordBatch? {
        cond.lock()
        if ready == nil, let w = waiter {
            waiter = nil
            cond.unlock()
            w.resume()
            cond.lock()
        }
        while ready == nil && !done {
            if isCancelled() {
                cond.unlock()
                throw SQLError.cancelled
            }
            _ = cond.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        defer { cond.unlock() }
        if let b = ready {
            ready = nil
            return b
        }
        if let failure, !(failure is CancellationError) { throw failure }
        return nil
    }

    /// Stops the producer (it is parked or will stop at its next batch).
    func stop() {
        cond.lock()
        stopped = true
        let w = waiter
        waiter = nil
        ready = nil
        cond.unlock()
        w?.resume(throwing: CancellationError())
        task?.cancel()
    }

    deinit { task?.cancel() }
}

// MARK: - Scan planning

/// One pushed-down constraint: column index and SQLite constraint operator.
struct PushedConstraint: Equatable {
    var column: Int
    var op: Int32
}

/// What xBestIndex chose, serialized into idxStr: `u=<colUsed>;c=<col>:<op>,...`.
struct ScanPlan: Equatable {
    var colUsed: UInt64
    var constraints: [PushedConstraint]

    var encoded: String {
        "u=\(colUsed);c=" + constraints.map { "\($0.column):\($0.op)" }.joined(separator: ",")
    }

    init(colUsed: UInt64, constraints: [PushedConstraint]) {
        self.colUsed = colUsed
        self.constraints = constraints
    }

    init?(encoded s: String) {
        var used: UInt64?
        var cons: [PushedConstraint] = []
        for part in s.split(separator: ";") {
            if part.hasPrefix("u=") { used = UInt64(part.dropFirst(2)) }
            if part.hasPrefix("c=") {
                for c in part.dropFirst(2).split(separator: ",") {
                    let kv = c.split(separator: ":")
                    guard kv.count == 2, let col = Int(kv[0]), let op = Int32(kv[1]) else { return nil }
                    cons.append(PushedConstraint(column: col, op: op))
                }
            }
        }
        guard let used else { return nil }
        colUsed = used
        constraints = cons
    }
}

enum ScanPruning {
    /// The lake value a constraint's right-hand side stands for in column type `t`, or nil when it
    /// cannot be used for pruning safely (pruning must only ever keep a superset of SQLite's matches).
    static func value(_ v: SQLiteScalar, for t: LakeType) -> Value? {
        switch (t, v) {
        case (.int8, .int(let x)), (.int16, .int(let x)), (.int32, .int(let x)), (.int64, .int(let x)): return .int(x)
        case (.int8, .real(let d)), (.int16, .real(let d)), (.int32, .real(let d)), (.int64, .real(let d)): return .double(d)
        case (.float32, .int(let x)), (.float64, .int(let x)): return .double(Double(x))
        case (.float32, .real(let d)), (.float64, .real(let d)): return .double(d)
        case (.string, .text(let s)): return .string(s)
        case (.bool, .int(let x)) where x == 0 || x == 1: return .bool(x == 1)
        case (.timestamp, .text(let s)):
            // Only text in (a prefix of) the canonical form orders like the instant it names.
            guard isCanonicalPrefix(s), let m = SQLTypes.parseTimestamp(s) else { return nil }
            return .int(m)
        case (.date, .text(let s)):
            guard s.count == 10, isCanonicalPrefix(s), let d = SQLTypes.parseDate(s) else { return nil }
            return .int(d)
        default: return nil
        }
    }

    /// `YYYY-MM-DD[ HH:MM:SS[.f…]]` with fixed-width fields.
    static func isCanonicalPrefix(_ s: String) -> Bool {
        let template = Array("0000-00-00 00:00:00.000000".utf8)
        let b = Array(s.utf8)
        guard b.count >= 10, b.count <= template.count, b.count == 10 || b.count >= 19 else { return false }
        for (i, c) in b.enumerated() {
            if template[i] == UInt8(ascii: "0") { if c < 48 || c > 57 { return false } } else if c != template[i] { return false }
        }
        return true
    }

    /// The row-group predicate of the pushed constraints (nil when none is usable).
    static func predicate(_ plan: ScanPlan, _ args: [SQLiteScalar], schema: Schema) -> [(field: Field, pred: ParquetPredicate)] {
        var out: [(Field, ParquetPredicate)] = []
        for (k, c) in plan.constraints.enumerated() where c.column >= 0 && c.column < schema.fields.count {
            let f = schema.fields[c.column]
            let arg = k < args.count ? args[k] : .null
            let temporal: Bool
            switch f.type {
            case .date, .timestamp: temporal = true
            default: temporal = false
            }
            switch c.op {
            case Int32(SQLITE_INDEX_CONSTRAINT_ISNULL): out.append((f, .isNull(f.name)))
            case Int32(SQLITE_INDEX_CONSTRAINT_ISNOTNULL): out.append((f, .isNotNull(f.name)))
            default:
                guard let v = value(arg, for: f.type) else { continue }
                switch c.op {
                case Int32(SQLITE_INDEX_CONSTRAINT_EQ): out.append((f, .equal(f.name, v)))
                // Text-ordered temporal values: relax strict bounds (a superset is always safe).
                case Int32(SQLITE_INDEX_CONSTRAINT_LT): out.append((f, temporal ? .lessOrEqual(f.name, v) : .less(f.name, v)))
                case Int32(SQLITE_INDEX_CONSTRAINT_LE): out.append((f, .lessOrEqual(f.name, v)))
                case Int32(SQLITE_INDEX_CONSTRAINT_GT): out.append((f, temporal ? .greaterOrEqual(f.name, v) : .greater(f.name, v)))
                case Int32(SQLITE_INDEX_CONSTRAINT_GE): out.append((f, .greaterOrEqual(f.name, v)))
                default: continue
                }
            }
        }
        return out
    }

    /// Evaluates the predicates of partition columns against a file's partition values.
    static func partitionMatches(_ preds: [(field: Field, pred: ParquetPredicate)], _ values: [String: String?]) -> Bool {
        for (f, p) in preds {
            guard let raw = values[f.name] else { continue }
            let parsed: Value?
            do { parsed = try PartitionValues.value(raw, f.type) } catch { continue }
            switch p {
            case .isNull: if parsed != nil { return false }
            case .isNotNull: if parsed == nil { return false }
            case .equal(_, let v), .less(_, let v), .lessOrEqual(_, let v), .greater(_, let v), .greaterOrEqual(_, let v):
                guard let x = parsed else { return false }
                guard let k = compareValues(x, v) else { continue }
                switch p {
                case .equal: if k != 0 { return false }
                case .less: if k >= 0 { return false }
                case .lessOrEqual: if k > 0 { return false }
                case .greater: if k <= 0 { return false }
                case .greaterOrEqual: if k < 0 { return false }
                default: break
                }
            default: continue
            }
        }
        return true
    }
}

// MARK: - Scanning

enum LakeScan {
    /// Streams the batches of a bound table: projection `columns`, files pruned by partition values,
    /// row groups pruned by statistics (when no deletion vectors are involved; otherwise plain
    /// `LakeTable.read`, which owns those semantics).
    static func run(_ bound: BoundTable, columns: [String], predicates: [(field: Field, pred: ParquetPredicate)],
                    deliver: @Sendable (RecordBatch) async throws -> Void) async throws {
        let partPreds = predicates.filter { bound.partitionColumns.contains($0.field.name) }
        let rgPreds = predicates.filter { !bound.partitionColumns.contains($0.field.name) }.map(\.pred)
        let partFilter: (([String: String?]) -> Bool)? = partPreds.isEmpty ? nil : { ScanPruning.partitionMatches(partPreds, $0) }
        if rgPreds.isEmpty || bound.hasDeletionVectors {
            try await bound.table.read(bound.version, columns: columns, partitions: partFilter) { try await deliver($0) }
            return
        }
        // Mirrors LakeTable.read, adding row-group pruning by Parquet statistics.
        let snap = try await bound.table.snapshot(bound.version)
        let schema = try snap.schema
        let wanted = try columns.map { c in
            guard let f = schema.fields.first(where: { $0.name == c }) else { throw TableError.invalidArgument("no column \(c)") }
            return f
        }
        let outSchema = Schema(wanted)
        let partitionSet = Set(snap.metadata.partitionColumns)
        for add in snap.files {
            if let partFilter, !partFilter(add.partitionValues) { continue }
            let reader = try await ParquetReader.open(try await ObjectSource(store: bound.table.store, key: bound.table.fileKey(add)))
            let inFile = Set(reader.schema.fields.map(\.name))
            let fromFile = wanted.filter { inFile.contains($0.name) && !partitionSet.contains($0.name) }.map(\.name)
            let filePreds = rgPreds.filter { p in
                switch p {
                case .isNull(let c), .isNotNull(let c), .equal(let c, _), .less(let c, _), .lessOrEqual(let c, _),
                     .greater(let c, _), .greaterOrEqual(let c, _): return inFile.contains(c)
                default: return false
                }
            }
            let pred: ParquetPredicate? = filePreds.isEmpty ? nil : .and(filePreds)
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
                try await deliver(try RecordBatch(schema: outSchema, columns: cols))
            }
            let groups = reader.rowGroups(matching: pred)
            for g in groups {
                if fromFile.isEmpty {
                    try await emit(nil, rows: Int(reader.rowCount(ofRowGroup: g)))
                } else {
                    let b = try await reader.readRowGroup(g, columns: fromFile)
                    try await emit(b, rows: b.numRows)
                }
            }
        }
    }
}

/// The scan state behind one SQLite cursor.
final class ScanCursor {
    let bound: BoundTable
    let registry: VTabRegistry
    var feed: BatchFeed?
    var batch: RecordBatch?
    /// vtab column → index in `batch` (-1 when not projected).
    var columnMap: [Int] = []
    var row = 0
    var rowid: Int64 = 0
    var eof = true

    init(bound: BoundTable, registry: VTabRegistry) {
        self.bound = bound
        self.registry = registry
    }

    func start(plan: ScanPlan, args: [SQLiteScalar]) throws {
        feed?.stop()
        feed = nil
        batch = nil
        row = 0
        rowid = 0
        eof = false
        registry.countScan()
        let fields = bound.schema.fields
        if let m = self.bound.memory {
            columnMap = Array(fields.indices)
            batch = m
            eof = m.numRows == 0
            return
        }
        var wanted: [Int] = []
        for i in fields.indices {
            let bit: UInt64 = i < 63 ? (1 << UInt64(i)) : (1 << 63)
            if plan.colUsed & bit != 0 { wanted.append(i) }
        }
        if wanted.isEmpty {
            // Row counts only: one column is still needed; a partition column costs nothing.
            let parts = self.bound.partitionColumns
            wanted = [fields.firstIndex { parts.contains($0.name) } ?? 0]
        }
        columnMap = Array(repeating: -1, count: fields.count)
        for (k, i) in wanted.enumerated() { columnMap[i] = k }
        let columns = wanted.map { fields[$0].name }
        let preds = ScanPruning.predicate(plan, args, schema: self.bound.schema)
        let bound = self.bound
        let registry = self.registry
        feed = BatchFeed(isCancelled: { registry.cancelled }) { deliver in
            try await LakeScan.run(bound, columns: columns, predicates: preds) { b in
                registry.count(batch: b.numRows)
                try await deliver(b)
            }
        }
        try advanceBatch()
    }

    private func advanceBatch() throws {
        guard let feed else { eof = true; return }
        while true {
            guard let b = try feed.next() else {
                batch = nil
                eof = true
                return
            }
            if b.numRows > 0 {
                batch = b
                row = 0
                return
            }
        }
    }

    func next() throws {
        row += 1
        rowid += 1
        if let b = batch, row < b.numRows { return }
        try advanceBatch()
    }

    func close() {
        feed?.stop()
        feed = nil
        batch = nil
    }

    func result(_ ctx: OpaquePointer?, column i: Int) {
        guard let b = batch, i >= 0, i < columnMap.count, columnMap[i] >= 0 else {
            sqlite3_result_null(ctx)
            return
        }
        LakeSQLiteValues.setResult(ctx, b.columns[columnMap[i]], row)
    }
}

/// Lake column values → SQLite results (see ``SQLTypes`` for the representation).
enum LakeSQLiteValues {
    static func setResult(_ ctx: OpaquePointer?, _ c: Column, _ r: Int) {
        if c.isNull(r) {
            sqlite3_result_null(ctx)
            return
        }
        switch c.values {
        case .bool(let v): sqlite3_result_int64(ctx, v[r] ? 1 : 0)
        case .int32(let v):
            if c.type == .date { IngotLake.setResult(ctx, text: SQLTypes.dateText(Int64(v[r]))) } else { sqlite3_result_int64(ctx, Int64(v[r])) }
        case .int64(let v):
            if case .timestamp = c.type { IngotLake.setResult(ctx, text: SQLTypes.timestampText(v[r])) } else { sqlite3_result_int64(ctx, v[r]) }
        case .float32(let v): sqlite3_result_double(ctx, Double(v[r]))
        case .float64(let v): sqlite3_result_double(ctx, v[r])
        case .bytes(let v):
            let range = v.range(r)
            v.data.withUnsafeBufferPointer { p in
                let base = p.baseAddress.map { UnsafeRawPointer($0 + range.lowerBound) }
                if c.type == .string {
                    if let base {
                        sqlite3_result_text(ctx, base.assumingMemoryBound(to: CChar.self), Int32(range.count), sqliteTransient)
                    } else {
                        sqlite3_result_text(ctx, "", 0, sqliteTransient)
                    }
                } else if let base {
                    sqlite3_result_blob(ctx, base, Int32(range.count), sqliteTransient)
                } else {
                    sqlite3_result_zeroblob(ctx, 0)
                }
            }
        case .decimal(let v):
            if case .decimal(_, let s) = c.type {
                sqlite3_result_double(ctx, Double(ValueFormatting.decimal(v[r], scale: s)) ?? .nan)
            } else {
                sqlite3_result_null(ctx)
            }
        default:
            var s = ""
            ValueFormatting.appendJSON(c, r, to: &s)
            IngotLake.setResult(ctx, text: s)
        }
    }
}

// MARK: - The SQLite module

/// The `sqlite3_vtab` subclass: SQLite's base struct first, then our table.
struct LakeVTab {
    var base: sqlite3_vtab
    var bound: Unmanaged<BoundTable>
    var registry: Unmanaged<VTabRegistry>
}

/// The `sqlite3_vtab_cursor` subclass.
struct LakeVCursor {
    var base: sqlite3_vtab_cursor
    var cursor: Unmanaged<ScanCursor>
}

enum LakeVTabModule {
    static let name = "ingot_lake"

    /// Copies a message into memory SQLite frees.
    static func sqliteString(_ s: String) -> UnsafeMutablePointer<CChar>? {
        let bytes = Array(s.utf8) + [0]
        guard let p = sqlite3_malloc64(UInt64(bytes.count)) else { return nil }
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return p.assumingMemoryBound(to: CChar.self)
    }

    static func setError(_ vtab: UnsafeMutablePointer<sqlite3_vtab>?, _ error: Error) {
        guard let vtab else { return }
        if let old = vtab.pointee.zErrMsg { sqlite3_free(old) }
        let msg: String
        if let e = error as? SQLError { msg = e.description } else if let e = error as? LocalizedError, let d = e.errorDescription { msg = d } else {
            msg = String(describing: error)
        }
        vtab.pointee.zErrMsg = sqliteString(msg)
    }

    static func vtab(_ p: UnsafeMutablePointer<sqlite3_vtab>?) -> UnsafeMutablePointer<LakeVTab> {
        UnsafeMutableRawPointer(p!).assumingMemoryBound(to: LakeVTab.self)
    }

    static func cursor(_ p: UnsafeMutablePointer<sqlite3_vtab_cursor>?) -> ScanCursor {
        UnsafeMutableRawPointer(p!).assumingMemoryBound(to: LakeVCursor.self).pointee.cursor.takeUnretainedValue()
    }

    /// The module definition SQLite keeps a pointer to for the connection's lifetime.
    nonisolated(unsafe) static let modulePointer: UnsafeMutablePointer<sqlite3_module> = {
        let p = UnsafeMutablePointer<sqlite3_module>.allocate(capacity: 1)
        p.initialize(to: module)
        return p
    }()

    static let module: sqlite3_module = {
        var m = sqlite3_module()
        m.iVersion = 1
        let connect: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32, UnsafePointer<UnsafePointer<CChar>?>?,
                                     UnsafeMutablePointer<UnsafeMutablePointer<sqlite3_vtab>?>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 = {
            db, aux, argc, argv, ppVTab, pzErr in
            guard let aux, argc >= 3, let argv, let namePtr = argv[2] else { return SQLITE_ERROR }
            let registry = Unmanaged<VTabRegistry>.fromOpaque(aux).takeUnretainedValue()
            let name = String(cString: namePtr)
            guard let bound = registry.table(name) else {
                pzErr?.pointee = LakeVTabModule.sqliteString("no lake table is bound as \(name)")
                return SQLITE_ERROR
            }
            let rc = sqlite3_declare_vtab(db, bound.createSQL)
            guard rc == SQLITE_OK else {
                pzErr?.pointee = LakeVTabModule.sqliteString("cannot declare \(name): \(String(cString: sqlite3_errmsg(db)))")
                return rc
            }
            let p = UnsafeMutablePointer<LakeVTab>.allocate(capacity: 1)
            p.initialize(to: LakeVTab(base: sqlite3_vtab(), bound: Unmanaged.passRetained(bound), registry: Unmanaged.passRetained(registry)))
            ppVTab?.pointee = UnsafeMutableRawPointer(p).assumingMemoryBound(to: sqlite3_vtab.self)
            return SQLITE_OK
        }
        m.xCreate = connect
        m.xConnect = connect
        let disconnect: @convention(c) (UnsafeMutablePointer<sqlite3_vtab>?) -> Int32 = { p in
            let v = LakeVTabModule.vtab(p)
            v.pointee.bound.release()
            v.pointee.registry.release()
            if let e = v.pointee.base.zErrMsg { sqlite3_free(e) }
            v.deinitialize(count: 1)
            v.deallocate()
            return SQLITE_OK
        }
        m.xDisconnect = disconnect
        m.xDestroy = disconnect
        m.xBestIndex = { p, info in
            guard let info else { return SQLITE_ERROR }
            let bound = LakeVTabModule.vtab(p).pointee.bound.takeUnretainedValue()
            var cons: [PushedConstraint] = []
            var argv: Int32 = 0
            var eqs = 0, ranges = 0
            let n = Int(info.pointee.nConstraint)
            for i in 0..<n {
                let c = info.pointee.aConstraint[i]
                guard c.usable != 0, c.iColumn >= 0, Int(c.iColumn) < bound.schema.fields.count else { continue }
                let op = Int32(c.op)
                let supported = [SQLITE_INDEX_CONSTRAINT_EQ, SQLITE_INDEX_CONSTRAINT_LT, SQLITE_INDEX_CONSTRAINT_LE, SQLITE_INDEX_CONSTRAINT_GT,
                                 SQLITE_INDEX_CONSTRAINT_GE, SQLITE_INDEX_CONSTRAINT_ISNULL, SQLITE_INDEX_CONSTRAINT_ISNOTNULL].map { Int32($0) }
                guard supported.contains(op) else { continue }
                // `x IN (...)` would run one scan per value: leave IN to SQLite.
                if op == Int32(SQLITE_INDEX_CONSTRAINT_EQ), sqlite3_vtab_in(info, Int32(i), -1) != 0 { continue }
                argv += 1
                info.pointee.aConstraintUsage[i].argvIndex = argv
                info.pointee.aConstraintUsage[i].omit = 0  // SQLite re-checks: pruning is only coarse
                cons.append(PushedConstraint(column: Int(c.iColumn), op: op))
                if op == Int32(SQLITE_INDEX_CONSTRAINT_EQ) { eqs += 1 } else { ranges += 1 }
            }
            let plan = ScanPlan(colUsed: info.pointee.colUsed, constraints: cons)
            LakeVTabModule.vtab(p).pointee.registry.takeUnretainedValue().noteColumns(bound.vtabName, info.pointee.colUsed)
            info.pointee.idxStr = LakeVTabModule.sqliteString(plan.encoded)
            info.pointee.needToFreeIdxStr = 1
            var cost = 1_000_000.0
            for _ in 0..<eqs { cost /= 10 }
            for _ in 0..<ranges { cost /= 2 }
            info.pointee.estimatedCost = cost
            info.pointee.estimatedRows = Int64(max(1, cost))
            return SQLITE_OK
        }
        m.xOpen = { p, ppCursor in
            let v = LakeVTabModule.vtab(p).pointee
            let sc = ScanCursor(bound: v.bound.takeUnretainedValue(), registry: v.registry.takeUnretainedValue())
            let c = UnsafeMutablePointer<LakeVCursor>.allocate(capacity: 1)
            c.initialize(to: LakeVCursor(base: sqlite3_vtab_cursor(), cursor: Unmanaged.passRetained(sc)))
            ppCursor?.pointee = UnsafeMutableRawPointer(c).assumingMemoryBound(to: sqlite3_vtab_cursor.self)
            return SQLITE_OK
        }
        m.xClose = { p in
            let c = UnsafeMutableRawPointer(p!).assumingMemoryBound(to: LakeVCursor.self)
            c.pointee.cursor.takeUnretainedValue().close()
            c.pointee.cursor.release()
            c.deinitialize(count: 1)
            c.deallocate()
            return SQLITE_OK
        }
        m.xFilter = { p, _, idxStr, argc, argv in
            let sc = LakeVTabModule.cursor(p)
            let plan = idxStr.flatMap { ScanPlan(encoded: String(cString: $0)) } ?? ScanPlan(colUsed: ~0, constraints: [])
            var args: [SQLiteScalar] = []
            for i in 0..<Int(argc) { args.append(SQLiteScalar(argv?[i])) }
            do {
                try sc.start(plan: plan, args: args)
                return SQLITE_OK
            } catch {
                LakeVTabModule.setError(p?.pointee.pVtab, error)
                return SQLITE_ERROR
            }
        }
        m.xNext = { p in
            do {
                try LakeVTabModule.cursor(p).next()
                return SQLITE_OK
            } catch {
                LakeVTabModule.setError(p?.pointee.pVtab, error)
                return SQLITE_ERROR
            }
        }
        m.xEof = { p in LakeVTabModule.cursor(p).eof ? 1 : 0 }
        m.xColumn = { p, ctx, i in
            LakeVTabModule.cursor(p).result(ctx, column: Int(i))
            return SQLITE_OK
        }
        m.xRowid = { p, out in
            out?.pointee = LakeVTabModule.cursor(p).rowid
            return SQLITE_OK
        }
        return m
    }()
}
