import Foundation

/// The lineage a writing statement shows in its text: the table it writes, the tables it reads, and
/// for each output column of the top-level SELECT list the input columns it is computed from.
/// INSERT INTO/OVERWRITE … SELECT, CREATE [OR REPLACE] TABLE … AS SELECT, MERGE INTO … USING (table
/// level; column level from `UPDATE SET` / `INSERT (…) VALUES (…)` clauses that name source columns).
public struct SQLLineagePlan: Sendable, Equatable {
    /// A column of a source table, as written: `qualifier` is the alias or table name used, nil if bare.
    public struct ColumnRef: Sendable, Hashable {
        public var qualifier: String?
        public var column: String
    }

    /// One output column: its name (nil when the SELECT item has none: an expression without alias)
    /// and the columns it reads (`star` for `*` / `t.*`).
    public struct Output: Sendable, Equatable {
        public var name: String?
        public var inputs: [ColumnRef]
        public var star: String??
    }

    /// A source table and the alias the statement gives it.
    public struct Source: Sendable, Equatable {
        public var parts: [String]
        public var alias: String?
    }

    public var kind: String
    public var target: [String]
    /// INSERT's explicit column list.
    public var targetColumns: [String]?
    public var sources: [Source]
    /// Empty when the statement's shape shows no column lineage (CTEs, set operations, …).
    public var outputs: [Output]

    /// Parses a statement; nil when it writes no table from other tables.
    public static func analyze(_ sql: String) -> SQLLineagePlan? {
        guard let all = try? SQLTokenizer.tokenize(sql), let t = SQLTokenizer.statements(all).first, let first = t.first, first.kind == .word else { return nil }
        var i = 1
        func word(_ k: Int) -> Bool { k < t.count && t[k].kind == .word }
        var kind: String
        var target: [String]
        var targetColumns: [String]?
        var query: ArraySlice<SQLToken>
        switch first.upper {
        case "INSERT":
            guard i < t.count else { return nil }
            kind = t[i].isWord("OVERWRITE") ? "INSERT OVERWRITE" : "INSERT"
            i += 1
            if i < t.count, t[i].isWord("TABLE") || t[i].isWord("INTO") { i += 1 }
            if i < t.count, t[i].isWord("TABLE") { i += 1 }
            guard let (parts, j) = name(t, i) else { return nil }
            target = parts
            i = j
            if i < t.count, t[i].isSymbol("("), let close = SQLRewriter.matchParen(t, i),
                !(i + 1 < t.count && (t[i + 1].isWord("SELECT") || t[i + 1].isWord("WITH")))
            {
                targetColumns = t[(i + 1)..<close].filter(\.isName).map(\.text)
                i = close + 1
            }
            while i < t.count, t[i].isWord("BY") || t[i].isWord("NAME") { i += 1 }
            query = t[i...]
        case "CREATE":
            // A view writes no table (its reads are checked, and expanded, when it is queried).
            if t.dropFirst().prefix(3).contains(where: { $0.isWord("VIEW") }) { return nil }
            while i < t.count, t[i].isWord("OR") || t[i].isWord("REPLACE") || t[i].isWord("TABLE") || t[i].isWord("IF") || t[i].isWord("NOT") || t[i].isWord("EXISTS") { i += 1 }
            guard let (parts, j) = name(t, i) else { return nil }
            target = parts
            kind = "CREATE TABLE AS SELECT"
            var k = j, depth = 0
            var start: Int?
            while k < t.count {
                if t[k].isSymbol("(") { depth += 1 } else if t[k].isSymbol(")") { depth -= 1 }
                if depth == 0, t[k].isWord("AS"), k + 1 < t.count, t[k + 1].isWord("SELECT") || t[k + 1].isWord("WITH") || t[k + 1].isSymbol("(") || t[k + 1].isWord("FROM") {
                    start = k + 1
                    break
                }
                k += 1
            }
            guard let start else { return nil }
            query = t[start...]
        case "MERGE":
            guard i < t.count, t[i].isWord("INTO"), let (parts, j) = name(t, i + 1) else { return nil }
            target = parts
            kind = "MERGE"
            return merge(Array(t), target: parts, after: j)
        default:
            return nil
        }
        let q = Array(query)
        let ctes = SQLRewriter.cteNames(q)
        let refs = ((try? SQLRewriter.tableReferences(q, ctes: ctes)) ?? []).filter { !$0.isCTE }
        let sources = refs.map { Source(parts: $0.parts, alias: $0.alias) }
        guard !sources.isEmpty else { return nil }
        let outputs = ctes.isEmpty ? selectList(q) : []
        return SQLLineagePlan(kind: kind, target: target, targetColumns: targetColumns, sources: sources, outputs: outputs)
    }

    static func name(_ t: [SQLToken], _ i: Int) -> ([String], Int)? {
        guard i < t.count, t[i].isName else { return nil }
        var parts = [t[i].text]
        var j = i + 1
        while j + 1 < t.count, t[j].isSymbol("."), t[j + 1].isName {
            parts.append(t[j + 1].text)
            j += 2
        }
        return parts.count <= 3 ? (parts, j) : nil
    }

    /// Words that are never column names inside an expression.
    static let keywords: Set<String> = [
        "CASE", "WHEN", "THEN", "ELSE", "END", "AND", "OR", "NOT", "NULL", "IS", "IN", "LIKE", "RLIKE", "ILIKE", "BETWEEN", "CAST", "AS", "TRUE",
        "FALSE", "INTERVAL", "DISTINCT", "ALL", "OVER", "PARTITION", "BY", "ORDER", "ASC", "DESC", "ROWS", "RANGE", "UNBOUNDED", "PRECEDING",
        "FOLLOWING", "CURRENT", "ROW", "FILTER", "WHERE", "NULLS", "FIRST", "LAST", "DATE", "TIMESTAMP", "ESCAPE", "EXISTS", "SELECT", "FROM",
        "DAY", "DAYS", "HOUR", "HOURS", "MINUTE", "MINUTES", "SECOND", "SECONDS", "MONTH", "MONTHS", "YEAR", "YEARS", "WEEK", "WEEKS",
    ]

    /// The top-level SELECT list of a query (empty for set operations or anything else).
    static func selectList(_ q: [SQLToken]) -> [Output] {
        guard let s = q.first, s.isWord("SELECT") else { return [] }
        var depth = 0
        var items: [[SQLToken]] = [[]]
        var i = 1
        while i < q.count, q[i].isWord("DISTINCT") || q[i].isWord("ALL") { i += 1 }
        var end = q.count
        var k = i
        while k < q.count {
            let tok = q[k]
            if tok.isSymbol("(") { depth += 1 } else if tok.isSymbol(")") { depth -= 1 }
            if depth == 0 {
                if tok.isWord("FROM") { end = k; break }
                if tok.isWord("UNION") || tok.isWord("EXCEPT") || tok.isWord("INTERSECT") || tok.isWord("MINUS") { return [] }
                if tok.isSymbol(",") { items.append([]); k += 1; continue }
            }
            items[items.count - 1].append(tok)
            k += 1
        }
        // A set operation after FROM makes the list only one branch's: show no column lineage.
        var d = 0
        for tok in q[end...] {
            if tok.isSymbol("(") { d += 1 } else if tok.isSymbol(")") { d -= 1 }
            if d == 0, tok.isWord("UNION") || tok.isWord("EXCEPT") || tok.isWord("INTERSECT") || tok.isWord("MINUS") { return [] }
        }
        return items.filter { !$0.isEmpty }.map(output)
    }

    static func output(_ item: [SQLToken]) -> Output {
        // `*` and `q.*`.
        if item.count == 1, item[0].isSymbol("*") { return Output(name: nil, inputs: [], star: .some(nil)) }
        if item.count == 3, item[0].isName, item[1].isSymbol("."), item[2].isSymbol("*") { return Output(name: nil, inputs: [], star: .some(item[0].text)) }
        var expr = item
        var alias: String?
        if expr.count >= 2, let last = expr.last, last.isName, !(last.kind == .word && keywords.contains(last.upper)) {
            let before = expr[expr.count - 2]
            if before.isWord("AS") {
                alias = last.text
                expr.removeLast(2)
            } else if !before.isSymbol("."), before.isName || before.isSymbol(")") || before.kind == .string || before.kind == .number {
                alias = last.text
                expr.removeLast()
            }
        }
        let refs = columnRefs(expr)
        if alias == nil, expr.count == 1, expr[0].isName { alias = expr[0].text }
        if alias == nil, expr.count == 3, expr[0].isName, expr[1].isSymbol("."), expr[2].isName { alias = expr[2].text }
        return Output(name: alias, inputs: refs, star: nil)
    }

    /// Column references in an expression: names not followed by `(`, not keywords, not type names after `AS`.
    static func columnRefs(_ e: [SQLToken]) -> [ColumnRef] {
        var out: [ColumnRef] = []
        var i = 0
        while i < e.count {
            let tok = e[i]
            if tok.isWord("AS") || tok.isWord("INTERVAL") {
                // CAST(x AS type(…)) / INTERVAL 1 DAY: skip the type or unit.
                i += 2
                if i < e.count, e[i].isSymbol("("), let close = SQLRewriter.matchParen(e, i) { i = close + 1 }
                continue
            }
            guard tok.isName else { i += 1; continue }
            if tok.kind == .word, keywords.contains(tok.upper) { i += 1; continue }
            if i + 1 < e.count, e[i + 1].isSymbol("(") { i += 1; continue }  // a function call
            if i > 0, e[i - 1].isSymbol(".") { i += 1; continue }  // handled with its qualifier
            if i + 2 < e.count, e[i + 1].isSymbol("."), e[i + 2].isName {
                // `q.col` or `schema.table.col` (the last two parts count).
                var j = i + 2
                while j + 2 < e.count, e[j + 1].isSymbol("."), e[j + 2].isName { j += 2 }
                out.append(ColumnRef(qualifier: e[j - 2].text, column: e[j].text))
                i = j + 1
                continue
            }
            out.append(ColumnRef(qualifier: nil, column: tok.text))
            i += 1
        }
        var seen = Set<ColumnRef>()
        return out.filter { seen.insert($0).inserted }
    }

    /// MERGE INTO target [AS] t USING source [AS] s ON … WHEN MATCHED THEN UPDATE SET col = expr …
    /// WHEN NOT MATCHED THEN INSERT (cols) VALUES (exprs).
    static func merge(_ t: [SQLToken], target: [String], after: Int) -> SQLLineagePlan? {
        guard let using = t.firstIndex(where: { $0.isWord("USING") }) else { return nil }
        let rest = Array(t[(using + 1)...])
        let ctes = SQLRewriter.cteNames(rest)
        var sources: [Source] = []
        if let (parts, j) = name(rest, 0) {
            var alias: String?
            var k = j
            if k < rest.count, rest[k].isWord("AS") { k += 1 }
            if k < rest.count, rest[k].isName, !rest[k].isWord("ON") { alias = rest[k].text }
            sources.append(Source(parts: parts, alias: alias))
        } else if let first = rest.first, first.isSymbol("("), let close = SQLRewriter.matchParen(rest, 0) {
            let inner = Array(rest[1..<close])
            sources = ((try? SQLRewriter.tableReferences(inner, ctes: ctes)) ?? []).filter { !$0.isCTE }.map { Source(parts: $0.parts, alias: $0.alias) }
        }
        guard !sources.isEmpty else { return nil }
        var outputs: [Output] = []
        // UPDATE SET a = expr, b = expr
        var i = 0
        while i < t.count {
            if t[i].isWord("SET"), i + 1 < t.count, !t[i + 1].isSymbol("*") {
                var j = i + 1
                var items: [[SQLToken]] = [[]]
                var depth = 0
                while j < t.count, !(depth == 0 && (t[j].isWord("WHEN"))) {
                    if t[j].isSymbol("(") { depth += 1 } else if t[j].isSymbol(")") { depth -= 1 }
                    if depth == 0, t[j].isSymbol(",") { items.append([]) } else { items[items.count - 1].append(t[j]) }
                    j += 1
                }
                for item in items {
                    guard let eq = item.firstIndex(where: { $0.isSymbol("=") }), eq > 0, let col = item[eq - 1].isName ? item[eq - 1].text : nil else { continue }
                    outputs.append(Output(name: col, inputs: columnRefs(Array(item[(eq + 1)...])), star: nil))
                }
                i = j
                continue
            }
            if t[i].isWord("INSERT"), i + 1 < t.count, t[i + 1].isSymbol("("), let close = SQLRewriter.matchParen(t, i + 1),
                close + 2 < t.count, t[close + 1].isWord("VALUES"), t[close + 2].isSymbol("("), let vclose = SQLRewriter.matchParen(t, close + 2)
            {
                let cols = t[(i + 2)..<close].filter(\.isName).map(\.text)
                var values: [[SQLToken]] = [[]]
                var depth = 0
                for tok in t[(close + 3)..<vclose] {
                    if tok.isSymbol("(") { depth += 1 } else if tok.isSymbol(")") { depth -= 1 }
                    if depth == 0, tok.isSymbol(",") { values.append([]) } else { values[values.count - 1].append(tok) }
                }
                for (c, v) in zip(cols, values) where !outputs.contains(where: { $0.name?.lowercased() == c.lowercased() }) {
                    outputs.append(Output(name: c, inputs: columnRefs(v), star: nil))
                }
                i = vclose + 1
                continue
            }
            i += 1
        }
        // Only references to the source side count (the target's own columns are not lineage).
        let sourceNames = Set(sources.flatMap { [$0.alias?.lowercased(), $0.parts.last?.lowercased()].compactMap { $0 } })
        outputs = outputs.map { o in
            var o = o
            o.inputs = o.inputs.filter { $0.qualifier.map { sourceNames.contains($0.lowercased()) } ?? true }
            return o
        }
        return SQLLineagePlan(kind: "MERGE", target: target, targetColumns: nil, sources: sources, outputs: outputs)
    }

    /// Column lineage per source table (by index into ``sources``): target column → source columns.
    /// `columnsOf` gives a source table's columns (to place bare names and expand `*`);
    /// `targetColumns` the written table's columns, for INSERT without a column list (positional).
    public func columnLineage(columnsOf: (Int) -> [String]?, targetColumns tableColumns: [String]?) -> [Int: [(target: String, sources: [String])]] {
        var result: [Int: [(target: String, sources: [String])]] = [:]
        func sourceIndex(_ qualifier: String) -> Int? {
            let q = qualifier.lowercased()
            return sources.firstIndex { $0.alias?.lowercased() == q } ?? sources.firstIndex { $0.alias == nil && $0.parts.last?.lowercased() == q }
        }
        func owner(_ column: String) -> Int? {
            if sources.count == 1 { return 0 }
            let owners = sources.indices.filter { columnsOf($0)?.contains { $0.lowercased() == column.lowercased() } ?? false }
            return owners.count == 1 ? owners[0] : nil
        }
        // Expand stars into plain outputs.
        var expanded: [(name: String?, inputs: [(Int, String)])] = []
        for o in outputs {
            if let star = o.star {
                let indices = star.map { q in sourceIndex(q).map { [$0] } ?? [] } ?? Array(sources.indices)
                for idx in indices {
                    for c in columnsOf(idx) ?? [] { expanded.append((c, [(idx, c)])) }
                }
                continue
            }
            var inputs: [(Int, String)] = []
            for r in o.inputs {
                let idx = r.qualifier.flatMap(sourceIndex) ?? (r.qualifier == nil ? owner(r.column) : nil)
                if let idx { inputs.append((idx, r.column)) }
            }
            expanded.append((o.name, inputs))
        }
        let names: [String?]
        if kind == "MERGE" {
            names = expanded.map(\.name)
        } else if let cols = targetColumns ?? (kind.hasPrefix("INSERT") ? tableColumns : nil) {
            names = expanded.indices.map { $0 < cols.count ? cols[$0] : nil }
        } else {
            names = expanded.map(\.name)
        }
        for (k, o) in expanded.enumerated() {
            guard let target = names[k] else { continue }
            var bySource: [Int: [String]] = [:]
            for (idx, c) in o.inputs where !(bySource[idx]?.contains(c) ?? false) { bySource[idx, default: []].append(c) }
            for (idx, cols) in bySource { result[idx, default: []].append((target, cols)) }
        }
        return result
    }
}
