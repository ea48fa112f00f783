import Foundation

/// One lexical token of a Spark-dialect SQL statement.
struct SQLToken: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        /// A bare word: keyword or identifier.
        case word
        /// A `backtick`-quoted identifier (text is the unquoted name).
        case quoted
        /// A string literal (text is the unescaped value). Spark treats "…" as a string too.
        case string
        /// A numeric literal (text without Spark's type suffix).
        case number
        /// `X'0A0B'` (text is the hex digits).
        case blob
        /// Operators and punctuation: ( ) , . ; + - * / % = == <> != < <= > >= <=> || ! ~ & | ^ ::
        case symbol
    }

    var kind: Kind
    var text: String
    /// Spark literal suffix of a number (L, S, Y, D, F, BD), uppercased; empty otherwise.
    var suffix: String = ""

    init(_ kind: Kind, _ text: String, suffix: String = "") {
        self.kind = kind
        self.text = text
        self.suffix = suffix
    }

    static func word(_ s: String) -> SQLToken { SQLToken(.word, s) }
    static func symbol(_ s: String) -> SQLToken { SQLToken(.symbol, s) }
    static func string(_ s: String) -> SQLToken { SQLToken(.string, s) }
    static func quoted(_ s: String) -> SQLToken { SQLToken(.quoted, s) }

    /// Case-insensitive keyword test (bare words only).
    func isWord(_ k: String) -> Bool { kind == .word && text.caseInsensitiveCompare(k) == .orderedSame }
    func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }
    var upper: String { text.uppercased() }
    /// A word or quoted identifier.
    var isName: Bool { kind == .word || kind == .quoted }

    /// The token in SQLite's syntax.
    var sqlite: String {
        switch kind {
        case .word: return text
        case .quoted: return text.sqliteQuoted
        case .string: return text.sqlLiteral
        case .number: return text
        case .blob: return "X'" + text + "'"
        case .symbol: return text
        }
    }
}

/// Splits Spark SQL text into tokens: whitespace and `--`, `/* */` comments are dropped.
enum SQLTokenizer {
    static func tokenize(_ sql: String) throws -> [SQLToken] {
        let s = Array(sql.unicodeScalars)
        var out: [SQLToken] = []
        var i = 0
        func peek(_ k: Int) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }
        func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { $0.value >= 48 && $0.value <= 57 } ?? false }
        func isIdentStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
        func isIdentPart(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || isDigit(c) || c == "$" }
        while i < s.count {
            let c = s[i]
            if c.properties.isWhitespace { i += 1; continue }
            if c == "-" && peek(1) == "-" {
                while i < s.count && s[i] != "\n" { i += 1 }
                continue
            }
            if c == "/" && peek(1) == "*" {
                i += 2
                var closed = false
                while i < s.count {
                    if s[i] == "*" && peek(1) == "/" { i += 2; closed = true; break }
                    i += 1
                }
                if !closed { throw SQLError.invalid("unterminated /* comment") }
                continue
            }
            if (c == "x" || c == "X") && peek(1) == "'" {
                i += 2
                var hex = ""
                while i < s.count && s[i] != "'" { hex.unicodeScalars.append(s[i]); i += 1 }
                guard i < s.count else { throw SQLError.invalid("unterminated binary literal") }
                i += 1
                guard hex.count % 2 == 0, hex.allSatisfy(\.isHexDigit) else { throw SQLError.invalid("bad binary literal X'\(hex)'") }
                out.append(SQLToken(.blob, hex))
                continue
            }
            if c == "'" || c == "\"" {
                let q = c
                i += 1
                var v = ""
                var closed = false
                while i < s.count {
                    let d = s[i]
                    if d == "\\", i + 1 < s.count {
                        let e = s[i + 1]
                        switch e {
                        case "n": v += "\n"
                        case "t": v += "\t"
                        case "r": v += "\r"
                        case "0": v += "\u{0}"
                        case "b": v += "\u{8}"
                        case "Z": v += "\u{1A}"
                        // LIKE patterns keep their escapes.
                        case "%": v += "\\%"
                        case "_": v += "\\_"
                        default: v.unicodeScalars.append(e)
                        }
                        i += 2
                        continue
                    }
                    if d == q {
                        if peek(1) == q { v.unicodeScalars.append(q); i += 2; continue }
                        i += 1
                        closed = true
                        break
                    }
                    v.unicodeScalars.append(d)
                    i += 1
                }
                if !closed { throw SQLError.invalid("unterminated string literal") }
                // Adjacent literals concatenate ('a' 'b' = 'ab').
                if let last = out.last, last.kind == .string { out[out.count - 1].text += v } else { out.append(.string(v)) }
                continue
            }
            if c == "`" {
                i += 1
                var v = ""
                var closed = false
                while i < s.count {
                    if s[i] == "`" {
                        if peek(1) == "`" { v += "`"; i += 2; continue }
                        i += 1
                        closed = true
                        break
                    }
                    v.unicodeScalars.append(s[i])
                    i += 1
                }
                if !closed { throw SQLError.invalid("unterminated `identifier`") }
                out.append(.quoted(v))
                continue
            }
            if isDigit(c) || (c == "." && isDigit(peek(1))) {
                var v = ""
                while i < s.count && isDigit(s[i]) { v.unicodeScalars.append(s[i]); i += 1 }
                if i < s.count && s[i] == "." && !(peek(1) == "." ) {
                    v += "."
                    i += 1
                    while i < s.count && isDigit(s[i]) { v.unicodeScalars.append(s[i]); i += 1 }
                }
                if i < s.count && (s[i] == "e" || s[i] == "E") && (isDigit(peek(1)) || ((peek(1) == "+" || peek(1) == "-") && isDigit(peek(2)))) {
                    v += "e"
                    i += 1
                    if s[i] == "+" || s[i] == "-" { v.unicodeScalars.append(s[i]); i += 1 }
                    while i < s.count && isDigit(s[i]) { v.unicodeScalars.append(s[i]); i += 1 }
                }
                var suffix = ""
                if i < s.count {
                    let rest = String(String.UnicodeScalarView(s[i..<min(s.count, i + 2)])).uppercased()
                    if rest == "BD" && !(i + 2 < s.count && isIdentPart(s[i + 2])) {
                        suffix = "BD"; i += 2
                    } else if let f = rest.first, "LSYDF".contains(f), !(i + 1 < s.count && isIdentPart(s[i + 1])) {
                        suffix = String(f); i += 1
                    }
                }
                if i < s.count && isIdentStart(s[i]) {
                    // 1abc: an identifier starting with digits (Spark allows it).
                    var w = v + suffix
                    while i < s.count && isIdentPart(s[i]) { w.unicodeScalars.append(s[i]); i += 1 }
                    out.append(.word(w))
                    continue
                }
                if v.hasPrefix(".") { v = "0" + v }
                if v.hasSuffix(".") { v += "0" }
                out.append(SQLToken(.number, v, suffix: suffix))
                continue
            }
            if isIdentStart(c) {
                var v = ""
                while i < s.count && isIdentPart(s[i]) { v.unicodeScalars.append(s[i]); i += 1 }
                out.append(.word(v))
                continue
            }
            // Symbols, longest first.
            let three = i + 2 < s.count ? String(String.UnicodeScalarView(s[i...i + 2])) : ""
            let two = i + 1 < s.count ? String(String.UnicodeScalarView(s[i...i + 1])) : ""
            if three == "<=>" { out.append(.symbol(three)); i += 3; continue }
            if ["<=", ">=", "<>", "!=", "==", "||", "::", "<<", ">>", "&&"].contains(two) { out.append(.symbol(two)); i += 2; continue }
            if "(),.;+-*/%=<>!~&|^[]:?".unicodeScalars.contains(c) { out.append(.symbol(String(c))); i += 1; continue }
            throw SQLError.invalid("unexpected character '\(c)' in SQL")
        }
        return out
    }

    /// Renders tokens as SQLite SQL.
    static func render(_ tokens: [SQLToken]) -> String {
        var out = ""
        for (k, t) in tokens.enumerated() {
            if k > 0 { out += " " }
            out += t.sqlite
        }
        return out
    }

    /// Splits a script into statements at top-level semicolons (empty statements dropped).
    static func statements(_ tokens: [SQLToken]) -> [[SQLToken]] {
        var out: [[SQLToken]] = []
        var cur: [SQLToken] = []
        for t in tokens {
            if t.isSymbol(";") {
                if !cur.isEmpty { out.append(cur) }
                cur = []
            } else {
                cur.append(t)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
}
