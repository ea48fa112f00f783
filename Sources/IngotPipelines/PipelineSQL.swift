import Foundation
import IngotCore

/// Errors of pipeline definitions and runs; definition errors name the file and line.
public struct PipelineError: IngotError {
    public let errorCode: ErrorCode
    public let message: String
    public init(_ code: ErrorCode, _ message: String) {
        errorCode = code
        self.message = message
    }
    public init(_ message: String) { self.init(.invalidParameterValue, message) }
}

/// A SQL token of a pipeline file. The engine's tokenizer is internal to IngotLake, so pipelines
/// carry their own small one: it only needs to find statement boundaries, names and literals while
/// honouring strings, backtick identifiers and comments.
struct PToken: Equatable {
    enum Kind { case word, quoted, string, number, symbol }
    var kind: Kind
    var text: String
    /// Character offsets into the statement source (`start..<end`).
    var start: Int
    var end: Int
    var line: Int

    func isWord(_ w: String) -> Bool { kind == .word && text.caseInsensitiveCompare(w) == .orderedSame }
    var isName: Bool { kind == .word || kind == .quoted }
}

enum PipelineTokenizer {
    static func tokenize(_ chars: [Character], file: String) throws -> [PToken] {
        var out: [PToken] = []
        var i = 0
        var line = 1
        while i < chars.count {
            let c = chars[i]
            if c == "\n" { line += 1; i += 1; continue }
            if c.isWhitespace { i += 1; continue }
            if c == "-", i + 1 < chars.count, chars[i + 1] == "-" {
                while i < chars.count, chars[i] != "\n" { i += 1 }
                continue
            }
            if c == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                let startLine = line
                i += 2
                while i < chars.count, !(chars[i] == "*" && i + 1 < chars.count && chars[i + 1] == "/") {
                    if chars[i] == "\n" { line += 1 }
                    i += 1
                }
                guard i < chars.count else { throw PipelineError("\(file):\(startLine): unterminated comment") }
                i += 2
                continue
            }
            let start = i, startLine = line
            if c == "'" || c == "\"" || c == "`" {
                var text = ""
                i += 1
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    if d == "\\", c != "`", i + 1 < chars.count {
                        text.append(chars[i + 1]); i += 2; continue
                    }
                    if d == c {
                        if i + 1 < chars.count, chars[i + 1] == c { text.append(c); i += 2; continue }
                        closed = true; i += 1; break
                    }
                    if d == "\n" { line += 1 }
                    text.append(d); i += 1
                }
                guard closed else { throw PipelineError("\(file):\(startLine): unterminated \(c == "`" ? "quoted identifier" : "string")") }
                out.append(PToken(kind: c == "`" ? .quoted : .string, text: text, start: start, end: i, line: startLine))
                continue
            }
            if c.isLetter || c == "_" {
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
                out.append(PToken(kind: .word, text: String(chars[start..<i]), start: start, end: i, line: line))
                continue
            }
            if c.isNumber {
                while i < chars.count, chars[i].isNumber || chars[i] == "." || chars[i].isLetter { i += 1 }
                out.append(PToken(kind: .number, text: String(chars[start..<i]), start: start, end: i, line: line))
                continue
            }
            // Two-character operators that matter here (`=>` for named arguments).
            let two: Set<String> = ["=>", "<=", ">=", "<>", "!=", "||", "::", "<=>"]
            if i + 1 < chars.count, two.contains(String([c, chars[i + 1]])) {
                out.append(PToken(kind: .symbol, text: String([c, chars[i + 1]]), start: i, end: i + 2, line: line))
                i += 2
                continue
            }
            out.append(PToken(kind: .symbol, text: String(c), start: i, end: i + 1, line: line))
            i += 1
        }
        return out
    }
}

/// What a dataset reads.
public enum PipelineSource: Sendable, Equatable {
    /// `STREAM(name)`: only rows added since the last update.
    case stream(parts: [String])
    /// `[STREAM] read_files('path', format => 'csv', …)`.
    case files(path: String, options: [String: String])
    /// A batch read of a table (`FROM name`, `JOIN name`).
    case table(parts: [String])
}

/// A table reference in a dataset's query, with where it is and what text it spans.
public struct PipelineReference: Sendable, Equatable {
    public var source: PipelineSource
    public var line: Int
    /// Character range of the reference in ``PipelineDataset/query`` (replaced when the source is staged).
    public var range: Range<Int>
}

public struct PipelineExpectation: Sendable, Equatable, Codable {
    public enum Action: String, Sendable, Codable { case warn, drop, fail }
    public var name: String
    public var condition: String
    public var action: Action
}

public struct PipelineDataset: Sendable, Equatable {
    public enum Kind: String, Sendable { case streamingTable = "STREAMING_TABLE", materializedView = "MATERIALIZED_VIEW" }
    public var name: String
    public var kind: Kind
    public var expectations: [PipelineExpectation]
    public var comment: String?
    /// The `SELECT …` text after `AS`.
    public var query: String
    public var references: [PipelineReference]
    public var file: String
    public var line: Int
    /// The AUTO CDC / APPLY CHANGES flow writing this streaming table (then ``query`` is empty).
    public var cdc: PipelineCDCFlow? = nil
    public var location: String { "\(file):\(line)" }
}

/// Parses the dataset definitions of one SQL file.
public enum PipelineSQLParser {
    /// The datasets and the CDC flows of one SQL file, unattached.
    public static func parseFile(_ text: String, file: String) throws -> (datasets: [PipelineDataset], flows: [PipelineCDCFlow]) {
        let chars = Array(text)
        let tokens = try PipelineTokenizer.tokenize(chars, file: file)
        var statements: [[PToken]] = []
        var current: [PToken] = []
        for t in tokens {
            if t.kind == .symbol, t.text == ";" {
                if !current.isEmpty { statements.append(current) }
                current = []
            } else {
                current.append(t)
            }
        }
        if !current.isEmpty { statements.append(current) }
        var datasets: [PipelineDataset] = []
        var flows: [PipelineCDCFlow] = []
        for st in statements {
            if PipelineCDCParser.isFlow(st) {
                flows.append(try PipelineCDCParser.parse(st, chars: chars, file: file))
            } else {
                datasets.append(try parseStatement(st, chars: chars, file: file))
            }
        }
        return (datasets, flows)
    }

    /// Parses one file and attaches its CDC flows to their targets (which must be in the same file;
    /// ``PipelineDefinition`` attaches flows across files).
    public static func parse(_ text: String, file: String) throws -> [PipelineDataset] {
        let (datasets, flows) = try parseFile(text, file: file)
        return try PipelineCDCParser.attach(flows, to: datasets)
    }

    static func parseStatement(_ t: [PToken], chars: [Character], file: String) throws -> PipelineDataset {
        var i = 0
        func fail(_ why: String, at k: Int? = nil) -> PipelineError {
            let line = t[min(k ?? i, t.count - 1)].line
            return PipelineError("\(file):\(line): \(why)")
        }
        func expect(_ w: String) throws {
            guard i < t.count, t[i].isWord(w) else { throw fail("expected \(w)\(i < t.count ? " near '\(t[i].text)'" : " at end of statement")") }
            i += 1
        }
        func word(_ w: String) -> Bool {
            if i < t.count, t[i].isWord(w) { i += 1; return true }
            return false
        }
        func symbol(_ s: String) -> Bool {
            if i < t.count, t[i].kind == .symbol, t[i].text == s { i += 1; return true }
            return false
        }
        /// Index of the token closing the parenthesis opened at `open`.
        func closing(_ open: Int) throws -> Int {
            var depth = 0
            var k = open
            while k < t.count {
                if t[k].kind == .symbol, t[k].text == "(" { depth += 1 }
                if t[k].kind == .symbol, t[k].text == ")" { depth -= 1; if depth == 0 { return k } }
                k += 1
            }
            throw fail("unbalanced parentheses", at: open)
        }
        let startLine = t[0].line
        try expect("CREATE")
        if word("OR") { try expect("REFRESH") }
        let kind: PipelineDataset.Kind
        if word("STREAMING") {
            try expect("TABLE"); kind = .streamingTable
        } else if word("MATERIALIZED") {
            try expect("VIEW"); kind = .materializedView
        } else if i < t.count, t[i].isWord("LIVE") {
            i += 1; try expect("TABLE"); kind = .materializedView
        } else {
            throw fail("expected STREAMING TABLE or MATERIALIZED VIEW (only dataset definitions are allowed in pipeline SQL)")
        }
        guard i < t.count, t[i].isName else { throw fail("expected a dataset name") }
        var nameParts = [t[i].text]
        i += 1
        while symbol(".") {
            guard i < t.count, t[i].isName else { throw fail("expected a name after '.'") }
            nameParts.append(t[i].text); i += 1
        }
        guard nameParts.count == 1 else { throw fail("dataset names are unqualified (the pipeline's catalog and schema apply): \(nameParts.joined(separator: "."))") }
        var expectations: [PipelineExpectation] = []
        var comment: String?
        if i < t.count, t[i].kind == .symbol, t[i].text == "(" {
            let close = try closing(i)
            i += 1
            while i < close {
                guard word("CONSTRAINT") else { throw fail("only CONSTRAINT … EXPECT (…) is supported inside the dataset's parentheses") }
                guard i < t.count, t[i].isName else { throw fail("expected a constraint name") }
                let name = t[i].text; i += 1
                try expect("EXPECT")
                guard i < t.count, t[i].kind == .symbol, t[i].text == "(" else { throw fail("expected ( after EXPECT") }
                let c = try closing(i)
                let cond = String(chars[t[i + 1].start..<t[c - 1].end])
                guard c > i + 1 else { throw fail("empty expectation") }
                i = c + 1
                var action = PipelineExpectation.Action.warn
                if word("ON") {
                    try expect("VIOLATION")
                    if word("DROP") { try expect("ROW"); action = .drop }
                    else if word("FAIL") { try expect("UPDATE"); action = .fail }
                    else { throw fail("expected DROP ROW or FAIL UPDATE") }
                }
                if expectations.contains(where: { $0.name.lowercased() == name.lowercased() }) { throw fail("duplicate expectation \(name)") }
                expectations.append(PipelineExpectation(name: name, condition: cond, action: action))
                if !symbol(","), i < close { throw fail("expected , or ) after the expectation") }
            }
            i = close + 1
        }
        while i < t.count, !t[i].isWord("AS") {
            if word("COMMENT") {
                guard i < t.count, t[i].kind == .string else { throw fail("expected a string after COMMENT") }
                comment = t[i].text; i += 1
            } else if word("TBLPROPERTIES") || (word("PARTITIONED") && word("BY")) || (word("CLUSTER") && word("BY")) {
                guard i < t.count, t[i].text == "(" else { throw fail("expected (") }
                i = try closing(i) + 1
            } else {
                throw fail("unexpected '\(t[i].text)' (expected AS SELECT …)")
            }
        }
        if i == t.count, kind == .streamingTable {
            // `CREATE OR REFRESH STREAMING TABLE target;`: the target of a flow (AUTO CDC).
            return PipelineDataset(name: nameParts[0], kind: kind, expectations: expectations, comment: comment, query: "", references: [],
                                   file: file, line: startLine)
        }
        try expect("AS")
        guard i < t.count else { throw fail("missing query after AS") }
        let queryStart = t[i].start
        let query = String(chars[queryStart..<t[t.count - 1].end])
        let body = Array(t[i...]).map { tok -> PToken in
            var x = tok; x.start -= queryStart; x.end -= queryStart; return x
        }
        let refs = try references(body, file: file)
        if kind == .streamingTable, !refs.contains(where: { if case .table = $0.source { return false } else { return true } }) {
            throw fail("a streaming table reads STREAM(table) or STREAM read_files(…)", at: 0)
        }
        return PipelineDataset(name: nameParts[0], kind: kind, expectations: expectations, comment: comment, query: query, references: refs,
                               file: file, line: startLine)
    }

    /// The tables and files a query reads: names after FROM / JOIN / `,` in a FROM list (CTE names
    /// excluded), `STREAM(name)`, `STREAM name` and `[STREAM] read_files(…)`.
    static func references(_ t: [PToken], file: String) throws -> [PipelineReference] {
        var refs: [PipelineReference] = []
        var ctes = Set<String>()
        // CTE names: `WITH [RECURSIVE] name [(cols)] AS (` and `, name AS (` at the WITH level.
        for k in t.indices where t[k].isName && k + 2 < t.count {
            guard k > 0, t[k - 1].isWord("WITH") || t[k - 1].isWord("RECURSIVE") || t[k - 1].text == "," else { continue }
            var a = k + 1
            if t[a].text == "(" {
                // A column list: `name (c1, c2) AS (`.
                var depth = 0
                while a < t.count {
                    if t[a].text == "(" { depth += 1 } else if t[a].text == ")" { depth -= 1; if depth == 0 { break } }
                    a += 1
                }
                a += 1
            }
            if a + 1 < t.count, t[a].isWord("AS"), t[a + 1].text == "(" { ctes.insert(t[k].text.lowercased()) }
        }
        // Parenthesis stack: true when the parenthesis belongs to a function that uses FROM as syntax.
        var parens: [Bool] = []
        let fromFunctions: Set<String> = ["extract", "trim", "substring", "position", "overlay"]
        var inFromList = false
        var k = 0
        func name(at start: Int) -> (parts: [String], next: Int)? {
            guard start < t.count, t[start].isName else { return nil }
            var parts = [t[start].text]
            var j = start + 1
            while j + 1 < t.count, t[j].text == ".", t[j].kind == .symbol, t[j + 1].isName {
                parts.append(t[j + 1].text); j += 2
            }
            return (parts, j)
        }
        func closing(_ open: Int) throws -> Int {
            var depth = 0
            for j in open..<t.count {
                if t[j].kind == .symbol, t[j].text == "(" { depth += 1 }
                if t[j].kind == .symbol, t[j].text == ")" { depth -= 1; if depth == 0 { return j } }
            }
            throw PipelineError("\(file):\(t[open].line): unbalanced parentheses")
        }
        func readFiles(at j: Int, from: Int) throws -> (PipelineReference, Int) {
            // t[j] is read_files, t[j+1] is "("
            let close = try closing(j + 1)
            var args = Array(t[(j + 2)..<close])
            guard let first = args.first, first.kind == .string else {
                throw PipelineError("\(file):\(t[j].line): read_files needs a path string as its first argument")
            }
            args.removeFirst()
            var options: [String: String] = [:]
            var m = 0
            while m < args.count {
                if args[m].text == "," { m += 1; continue }
                guard m + 2 < args.count, args[m].isName, args[m + 1].text == "=>" else {
                    throw PipelineError("\(file):\(args[m].line): read_files options are written key => value")
                }
                options[args[m].text.lowercased()] = args[m + 2].text
                m += 3
            }
            return (PipelineReference(source: .files(path: first.text, options: options), line: t[j].line, range: t[from].start..<t[close].end), close + 1)
        }
        func tableRef(at j: Int) throws -> Int {
            guard j < t.count else { return j }
            if t[j].isWord("STREAM") {
                if j + 1 < t.count, t[j + 1].text == "(" {
                    let close = try closing(j + 1)
                    if j + 2 < close, t[j + 2].isWord("read_files") {
                        let (ref, _) = try readFiles(at: j + 2, from: j)
                        refs.append(ref)
                        return close + 1
                    }
                    guard let n = name(at: j + 2), n.next == close else {
                        throw PipelineError("\(file):\(t[j].line): STREAM(…) takes a table name")
                    }
                    refs.append(PipelineReference(source: .stream(parts: n.parts), line: t[j].line, range: t[j].start..<t[close].end))
                    return close + 1
                }
                if j + 2 < t.count, t[j + 1].isWord("read_files"), t[j + 2].text == "(" {
                    let (ref, next) = try readFiles(at: j + 1, from: j)
                    refs.append(ref)
                    return next
                }
                if let n = name(at: j + 1) {
                    refs.append(PipelineReference(source: .stream(parts: n.parts), line: t[j].line, range: t[j].start..<t[n.next - 1].end))
                    return n.next
                }
            }
            if t[j].isWord("read_files"), j + 1 < t.count, t[j + 1].text == "(" {
                let (ref, next) = try readFiles(at: j, from: j)
                refs.append(ref)
                return next
            }
            if let n = name(at: j), !(n.next < t.count && t[n.next].text == "(") {
                if !(n.parts.count == 1 && ctes.contains(n.parts[0].lowercased())) {
                    refs.append(PipelineReference(source: .table(parts: n.parts), line: t[j].line, range: t[j].start..<t[n.next - 1].end))
                }
                return n.next
            }
            return j
        }
        let clauseEnd: Set<String> = ["where", "group", "having", "order", "limit", "union", "intersect", "except", "window", "on", "using", "select", "qualify"]
        while k < t.count {
            let tok = t[k]
            if tok.kind == .symbol, tok.text == "(" {
                let fn = k > 0 && t[k - 1].kind == .word && fromFunctions.contains(t[k - 1].text.lowercased())
                parens.append(fn)
                inFromList = false
                k += 1
                continue
            }
            if tok.kind == .symbol, tok.text == ")" { _ = parens.popLast(); k += 1; continue }
            if tok.isWord("FROM") || tok.isWord("JOIN") {
                if parens.last == true { k += 1; continue }
                inFromList = tok.isWord("FROM")
                let next = try tableRef(at: k + 1)
                k = max(next, k + 1)
                continue
            }
            if inFromList, tok.kind == .symbol, tok.text == "," {
                let next = try tableRef(at: k + 1)
                k = max(next, k + 1)
                continue
            }
            if tok.kind == .word, clauseEnd.contains(tok.text.lowercased()) || tok.text.lowercased().hasSuffix("join") { inFromList = false }
            k += 1
        }
        return refs
    }
}
