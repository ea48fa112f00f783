/// MLflow's registry search grammar — conditions joined by `AND` — parsed into an AST that
/// ``RegistrySQL`` compiles to parameterized SQL. Nothing from the filter text is ever spliced
/// into SQL: keys are checked against a fixed list, values become bound arguments.
///
/// ```
/// filter     := condition ("AND" condition)*
/// condition  := key comparator value
/// key        := [prefix "."] name         prefix: tags | tag | attributes | attribute | attr
/// name       := word | `backticked` | "double-quoted"
/// comparator := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
/// value      := 'string' | "string" | number | "(" value ("," value)* ")"
/// ```
public struct RegistryFilter: Sendable, Equatable {
    public enum KeyKind: Sendable, Equatable {
        case attribute
        case tag
    }

    public enum Comparator: String, Sendable, Equatable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case like = "LIKE"
        case ilike = "ILIKE"
        case `in` = "IN"
        case notIn = "NOT IN"
    }

    public enum Value: Sendable, Equatable {
        case string(String)
        case number(String)
        case list([String])

        var scalarText: String? {
            switch self {
            case .string(let s), .number(let s): s
            case .list: nil
            }
        }
    }

    public struct Condition: Sendable, Equatable {
        public var kind: KeyKind
        public var key: String
        public var comparator: Comparator
        public var value: Value
    }

    public var conditions: [Condition]

    /// Parses a filter; an empty or nil filter matches everything.
    public static func parse(_ text: String?) throws -> RegistryFilter {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return RegistryFilter(conditions: []) }
        var parser = Parser(tokens: try Lexer.tokens(text), text: text)
        return RegistryFilter(conditions: try parser.parseConditions())
    }

    // MARK: - Lexer

    enum Token: Equatable {
        case word(String)
        case quotedIdentifier(String)
        case string(String)
        case number(String)
        case op(String)
        case lparen, rparen, comma, dot
    }

    enum Lexer {
        static func tokens(_ text: String) throws -> [Token] {
            let chars = Array(text)
            var i = 0
            var out: [Token] = []
            func fail() -> RegistryError { .invalidParameter("Invalid filter '\(text)'. Could not be parsed.") }
            while i < chars.count {
                let c = chars[i]
                if c.isWhitespace {
                    i += 1
                } else if c == "'" || c == "\"" || c == "`" {
                    var value = ""
                    var j = i + 1
                    var closed = false
                    while j < chars.count {
                        if chars[j] == c {
                            // A doubled quote inside a string is an escaped quote.
                            if j + 1 < chars.count && chars[j + 1] == c && c != "`" {
                                value.append(c)
                                j += 2
                                continue
                            }
                            closed = true
                            break
                        }
                        if chars[j] == "\\" && j + 1 < chars.count && chars[j + 1] == c {
                            value.append(c)
                            j += 2
                            continue
                        }
                        value.append(chars[j])
                        j += 1
                    }
                    guard closed else { throw fail() }
                    // A quoted name right after `prefix.` is an identifier, not a value.
                    if c == "`" || out.last == .dot {
                        out.append(.quotedIdentifier(value))
                    } else {
                        out.append(.string(value))
                    }
                    i = j + 1
                } else if c == "(" {
                    out.append(.lparen)
                    i += 1
                } else if c == ")" {
                    out.append(.rparen)
                    i += 1
                } else if c == "," {
                    out.append(.comma)
                    i += 1
                } else if c == "." && !(i + 1 < chars.count && chars[i + 1].isNumber && (out.last.map(isOperatorOrStart) ?? true)) {
                    out.append(.dot)
                    i += 1
                } else if c == "=" {
                    out.append(.op(i + 1 < chars.count && chars[i + 1] == "=" ? "==" : "="))
                    i += (i + 1 < chars.count && chars[i + 1] == "=") ? 2 : 1
                } else if c == "!" || c == "<" || c == ">" {
                    if i + 1 < chars.count && chars[i + 1] == "=" {
                        out.append(.op(String(c) + "="))
                        i += 2
                    } else if c == "!" {
                        throw fail()
                    } else if c == "<" && i + 1 < chars.count && chars[i + 1] == ">" {
                        out.append(.op("!="))
                        i += 2
                    } else {
                        out.append(.op(String(c)))
                        i += 1
                    }
                } else if c.isNumber || ((c == "-" || c == "+" || c == ".") && i + 1 < chars.count && (chars[i + 1].isNumber || chars[i + 1] == ".")) {
                    var j = i + 1
                    while j < chars.count && (chars[j].isNumber || chars[j] == "." || chars[j] == "e" || chars[j] == "E") { j += 1 }
                    // Digits running into letters form a word (e.g. a key like `1abc`).
                    if j < chars.count && (chars[j].isLetter || chars[j] == "_") {
                        while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_") { j += 1 }
                        out.append(.word(String(chars[i..<j])))
                    } else {
                        out.append(.number(String(chars[i..<j])))
                    }
                    i = j
                } else if c.isLetter || c == "_" {
                    var j = i + 1
                    while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_" || chars[j] == "-") { j += 1 }
                    out.append(.word(String(chars[i..<j])))
                    i = j
                } else {
                    throw fail()
                }
            }
            return out
        }

        static func isOperatorOrStart(_ token: Token) -> Bool {
            switch token {
            case .op, .lparen, .comma: true
            case .word(let w): ["in", "and"].contains(w.lowercased())
            default: false
            }
        }
    }

    // MARK: - Parser

    struct Parser {
        let tokens: [Token]
        let text: String
        var position = 0

        init(tokens: [Token], text: String) {
            self.tokens = tokens
            self.text = text
        }

        func fail(_ detail: String? = nil) -> RegistryError {
            .invalidParameter("Invalid filter '\(text)'" + (detail.map { ": \($0)" } ?? ". Could not be parsed."))
        }

        var current: Token? { position < tokens.count ? tokens[position] : nil }

        mutating func next() -> Token? {
            defer { position += 1 }
            return current
        }

        func isWord(_ token: Token?, _ word: String) -> Bool {
            if case .word(let w)? = token { return w.uppercased() == word }
            return false
        }

        mutating func parseConditions() throws -> [Condition] {
            var out = [try parseCondition()]
            while current != nil {
                guard isWord(next(), "AND") else { throw fail("conditions can only be joined with AND") }
                out.append(try parseCondition())
            }
            return out
        }

        mutating func parseCondition() throws -> Condition {
            let (kind, key) = try parseKey()
            let comparator = try parseComparator()
            let value = try parseValue()
            switch (comparator, value) {
            case (.in, .list), (.notIn, .list): break
            case (.in, _), (.notIn, _): throw fail("\(comparator.rawValue) needs a parenthesized list of values")
            case (_, .list): throw fail("a list of values needs IN or NOT IN")
            default: break
            }
            return Condition(kind: kind, key: key, comparator: comparator, value: value)
        }

        mutating func parseKey() throws -> (KeyKind, String) {
            var first: String
            switch next() {
            case .word(let w)?: first = w
            case .quotedIdentifier(let w)?: first = w
            case .string(let w)?: first = w
            default: throw fail()
            }
            guard current == .dot else { return (.attribute, first) }
            position += 1
            var rest: String
            switch next() {
            case .word(let w)?: rest = w
            case .quotedIdentifier(let w)?: rest = w
            case .number(let n)?: rest = n
            default: throw fail()
            }
            // Unquoted tag keys may themselves contain dots (`tags.mlflow.note`).
            while current == .dot {
                position += 1
                switch next() {
                case .word(let w)?: rest += "." + w
                case .number(let n)?: rest += "." + n
                default: throw fail()
                }
            }
            switch first.lowercased() {
            case "tags", "tag": return (.tag, rest)
            case "attributes", "attribute", "attr": return (.attribute, rest)
            default: throw fail("Invalid entity type '\(first)'. Valid values are ['tag', 'attribute']")
            }
        }

        mutating func parseComparator() throws -> Comparator {
            switch next() {
            case .op(let o)?:
                switch o {
                case "=", "==": return .equal
                case "!=": return .notEqual
                case "<": return .less
                case "<=": return .lessOrEqual
                case ">": return .greater
                case ">=": return .greaterOrEqual
                default: throw fail()
                }
            case .word(let w)?:
                switch w.uppercased() {
                case "LIKE": return .like
                case "ILIKE": return .ilike
                case "IN": return .in
                case "NOT":
                    guard isWord(next(), "IN") else { throw fail() }
                    return .notIn
                default: throw fail("Invalid comparator '\(w)'")
                }
            default: throw fail()
            }
        }

        mutating func parseValue() throws -> Value {
            switch next() {
            case .string(let s)?: return .string(s)
            case .number(let n)?: return .number(n)
            case .lparen?:
                var items: [String] = []
                while true {
                    switch next() {
                    case .string(let s)?: items.append(s)
                    case .number(let n)?: items.append(n)
                    default: throw fail()
                    }
                    switch next() {
                    case .comma?: continue
                    case .rparen?: return .list(items)
                    default: throw fail()
                    }
                }
            default: throw fail("expected a quoted value")
            }
        }
    }
}
