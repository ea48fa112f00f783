import Foundation

// MARK: - Row filters

/// Selects rows of a table for `delete`, `update`, `overwrite(where:)` and friends.
///
/// SQL engines bind to this: `matches` evaluates the filter on one batch (in the table schema, all
/// columns present) with SQL three-valued logic — a row whose condition is NULL is *not* matched.
/// `pruningHint` is an optional, conservative summary used to skip whole data files by partition
/// values and column statistics: every row the filter matches must also satisfy the hint (a hint may
/// match more rows than the filter, never fewer). Return nil when no such summary is available.
public protocol RowFilter: Sendable {
    /// One flag per row: true when the row matches (NULL → false).
    func matches(_ batch: RecordBatch) throws -> [Bool]
    /// A predicate implied by this filter, for partition / statistics pruning (nil: no pruning).
    var pruningHint: ParquetPredicate? { get }
    /// A readable form for `operationParameters.predicate` in the Delta commit info.
    var description: String { get }
}

extension RowFilter {
    public var pruningHint: ParquetPredicate? { nil }
    public var description: String { String(describing: Self.self) }
}

/// The built-in filter: a ``ParquetPredicate`` evaluated row by row (=, <, <=, >, >=, between, is
/// [not] null, and, or), SQL semantics (comparisons with NULL are not matched). Literals are compared
/// with ``compareValues``; date and timestamp columns hold days / microseconds (`.int`) and also accept
/// ISO strings, which ``bind(to:)`` converts. The predicate doubles as its own pruning hint.
public struct PredicateFilter: RowFilter {
    public let predicate: ParquetPredicate

    public init(_ predicate: ParquetPredicate) { self.predicate = predicate }

    /// Parses a small WHERE syntax: `a = 1 and (b < 'x' or c is null)`, `d between 1 and 5`, `!=`/`<>`,
    /// `is not null`; literals are numbers, 'strings', true/false, null. Literals are converted to each
    /// column's type using `schema` (dates and timestamps from ISO strings).
    public init(parsing text: String, schema: Schema) throws {
        var p = PredicateParser(text)
        predicate = try PredicateFilter.bind(try p.parse(), to: schema)
    }

    public var pruningHint: ParquetPredicate? { predicate }
    public var description: String { PredicateFilter.render(predicate) }

    public func matches(_ batch: RecordBatch) throws -> [Bool] {
        var out = [Bool](repeating: false, count: batch.numRows)
        for r in 0..<batch.numRows { out[r] = try PredicateFilter.eval(predicate, batch, r) == true }
        return out
    }

    /// Three-valued evaluation of row `r`: true, false or nil (unknown).
    static func eval(_ p: ParquetPredicate, _ b: RecordBatch, _ r: Int) throws -> Bool? {
        func col(_ name: String) throws -> Column {
            guard let c = b.column(named: name) else { throw TableError.invalidArgument("the filter names column \(name), which is not in the table") }
            return c
        }
        func cmp(_ name: String, _ v: Value) throws -> Int? {
            guard let x = try col(name).value(at: r) else { return nil }
            return compareValues(x, v)
        }
        switch p {
        case .equal(let c, let v): return try cmp(c, v).map { $0 == 0 }
        case .less(let c, let v): return try cmp(c, v).map { $0 < 0 }
        case .lessOrEqual(let c, let v): return try cmp(c, v).map { $0 <= 0 }
        case .greater(let c, let v): return try cmp(c, v).map { $0 > 0 }
        case .greaterOrEqual(let c, let v): return try cmp(c, v).map { $0 >= 0 }
        case .between(let c, let lo, let hi):
            guard let a = try cmp(c, lo), let z = try cmp(c, hi) else { return nil }
            return a >= 0 && z <= 0
        case .isNull(let c): return try col(c).isNull(r)
        case .isNotNull(let c): return try !col(c).isNull(r)
        case .and(let ps):
            var unknown = false
            for q in ps {
                switch try eval(q, b, r) {
                case false?: return false
                case nil: unknown = true
                default: break
                }
            }
            return unknown ? nil : true
        case .or(let ps):
            var unknown = false
            for q in ps {
                switch try eval(q, b, r) {
                case true?: return true
                case nil: unknown = true
                default: break
                }
            }
            return unknown ? nil : false
        }
    }

    /// Converts the literals of a predicate to the types of the columns they are compared with; throws
    /// for unknown columns and literals that do not fit.
    public static func bind(_ p: ParquetPredicate, to schema: Schema) throws -> ParquetPredicate {
        func field(_ name: String) throws -> Field {
            guard let i = schema.index(of: name) else { throw TableError.invalidArgument("no column \(name)") }
            return schema.fields[i]
        }
        func lit(_ c: String, _ v: Value) throws -> Value {
            let f = try field(c)
            return try coerceLiteral(v, to: f.type, column: c)
        }
        switch p {
        case .equal(let c, let v): return .equal(c, try lit(c, v))
        case .less(let c, let v): return .less(c, try lit(c, v))
        case .lessOrEqual(let c, let v): return .lessOrEqual(c, try lit(c, v))
        case .greater(let c, let v): return .greater(c, try lit(c, v))
        case .greaterOrEqual(let c, let v): return .greaterOrEqual(c, try lit(c, v))
        case .between(let c, let lo, let hi): return .between(c, try lit(c, lo), try lit(c, hi))
        case .isNull(let c): _ = try field(c); return p
        case .isNotNull(let c): _ = try field(c); return p
        case .and(let ps): return .and(try ps.map { try bind($0, to: schema) })
        case .or(let ps): return .or(try ps.map { try bind($0, to: schema) })
        }
    }

    /// A literal in the value form of a column type (for comparisons): ISO strings for dates and
    /// timestamps, numbers for decimals; numbers stay numbers for numeric columns.
    static func coerceLiteral(_ v: Value, to t: LakeType, column: String) throws -> Value {
        func bad() -> TableError { .invalidArgument("literal \(v) does not fit column \(column) of type \(t)") }
        switch (t, v) {
        case (.date, .string(let s)), (.timestamp, .string(let s)), (.decimal, .string(let s)):
            guard let x = try? PartitionValues.value(s, t) else { throw bad() }
            return x
        case (.decimal(_, let scale), .int(let x)):
            var m: Int128 = 1
            for _ in 0..<scale { m *= 10 }
            return .decimal(Int128(x) * m)
        case (.decimal, .double(let d)):
            guard let x = try? PartitionValues.value(String(d), t) else { throw bad() }
            return x
        case (.int8, .int), (.int16, .int), (.int32, .int), (.int64, .int), (.date, .int), (.timestamp, .int): return v
        case (.int8, .double), (.int16, .double), (.int32, .double), (.int64, .double): return v
        case (.float32, .int), (.float64, .int), (.float32, .double), (.float64, .double): return v
        case (.string, .string), (.bool, .bool), (.binary, .bytes): return v
        case (.binary, .string(let s)): return .bytes(Array(s.utf8))
        default: throw bad()
        }
    }

    static func render(_ p: ParquetPredicate) -> String {
        func lit(_ v: Value) -> String {
            switch v {
            case .string(let s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
            case .int(let x): return String(x)
            case .double(let d): return String(d)
            case .bool(let b): return b ? "true" : "false"
            case .decimal(let d): return String(d)
            case .bytes(let b): return "X'" + b.map { String(format: "%02x", $0) }.joined() + "'"
            }
        }
        switch p {
        case .equal(let c, let v): return "\(c) = \(lit(v))"
        case .less(let c, let v): return "\(c) < \(lit(v))"
        case .lessOrEqual(let c, let v): return "\(c) <= \(lit(v))"
        case .greater(let c, let v): return "\(c) > \(lit(v))"
        case .greaterOrEqual(let c, let v): return "\(c) >= \(lit(v))"
        case .between(let c, let a, let b): return "\(c) BETWEEN \(lit(a)) AND \(lit(b))"
        case .isNull(let c): return "\(c) IS NULL"
        case .isNotNull(let c): return "\(c) IS NOT NULL"
        case .and(let ps): return ps.isEmpty ? "true" : "(" + ps.map(render).joined(separator: " AND ") + ")"
        case .or(let ps): return ps.isEmpty ? "false" : "(" + ps.map(render).joined(separator: " OR ") + ")"
        }
    }
}

/// Matches every row (`delete()` with no condition).
public struct AllRows: RowFilter {
    public init() {}
    public func matches(_ batch: RecordBatch) throws -> [Bool] { [Bool](repeating: true, count: batch.numRows) }
    public var description: String { "true" }
}

/// A filter from a closure, with an optional pruning hint (which must be implied by the closure).
public struct ClosureFilter: RowFilter {
    let body: @Sendable (RecordBatch) throws -> [Bool]
    public let pruningHint: ParquetPredicate?
    public let description: String

    public init(description: String = "<closure>", hint: ParquetPredicate? = nil, _ body: @escaping @Sendable (RecordBatch) throws -> [Bool]) {
        self.body = body
        self.pruningHint = hint
        self.description = description
    }

    public func matches(_ batch: RecordBatch) throws -> [Bool] {
        let m = try body(batch)
        guard m.count == batch.numRows else { throw TableError.invalidArgument("a row filter returned \(m.count) flags for \(batch.numRows) rows") }
        return m
    }
}

// MARK: - Updates

/// The new value of one column in `update(where:set:)`.
public enum ColumnAssignment: Sendable {
    /// A constant (nil = NULL), checked against the column type once.
    case value(Value?)
    /// Computed from the (whole) batch; only the values of matched rows are used. The result is cast to
    /// the column type (integer/float widening) and must have one value per row.
    case compute(@Sendable (RecordBatch) throws -> Column)
}

// MARK: - Merge

/// What `merge` does with a target row whose key matches a source row.
public enum MergeMatchedAction: Sendable, Equatable {
    /// Leave it alone.
    case none
    /// Replace its non-key columns with the source row's (source columns missing from the source keep the target value).
    case update
    /// Delete it.
    case delete
}

// MARK: - Results

/// What a DML command did.
public struct TableChange: Sendable {
    /// The version committed, or the unchanged current version when nothing needed changing.
    public let version: Int64
    /// False when no commit was needed (no rows matched).
    public let committed: Bool
    /// Delta `operationMetrics` (numDeletedRows, numRemovedFiles, numAddedFiles, ...).
    public let metrics: [String: Int64]
}

// MARK: - Stats pruning

/// Decides from a data file's partition values and Delta stats whether any of its rows may satisfy a
/// predicate (false only when that is impossible).
enum FilePruning {
    struct Range { var min: Value?; var max: Value?; var nulls: Int64?; var rows: Int64? }

    static func mightMatch(_ add: DeltaAdd, _ p: ParquetPredicate, schema: Schema, partitionColumns: Set<String>) -> Bool {
        let stats = add.stats.flatMap { try? LakeJSON.parse($0) }
        let rows = stats?["numRecords"]?.int
        if rows == 0 { return false }
        var cache: [String: Range?] = [:]
        func range(_ name: String) -> Range? {
            if let r = cache[name] { return r }
            let r = compute(name)
            cache[name] = r
            return r
        }
        func compute(_ name: String) -> Range? {
            guard let i = schema.index(of: name) else { return nil }
            let t = schema.fields[i].type
            if partitionColumns.contains(name) {
                guard let v = try? PartitionValues.value(add.partitionValues[name] ?? nil, t) else { return nil }
                return v == nil ? Range(min: nil, max: nil, nulls: 1, rows: 1) : Range(min: v, max: v, nulls: 0, rows: 1)
            }
            guard let stats else { return nil }
            func val(_ j: LakeJSON?) -> Value? {
                guard let j else { return nil }
                switch t {
                case .date, .timestamp: return j.string.flatMap { try? PartitionValues.value($0, t) }
                case .int8, .int16, .int32, .int64: return j.int.map { .int($0) }
                case .float32, .float64: return j.double.map { .double($0) }
                case .string: return j.string.map { .string($0) }
                default: return nil
                }
            }
            var hi = val(stats["maxValues"]?[name])
            // Timestamp stats are milliseconds: the true max may be up to 999 µs later.
            if case .timestamp = t, case .int(let x)? = hi { hi = .int(x + 999) }
            return Range(min: val(stats["minValues"]?[name]), max: hi, nulls: stats["nullCount"]?[name]?.int, rows: rows)
        }
        func allNull(_ r: Range) -> Bool { r.nulls != nil && r.rows != nil && r.nulls! >= r.rows! }
        func below(_ c: String, _ v: Value, _ orEqual: Bool) -> Bool {
            guard let r = range(c) else { return true }
            if allNull(r) { return false }
            guard let lo = r.min, let k = compareValues(lo, v) else { return true }
            return orEqual ? k <= 0 : k < 0
        }
        func above(_ c: String, _ v: Value, _ orEqual: Bool) -> Bool {
            guard let r = range(c) else { return true }
            if allNull(r) { return false }
            guard let hi = r.max, let k = compareValues(hi, v) else { return true }
            return orEqual ? k >= 0 : k > 0
        }
        func eval(_ p: ParquetPredicate) -> Bool {
            switch p {
            case .and(let ps): return ps.allSatisfy(eval)
            case .or(let ps): return ps.isEmpty ? false : ps.contains(where: eval)
            case .isNull(let c):
                guard let r = range(c), let n = r.nulls else { return true }
                return n > 0
            case .isNotNull(let c):
                guard let r = range(c) else { return true }
                return !allNull(r)
            case .equal(let c, let v): return below(c, v, true) && above(c, v, true)
            case .less(let c, let v): return below(c, v, false)
            case .lessOrEqual(let c, let v): return below(c, v, true)
            case .greater(let c, let v): return above(c, v, false)
            case .greaterOrEqual(let c, let v): return above(c, v, true)
            case .between(let c, let lo, let hi): return above(c, lo, true) && below(c, hi, true)
            }
        }
        return eval(p)
    }
}

// MARK: - WHERE parser

/// Recursive-descent parser for ``PredicateFilter/init(parsing:schema:)``.
struct PredicateParser {
    enum Token: Equatable { case ident(String), number(String), string(String), op(String), lparen, rparen, comma }
    var tokens: [Token] = []
    var pos = 0
    var error: TableError?

    init(_ text: String) {
        let s = Array(text)
        var i = 0
        while i < s.count {
            let c = s[i]
            if c.isWhitespace { i += 1; continue }
            if c == "(" { tokens.append(.lparen); i += 1; continue }
            if c == ")" { tokens.append(.rparen); i += 1; continue }
            if c == "," { tokens.append(.comma); i += 1; continue }
            if c == "'" {
                var out = ""
                i += 1
                while i < s.count {
                    if s[i] == "'" {
                        if i + 1 < s.count, s[i + 1] == "'" { out.append("'"); i += 2; continue }
                        break
                    }
                    out.append(s[i]); i += 1
                }
                if i >= s.count { error = .invalidArgument("unterminated string in filter") }
                i += 1
                tokens.append(.string(out))
                continue
            }
            if "<>=!".contains(c) {
                var op = String(c)
                if i + 1 < s.count, "=>".contains(s[i + 1]), !(c == "=" ) { op.append(s[i + 1]); i += 1 }
                i += 1
                tokens.append(.op(op))
                continue
            }
            if c.isNumber || ((c == "-" || c == "+") && i + 1 < s.count && s[i + 1].isNumber) {
                var out = String(c)
                i += 1
                while i < s.count, s[i].isNumber || s[i] == "." || s[i] == "e" || s[i] == "E" || ((s[i] == "-" || s[i] == "+") && (s[i - 1] == "e" || s[i - 1] == "E")) {
                    out.append(s[i]); i += 1
                }
                tokens.append(.number(out))
                continue
            }
            if c.isLetter || c == "_" || c == "`" || c == "\"" {
                if c == "`" || c == "\"" {
                    var out = ""
                    i += 1
                    while i < s.count, s[i] != c { out.append(s[i]); i += 1 }
                    i += 1
                    tokens.append(.ident(out))
                    continue
                }
                var out = ""
                while i < s.count, s[i].isLetter || s[i].isNumber || s[i] == "_" { out.append(s[i]); i += 1 }
                tokens.append(.ident(out))
                continue
            }
            error = .invalidArgument("unexpected character '\(c)' in filter")
            break
        }
    }

    func keyword(_ t: Token?, _ k: String) -> Bool { if case .ident(let s)? = t { return s.lowercased() == k }; return false }
    var peek: Token? { pos < tokens.count ? tokens[pos] : nil }

    mutating func parse() throws -> ParquetPredicate {
        if let error { throw error }
        let p = try orExpr()
        guard pos == tokens.count else { throw TableError.invalidArgument("unexpected \(tokens[pos]) in filter") }
        return p
    }

    mutating func orExpr() throws -> ParquetPredicate {
        var parts = [try andExpr()]
        while keyword(peek, "or") { pos += 1; parts.append(try andExpr()) }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    mutating func andExpr() throws -> ParquetPredicate {
        var parts = [try atom()]
        while keyword(peek, "and") { pos += 1; parts.append(try atom()) }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    mutating func literal() throws -> Value {
        guard let t = peek else { throw TableError.invalidArgument("filter ends where a value was expected") }
        pos += 1
        switch t {
        case .string(let s): return .string(s)
        case .number(let n):
            if let i = Int64(n) { return .int(i) }
            if let d = Double(n) { return .double(d) }
            throw TableError.invalidArgument("bad number \(n) in filter")
        case .ident(let s) where s.lowercased() == "true": return .bool(true)
        case .ident(let s) where s.lowercased() == "false": return .bool(false)
        case .ident(let s) where ["date", "timestamp"].contains(s.lowercased()):
            // DATE '2026-01-01' / TIMESTAMP '...'
            if case .string(let v)? = peek { pos += 1; return .string(v) }
            throw TableError.invalidArgument("\(s) must be followed by a quoted value")
        default: throw TableError.invalidArgument("expected a value in filter, found \(t)")
        }
    }

    mutating func atom() throws -> ParquetPredicate {
        if peek == .lparen {
            pos += 1
            let p = try orExpr()
            guard peek == .rparen else { throw TableError.invalidArgument("missing ) in filter") }
            pos += 1
            return p
        }
        guard case .ident(let column)? = peek else { throw TableError.invalidArgument("expected a column name in filter") }
        pos += 1
        if keyword(peek, "is") {
            pos += 1
            var not = false
            if keyword(peek, "not") { pos += 1; not = true }
            guard keyword(peek, "null") else { throw TableError.invalidArgument("expected NULL after IS") }
            pos += 1
            return not ? .isNotNull(column) : .isNull(column)
        }
        if keyword(peek, "between") {
            pos += 1
            let lo = try literal()
            guard keyword(peek, "and") else { throw TableError.invalidArgument("expected AND in BETWEEN") }
            pos += 1
            return .between(column, lo, try literal())
        }
        if keyword(peek, "in") {
            pos += 1
            guard peek == .lparen else { throw TableError.invalidArgument("expected ( after IN") }
            pos += 1
            var values: [ParquetPredicate] = []
            while true {
                values.append(.equal(column, try literal()))
                if peek == .comma { pos += 1; continue }
                guard peek == .rparen else { throw TableError.invalidArgument("expected ) after IN list") }
                pos += 1
                break
            }
            return values.count == 1 ? values[0] : .or(values)
        }
        guard case .op(let op)? = peek else { throw TableError.invalidArgument("expected a comparison after \(column)") }
        pos += 1
        if keyword(peek, "null") { throw TableError.invalidArgument("comparing with NULL is never true; use IS NULL") }
        let v = try literal()
        switch op {
        case "=", "==": return .equal(column, v)
        case "<": return .less(column, v)
        case "<=": return .lessOrEqual(column, v)
        case ">": return .greater(column, v)
        case ">=": return .greaterOrEqual(column, v)
        case "!=", "<>": return .or([.less(column, v), .greater(column, v)])
        default: throw TableError.invalidArgument("unknown operator \(op) in filter")
        }
    }
}
