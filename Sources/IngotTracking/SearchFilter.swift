import Foundation

/// MLflow's search filter language: comparisons joined by `AND`, e.g.
/// `metrics.acc > 0.9 AND params.model = 'cnn' AND tags.\`mlflow.runName\` LIKE 'exp%'`.
///
/// Parsing produces a syntax tree (``FilterCondition``) with no knowledge of tables; the SQL
/// compilers turn it into parameterized SQL for each kind of search.
public enum FilterComparator: String, Sendable, Equatable {
    case eq = "="
    case ne = "!="
    case lt = "<"
    case le = "<="
    case gt = ">"
    case ge = ">="
    case like = "LIKE"
    case ilike = "ILIKE"
    case inList = "IN"
    case notInList = "NOT IN"
    case isNull = "IS NULL"
    case isNotNull = "IS NOT NULL"

    var isOrdering: Bool { [.lt, .le, .gt, .ge].contains(self) }
}

public enum FilterValue: Sendable, Equatable {
    /// A numeric literal with its source text (integers stay exact).
    case number(Double, text: String, isInteger: Bool)
    case string(String)
    case list([String])
    case none
}

/// One comparison: `entity.key comparator value`. `entity` is the raw prefix as written
/// (`metrics`, `tags`, `attributes`, ...), or nil when the identifier had no prefix.
public struct FilterCondition: Sendable, Equatable {
    public var entity: String?
    public var key: String
    public var comparator: FilterComparator
    public var value: FilterValue
}

/// Tokenizes and parses filter strings. Errors are INVALID_PARAMETER_VALUE, as MLflow's.
public struct SearchFilterParser: Sendable {
    enum Token: Equatable {
        case identifier(entity: String?, key: String)
        case string(String)
        case number(Double, String, Bool)
        case op(String)
        case keyword(String)
        case lparen, rparen, comma
    }

    public init() {}

    /// Parses a whole filter; an empty or nil filter yields no conditions.
    public func parse(_ filter: String?) throws -> [FilterCondition] {
        guard let filter, !filter.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        let tokens = try tokenize(filter)
        var conditions: [FilterCondition] = []
        var index = 0
        func fail(_ why: String) -> TrackingError {
            .invalidParameter("Invalid filter '\(filter)': \(why)")
        }
        while index < tokens.count {
            guard case .identifier(let entity, let key) = tokens[index] else {
                throw fail("expected an identifier such as metrics.x, params.x, tags.x or attributes.x")
            }
            index += 1
            guard index < tokens.count else { throw fail("incomplete comparison for '\(key)'") }
            var comparator: FilterComparator
            switch tokens[index] {
            case .op(let op): comparator = FilterComparator(rawValue: op == "<>" ? "!=" : op) ?? .eq
            case .keyword("LIKE"): comparator = .like
            case .keyword("ILIKE"): comparator = .ilike
            case .keyword("IN"): comparator = .inList
            case .keyword("NOT"):
                guard index + 1 < tokens.count, tokens[index + 1] == .keyword("IN") else { throw fail("expected IN after NOT") }
                index += 1
                comparator = .notInList
            case .keyword("IS"):
                if index + 1 < tokens.count, tokens[index + 1] == .keyword("NULL") {
                    index += 1
                    comparator = .isNull
                } else if index + 2 < tokens.count, tokens[index + 1] == .keyword("NOT"), tokens[index + 2] == .keyword("NULL") {
                    index += 2
                    comparator = .isNotNull
                } else {
                    throw fail("expected NULL or NOT NULL after IS")
                }
            default: throw fail("expected a comparison operator after '\(key)'")
            }
            index += 1
            var value = FilterValue.none
            if comparator != .isNull && comparator != .isNotNull {
                guard index < tokens.count else { throw fail("missing value for '\(key)'") }
                switch tokens[index] {
                case .string(let s): value = .string(s)
                case .number(let d, let text, let isInt): value = .number(d, text: text, isInteger: isInt)
                case .lparen:
                    var items: [String] = []
                    index += 1
                    while true {
                        guard index < tokens.count else { throw fail("unterminated list") }
                        guard case .string(let s) = tokens[index] else { throw fail("a list may contain only quoted strings") }
                        items.append(s)
                        index += 1
                        guard index < tokens.count else { throw fail("unterminated list") }
                        if tokens[index] == .rparen { break }
                        guard tokens[index] == .comma else { throw fail("expected ',' or ')' in list") }
                        index += 1
                    }
                    value = .list(items)
                default: throw fail("expected a value after '\(key) \(comparator.rawValue)'")
                }
                index += 1
            }
            if case .list = value, comparator != .inList && comparator != .notInList {
                throw fail("a list value needs IN or NOT IN")
            }
            if comparator == .inList || comparator == .notInList, case .list = value {} else if comparator == .inList || comparator == .notInList {
                throw fail("IN and NOT IN need a parenthesized list of quoted strings")
            }
            conditions.append(FilterCondition(entity: entity, key: key, comparator: comparator, value: value))
            if index < tokens.count {
                guard tokens[index] == .keyword("AND") else {
                    throw fail("conditions can only be joined with AND")
                }
                index += 1
                guard index < tokens.count else { throw fail("dangling AND") }
            }
        }
        return conditions
    }

    // MARK: - Tokenizer

    func tokenize(_ text: String) throws -> [Token] {
        let chars = Array(text.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        func fail(_ why: String) -> TrackingError { .invalidParameter("Invalid filter '\(text)': \(why)") }

        func readQuoted(_ quote: Unicode.Scalar) throws -> String {
            // i points at the opening quote; a doubled quote inside is an escaped quote.
            var out = String.UnicodeScalarView()
            i += 1
            while i < chars.count {
                if chars[i] == quote {
                    if i + 1 < chars.count && chars[i + 1] == quote {
                        out.append(quote)
                        i += 2
                        continue
                    }
                    i += 1
                    return String(out)
                }
                if chars[i] == "\\" && i + 1 < chars.count && chars[i + 1] == quote {
                    out.append(quote)
                    i += 2
                    continue
                }
                out.append(chars[i])
                i += 1
            }
            throw fail("unterminated quoted text")
        }
        func isIdentStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
        func isIdentChar(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c) }

        while i < chars.count {
            let c = chars[i]
            if c.properties.isWhitespace {
                i += 1
                continue
            }
            switch c {
            case "(": tokens.append(.lparen); i += 1; continue
            case ")": tokens.append(.rparen); i += 1; continue
            case ",": tokens.append(.comma); i += 1; continue
            case "'": tokens.append(.string(try readQuoted("'"))); continue
            case "=", "!", "<", ">":
                var op = String(c)
                if i + 1 < chars.count, chars[i + 1] == "=" || (c == "<" && chars[i + 1] == ">") {
                    op.unicodeScalars.append(chars[i + 1])
                    i += 1
                }
                i += 1
                if op == "!" { throw fail("unexpected '!'") }
                if op == "==" { op = "=" }
                tokens.append(.op(op))
                continue
            default: break
            }
            // Numbers (a leading sign only where a value is expected).
            let prevIsOperator: Bool = {
                if case .op = tokens.last { return true }
                if tokens.last == .lparen || tokens.last == .comma { return true }
                return false
            }()
            if ("0"..."9").contains(c) || c == "." && i + 1 < chars.count && ("0"..."9").contains(chars[i + 1])
                || (c == "-" || c == "+") && prevIsOperator
            {
                var j = i
                if chars[j] == "-" || chars[j] == "+" { j += 1 }
                var isInt = true
                while j < chars.count, ("0"..."9").contains(chars[j]) { j += 1 }
                if j < chars.count, chars[j] == "." {
                    isInt = false
                    j += 1
                    while j < chars.count, ("0"..."9").contains(chars[j]) { j += 1 }
                }
                if j < chars.count, chars[j] == "e" || chars[j] == "E" {
                    var k = j + 1
                    if k < chars.count, chars[k] == "+" || chars[k] == "-" { k += 1 }
                    if k < chars.count, ("0"..."9").contains(chars[k]) {
                        isInt = false
                        j = k
                        while j < chars.count, ("0"..."9").contains(chars[j]) { j += 1 }
                    }
                }
                let textValue = String(String.UnicodeScalarView(chars[i..<j]))
                guard let number = Double(textValue) else { throw fail("invalid number '\(textValue)'") }
                tokens.append(.number(number, textValue, isInt))
                i = j
                continue
            }
            if c == "\"" && {
                // A double-quoted token not followed by '.' is a string value (MLflow accepts both quotes).
                if case .op = tokens.last { return true }
                if tokens.last == .keyword("LIKE") || tokens.last == .keyword("ILIKE") || tokens.last == .lparen || tokens.last == .comma { return true }
                return false
            }() {
                tokens.append(.string(try readQuoted("\"")))
                continue
            }
            // Identifiers: segments of word characters, `backtick` or "double-quoted" parts, joined by dots.
            if isIdentStart(c) || c == "`" || c == "\"" {
                var parts: [String] = []
                var current = ""
                var quotedCurrent = false
                while i < chars.count {
                    let d = chars[i]
                    if d == "`" || d == "\"" {
                        current += try readQuoted(d)
                        quotedCurrent = true
                    } else if isIdentChar(d) {
                        current.unicodeScalars.append(d)
                        i += 1
                    } else if d == "." && !current.isEmpty {
                        parts.append(current)
                        current = ""
                        quotedCurrent = false
                        i += 1
                        // After the entity prefix, the rest (dots included) is the key, possibly quoted.
                        if parts.count == 1 {
                            var key = ""
                            var sawQuote = false
                            while i < chars.count {
                                let e = chars[i]
                                if e == "`" || e == "\"" {
                                    key += try readQuoted(e)
                                    sawQuote = true
                                } else if !sawQuote && (isIdentChar(e) || e == "." || e == "-" || e == ":" || e == "/") {
                                    key.unicodeScalars.append(e)
                                    i += 1
                                } else {
                                    break
                                }
                            }
                            current = key
                            quotedCurrent = true
                            break
                        }
                    } else {
                        break
                    }
                }
                _ = quotedCurrent
                parts.append(current)
                if parts.count == 1 {
                    let word = parts[0]
                    let upper = word.uppercased()
                    if ["AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL"].contains(upper) && !text.isEmpty {
                        if upper == "OR" { throw fail("OR is not supported; join conditions with AND") }
                        tokens.append(.keyword(upper))
                    } else {
                        tokens.append(.identifier(entity: nil, key: word))
                    }
                } else {
                    if parts[1].isEmpty { throw fail("missing key after '\(parts[0]).'") }
                    tokens.append(.identifier(entity: parts[0], key: parts[1]))
                }
                continue
            }
            throw fail("unexpected character '\(c)'")
        }
        return tokens
    }
}

/// An `order_by` entry: `metrics.acc DESC`, `params.lr`, `attributes.start_time ASC`.
public struct OrderClause: Sendable, Equatable {
    public var entity: String?
    public var key: String
    public var ascending: Bool

    /// Parses one order_by string.
    public static func parse(_ text: String) throws -> OrderClause {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var body = trimmed
        var ascending = true
        let upper = trimmed.uppercased()
        if upper.hasSuffix(" DESC") {
            ascending = false
            body = String(trimmed.dropLast(5))
        } else if upper.hasSuffix(" ASC") {
            body = String(trimmed.dropLast(4))
        }
        body = body.trimmingCharacters(in: .whitespaces)
        guard !body.isEmpty else { throw TrackingError.invalidParameter("Invalid order_by clause '\(text)'. Could not be parsed.") }
        let tokens = try SearchFilterParser().tokenize(body)
        guard tokens.count == 1 else {
            // `run name` style aliases with a space are written with backticks; anything else is invalid.
            throw TrackingError.invalidParameter("Invalid order_by clause '\(text)'. Could not be parsed.")
        }
        switch tokens[0] {
        case .identifier(let entity, let key): return OrderClause(entity: entity, key: key, ascending: ascending)
        case .keyword(let word): return OrderClause(entity: nil, key: word.lowercased(), ascending: ascending)
        default: throw TrackingError.invalidParameter("Invalid order_by clause '\(text)'. Could not be parsed.")
        }
    }
}
