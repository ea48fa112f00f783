import Foundation
import GRDBSQLite

/// DELETE / UPDATE / MERGE / OPTIMIZE / VACUUM over the table DML APIs (copy-on-write): WHERE and SET
/// expressions are evaluated by SQLite, one batch at a time, through a virtual table serving that batch.
extension SQLEngine {
    func dml(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        switch t[0].upper {
        case "DELETE": return try await deleteRows(t, body)
        case "UPDATE": return try await updateRows(t, body)
        case "MERGE": return try await mergeRows(t, body)
        case "OPTIMIZE": return try await optimizeTable(t, body)
        default: return try await vacuumTable(t, body)
        }
    }

    // MARK: - Per-batch expression evaluation

    /// A lake table's schema bound as a virtual table whose scans serve one in-memory batch.
    final class BatchEvaluator: @unchecked Sendable {
        let engine: SQLEngine
        let bound: BoundTable
        let alias: String
        let evalLock = NSLock()

        init(engine: SQLEngine, bound: BoundTable, alias: String) {
            self.engine = engine
            self.bound = bound
            self.alias = alias
        }

        /// Evaluates `expr` (SQLite SQL) for every row of `batch`, in order.
        func evaluate(_ expr: String, on batch: RecordBatch) throws -> [SQLiteScalar] {
            try evalLock.withLock {
                try engine.queue.sync {
                    bound.memory = batch
                    defer { bound.memory = nil }
                    let stmt = try engine.conn.prepare("SELECT (\(expr)) FROM temp.\(bound.vtabName.sqliteQuoted) AS \(alias.sqliteQuoted)")
                    defer { sqlite3_finalize(stmt) }
                    var out: [SQLiteScalar] = []
                    out.reserveCapacity(batch.numRows)
                    while true {
                        let rc = sqlite3_step(stmt)
                        if rc == SQLITE_ROW {
                            out.append(SQLiteScalar(stmt: stmt, column: 0))
                        } else if rc == SQLITE_DONE {
                            break
                        } else {
                            throw SQLError.execution(engine.conn.lastError)
                        }
                    }
                    guard out.count == batch.numRows else { throw SQLError.execution("evaluated \(out.count) rows for a batch of \(batch.numRows)") }
                    return out
                }
            }
        }

        func column(_ expr: String, on batch: RecordBatch, as field: Field) throws -> Column {
            var b = ColumnBuilder(type: field.type)
            for v in try evaluate(expr, on: batch) {
                switch SQLValueConversion.convert(v, to: field.type) {
                case .value(let x): b.append(x)
                case .mismatch: throw SQLError.execution("SET \(field.name): value \(SQLValueConversion.describe(v)) does not fit \(SQLTypes.sparkName(field.type))")
                }
            }
            return b.finish()
        }
    }

    /// A WHERE condition as a ``RowFilter`` (NULL → not matched).
    struct SQLWhereFilter: RowFilter {
        let evaluator: BatchEvaluator
        let expr: String
        let pruningHint: ParquetPredicate?
        let description: String

        func matches(_ batch: RecordBatch) throws -> [Bool] {
            try evaluator.evaluate(expr, on: batch).map { v in
                switch v {
                case .int(let x): return x != 0
                case .real(let d): return d != 0
                default: return false
                }
            }
        }
    }

    /// Binds the target table for per-batch evaluation; `body` runs with it, then it is dropped.
    func withEvaluator<R>(_ table: LakeTable, name: SQLTableName, alias: String, _ body: (BatchEvaluator, Schema) async throws -> R) async throws -> R {
        let snap = try await table.snapshot()
        let bound = try BoundTable(vtabName: nextVTabName(), displayName: name.description, table: table, snapshot: snap)
        try queue.sync {
            registry.bind(bound)
            try conn.exec("CREATE VIRTUAL TABLE temp.\(bound.vtabName.sqliteQuoted) USING \(LakeVTabModule.name)")
        }
        defer {
            queue.sync {
                try? conn.exec("DROP TABLE temp.\(bound.vtabName.sqliteQuoted)")
                registry.unbind(bound.vtabName)
            }
        }
        return try await body(BatchEvaluator(engine: self, bound: bound, alias: alias), bound.schema)
    }

    /// Rewrites an expression; table references inside it (subqueries) are not supported in DML.
    func dmlExpression(_ tokens: [SQLToken], what: String) throws -> String {
        guard try SQLRewriter.tableReferences(tokens, ctes: SQLRewriter.cteNames(tokens)).isEmpty else {
            throw SQLError.unsupported("subqueries over tables in \(what)")
        }
        return SQLTokenizer.render(try SQLRewriter.rewriteExpressions(tokens))
    }

    /// The filter of a WHERE clause, with a pruning hint when the condition is simple (and not temporal,
    /// where SQLite's text comparison and the hint's instant comparison could disagree at the edges).
    func whereFilter(_ tokens: [SQLToken], evaluator: BatchEvaluator, schema: Schema) throws -> any RowFilter {
        let fields = schema.fields
        let normalized = SQLRewriter.normalizeTemporalLiterals(tokens) { _, column in
            fields.first { $0.name.lowercased() == column.lowercased() }?.type
        }
        let expr = try dmlExpression(normalized, what: "WHERE")
        let text = tokens.map { $0.kind == .string ? $0.text.sqlLiteral : $0.kind == .quoted ? "`" + $0.text + "`" : $0.text }.joined(separator: " ")
        var hint: ParquetPredicate?
        if let p = try? PredicateFilter(parsing: text, schema: schema).predicate {
            let temporal = schema.fields.contains { f in
                switch f.type {
                case .date, .timestamp: return tokens.contains { $0.isName && $0.text.lowercased() == f.name.lowercased() }
                default: return false
                }
            }
            if !temporal { hint = p }
        }
        return SQLWhereFilter(evaluator: evaluator, expr: expr, pruningHint: hint, description: text)
    }

    func changeResult(_ change: TableChange, affected: Int64, _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        let keys = change.metrics.keys.sorted()
        var exec = try await emit(Schema([Field("num_affected_rows", .int64)] + keys.map { Field($0, .int64) }),
                                  [[.int(affected)] + keys.map { .int(change.metrics[$0]!) }], kind: .dml, body)
        exec.affectedRows = affected
        exec.tableVersion = change.version
        return exec
    }

    /// `[AS] alias` at `i` (not a keyword): the alias and the index after.
    func optionalAlias(_ t: [SQLToken], _ i: Int, stop: Set<String>) -> (String?, Int) {
        var j = i
        if j < t.count, t[j].isWord("AS") { j += 1 }
        if j < t.count, t[j].isName, !(t[j].kind == .word && stop.contains(t[j].upper)) { return (t[j].text, j + 1) }
        return (nil, i)
    }

    // MARK: - DELETE / UPDATE

    private func deleteRows(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        guard t.count > 2, t[1].isWord("FROM") else { throw SQLError.invalid("DELETE FROM table [WHERE …]") }
        let (parts, afterName) = try parseName(t, 2)
        let (alias, i) = optionalAlias(t, afterName, stop: ["WHERE"])
        let name = try qualify(parts)
        let table = try await existingTable(name, .write)
        if i == t.count {
            let change = try await table.delete()
            return try await changeResult(change, affected: change.metrics["numDeletedRows"] ?? 0, body)
        }
        guard t[i].isWord("WHERE"), i + 1 < t.count else { throw SQLError.invalid("unexpected \(t[i].text) in DELETE") }
        let cond = Array(t[(i + 1)...])
        let change = try await withEvaluator(table, name: name, alias: alias ?? parts.last!) { ev, schema in
            try await table.delete(where: try whereFilter(cond, evaluator: ev, schema: schema))
        }
        return try await changeResult(change, affected: change.metrics["numDeletedRows"] ?? 0, body)
    }

    private func updateRows(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        let (parts, afterName) = try parseName(t, 1)
        let (alias, i0) = optionalAlias(t, afterName, stop: ["SET"])
        guard i0 < t.count, t[i0].isWord("SET") else { throw SQLError.invalid("UPDATE table SET col = expr [, …] [WHERE …]") }
        var depth = 0
        var whereAt: Int?
        for k in (i0 + 1)..<t.count {
            if t[k].isSymbol("(") { depth += 1 }
            if t[k].isSymbol(")") { depth -= 1 }
            if depth == 0, t[k].isWord("WHERE") { whereAt = k; break }
        }
        let setTokens = Array(t[(i0 + 1)..<(whereAt ?? t.count)])
        let name = try qualify(parts)
        let table = try await existingTable(name, .write)
        let change = try await withEvaluator(table, name: name, alias: alias ?? parts.last!) { ev, schema in
            var assignments: [String: ColumnAssignment] = [:]
            for a in SQLRewriter.splitArgs(setTokens) {
                guard let eq = a.firstIndex(where: { $0.isSymbol("=") }), eq > 0, eq + 1 < a.count else { throw SQLError.invalid("SET needs col = expr") }
                let colName = a[eq - 1].text
                guard let field = schema.fields.first(where: { $0.name.lowercased() == colName.lowercased() }) else {
                    throw SQLError.invalid("UPDATE: no column \(colName) in \(name)")
                }
                let expr = try dmlExpression(Array(a[(eq + 1)...]), what: "SET")
                assignments[field.name] = .compute { batch in try ev.column(expr, on: batch, as: field) }
            }
            let filter: any RowFilter = try whereAt.map { try whereFilter(Array(t[($0 + 1)...]), evaluator: ev, schema: schema) } ?? AllRows()
            return try await table.update(where: filter, set: assignments)
        }
        return try await changeResult(change, affected: change.metrics["numUpdatedRows"] ?? 0, body)
    }

    // MARK: - MERGE

    /// `MERGE INTO target [AS t] USING source|(query) [AS s] ON t.k = s.k [AND …]
    ///  [WHEN MATCHED THEN UPDATE SET * | UPDATE SET c = s.c, … | DELETE] [WHEN NOT MATCHED THEN INSERT *]`.
    private func mergeRows(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        guard t.count > 2, t[1].isWord("INTO") else { throw SQLError.invalid("MERGE INTO target USING source ON … WHEN …") }
        let (parts, afterName) = try parseName(t, 2)
        var (targetAlias, i) = optionalAlias(t, afterName, stop: ["USING"])
        guard i < t.count, t[i].isWord("USING") else { throw SQLError.invalid("MERGE needs USING") }
        i += 1
        var source: [SQLToken]
        if i < t.count, t[i].isSymbol("(") {
            guard let close = SQLRewriter.matchParen(t, i) else { throw SQLError.invalid("unbalanced parentheses") }
            source = Array(t[i...close])
            i = close + 1
        } else {
            let (_, end) = try parseName(t, i)
            source = Array(t[i..<end])
            i = end
        }
        let (sourceAlias, afterAlias) = optionalAlias(t, i, stop: ["ON"])
        i = afterAlias
        guard i < t.count, t[i].isWord("ON") else { throw SQLError.invalid("MERGE needs ON") }
        i += 1
        guard let when = t[i...].firstIndex(where: { $0.isWord("WHEN") }) else { throw SQLError.invalid("MERGE needs WHEN clauses") }
        let tName = (targetAlias ?? parts.last!).lowercased()
        let sName = sourceAlias?.lowercased()
        // ON: conjunction of equalities between same-named key columns.
        var keys: [String] = []
        for conj in splitAnd(Array(t[i..<when])) {
            guard conj.count == 7, conj[1].isSymbol("."), conj[3].isSymbol("="), conj[5].isSymbol("."),
                  conj[2].text.lowercased() == conj[6].text.lowercased() else {
                throw SQLError.unsupported("MERGE … ON must be t.key = s.key [AND …] with the same column names")
            }
            let sides = Set([conj[0].text.lowercased(), conj[4].text.lowercased()])
            guard sides.contains(tName), sName == nil || sides.contains(sName!) else { throw SQLError.invalid("MERGE … ON must compare the target with the source") }
            keys.append(conj[2].text)
        }
        var matched = MergeMatchedAction.none
        var insert = false
        var updateColumns: [String]?
        var k = when
        while k < t.count {
            guard t[k].isWord("WHEN") else { throw SQLError.invalid("unexpected \(t[k].text) in MERGE") }
            let next = t[(k + 1)...].firstIndex(where: { $0.isWord("WHEN") }) ?? t.count
            let clause = Array(t[(k + 1)..<next]).map { $0.kind == .word ? $0.upper : $0.text }
            if clause.starts(with: ["MATCHED", "THEN", "DELETE"]) {
                matched = .delete
            } else if clause.starts(with: ["MATCHED", "THEN", "UPDATE", "SET", "*"]) {
                matched = .update
            } else if clause.starts(with: ["MATCHED", "THEN", "UPDATE", "SET"]) {
                matched = .update
                var cols: [String] = []
                for a in SQLRewriter.splitArgs(Array(t[(k + 5)..<next])) {
                    let names = a.filter(\.isName).map(\.text)
                    guard let eq = a.firstIndex(where: { $0.isSymbol("=") }), let lhs = a[..<eq].last, let rhs = a.last, lhs.text.lowercased() == rhs.text.lowercased(),
                          names.count <= 4 else {
                        throw SQLError.unsupported("MERGE … UPDATE SET supports * or col = source.col")
                    }
                    cols.append(lhs.text)
                }
                updateColumns = cols
            } else if clause.starts(with: ["NOT", "MATCHED", "THEN", "INSERT", "*"]) || clause.starts(with: ["NOT", "MATCHED", "BY", "TARGET", "THEN", "INSERT", "*"]) {
                insert = true
            } else {
                throw SQLError.unsupported("MERGE clause WHEN \(clause.joined(separator: " ")) (supported: MATCHED THEN UPDATE SET */DELETE, NOT MATCHED THEN INSERT *)")
            }
            k = next
        }
        let name = try qualify(parts)
        let table = try await existingTable(name, .write)
        let schema = try await table.snapshot().schema
        // The source columns (names) decide which target columns it carries.
        let probe = try await openQuery([.word("SELECT"), .symbol("*"), .word("FROM")] + source + [.word("AS"), .quoted("__src"), .word("LIMIT"), SQLToken(.number, "0")])
        while try await probe.next() != nil {}
        let sourceNames = Set((probe.schema?.fields ?? []).map { $0.name.lowercased() })
        var carried = schema.fields.filter { sourceNames.contains($0.name.lowercased()) }
        if let updateColumns, !insert {
            let wanted = Set((keys + updateColumns).map { $0.lowercased() })
            carried = carried.filter { wanted.contains($0.name.lowercased()) }
        }
        for key in keys where !carried.contains(where: { $0.name.lowercased() == key.lowercased() }) {
            throw SQLError.invalid("the MERGE source has no column \(key)")
        }
        var select: [SQLToken] = [.word("SELECT")]
        for (n, f) in carried.enumerated() {
            if n > 0 { select.append(.symbol(",")) }
            select += [.quoted("__src"), .symbol("."), .quoted(f.name)]
        }
        select += [.word("FROM")] + source + [.word("AS"), .quoted("__src")]
        let cursor = try await openQuery(select, target: carried)
        let src: BatchSource = { emit in
            while let b = try await cursor.next() { try await emit(b) }
        }
        let change: TableChange
        do {
            change = try await table.merge(source: src, keys: keys.map { k in schema.fields.first { $0.name.lowercased() == k.lowercased() }!.name },
                                           whenMatched: matched, whenNotMatchedInsert: insert)
        } catch {
            cursor.close()
            throw error
        }
        let m = change.metrics
        return try await changeResult(change, affected: (m["numTargetRowsInserted"] ?? 0) + (m["numTargetRowsUpdated"] ?? 0) + (m["numTargetRowsDeleted"] ?? 0), body)
    }

    func splitAnd(_ t: [SQLToken]) -> [[SQLToken]] {
        var out: [[SQLToken]] = []
        var cur: [SQLToken] = []
        var depth = 0
        for tok in t {
            if tok.isSymbol("(") { depth += 1 }
            if tok.isSymbol(")") { depth -= 1 }
            if depth == 0, tok.isWord("AND") {
                out.append(cur)
                cur = []
            } else if !(tok.isSymbol("(") || tok.isSymbol(")")) {
                cur.append(tok)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    // MARK: - OPTIMIZE / VACUUM

    private func optimizeTable(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        let (parts, i) = try parseName(t, 1)
        let name = try qualify(parts)
        let table = try await existingTable(name, .write)
        if i < t.count, t[i].isWord("ZORDER") { throw SQLError.unsupported("OPTIMIZE … ZORDER BY") }
        let change: TableChange
        if i < t.count {
            guard t[i].isWord("WHERE"), i + 1 < t.count else { throw SQLError.invalid("unexpected \(t[i].text) in OPTIMIZE") }
            let cond = Array(t[(i + 1)...])
            change = try await withEvaluator(table, name: name, alias: parts.last!) { ev, schema in
                try await table.optimize(where: try whereFilter(cond, evaluator: ev, schema: schema))
            }
        } else {
            change = try await table.optimize()
        }
        return try await changeResult(change, affected: 0, body)
    }

    /// `VACUUM table [RETAIN n HOURS] [DRY RUN]`: lists (dry run) or deletes unreferenced files.
    private func vacuumTable(_ t: [SQLToken], _ body: @escaping @Sendable (RecordBatch) async throws -> Void) async throws -> SQLExecution {
        let (parts, afterName) = try parseName(t, 1)
        var i = afterName
        var hours = 168.0
        var dryRun = false
        while i < t.count {
            if t[i].isWord("RETAIN"), i + 2 < t.count, t[i + 1].kind == .number, t[i + 2].isWord("HOURS"), let h = Double(t[i + 1].text) {
                hours = h
                i += 3
            } else if t[i].isWord("DRY"), i + 1 < t.count, t[i + 1].isWord("RUN") {
                dryRun = true
                i += 2
            } else {
                throw SQLError.invalid("unexpected \(t[i].text) in VACUUM")
            }
        }
        let table = try await existingTable(try qualify(parts), .write)
        let files = try await table.vacuum(retention: hours * 3600, dryRun: dryRun)
        var exec = try await emit(Schema([Field("path", .string)]), files.map { [.string($0)] }, kind: .dml, body)
        exec.affectedRows = Int64(files.count)
        return exec
    }
}
