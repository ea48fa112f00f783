import Foundation

/// A table reference in a statement: `catalog.schema.table [VERSION AS OF n | TIMESTAMP AS OF 'ts'] [alias]`.
struct SQLTableReference: Equatable {
    /// Tokens `range` (name through time travel clause) are replaced by the bound virtual table.
    var range: Range<Int>
    var parts: [String]
    var version: TableVersionSpec?
    var hasAlias: Bool
    /// The explicit alias, if any.
    var alias: String? = nil
    /// A reference to a CTE of the statement (not a table).
    var isCTE = false
}

/// A time-travel clause.
enum TableVersionSpec: Equatable {
    case version(Int64)
    case timestamp(String)
}

/// Token-level rewrites from Spark SQL to SQLite SQL.
enum SQLRewriter {
    // MARK: - Structure helpers

    /// Index of the `)` matching the `(` at `open`, or nil.
    static func matchParen(_ t: [SQLToken], _ open: Int) -> Int? {
        var depth = 0
        var i = open
        while i < t.count {
            if t[i].isSymbol("(") || t[i].isSymbol("[") { depth += 1 }
            if t[i].isSymbol(")") || t[i].isSymbol("]") {
                depth -= 1
                if depth == 0 { return i }
            }
            i += 1
        }
        return nil
    }

    /// Index of the `(` matching the `)` at `close`, or nil.
    static func matchParenBackward(_ t: [SQLToken], _ close: Int) -> Int? {
        var depth = 0
        var i = close
        while i >= 0 {
            if t[i].isSymbol(")") || t[i].isSymbol("]") { depth += 1 }
            if t[i].isSymbol("(") || t[i].isSymbol("[") {
                depth -= 1
                if depth == 0 { return i }
            }
            i -= 1
        }
        return nil
    }

    /// Words that end a table reference (never aliases).
    static let clauseWords: Set<String> = [
        "WHERE", "JOIN", "ON", "USING", "LEFT", "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "NATURAL", "GROUP", "ORDER", "LIMIT",
        "OFFSET", "UNION", "EXCEPT", "INTERSECT", "MINUS", "HAVING", "WINDOW", "SET", "VERSION", "FOR", "LATERAL", "QUALIFY",
        "TABLESAMPLE", "SELECT", "FROM", "VALUES", "WHEN", "THEN", "ELSE", "END", "AND", "OR", "NOT", "SEMI", "ANTI", "CLUSTER",
        "DISTRIBUTE", "SORT", "PIVOT", "UNPIVOT", "AS", "WITH", "INTO", "MATCHED", "RETURNING", "SYSTEM_VERSION", "SYSTEM_TIME",
    ]

    /// Names defined by `WITH name [(cols)] AS (` in the statement (lowercased).
    static func cteNames(_ t: [SQLToken]) -> Set<String> { Set(cteDefinitions(t).map(\.name)) }

    /// The CTEs of the statement in order: lowercased name and body tokens.
    static func cteDefinitions(_ t: [SQLToken]) -> [(name: String, body: [SQLToken])] {
        var out: [(name: String, body: [SQLToken])] = []
        var i = 0
        while i < t.count {
            if t[i].isName, !(t[i].kind == .word && clauseWords.contains(t[i].upper)) {
                var j = i + 1
                if j < t.count, t[j].isSymbol("("), let close = matchParen(t, j) { j = close + 1 }
                if j < t.count, t[j].isWord("AS") {
                    var k = j + 1
                    if k < t.count, t[k].isWord("NOT") { k += 1 }
                    if k < t.count, t[k].isWord("MATERIALIZED") { k += 1 }
                    if k < t.count, t[k].isSymbol("("),
                       i == 0 || t[i - 1].isWord("WITH") || t[i - 1].isWord("RECURSIVE") || t[i - 1].isSymbol(","),
                       let close = matchParen(t, k) {
                        out.append((t[i].text.lowercased(), Array(t[(k + 1)..<close])))
                    }
                }
            }
            i += 1
        }
        return out
    }

    /// The table references after FROM/JOIN (including comma lists), skipping CTE names and
    /// table-valued functions. `alsoAt` adds positions where a table name starts (INSERT INTO …).
    static func tableReferences(_ t: [SQLToken], ctes: Set<String>) throws -> [SQLTableReference] {
        var refs: [SQLTableReference] = []
        try scanReferences(t, 0, t.count, ctes: ctes, into: &refs)
        return refs
    }

    static func scanReferences(_ t: [SQLToken], _ start: Int, _ end: Int, ctes: Set<String>, into refs: inout [SQLTableReference]) throws {
        let clauseEnd: Set<String> = ["WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "MINUS", "WINDOW",
                                      "QUALIFY", "SELECT", "SET", "WHEN", "VALUES"]
        var inFrom: [Bool] = [false]  // per parenthesis depth: inside a FROM clause (a comma starts another table)
        var i = start
        while i < end {
            let tok = t[i]
            if tok.isSymbol("(") {
                inFrom.append(false)
            } else if tok.isSymbol(")") {
                if inFrom.count > 1 { inFrom.removeLast() }
            } else if tok.isWord("FROM") || tok.isWord("JOIN") || (tok.isSymbol(",") && inFrom.last == true) {
                // EXTRACT(x FROM y) is not a table list.
                if tok.isWord("FROM"), isInsideExtract(t, i) { i += 1; continue }
                i = try parseRefList(t, i + 1, ctes: ctes, into: &refs)
                inFrom[inFrom.count - 1] = true
                continue
            } else if tok.kind == .word, clauseEnd.contains(tok.upper) {
                inFrom[inFrom.count - 1] = false
            }
            i += 1
        }
    }

    static func isInsideExtract(_ t: [SQLToken], _ i: Int) -> Bool {
        // Walk back to the enclosing '(' and check the word before it.
        var depth = 0
        var j = i - 1
        while j >= 0 {
            if t[j].isSymbol(")") { depth += 1 }
            if t[j].isSymbol("(") {
                if depth == 0 { return j > 0 && (t[j - 1].isWord("EXTRACT") || t[j - 1].isWord("TRIM") || t[j - 1].isWord("SUBSTRING") || t[j - 1].isWord("POSITION")) }
                depth -= 1
            }
            j -= 1
        }
        return false
    }

    /// Parses `ref [, ref]*` starting at `i`; returns the index after it.
    static func parseRefList(_ t: [SQLToken], _ start: Int, ctes: Set<String>, into refs: inout [SQLTableReference]) throws -> Int {
        var i = start
        while i < t.count {
            if t[i].isWord("LATERAL") { i += 1 }
            guard i < t.count else { break }
            if t[i].isSymbol("(") {
                guard let close = matchParen(t, i) else { throw SQLError.invalid("unbalanced parentheses") }
                // Subquery (or parenthesized join): its own references first.
                try scanReferences(t, i + 1, close, ctes: ctes, into: &refs)
                i = skipAlias(t, close + 1)
                if i < t.count, t[i].isSymbol(",") { i += 1; continue }
                return i
            }
            guard t[i].isName, !(t[i].kind == .word && clauseWords.contains(t[i].upper)) else { return i }
            let nameStart = i
            var parts = [t[i].text]
            i += 1
            while i + 1 < t.count, t[i].isSymbol("."), t[i + 1].isName {
                parts.append(t[i + 1].text)
                i += 2
            }
            if i < t.count, t[i].isSymbol("(") {
                // Table-valued function.
                guard let close = matchParen(t, i) else { throw SQLError.invalid("unbalanced parentheses") }
                i = skipAlias(t, close + 1)
                if i < t.count, t[i].isSymbol(",") { i += 1; continue }
                return i
            }
            var version: TableVersionSpec?
            var j = i
            if j < t.count, t[j].isWord("FOR") { j += 1 }
            if j + 3 < t.count, t[j].isWord("VERSION") || t[j].isWord("SYSTEM_VERSION"), t[j + 1].isWord("AS"), t[j + 2].isWord("OF") {
                guard t[j + 3].kind == .number, let v = Int64(t[j + 3].text) else { throw SQLError.invalid("VERSION AS OF needs an integer version") }
                version = .version(v)
                i = j + 4
            } else if j + 3 < t.count, t[j].isWord("TIMESTAMP") || t[j].isWord("SYSTEM_TIME"), t[j + 1].isWord("AS"), t[j + 2].isWord("OF") {
                guard t[j + 3].kind == .string else { throw SQLError.invalid("TIMESTAMP AS OF needs a quoted timestamp") }
                version = .timestamp(t[j + 3].text)
                i = j + 4
            }
            let end = i
            if parts.count == 1, version == nil, ctes.contains(parts[0].lowercased()) {
                // A CTE, not a table.
                let afterAlias = skipAlias(t, end)
                var alias: String?
                if afterAlias != end { alias = t[end].isWord("AS") ? t[end + 1].text : t[end].text }
                refs.append(SQLTableReference(range: nameStart..<end, parts: parts, version: nil, hasAlias: alias != nil, alias: alias, isCTE: true))
            } else {
                guard parts.count <= 3 else { throw SQLError.invalid("table name \(parts.joined(separator: ".")) has too many parts") }
                let afterAlias = skipAlias(t, end)
                var alias: String?
                if afterAlias != end { alias = t[end].isWord("AS") ? t[end + 1].text : t[end].text }
                refs.append(SQLTableReference(range: nameStart..<end, parts: parts, version: version, hasAlias: afterAlias != end, alias: alias))
            }
            i = skipAlias(t, end)
            if i < t.count, t[i].isSymbol(",") { i += 1; continue }
            return i
        }
        return i
    }

    /// Skips `[AS] alias [(cols)]`.
    static func skipAlias(_ t: [SQLToken], _ start: Int) -> Int {
        var i = start
        if i < t.count, t[i].isWord("AS") { i += 1 }
        if i < t.count, t[i].isName, !(t[i].kind == .word && clauseWords.contains(t[i].upper)) {
            i += 1
            if i < t.count, t[i].isSymbol("("), let close = matchParen(t, i) { i = close + 1 }
            return i
        }
        return start
    }

    // MARK: - Expression rewrites

    /// Applies every Spark → SQLite expression rewrite.
    static func rewriteExpressions(_ tokens: [SQLToken]) throws -> [SQLToken] {
        var t = tokens
        t = try rewriteExtract(t)
        t = try rewriteCasts(t)
        t = rewriteLiteralsAndNames(t)
        t = try rewriteIntegerDivision(t)
        t = rewriteDivision(t)
        return t
    }

    static let comparisonOps: Set<String> = ["=", "==", "<", "<=", ">", ">=", "<>", "!=", "<=>"]

    /// Spark compares a date/timestamp column with a string by casting the string: string literals
    /// compared with (or BETWEEN bounds of) a date or timestamp column are rewritten to the canonical
    /// SQLite-side text of that value (NULL when they do not parse), so text comparison is exact.
    static func normalizeTemporalLiterals(_ tokens: [SQLToken], columnType: (String?, String) -> LakeType?) -> [SQLToken] {
        var t = tokens
        func temporal(_ alias: String?, _ col: String) -> LakeType? {
            switch columnType(alias, col) {
            case .date?: return .date
            case .timestamp(let u)?: return .timestamp(utc: u)
            default: return nil
            }
        }
        /// The column reference ending at `end` (inclusive), if it is one.
        func columnEnding(at end: Int) -> LakeType? {
            guard end >= 0, t[end].isName else { return nil }
            if end >= 2, t[end - 1].isSymbol("."), t[end - 2].isName { return temporal(t[end - 2].text, t[end].text) }
            if end >= 1, t[end - 1].isSymbol(".") { return nil }
            return temporal(nil, t[end].text)
        }
        /// The column reference starting at `start`, if it is one (and not a function call).
        func columnStarting(at start: Int) -> LakeType? {
            guard start < t.count, t[start].isName else { return nil }
            if start + 2 < t.count, t[start + 1].isSymbol("."), t[start + 2].isName {
                if start + 3 < t.count, t[start + 3].isSymbol("(") || t[start + 3].isSymbol(".") { return nil }
                return temporal(t[start].text, t[start + 2].text)
            }
            if start + 1 < t.count, t[start + 1].isSymbol("(") || t[start + 1].isSymbol(".") { return nil }
            return temporal(nil, t[start].text)
        }
        for k in t.indices where t[k].kind == .string {
            if k > 0, t[k - 1].isWord("DATE") || t[k - 1].isWord("TIMESTAMP") { continue }
            var type: LakeType?
            if k >= 2, t[k - 1].kind == .symbol, comparisonOps.contains(t[k - 1].text) {
                type = columnEnding(at: k - 2)
            } else if k + 2 < t.count, t[k + 1].kind == .symbol, comparisonOps.contains(t[k + 1].text) {
                type = columnStarting(at: k + 2)
            } else if k >= 2, t[k - 1].isWord("BETWEEN") {
                type = columnEnding(at: k - 2)
            } else if k >= 4, t[k - 1].isWord("AND"), t[k - 2].kind == .string, t[k - 3].isWord("BETWEEN") {
                type = columnEnding(at: k - 4)
            }
            guard let type else { continue }
            if type == .date {
                t[k] = SQLTypes.parseDate(t[k].text).map { .string(SQLTypes.dateText($0)) } ?? .word("NULL")
            } else {
                t[k] = SQLTypes.parseTimestamp(t[k].text).map { .string(SQLTypes.timestampText($0)) } ?? .word("NULL")
            }
        }
        return t
    }

    /// `CAST(x AS type)` / `TRY_CAST` → `spark_cast_<type>(x)`; `x::type` is not supported.
    static func rewriteCasts(_ tokens: [SQLToken]) throws -> [SQLToken] {
        var t = tokens
        while let k = t.lastIndex(where: { ($0.isWord("CAST") || $0.isWord("TRY_CAST")) }), k + 1 < t.count, t[k + 1].isSymbol("(") {
            guard let close = matchParen(t, k + 1) else { throw SQLError.invalid("unbalanced parentheses in CAST") }
            var depth = 0
            var asIndex: Int?
            for j in (k + 2)..<close {
                if t[j].isSymbol("(") { depth += 1 }
                if t[j].isSymbol(")") { depth -= 1 }
                if depth == 0, t[j].isWord("AS") { asIndex = j }
            }
            guard let asAt = asIndex, asAt > k + 2 else { throw SQLError.invalid("CAST needs `expr AS type`") }
            let expr = Array(t[(k + 2)..<asAt])
            let typeText = t[(asAt + 1)..<close].map(\.text).joined()
            guard let type = SQLTypes.parseSparkType(typeText) else { throw SQLError.unsupported("CAST to \(typeText)") }
            var repl: [SQLToken] = [.word(castFunction(type)), .symbol("(")] + expr
            if case .decimal(let p, let s) = type {
                repl += [.symbol(","), SQLToken(.number, String(p)), .symbol(","), SQLToken(.number, String(s))]
            }
            repl.append(.symbol(")"))
            t.replaceSubrange(k...close, with: repl)
        }
        return t
    }

    static func castFunction(_ type: LakeType) -> String {
        switch type {
        case .bool: return "spark_cast_boolean"
        case .int8: return "spark_cast_tinyint"
        case .int16: return "spark_cast_smallint"
        case .int32: return "spark_cast_int"
        case .int64: return "spark_cast_bigint"
        case .float32: return "spark_cast_float"
        case .float64: return "spark_cast_double"
        case .string: return "spark_cast_string"
        case .binary: return "spark_cast_binary"
        case .date: return "spark_cast_date"
        case .timestamp: return "spark_cast_timestamp"
        case .decimal: return "spark_cast_decimal"
        default: return "spark_cast_string"
        }
    }

    /// `EXTRACT(field FROM x)` → `spark_extract('field', x)`.
    static func rewriteExtract(_ tokens: [SQLToken]) throws -> [SQLToken] {
        var t = tokens
        while let k = t.lastIndex(where: { $0.isWord("EXTRACT") }), k + 3 < t.count, t[k + 1].isSymbol("("), t[k + 3].isWord("FROM") {
            guard let close = matchParen(t, k + 1) else { throw SQLError.invalid("unbalanced parentheses in EXTRACT") }
            let field = t[k + 2].text
            let expr = Array(t[(k + 4)..<close])
            t.replaceSubrange(k...close, with: [.word("spark_extract"), .symbol("("), .string(field), .symbol(",")] + expr + [.symbol(")")])
        }
        return t
    }

    /// Function names whose calls are renamed (SQLite keywords or different names).
    static let renamedCalls: [String: String] = [
        "IF": "iif", "IFF": "iif", "LEFT": "left_str", "RIGHT": "right_str", "ISNULL": "isnull_fn", "ISNOTNULL": "isnotnull_fn",
        "RAND": "spark_rand", "RANDOM": "spark_rand", "NOW": "spark_current_timestamp", "CURRENT_TIMESTAMP": "spark_current_timestamp",
        "CURRENT_DATE": "spark_current_date", "STRING_AGG": "group_concat", "LISTAGG": "group_concat", "NVL": "nvl",
        "CHARINDEX": "instr", "POSITION": "locate", "REGEXP_LIKE": "regexp_like", "DAYOFMONTH": "dayofmonth",
    ]

    /// Typed literals, number suffixes, `<=>`, RLIKE, current_date/timestamp without parentheses, renamed calls.
    static func rewriteLiteralsAndNames(_ tokens: [SQLToken]) -> [SQLToken] {
        var out: [SQLToken] = []
        var i = 0
        let t = tokens
        while i < t.count {
            let tok = t[i]
            let next = i + 1 < t.count ? t[i + 1] : nil
            let prevIsDot = out.last?.isSymbol(".") ?? false
            if tok.kind == .word, !prevIsDot {
                let u = tok.upper
                if (u == "DATE" || u == "TIMESTAMP" || u == "TIMESTAMP_NTZ" || u == "TIMESTAMP_LTZ"), let n = next, n.kind == .string {
                    out += [.word(u == "DATE" ? "spark_cast_date" : "spark_cast_timestamp"), .symbol("("), n, .symbol(")")]
                    i += 2
                    continue
                }
                if u == "RLIKE" || u == "REGEXP" {
                    if next?.isSymbol("(") == true {
                        out.append(.word("regexp_like"))
                    } else {
                        out.append(.word("REGEXP"))
                    }
                    i += 1
                    continue
                }
                if u == "CURRENT_DATE" || u == "CURRENT_TIMESTAMP" {
                    out += [.word(u == "CURRENT_DATE" ? "spark_current_date" : "spark_current_timestamp"), .symbol("("), .symbol(")")]
                    if next?.isSymbol("(") == true, i + 2 < t.count, t[i + 2].isSymbol(")") { i += 3 } else { i += 1 }
                    continue
                }
                if let n = next, n.isSymbol("("), let r = renamedCalls[u] {
                    out.append(.word(r))
                    i += 1
                    continue
                }
            }
            if tok.isSymbol("<=>") {
                out += [.word("IS")]
                i += 1
                continue
            }
            if tok.isSymbol("!"), next?.isSymbol("=") != true {
                out.append(.word("NOT"))
                i += 1
                continue
            }
            if tok.kind == .number, !tok.suffix.isEmpty {
                var n = tok
                switch tok.suffix {
                case "D", "F", "BD":
                    if !n.text.contains(".") && !n.text.contains("e") { n.text += ".0" }
                default:
                    if let dot = n.text.firstIndex(of: ".") { n.text = String(n.text[..<dot]) }
                }
                n.suffix = ""
                out.append(n)
                i += 1
                continue
            }
            out.append(tok)
            i += 1
        }
        return out
    }

    /// `a / b` is always floating-point division in Spark: `a * 1.0 / b` (same precedence, left
    /// associative, so the left operand is exactly what it was).
    static func rewriteDivision(_ tokens: [SQLToken]) -> [SQLToken] {
        var out: [SQLToken] = []
        for tok in tokens {
            if tok.isSymbol("/") {
                out += [.symbol("*"), SQLToken(.number, "1.0"), .symbol("/")]
            } else {
                out.append(tok)
            }
        }
        return out
    }

    /// The start of the primary expression ending at `end` (inclusive), walking backwards.
    static func primaryStart(_ t: [SQLToken], _ end: Int) -> Int? {
        guard end >= 0 else { return nil }
        var i = end
        if t[i].isSymbol(")") {
            guard let open = matchParenBackward(t, i) else { return nil }
            i = open
            if i > 0, t[i - 1].kind == .word, !clauseWords.contains(t[i - 1].upper) { i -= 1 }
        } else if t[i].isWord("END") {
            // CASE … END
            var depth = 0
            var j = i
            while j >= 0 {
                if t[j].isWord("END") { depth += 1 }
                if t[j].isWord("CASE") {
                    depth -= 1
                    if depth == 0 { break }
                }
                j -= 1
            }
            guard j >= 0 else { return nil }
            i = j
        } else if t[i].isName {
            while i >= 2, t[i - 1].isSymbol("."), t[i - 2].isName { i -= 2 }
        } else if [.number, .string, .blob].contains(t[i].kind) {
            // literal
        } else {
            return nil
        }
        // Unary minus/plus binds tighter than multiplication.
        if i >= 1, t[i - 1].isSymbol("-") || t[i - 1].isSymbol("+") {
            let before = i >= 2 ? t[i - 2] : nil
            if before == nil || before!.kind == .symbol && !before!.isSymbol(")") || before!.kind == .word && clauseWords.contains(before!.upper) {
                i -= 1
            }
        }
        return i
    }

    /// The end (inclusive) of the primary expression starting at `start`.
    static func primaryEnd(_ t: [SQLToken], _ start: Int) -> Int? {
        guard start < t.count else { return nil }
        var i = start
        while i < t.count, t[i].isSymbol("-") || t[i].isSymbol("+") { i += 1 }
        guard i < t.count else { return nil }
        if t[i].isSymbol("(") { return matchParen(t, i) }
        if t[i].isWord("CASE") {
            var depth = 0
            var j = i
            while j < t.count {
                if t[j].isWord("CASE") { depth += 1 }
                if t[j].isWord("END") {
                    depth -= 1
                    if depth == 0 { return j }
                }
                j += 1
            }
            return nil
        }
        if t[i].isName {
            while i + 2 < t.count, t[i + 1].isSymbol("."), t[i + 2].isName { i += 2 }
            if i + 1 < t.count, t[i + 1].isSymbol("(") { return matchParen(t, i + 1) }
            return i
        }
        if [.number, .string, .blob].contains(t[i].kind) { return i }
        return nil
    }

    /// `a div b` → `spark_idiv(a, b)` (the left operand is the whole multiplicative chain before it).
    static func rewriteIntegerDivision(_ tokens: [SQLToken]) throws -> [SQLToken] {
        var t = tokens
        while let k = t.firstIndex(where: { $0.isWord("DIV") }), k > 0, k + 1 < t.count {
            guard var ls = primaryStart(t, k - 1) else { throw SQLError.invalid("cannot find the left operand of DIV") }
            while ls >= 2, t[ls - 1].isSymbol("*") || t[ls - 1].isSymbol("/") || t[ls - 1].isSymbol("%"), let s = primaryStart(t, ls - 2) { ls = s }
            guard let re = primaryEnd(t, k + 1) else { throw SQLError.invalid("cannot find the right operand of DIV") }
            let left = Array(t[ls..<k]), right = Array(t[(k + 1)...re])
            t.replaceSubrange(ls...re, with: [.word("spark_idiv"), .symbol("(")] + left + [.symbol(",")] + right + [.symbol(")")])
        }
        return t
    }

    // MARK: - Result type hints

    /// Lake types of the top-level select items of a query, where the expression makes them clear
    /// (casts, typed functions, aggregates over columns of known type). nil entries: decide from
    /// the declared type or the values. Returns nil when the select list cannot be aligned (`*`).
    static func resultTypeHints(_ t: [SQLToken], columnType: (String?, String) -> LakeType?) -> [LakeType?]? {
        guard let items = selectItems(t) else { return nil }
        var hints: [LakeType?] = []
        for item in items {
            if item.last?.isSymbol("*") == true && (item.count == 1 || item[item.count - 2].isSymbol(".")) { return nil }
            let e = stripAlias(item)
            hints.append(exprType(e, columnType: columnType) ?? directColumnType(e, columnType))
        }
        return hints
    }

    /// The output column names of a query where they are evident (alias or column reference).
    static func resultNames(_ t: [SQLToken]) -> [String?]? {
        guard let items = selectItems(t) else { return nil }
        return items.map { item in
            let e = stripAlias(item)
            if e.count < item.count { return item.last!.text.lowercased() }
            if let last = e.last, last.isName, e.count == 1 || (e.count == 3 && e[1].isSymbol(".")) { return last.text.lowercased() }
            return nil
        }
    }

    /// Result column names for unaliased expressions, from the statement as written (Spark-like text,
    /// e.g. `count(*)`, `CAST(x AS TIMESTAMP)`); nil where SQLite's own name is right (aliases, columns).
    static func displayNames(_ original: [SQLToken]) -> [String?]? {
        guard let items = selectItems(original) else { return nil }
        return items.map { item in
            if item.last?.isSymbol("*") == true { return nil }
            let e = stripAlias(item)
            if e.count < item.count { return nil }
            if e.count == 1 || (e.count == 3 && e[1].isSymbol(".")) { return nil }
            return displayText(e)
        }
    }

    static func displayText(_ t: [SQLToken]) -> String {
        var out = ""
        for (k, tok) in t.enumerated() {
            let s: String
            switch tok.kind {
            case .string: s = tok.text.sqlLiteral
            case .quoted: s = "`" + tok.text + "`"
            case .number: s = tok.text + tok.suffix
            default: s = tok.text
            }
            if k > 0 {
                let prev = t[k - 1]
                let tight = tok.isSymbol(")") || tok.isSymbol(",") || tok.isSymbol(".") || prev.isSymbol("(") || prev.isSymbol(".")
                    || (tok.isSymbol("(") && prev.kind == .word && !clauseWords.contains(prev.upper) && !["IN", "EXISTS", "OVER", "AS"].contains(prev.upper))
                if !tight { out += " " }
            }
            out += s
        }
        return out
    }

    /// The top-level select list of the main SELECT.
    static func selectItems(_ t: [SQLToken]) -> [[SQLToken]]? {
        // The main SELECT: the first depth-0 SELECT.
        var depth = 0
        var selectAt: Int?
        for (i, tok) in t.enumerated() {
            if tok.isSymbol("(") { depth += 1 }
            if tok.isSymbol(")") { depth -= 1 }
            if depth == 0, tok.isWord("SELECT") { selectAt = i; break }
        }
        guard let s = selectAt else { return nil }
        var i = s + 1
        if i < t.count, t[i].isWord("DISTINCT") || t[i].isWord("ALL") { i += 1 }
        var items: [[SQLToken]] = []
        var cur: [SQLToken] = []
        depth = 0
        let stops: Set<String> = ["FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "WINDOW"]
        while i < t.count {
            let tok = t[i]
            if tok.isSymbol("(") { depth += 1 }
            if tok.isSymbol(")") { depth -= 1 }
            if depth == 0, tok.kind == .word, stops.contains(tok.upper) { break }
            if depth == 0, tok.isSymbol(",") {
                items.append(cur)
                cur = []
            } else {
                cur.append(tok)
            }
            i += 1
        }
        if !cur.isEmpty { items.append(cur) }
        return items
    }

    static func stripAlias(_ item: [SQLToken]) -> [SQLToken] {
        var e = item
        if e.count >= 3, e[e.count - 2].isWord("AS") { return Array(e.dropLast(2)) }
        if e.count >= 2, let last = e.last, last.isName, !last.isWord("END"), !(last.kind == .word && clauseWords.contains(last.upper)) {
            let prev = e[e.count - 2]
            if !prev.isSymbol("."), !(prev.kind == .symbol && !prev.isSymbol(")")), !(prev.kind == .word && ["IS", "NOT", "AND", "OR", "LIKE", "IN", "ELSE", "THEN", "WHEN", "CASE", "REGEXP", "BETWEEN"].contains(prev.upper)) {
                e.removeLast()
            }
        }
        return e
    }

    static let timestampFunctions: Set<String> = [
        "spark_cast_timestamp", "to_timestamp", "date_trunc", "spark_current_timestamp", "timestamp_seconds", "timestamp_millis", "timestamp_micros",
    ]
    static let dateFunctions: Set<String> = ["spark_cast_date", "to_date", "date_add", "date_sub", "dateadd", "spark_current_date", "last_day", "add_months", "make_date", "trunc"]
    static let int32Functions: Set<String> = [
        "year", "month", "day", "dayofmonth", "hour", "minute", "second", "quarter", "dayofweek", "weekday", "dayofyear", "weekofyear",
        "datediff", "date_diff", "length", "char_length", "character_length", "len", "instr", "locate", "spark_cast_int", "unix_date",
    ]
    static let int64Functions: Set<String> = [
        "count", "count_if", "spark_cast_bigint", "floor", "ceil", "ceiling", "unix_timestamp", "unix_seconds", "unix_millis", "unix_micros",
        "approx_count_distinct", "row_number", "rank", "dense_rank", "ntile", "spark_idiv",
    ]
    static let stringFunctions: Set<String> = [
        "spark_cast_string", "concat", "concat_ws", "substring", "substr", "upper", "lower", "ucase", "lcase", "trim", "ltrim", "rtrim",
        "date_format", "regexp_extract", "regexp_replace", "md5", "sha1", "sha", "sha2", "lpad", "rpad", "initcap", "reverse", "repeat",
        "replace", "left_str", "right_str", "from_unixtime", "split", "collect_list", "collect_set", "group_concat", "hex",
    ]
    static let boolFunctions: Set<String> = ["spark_cast_boolean", "isnull_fn", "isnotnull_fn", "regexp_like", "bool_and", "bool_or", "every", "some", "any"]
    static let float64Functions: Set<String> = [
        "spark_cast_double", "avg", "stddev", "stddev_samp", "stddev_pop", "std", "variance", "var_samp", "var_pop", "sqrt", "exp", "ln", "log",
        "log10", "log2", "pow", "power", "spark_rand", "percent_rank", "cume_dist", "cbrt",
    ]
    static let passThroughFunctions: Set<String> = [
        "min", "max", "first", "last", "any_value", "first_value", "last_value", "lag", "lead", "nth_value", "coalesce", "ifnull", "nvl",
        "nullif", "greatest", "least", "abs", "max_by", "min_by",
    ]

    static func exprType(_ e: [SQLToken], columnType: (String?, String) -> LakeType?) -> LakeType? {
        guard !e.isEmpty else { return nil }
        // Parenthesized.
        if e.first!.isSymbol("("), matchParen(e, 0) == e.count - 1 { return exprType(Array(e[1..<(e.count - 1)]), columnType: columnType) }
        // Column reference.
        if e.count == 1, e[0].isName { return nil }  // the declared type covers direct references
        // Top-level predicate → boolean.
        var depth = 0, caseDepth = 0
        for tok in e {
            if tok.isSymbol("(") { depth += 1 }
            if tok.isSymbol(")") { depth -= 1 }
            if tok.isWord("CASE") { caseDepth += 1 }
            if tok.isWord("END") { caseDepth -= 1 }
            guard depth == 0, caseDepth == 0 else { continue }
            if tok.kind == .symbol, ["=", "==", "<", "<=", ">", ">=", "<>", "!="].contains(tok.text) { return .bool }
            if tok.kind == .word, ["IS", "IN", "LIKE", "REGEXP", "BETWEEN", "AND", "OR", "NOT", "EXISTS", "GLOB"].contains(tok.upper) { return .bool }
        }
        // CASE: the type of the first THEN branch that has one.
        if e.first!.isWord("CASE"), e.last!.isWord("END") {
            var d = 0, cd = 0
            var k = 0
            while k < e.count {
                let tok = e[k]
                if tok.isSymbol("(") { d += 1 }
                if tok.isSymbol(")") { d -= 1 }
                if tok.isWord("CASE") { cd += 1 }
                if tok.isWord("END") { cd -= 1 }
                if d == 0, cd == 1, tok.isWord("THEN") || tok.isWord("ELSE") {
                    var j = k + 1
                    var dd = 0, cc = 0
                    while j < e.count {
                        if e[j].isSymbol("(") { dd += 1 }
                        if e[j].isSymbol(")") { dd -= 1 }
                        if e[j].isWord("CASE") { cc += 1 }
                        if e[j].isWord("END") { if cc == 0 && dd == 0 { break }; cc -= 1 }
                        if dd == 0, cc == 0, e[j].isWord("WHEN") || e[j].isWord("ELSE") { break }
                        j += 1
                    }
                    let branch = Array(e[(k + 1)..<j])
                    if let ty = exprType(branch, columnType: columnType) ?? directColumnType(branch, columnType) { return ty }
                    k = j
                    continue
                }
                k += 1
            }
            return nil
        }
        // A function call, possibly with OVER (…).
        guard e.count >= 3, e[0].kind == .word, e[1].isSymbol("("), let close = matchParen(e, 1) else { return nil }
        if close != e.count - 1 {
            guard close + 1 < e.count, e[close + 1].isWord("OVER") else { return nil }
        }
        let name = e[0].text.lowercased()
        let args = splitArgs(Array(e[2..<close]))
        func argType(_ k: Int) -> LakeType? {
            guard k < args.count else { return nil }
            return directColumnType(args[k], columnType) ?? exprType(args[k], columnType: columnType)
        }
        if timestampFunctions.contains(name) { return .timestamp(utc: true) }
        if dateFunctions.contains(name) { return .date }
        if int32Functions.contains(name) { return .int32 }
        if int64Functions.contains(name) { return .int64 }
        if stringFunctions.contains(name) { return .string }
        if boolFunctions.contains(name) { return .bool }
        if float64Functions.contains(name) {
            if name == "avg", case .decimal(let p, let s)? = argType(0) { return .decimal(precision: min(38, p + 4), scale: min(38, s + 4)) }
            return .float64
        }
        switch name {
        case "spark_cast_float": return .float32
        case "spark_cast_tinyint": return .int8
        case "spark_cast_smallint": return .int16
        case "spark_cast_binary": return .binary
        case "spark_cast_decimal":
            guard args.count == 3, let p = args[1].first.flatMap({ Int($0.text) }), let s = args[2].first.flatMap({ Int($0.text) }) else { return nil }
            return .decimal(precision: p, scale: s)
        case "sum":
            switch argType(0) {
            case .decimal(let p, let s)?: return .decimal(precision: min(38, p + 10), scale: s)
            case .int8?, .int16?, .int32?, .int64?, .bool?: return .int64
            case .float32?, .float64?: return .float64
            default: return nil
            }
        default: break
        }
        if passThroughFunctions.contains(name) {
            for k in 0..<args.count {
                if let ty = argType(k) { return ty }
                if name != "coalesce" && name != "ifnull" && name != "nvl" && name != "greatest" && name != "least" { break }
            }
        }
        return nil
    }

    static func directColumnType(_ e: [SQLToken], _ columnType: (String?, String) -> LakeType?) -> LakeType? {
        if e.count == 1, e[0].isName { return columnType(nil, e[0].text) }
        if e.count == 3, e[0].isName, e[1].isSymbol("."), e[2].isName { return columnType(e[0].text, e[2].text) }
        return nil
    }

    static func splitArgs(_ t: [SQLToken]) -> [[SQLToken]] {
        var out: [[SQLToken]] = []
        var cur: [SQLToken] = []
        var depth = 0
        for tok in t {
            if tok.isSymbol("(") { depth += 1 }
            if tok.isSymbol(")") { depth -= 1 }
            if depth == 0, tok.isSymbol(",") {
                out.append(cur)
                cur = []
            } else {
                cur.append(tok)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
}
