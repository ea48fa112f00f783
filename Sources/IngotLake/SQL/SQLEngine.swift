import Foundation
import GRDBSQLite

/// What kind of statement ran.
public enum SQLStatementKind: String, Sendable {
    /// SELECT / WITH / VALUES / SHOW / DESCRIBE / EXPLAIN: rows are the answer.
    case query
    /// CREATE TABLE (AS SELECT).
    case ddl
    /// INSERT INTO / INSERT OVERWRITE (and later DELETE/UPDATE/MERGE).
    case dml
    /// USE and other session commands.
    case command
}

/// The summary of one executed statement.
public struct SQLExecution: Sendable {
    public var kind: SQLStatementKind
    /// The result columns with Spark-like lake types (empty for commands without rows).
    public var schema: Schema
    /// Rows streamed to the caller.
    public var rowCount: Int
    /// Rows written by INSERT / CTAS.
    public var affectedRows: Int64?
    /// The table version a write committed.
    public var tableVersion: Int64?
    /// What the lake scans read.
    public var scanStats: SQLScanStats
    /// A human-readable note (commands).
    public var message: String?
}

/// A collected result (``SQLEngineProtocol/query(_:maxRows:)``).
public struct SQLResult: Sendable {
    public var execution: SQLExecution
    public var batches: [RecordBatch]
    /// True when more rows existed than `maxRows`.
    public var truncated: Bool

    public var schema: Schema { execution.schema }
    public var rowCount: Int { batches.reduce(0) { $0 + $1.numRows } }

    /// The rows as generic values (dates: days, timestamps: µs, decimals: unscaled, as in ``Value``).
    public var rows: [[Value?]] {
        var out: [[Value?]] = []
        for b in batches {
            for r in 0..<b.numRows { out.append(b.columns.map { $0.value(at: r) }) }
        }
        return out
    }

    /// The rows rendered as text (ValueFormatting), for tests and previews.
    public var textRows: [[String]] {
        var out: [[String]] = []
        for b in batches {
            for r in 0..<b.numRows { out.append(b.columns.map { $0.isNull(r) ? "NULL" : ValueFormatting.text($0, r) }) }
        }
        return out
    }
}

/// Session settings.
public struct SQLEngineOptions: Sendable {
    /// The catalog and schema one- and two-part names are resolved against (`USE` changes them).
    public var catalog = "main"
    public var schema = "default"
    /// Rows per result batch.
    public var batchSize = 4096
    /// SQLite page-cache budget in KiB (sorts and join materializations spill to temp files beyond it).
    public var cacheKiB = 65_536

    public init(catalog: String = "main", schema: String = "default") {
        self.catalog = catalog
        self.schema = schema
    }
}

/// A SQL engine over lake tables. Implemented by ``SQLEngine`` (embedded SQLite); another engine
/// (Spark Connect, …) can be plugged in behind the same protocol.
public protocol SQLEngineProtocol: AnyObject, Sendable {
    var currentCatalog: String { get }
    var currentSchema: String { get }
    /// Runs one statement, streaming result batches to `body` (one batch at a time: the engine waits
    /// while `body` runs). Returns the summary, including the schema (also for empty results).
    func execute(_ sql: String, _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution
    /// Runs one statement and collects at most `maxRows` rows (nil: all).
    func query(_ sql: String, maxRows: Int?) async throws -> SQLResult
    /// Interrupts the running statement (`sqlite3_interrupt`); it fails with ``SQLError/cancelled``.
    func cancel()
}

extension SQLEngineProtocol {
    public func query(_ sql: String) async throws -> SQLResult { try await query(sql, maxRows: nil) }
}

/// The embedded engine: Spark-dialect SQL executed by SQLite over lake tables exposed as virtual
/// tables. One engine is one session (its own in-memory SQLite connection); statements run one at a
/// time. See docs/sql.md for the supported subset.
public final class SQLEngine: SQLEngineProtocol, @unchecked Sendable {
    public let resolver: any TableResolver
    public let options: SQLEngineOptions
    let queue = DispatchQueue(label: "ingot.sql.engine")
    let conn: SQLiteConnection
    let registry = VTabRegistry()
    private let clock = SparkFunctions.Clock()
    private let lock = NSLock()
    private var catalog: String
    private var schema: String
    private var busy = false
    private var counter = 0

    public init(resolver: any TableResolver, options: SQLEngineOptions = SQLEngineOptions()) throws {
        self.resolver = resolver
        self.options = options
        catalog = options.catalog
        schema = options.schema
        conn = try SQLiteConnection()
        let aux = Unmanaged.passRetained(registry).toOpaque()
        let rc = sqlite3_create_module_v2(conn.db, LakeVTabModule.name, LakeVTabModule.modulePointer, aux) { p in
            if let p { Unmanaged<VTabRegistry>.fromOpaque(p).release() }
        }
        guard rc == SQLITE_OK else { throw SQLError.execution("cannot register the lake module (code \(rc))") }
        try SparkFunctions.register(conn.db, clock: clock)
        // Spark's LIKE is case-sensitive; big sorts and materializations spill to temporary files.
        try conn.exec("PRAGMA case_sensitive_like = ON; PRAGMA temp_store = FILE; PRAGMA cache_size = -\(max(1024, options.cacheKiB));")
        // User SQL must not reach files or settings: no ATTACH/DETACH, PRAGMA or extensions.
        sqlite3_set_authorizer(conn.db, { _, action, _, _, _, _ in
            switch action {
            case SQLITE_ATTACH, SQLITE_DETACH, SQLITE_PRAGMA: return SQLITE_DENY
            default: return SQLITE_OK
            }
        }, nil)
    }

    /// Spark SQL's name of a lake type (result metadata).
    public static func sparkTypeName(_ t: LakeType) -> String { SQLTypes.sparkName(t) }

    /// The lake type of a Spark type name (`bigint`, `long`, `decimal(10,2)`, `timestamp_ntz`), or nil.
    public static func sparkType(named name: String) -> LakeType? { SQLTypes.parseSparkType(name) }

    public var currentCatalog: String { lock.withLock { catalog } }
    public var currentSchema: String { lock.withLock { schema } }

    /// What the scans of the last statement read.
    public var lastScanStats: SQLScanStats { registry.stats }

    public func cancel() {
        registry.cancelled = true
        sqlite3_interrupt(conn.db)
    }

    public func query(_ sql: String, maxRows: Int?) async throws -> SQLResult {
        let collector = Collector(limit: maxRows)
        var exec = try await execute(sql) { b in try collector.add(b) }
        if exec.schema.fields.isEmpty, let b = collector.batches.first { exec.schema = b.schema }
        if collector.truncated { exec.rowCount = collector.rows }
        return SQLResult(execution: exec, batches: collector.batches, truncated: collector.truncated)
    }

    /// Collects batches up to a row limit (then stops the statement).
    final class Collector: @unchecked Sendable {
        let limit: Int?
        var batches: [RecordBatch] = []
        var rows = 0
        var truncated = false
        init(limit: Int?) { self.limit = limit }
        struct Enough: Error {}
        func add(_ b: RecordBatch) throws {
            if let limit, rows + b.numRows > limit {
                let keep = limit - rows
                if keep > 0 { batches.append(b.slice(0..<keep)) }
                rows = limit
                truncated = true
                throw Enough()
            }
            batches.append(b)
            rows += b.numRows
        }
    }

    public func execute(_ sql: String, _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        let statements = SQLTokenizer.statements(try SQLTokenizer.tokenize(sql))
        guard statements.count == 1 else {
            throw SQLError.invalid(statements.isEmpty ? "empty statement" : "run one statement at a time (found \(statements.count))")
        }
        try lock.withLock {
            if busy { throw SQLError.invalid("this session is already running a statement") }
            busy = true
        }
        defer { lock.withLock { busy = false } }
        registry.cancelled = false
        registry.resetStats()
        clock.freeze()
        do {
            var exec = try await run(statements[0], body)
            exec.scanStats = registry.stats
            return exec
        } catch is Collector.Enough {
            return SQLExecution(kind: .query, schema: Schema([]), rowCount: 0, affectedRows: nil, tableVersion: nil, scanStats: registry.stats)
        } catch {
            if registry.cancelled { throw SQLError.cancelled }
            throw error
        }
    }

    // MARK: - Dispatch

    private func run(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        let first = t[0]
        func word(_ k: Int) -> String { k < t.count && t[k].kind == .word ? t[k].upper : "" }
        switch first.kind == .word ? first.upper : first.text {
        case "SELECT", "WITH", "VALUES", "(", "FROM":
            var q = t
            if first.isWord("FROM") {
                // Spark's `FROM t SELECT …` form.
                guard let sel = t.firstIndex(where: { $0.isWord("SELECT") }) else { throw SQLError.invalid("FROM without SELECT") }
                q = Array(t[sel...]) + Array(t[0..<sel])
            }
            return try await runQuery(q, body)
        case "SHOW":
            return try await show(t, body)
        case "DESCRIBE", "DESC":
            return try await describe(t, body)
        case "USE":
            return try use(t)
        case "EXPLAIN":
            return try await explain(Array(t.dropFirst()), body)
        case "CREATE":
            if SQLEngine.isCreateView(t) { return try await createView(t) }
            return try await createTable(t, body)
        case "DROP":
            return try await dropView(t)
        case "INSERT":
            return try await insert(t)
        case "DELETE", "UPDATE", "MERGE", "OPTIMIZE", "VACUUM":
            return try await dml(t, body)
        case "COMMENT":
            return try await commentOn(t)
        case "ALTER":
            return try await alter(t)
        default:
            throw SQLError.unsupported("statement \(first.text)")
        }
    }

    // MARK: - Names and binding

    func qualify(_ parts: [String], scope: (catalog: String, schema: String)? = nil) throws -> SQLTableName {
        let (c, s) = scope ?? lock.withLock { (catalog, schema) }
        switch parts.count {
        case 1: return SQLTableName(catalog: c, schema: s, table: parts[0])
        case 2: return SQLTableName(catalog: c, schema: parts[0], table: parts[1])
        case 3: return SQLTableName(catalog: parts[0], schema: parts[1], table: parts[2])
        default: throw SQLError.invalid("bad table name \(parts.joined(separator: "."))")
        }
    }

    /// Parses a table name at `i` (1–3 dotted parts); returns the parts and the index after.
    func parseName(_ t: [SQLToken], _ i: Int) throws -> ([String], Int) {
        guard i < t.count, t[i].isName else { throw SQLError.invalid("expected a table name") }
        var parts = [t[i].text]
        var j = i + 1
        while j + 1 < t.count, t[j].isSymbol("."), t[j + 1].isName {
            parts.append(t[j + 1].text)
            j += 2
        }
        guard parts.count <= 3 else { throw SQLError.invalid("table name \(parts.joined(separator: ".")) has too many parts") }
        return (parts, j)
    }

    func existingTable(_ name: SQLTableName, _ access: SQLTableAccess = .read, resolver: (any TableResolver)? = nil) async throws -> LakeTable {
        let resolver = resolver ?? self.resolver
        if access == .write, try await resolver.view(name) != nil {
            throw SQLError.invalid("\(name) is a view: views cannot be written (INSERT, UPDATE, DELETE, MERGE, OPTIMIZE, VACUUM)")
        }
        try await resolver.authorize(name, access)
        let table = try await resolver.table(name)
        guard try await table.exists() else { throw SQLError.notFound("table or view not found: \(name)") }
        return table
    }

    func nextVTabName() -> String {
        lock.withLock {
            counter += 1
            return "__lake_\(counter)"
        }
    }

    func bind(_ ref: SQLTableReference, _ name: SQLTableName, resolver: any TableResolver) async throws -> BoundTable {
        let table = try await existingTable(name, resolver: resolver)
        let version: TableVersion
        switch ref.version {
        case nil: version = .latest
        case .version(let v)?: version = .version(v)
        case .timestamp(let s)?:
            guard let us = SQLTypes.parseTimestamp(s) else { throw SQLError.invalid("TIMESTAMP AS OF '\(s)' is not a timestamp") }
            version = .timestamp(SparkFunctions.floorDiv(us, 1000))
        }
        let snap: DeltaSnapshot
        do {
            snap = try await table.snapshot(version)
        } catch {
            throw SQLError.invalid("cannot read \(name) at \(ref.version.map { "\($0)" } ?? "the latest version"): \(Self.message(error))")
        }
        return try BoundTable(vtabName: nextVTabName(), displayName: name.description, table: table, snapshot: snap)
    }

    static func message(_ e: Error) -> String {
        if let s = e as? SQLError { return s.description }
        if let l = e as? LocalizedError, let d = l.errorDescription { return d }
        if let t = e as? TableError { return t.message }
        if let t = e as? LakeError { return t.message }
        return String(describing: e)
    }

    // MARK: - Queries

    /// A running query whose batches are pulled one at a time.
    final class Cursor: @unchecked Sendable {
        let channel: PullChannel
        private(set) var rows = 0
        private(set) var lastSchema: Schema?
        init(_ channel: PullChannel) { self.channel = channel }
        func next() async throws -> RecordBatch? {
            let b = try await channel.next()
            if let b {
                rows += b.numRows
                lastSchema = b.schema
            }
            return b
        }
        var schema: Schema? { lastSchema ?? channel.schema }
        func close() { channel.close() }
    }

    /// Binds the tables of a query, rewrites it, and starts it on the SQLite queue.
    /// - Parameter target: convert the columns to these fields (INSERT), positionally.
    /// - Parameter scope: the catalog and schema one- and two-part names resolve against (default: the session's).
    /// - Parameter views: views that must not be referenced (the view a CREATE OR REPLACE VIEW defines).
    func openQuery(_ tokens: [SQLToken], target: [Field]? = nil, scope: (catalog: String, schema: String)? = nil,
                   views: [SQLTableName] = []) async throws -> Cursor {
        let cteDefs = SQLRewriter.cteDefinitions(tokens)
        let allRefs = try SQLRewriter.tableReferences(tokens, ctes: Set(cteDefs.map(\.name)))
        let expanded = try await bindReferences(tokens, resolver: resolver, scope: scope, views: views)
        var t = expanded.tokens
        let bound = expanded.bound
        let aliases = expanded.aliases
        t = SQLRewriter.normalizeTemporalLiterals(t) { alias, column in
            let c = column.lowercased()
            func find(_ b: BoundTable) -> LakeType? { b.schema.fields.first { $0.name.lowercased() == c }?.type }
            if let alias { return aliases[alias.lowercased()].flatMap(find) }
            let found = bound.compactMap(find)
            return found.count == 1 ? found[0] : nil
        }
        t = try SQLRewriter.rewriteExpressions(t)
        // Column types of lake tables and (computed from their select lists) of CTEs, by alias.
        var cteAliases: [String: String] = [:]
        for r in allRefs where r.isCTE { cteAliases[(r.alias ?? r.parts[0]).lowercased()] = r.parts[0].lowercased() }
        var cteTypes: [String: [String: LakeType]] = [:]
        func lookup(_ alias: String?, _ column: String) -> LakeType? {
            let c = column.lowercased()
            func find(_ b: BoundTable) -> LakeType? { b.schema.fields.first { $0.name.lowercased() == c }?.type }
            if let alias {
                let a = alias.lowercased()
                if let b = aliases[a] { return find(b) }
                return cteTypes[cteAliases[a] ?? a]?[c]
            }
            let found = bound.compactMap(find) + cteTypes.values.compactMap { $0[c] }
            return found.count >= 1 && found.allSatisfy({ $0 == found[0] }) ? found[0] : nil
        }
        for def in cteDefs {
            guard let body = try? SQLRewriter.rewriteExpressions(def.body),
                  let names = SQLRewriter.resultNames(body), let types = SQLRewriter.resultTypeHints(body, columnType: lookup) else { continue }
            var m: [String: LakeType] = [:]
            for (n, ty) in zip(names, types) { if let n, let ty { m[n] = ty } }
            cteTypes[def.name] = m
        }
        let hints = SQLRewriter.resultTypeHints(t, columnType: lookup) ?? []
        let display = SQLRewriter.displayNames(tokens) ?? []
        let channel = PullChannel()
        let batchSize = max(1, options.batchSize)
        let rewritten = t, tables = bound
        queue.async { [self] in
            self.runOnQueue(rewritten, bound: tables, hints: hints, display: display, target: target, batchSize: batchSize, channel: channel)
        }
        return Cursor(channel)
    }

    private func runOnQueue(_ tokens: [SQLToken], bound: [BoundTable], hints: [LakeType?], display: [String?], target: [Field]?, batchSize: Int,
                            channel: PullChannel) {
        var created: [String] = []
        defer {
            for n in created {
                try? conn.exec("DROP TABLE temp.\(n.sqliteQuoted)")
                registry.unbind(n)
            }
        }
        do {
            for b in bound {
                registry.bind(b)
                try conn.exec("CREATE VIRTUAL TABLE temp.\(b.vtabName.sqliteQuoted) USING \(LakeVTabModule.name)")
                created.append(b.vtabName)
            }
            let sql = bound.count >= 2 ? try materialized(tokens, bound) : SQLTokenizer.render(tokens)
            let stmt = try conn.prepare(sql)
            defer { sqlite3_finalize(stmt) }
            let n = Int(sqlite3_column_count(stmt))
            if let target, target.count != n {
                throw SQLError.invalid("the query produces \(n) columns but \(target.count) are being written")
            }
            var names: [String] = []
            var declared: [LakeType?] = []
            for i in 0..<n {
                let own = sqlite3_column_name(stmt, Int32(i)).map { String(cString: $0) } ?? "col\(i + 1)"
                names.append(display.count == n ? display[i] ?? own : own)
                declared.append(sqlite3_column_decltype(stmt, Int32(i)).flatMap { SQLTypes.lakeType(decl: String(cString: $0)) })
            }
            let builder = ResultBuilder(names: names, declared: declared, hints: hints, target: target)
            var open = true
            while open {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_ROW {
                    builder.add(stmt)
                    if builder.pending >= batchSize { open = channel.send(try builder.flush()) }
                } else if rc == SQLITE_DONE {
                    break
                } else {
                    if registry.cancelled || rc & 0xff == SQLITE_INTERRUPT { throw SQLError.cancelled }
                    throw SQLError.execution(conn.lastError)
                }
            }
            if open, builder.pending > 0 { _ = channel.send(try builder.flush()) }
            channel.finish(schema: builder.schema, error: nil)
        } catch {
            channel.finish(schema: nil, error: registry.cancelled ? SQLError.cancelled : error)
        }
    }

    /// With several table references, each is read once into a MATERIALIZED CTE (only the columns
    /// the statement uses), so joins and correlated subqueries never rescan lake tables per row.
    private func materialized(_ tokens: [SQLToken], _ bound: [BoundTable]) throws -> String {
        registry.clearUsedColumns()
        let probe = try conn.prepare(SQLTokenizer.render(tokens))
        sqlite3_finalize(probe)
        let names = Set(bound.map(\.vtabName))
        var t = tokens.map { tok -> SQLToken in
            if tok.kind == .quoted, names.contains(tok.text) { return .quoted("__m" + tok.text) }
            return tok
        }
        var defs: [SQLToken] = []
        for b in bound {
            let mask = registry.usedColumns(b.vtabName)
            var cols: [String] = []
            for (i, f) in b.schema.fields.enumerated() {
                let bit: UInt64 = i < 63 ? (1 << UInt64(i)) : (1 << 63)
                if mask & bit != 0 { cols.append(f.name) }
            }
            if cols.isEmpty { cols = [b.schema.fields[0].name] }
            if !defs.isEmpty { defs.append(.symbol(",")) }
            defs += [.quoted("__m" + b.vtabName), .word("AS"), .word("MATERIALIZED"), .symbol("("), .word("SELECT")]
            for (k, c) in cols.enumerated() {
                if k > 0 { defs.append(.symbol(",")) }
                defs.append(.quoted(c))
            }
            defs += [.word("FROM"), .quoted(b.vtabName), .symbol(")")]
        }
        if t.first?.isWord("WITH") == true {
            let at = t.count > 1 && t[1].isWord("RECURSIVE") ? 2 : 1
            t.insert(contentsOf: defs + [.symbol(",")], at: at)
        } else {
            t.insert(contentsOf: [.word("WITH")] + defs, at: 0)
        }
        return SQLTokenizer.render(t)
    }

    private func runQuery(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        let cursor = try await openQuery(t)
        do {
            while let b = try await cursor.next() { try await body(b) }
        } catch is Collector.Enough {
            cursor.close()
        } catch {
            cursor.close()
            throw error
        }
        return SQLExecution(kind: .query, schema: cursor.schema ?? Schema([]), rowCount: cursor.rows, affectedRows: nil, tableVersion: nil,
                            scanStats: SQLScanStats())
    }

    // MARK: - Small results

    func emit(_ schema: Schema, _ rows: [[Value?]], kind: SQLStatementKind = .query, _ body: @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        var builders = schema.fields.map { ColumnBuilder(type: $0.type) }
        for r in rows {
            for i in builders.indices { builders[i].append(i < r.count ? r[i] : nil) }
        }
        let batch = try RecordBatch(schema: schema, columns: builders.map { $0.finish() })
        if batch.numRows > 0 { try await body(batch) }
        return SQLExecution(kind: kind, schema: schema, rowCount: batch.numRows, affectedRows: nil, tableVersion: nil, scanStats: SQLScanStats())
    }

    // MARK: - SHOW / DESCRIBE / USE / EXPLAIN

    private func show(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        guard t.count >= 2 else { throw SQLError.invalid("SHOW what?") }
        let what = t[1].upper
        var rest = Array(t.dropFirst(2))
        var pattern: String?
        if let like = rest.firstIndex(where: { $0.isWord("LIKE") }), like + 1 < rest.count {
            pattern = rest[like + 1].text
            rest = Array(rest[..<like])
        } else if let last = rest.last, last.kind == .string {
            pattern = last.text
            rest.removeLast()
        }
        func matches(_ s: String) -> Bool {
            guard let pattern else { return true }
            // Spark's SHOW … LIKE: `*` wildcards and `|` alternatives, case-insensitive.
            return pattern.split(separator: "|").contains { alt in
                let re = "^" + NSRegularExpression.escapedPattern(for: alt.trimmingCharacters(in: .whitespaces)).replacingOccurrences(of: "\\*", with: ".*") + "$"
                return s.range(of: re, options: [.regularExpression, .caseInsensitive]) != nil
            }
        }
        var ns: [String] = []
        if let first = rest.first, first.isWord("FROM") || first.isWord("IN") {
            ns = try parseName(rest, 1).0
        }
        switch what {
        case "CATALOGS":
            let rows = try await resolver.catalogs().filter(matches).map { [Value.string($0)] }
            return try await emit(Schema([Field("catalog", .string, nullable: false)]), rows, body)
        case "SCHEMAS", "DATABASES", "NAMESPACES":
            let c = ns.first ?? currentCatalog
            let rows = try await resolver.schemas(catalog: c).filter(matches).map { [Value.string($0)] }
            return try await emit(Schema([Field("namespace", .string, nullable: false)]), rows, body)
        case "TABLES":
            let (c, s): (String, String)
            switch ns.count {
            case 0: (c, s) = (currentCatalog, currentSchema)
            case 1: (c, s) = (currentCatalog, ns[0])
            default: (c, s) = (ns[0], ns[1])
            }
            let rows = try await resolver.tables(catalog: c, schema: s).filter(matches).map { [Value.string(s), .string($0), .bool(false)] }
            return try await emit(Schema([Field("namespace", .string), Field("tableName", .string), Field("isTemporary", .bool)]), rows, body)
        case "COLUMNS":
            guard let first = rest.first, first.isWord("FROM") || first.isWord("IN") else { throw SQLError.invalid("SHOW COLUMNS FROM table") }
            let table = try await existingTable(try qualify(ns))
            let rows = try await table.snapshot().schema.fields.map { [Value.string($0.name)] }
            return try await emit(Schema([Field("col_name", .string)]), rows, body)
        default:
            throw SQLError.unsupported("SHOW \(what)")
        }
    }

    private func describe(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        var i = 1
        var history = false, detail = false
        if i < t.count, t[i].isWord("HISTORY") { history = true; i += 1 } else if i < t.count, t[i].isWord("DETAIL") { detail = true; i += 1 }
        if i < t.count, t[i].isWord("TABLE") { i += 1 }
        if i < t.count, t[i].isWord("EXTENDED") || t[i].isWord("FORMATTED") { i += 1 }
        if i < t.count, t[i].isWord("SELECT") || t[i].isWord("WITH") || t[i].isWord("QUERY") {
            if t[i].isWord("QUERY") { i += 1 }
            // DESCRIBE QUERY: the result schema of a query.
            let cursor = try await openQuery(Array(t[i...]) + [.word("LIMIT"), SQLToken(.number, "0")])
            while try await cursor.next() != nil {}
            let rows = (cursor.schema?.fields ?? []).map { [Value.string($0.name), .string(SQLTypes.sparkName($0.type)), nil] }
            return try await emit(Schema([Field("col_name", .string), Field("data_type", .string), Field("comment", .string)]), rows, body)
        }
        let (parts, end) = try parseName(t, i)
        guard end == t.count else { throw SQLError.invalid("unexpected \(t[end].text) after the table name") }
        let name = try qualify(parts)
        if let view = try await resolver.view(name) {
            guard !history, !detail else { throw SQLError.invalid("\(name) is a view: DESCRIBE HISTORY/DETAIL apply to tables") }
            try await resolver.authorize(name, .read)
            let rows = view.columns.map { [Value.string($0.name), .string(SQLTypes.sparkName($0.type)), view.columnComments[$0.name].map { Value.string($0) }] }
            return try await emit(Schema([Field("col_name", .string), Field("data_type", .string), Field("comment", .string)]), rows, body)
        }
        let table = try await existingTable(name)
        if history {
            var rows: [[Value?]] = []
            for c in try await table.history() {
                rows.append([
                    .int(c.version), .int(c.timestamp * 1000), .string(c.operation),
                    .string((c.info["operationParameters"] ?? .object([])).serialized()),
                    c.info["readVersion"]?.int.map { .int($0) }, c.info["isBlindAppend"]?.bool.map { .bool($0) },
                    .string((c.info["operationMetrics"] ?? .object([])).serialized()),
                    c.info["engineInfo"]?.string.map { .string($0) },
                ])
            }
            return try await emit(Schema([
                Field("version", .int64), Field("timestamp", .timestamp(utc: true)), Field("operation", .string),
                Field("operationParameters", .string), Field("readVersion", .int64), Field("isBlindAppend", .bool),
                Field("operationMetrics", .string), Field("engineInfo", .string),
            ]), rows, body)
        }
        let snap = try await table.snapshot()
        if detail {
            let rows: [[Value?]] = [[
                .string("delta"), .string(snap.metadata.id), .string(name.description), .string(table.location),
                .string(LakeJSON.array(snap.metadata.partitionColumns.map { .string($0) }).serialized()),
                .int(Int64(snap.files.count)), .int(snap.files.reduce(0) { $0 + $1.size }), .int(snap.version),
                .int(Int64(snap.proto.minReaderVersion)), .int(Int64(snap.proto.minWriterVersion)),
            ]]
            return try await emit(Schema([
                Field("format", .string), Field("id", .string), Field("name", .string), Field("location", .string),
                Field("partitionColumns", .string), Field("numFiles", .int64), Field("sizeInBytes", .int64), Field("version", .int64),
                Field("minReaderVersion", .int64), Field("minWriterVersion", .int64),
            ]), rows, body)
        }
        var rows: [[Value?]] = try snap.schema.fields.map { [.string($0.name), .string(SQLTypes.sparkName($0.type)), nil] }
        if !snap.metadata.partitionColumns.isEmpty {
            rows.append([.string("# Partition Information"), .string(""), .string("")])
            rows.append([.string("# col_name"), .string("data_type"), .string("comment")])
            let schema = try snap.schema
            for p in snap.metadata.partitionColumns {
                let ty = schema.fields.first { $0.name == p }.map { SQLTypes.sparkName($0.type) } ?? ""
                rows.append([.string(p), .string(ty), nil])
            }
        }
        return try await emit(Schema([Field("col_name", .string), Field("data_type", .string), Field("comment", .string)]), rows, body)
    }

    private func use(_ t: [SQLToken]) throws -> SQLExecution {
        var i = 1
        var kind = ""
        if i < t.count, t[i].isWord("CATALOG") || t[i].isWord("SCHEMA") || t[i].isWord("DATABASE") || t[i].isWord("NAMESPACE") {
            kind = t[i].upper
            i += 1
        }
        let (parts, end) = try parseName(t, i)
        guard end == t.count else { throw SQLError.invalid("unexpected \(t[end].text) in USE") }
        lock.withLock {
            if kind == "CATALOG" {
                catalog = parts[0]
                schema = "default"
            } else if parts.count == 2 {
                catalog = parts[0]
                schema = parts[1]
            } else {
                schema = parts[0]
            }
        }
        return SQLExecution(kind: .command, schema: Schema([]), rowCount: 0, affectedRows: nil, tableVersion: nil, scanStats: SQLScanStats(),
                            message: "using \(currentCatalog).\(currentSchema)")
    }

    private func explain(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        var q = t
        while let f = q.first, f.isWord("EXTENDED") || f.isWord("FORMATTED") || f.isWord("QUERY") || f.isWord("PLAN") || f.isWord("COST") { q.removeFirst() }
        guard !q.isEmpty else { throw SQLError.invalid("EXPLAIN what?") }
        let cursor = try await openQuery([.word("EXPLAIN"), .word("QUERY"), .word("PLAN")] + q)
        var rows: [[Value?]] = []
        while let b = try await cursor.next() {
            for r in 0..<b.numRows { rows.append([b.columns.last!.value(at: r)]) }
        }
        return try await emit(Schema([Field("plan", .string)]), rows, body)
    }

    // MARK: - CREATE TABLE / INSERT

    /// `CREATE [EXTERNAL] TABLE [IF NOT EXISTS] name [(col type [NOT NULL], …)] [USING fmt] [PARTITIONED BY (cols)]
    /// [LOCATION 'path'] [TBLPROPERTIES ('k'='v', …)] [COMMENT '…'] [AS] query`. With LOCATION naming an
    /// existing Delta table, the table is registered as it is (given columns must match its schema).
    private func createTable(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        var i = 1
        if i + 1 < t.count, t[i].isWord("OR"), t[i + 1].isWord("REPLACE") { throw SQLError.unsupported("CREATE OR REPLACE TABLE") }
        if i < t.count, t[i].isWord("TEMPORARY") || t[i].isWord("TEMP") { throw SQLError.unsupported("CREATE \(t[i].upper)") }
        var external = false
        if i < t.count, t[i].isWord("EXTERNAL") { external = true; i += 1 }
        guard i < t.count, t[i].isWord("TABLE") else { throw SQLError.unsupported("CREATE \(i < t.count ? t[i].text : "")") }
        i += 1
        var ifNotExists = false
        if i + 2 < t.count, t[i].isWord("IF"), t[i + 1].isWord("NOT"), t[i + 2].isWord("EXISTS") { ifNotExists = true; i += 3 }
        let (parts, afterName) = try parseName(t, i)
        i = afterName
        var columns: [Field]?
        var partitionBy: [String] = []
        var properties: [String: String] = [:]
        var query: [SQLToken]?
        var location: String?
        var tableComment: String?
        var columnComments: [(String, String)] = []
        if i < t.count, t[i].isSymbol("(") {
            guard let close = SQLRewriter.matchParen(t, i) else { throw SQLError.invalid("unbalanced parentheses in CREATE TABLE") }
            var fields: [Field] = []
            for def in SQLRewriter.splitArgs(Array(t[(i + 1)..<close])) {
                guard let n = def.first, n.isName, def.count >= 2 else { throw SQLError.invalid("bad column definition") }
                var typeTokens = Array(def.dropFirst())
                var nullable = true
                if let k = typeTokens.firstIndex(where: { $0.isWord("NOT") }), k + 1 < typeTokens.count, typeTokens[k + 1].isWord("NULL") {
                    nullable = false
                    typeTokens.removeSubrange(k...(k + 1))
                }
                if let k = typeTokens.firstIndex(where: { $0.isWord("COMMENT") }) {
                    if k + 1 < typeTokens.count, typeTokens[k + 1].kind == .string { columnComments.append((n.text, typeTokens[k + 1].text)) }
                    typeTokens.removeSubrange(k...)
                }
                let typeText = typeTokens.map(\.text).joined()
                guard let type = SQLTypes.parseSparkType(typeText) else { throw SQLError.unsupported("column type \(typeText)") }
                fields.append(Field(n.text, type, nullable: nullable))
            }
            columns = fields
            i = close + 1
        }
        while i < t.count {
            if t[i].isWord("USING") {
                guard i + 1 < t.count, ["DELTA", "PARQUET", "ICEBERG"].contains(t[i + 1].upper) else {
                    throw SQLError.unsupported("table format \(i + 1 < t.count ? t[i + 1].text : "")")
                }
                i += 2
            } else if t[i].isWord("PARTITIONED"), i + 2 < t.count, t[i + 1].isWord("BY"), t[i + 2].isSymbol("(") {
                guard let close = SQLRewriter.matchParen(t, i + 2) else { throw SQLError.invalid("unbalanced parentheses") }
                partitionBy = SQLRewriter.splitArgs(Array(t[(i + 3)..<close])).map { $0.map(\.text).joined() }
                i = close + 1
            } else if t[i].isWord("TBLPROPERTIES"), i + 1 < t.count, t[i + 1].isSymbol("(") {
                guard let close = SQLRewriter.matchParen(t, i + 1) else { throw SQLError.invalid("unbalanced parentheses") }
                for kv in SQLRewriter.splitArgs(Array(t[(i + 2)..<close])) {
                    guard kv.count == 3, kv[1].isSymbol("=") else { throw SQLError.invalid("TBLPROPERTIES entries are 'key' = 'value'") }
                    properties[kv[0].text] = kv[2].text
                }
                i = close + 1
            } else if t[i].isWord("COMMENT"), i + 1 < t.count {
                if t[i + 1].kind == .string { tableComment = t[i + 1].text }
                i += 2
            } else if t[i].isWord("LOCATION") {
                guard i + 1 < t.count, t[i + 1].kind == .string else { throw SQLError.invalid("LOCATION needs a quoted path") }
                location = t[i + 1].text
                i += 2
            } else if t[i].isWord("AS") {
                query = Array(t[(i + 1)...])
                break
            } else if t[i].isWord("SELECT") || t[i].isWord("WITH") || t[i].isWord("VALUES") {
                query = Array(t[i...])
                break
            } else {
                throw SQLError.invalid("unexpected \(t[i].text) in CREATE TABLE")
            }
        }
        if external, location == nil { throw SQLError.invalid("CREATE EXTERNAL TABLE needs LOCATION 'path'") }
        let name = try qualify(parts)
        try await resolver.authorize(name, .create)
        if try await resolver.view(name) != nil { throw SQLError.invalid("\(name) already exists as a view") }
        var table = try await resolver.table(name)
        if try await table.exists() {
            if ifNotExists {
                return SQLExecution(kind: .ddl, schema: Schema([]), rowCount: 0, affectedRows: 0, tableVersion: nil, scanStats: SQLScanStats(),
                                    message: "table \(name) already exists")
            }
            throw SQLError.invalid("table \(name) already exists")
        }
        if let location {
            table = try await resolver.table(name, location: location)
            if try await table.exists() {
                // An existing Delta table (written by Ingot, delta-rs or Spark): adopt it as it is.
                guard query == nil else { throw SQLError.invalid("LOCATION '\(location)' already holds a Delta table: CREATE TABLE … AS SELECT needs an empty location") }
                let existing = try await table.snapshot().schema
                if let columns {
                    let want = columns.map { "\($0.name.lowercased()) \(SQLTypes.sparkName($0.type))" }
                    let have = existing.fields.map { "\($0.name.lowercased()) \(SQLTypes.sparkName($0.type))" }
                    guard want == have else {
                        throw SQLError.invalid("the columns given do not match the table at '\(location)': it has (\(have.joined(separator: ", ")))")
                    }
                }
                try await resolver.tableRegistered(name, table)
                try await recordComments(name, table: tableComment, columns: columnComments)
                return SQLExecution(kind: .ddl, schema: Schema([]), rowCount: 0, affectedRows: 0, tableVersion: try await table.snapshot().version,
                                    scanStats: SQLScanStats(), message: "registered \(name) at \(location)")
            }
        }
        guard let query else {
            guard let columns else { throw SQLError.invalid("CREATE TABLE needs columns or AS SELECT") }
            let v = try await table.create(schema: Schema(columns), partitionColumns: partitionBy, properties: properties)
            try await resolver.tableCreated(name, table)
            try await recordComments(name, table: tableComment, columns: columnComments)
            return SQLExecution(kind: .ddl, schema: Schema([]), rowCount: 0, affectedRows: 0, tableVersion: v, scanStats: SQLScanStats(),
                                message: "created \(name)")
        }
        let cursor = try await openQuery(query, target: columns)
        do {
            let first = try await cursor.next()
            guard var schema = cursor.schema else { throw SQLError.execution("the query produced no schema") }
            for k in schema.fields.indices {
                schema.fields[k].nullable = columns?[k].nullable ?? true
                schema.fields[k].id = nil
            }
            let names = schema.fields.map(\.name)
            if let bad = names.first(where: { n in n.isEmpty || n.contains { $0 == "(" || $0 == " " || $0 == "," || $0 == "'" } }) {
                throw SQLError.invalid("column name \"\(bad)\" is not valid for a table: add an alias (AS name)")
            }
            let counted = Counter()
            let tableSchema = schema
            let v = try await table.create(schema: schema, partitionColumns: partitionBy, properties: properties) { emit in
                if let first {
                    counted.add(first.numRows)
                    try await emit(first.with(schema: tableSchema))
                }
                while let b = try await cursor.next() {
                    counted.add(b.numRows)
                    try await emit(b.with(schema: tableSchema))
                }
            }
            try await resolver.tableCreated(name, table)
            try await recordComments(name, table: tableComment, columns: columnComments)
            return SQLExecution(kind: .ddl, schema: Schema([]), rowCount: 0, affectedRows: Int64(counted.value), tableVersion: v,
                                scanStats: SQLScanStats(), message: "created \(name)")
        } catch {
            cursor.close()
            throw error
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add(_ k: Int) { lock.withLock { n += k } }
        var value: Int { lock.withLock { n } }
    }

    /// `INSERT INTO [TABLE] name [(cols)] query|VALUES …` and `INSERT OVERWRITE [TABLE] name query`.
    private func insert(_ t: [SQLToken]) async throws -> SQLExecution {
        var i = 1
        var overwrite = false
        if i < t.count, t[i].isWord("INTO") { i += 1 } else if i < t.count, t[i].isWord("OVERWRITE") { overwrite = true; i += 1 } else {
            throw SQLError.invalid("INSERT INTO or INSERT OVERWRITE")
        }
        if i < t.count, t[i].isWord("TABLE") { i += 1 }
        let (parts, afterName) = try parseName(t, i)
        i = afterName
        var listed: [String]?
        if i < t.count, t[i].isSymbol("("), !(i + 1 < t.count && (t[i + 1].isWord("SELECT") || t[i + 1].isWord("WITH"))) {
            guard let close = SQLRewriter.matchParen(t, i) else { throw SQLError.invalid("unbalanced parentheses") }
            listed = SQLRewriter.splitArgs(Array(t[(i + 1)..<close])).map { $0.map(\.text).joined() }
            i = close + 1
        }
        if i < t.count, t[i].isWord("PARTITION") { throw SQLError.unsupported("INSERT … PARTITION (…)") }
        guard i < t.count else { throw SQLError.invalid("INSERT needs a query or VALUES") }
        let query = Array(t[i...])
        let name = try qualify(parts)
        let table = try await existingTable(name, .write)
        let schema = try await table.snapshot().schema
        var target: [Field] = schema.fields
        if let listed {
            target = try listed.map { c in
                guard let f = schema.fields.first(where: { $0.name.lowercased() == c.lowercased() }) else { throw SQLError.invalid("column \(c) is not in \(name)") }
                return f
            }
        }
        let cursor = try await openQuery(query, target: target)
        let counted = Counter()
        let source: BatchSource = { emit in
            while let b = try await cursor.next() {
                counted.add(b.numRows)
                try await emit(b)
            }
        }
        let v: Int64
        do {
            v = overwrite ? try await table.overwrite(source) : try await table.append(source)
        } catch {
            cursor.close()
            throw error
        }
        return SQLExecution(kind: .dml, schema: Schema([]), rowCount: 0, affectedRows: Int64(counted.value), tableVersion: v, scanStats: SQLScanStats(),
                            message: "\(overwrite ? "overwrote" : "inserted") \(counted.value) rows")
    }
}

extension RecordBatch {
    /// The same columns under another schema with the same types (renames, nullability).
    func with(schema: Schema) throws -> RecordBatch { try RecordBatch(schema: schema, columns: columns) }
}
