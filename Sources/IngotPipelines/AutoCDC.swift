import Foundation
import IngotCore

/// An AUTO CDC (APPLY CHANGES) flow: applies a change feed to a streaming table by key, as SCD type 1
/// (rows upserted and deleted in place) or type 2 (history rows with `__START_AT` / `__END_AT`).
public struct PipelineCDCFlow: Sendable, Equatable {
    /// A column selection (`*`, `* EXCEPT (…)`, `(…)`).
    public enum Columns: Sendable, Equatable {
        case all
        case except([String])
        case only([String])

        /// The selected names of `names`, in `names`' order (`only`: in the list's order).
        public func select(_ names: [String]) -> [String] {
            switch self {
            case .all: return names
            case .except(let x):
                let drop = Set(x.map { $0.lowercased() })
                return names.filter { !drop.contains($0.lowercased()) }
            case .only(let x):
                return x.compactMap { c in names.first { $0.lowercased() == c.lowercased() } }
            }
        }

        /// The names the selection mentions that `names` lacks (`_rescued_data` may be excepted when
        /// absent: Auto Loader adds it only when it infers the schema).
        public func unknown(in names: [String]) -> [String] {
            let have = Set(names.map { $0.lowercased() })
            switch self {
            case .all: return []
            case .except(let x): return x.filter { !have.contains($0.lowercased()) && $0.lowercased() != "_rescued_data" }
            case .only(let x): return x.filter { !have.contains($0.lowercased()) }
            }
        }
    }

    /// The flow's name (`CREATE FLOW name`); the target's name for `APPLY CHANGES`.
    public var name: String
    public var target: String
    /// `stream(table)` or `STREAM read_files(…)`.
    public var source: PipelineSource
    public var keys: [String]
    /// `APPLY AS DELETE WHEN` condition (SQL over the source's columns).
    public var deleteWhen: String?
    /// `SEQUENCE BY` expression (a column name or any SQL expression over the source's columns).
    public var sequenceBy: String
    public var columns: Columns
    public var ignoreNullUpdates: Bool
    /// 1 or 2.
    public var scdType: Int
    /// `TRACK HISTORY ON …` (SCD 2): changes to other columns update the current row in place.
    public var trackHistory: Columns
    public var file: String
    public var line: Int
    public var location: String { "\(file):\(line)" }
}

/// Parses `CREATE FLOW name AS AUTO CDC INTO …` and `APPLY CHANGES INTO …`.
enum PipelineCDCParser {
    static func isFlow(_ t: [PToken]) -> Bool {
        guard let first = t.first else { return false }
        if first.isWord("APPLY") { return t.count > 1 && t[1].isWord("CHANGES") }
        if first.isWord("AUTO") { return t.count > 1 && t[1].isWord("CDC") }
        guard first.isWord("CREATE") else { return false }
        var i = 1
        if i < t.count, t[i].isWord("OR") { i += 2 }
        if i < t.count, t[i].isWord("APPEND") { i += 1 }
        return i < t.count && t[i].isWord("FLOW")
    }

    /// The clause keywords that end an expression (`APPLY AS DELETE WHEN cond`, `SEQUENCE BY expr`).
    static let clauses: Set<String> = ["keys", "apply", "sequence", "columns", "except", "ignore", "stored", "track"]

    static func parse(_ t: [PToken], chars: [Character], file: String) throws -> PipelineCDCFlow {
        var i = 0
        func fail(_ why: String, at k: Int? = nil) -> PipelineError {
            PipelineError("\(file):\(t[min(k ?? i, t.count - 1)].line): \(why)")
        }
        func word(_ w: String) -> Bool {
            if i < t.count, t[i].isWord(w) { i += 1; return true }
            return false
        }
        func expect(_ w: String) throws {
            guard word(w) else { throw fail("expected \(w)\(i < t.count ? " near '\(t[i].text)'" : " at end of statement")") }
        }
        func symbol(_ s: String) -> Bool {
            if i < t.count, t[i].kind == .symbol, t[i].text == s { i += 1; return true }
            return false
        }
        /// A possibly qualified name; a leading `LIVE.` is dropped (the pipeline's schema).
        func qualifiedName(_ what: String) throws -> [String] {
            guard i < t.count, t[i].isName else { throw fail("expected \(what)") }
            var parts = [t[i].text]
            i += 1
            while symbol(".") {
                guard i < t.count, t[i].isName else { throw fail("expected a name after '.'") }
                parts.append(t[i].text); i += 1
            }
            if parts.count > 1, parts[0].lowercased() == "live" { parts.removeFirst() }
            return parts
        }
        func nameList(_ what: String) throws -> [String] {
            guard symbol("(") else { throw fail("expected ( before the \(what)") }
            var names: [String] = []
            while true {
                guard i < t.count, t[i].isName else { throw fail("expected a column name in the \(what)") }
                names.append(t[i].text); i += 1
                if symbol(")") { break }
                guard symbol(",") else { throw fail("expected , or ) in the \(what)") }
            }
            return names
        }
        func closing(_ open: Int) throws -> Int {
            var depth = 0
            for k in open..<t.count {
                if t[k].kind == .symbol, t[k].text == "(" { depth += 1 }
                if t[k].kind == .symbol, t[k].text == ")" { depth -= 1; if depth == 0 { return k } }
            }
            throw fail("unbalanced parentheses", at: open)
        }
        /// SQL text up to the next clause keyword at parenthesis depth 0.
        func expression(_ what: String) throws -> String {
            let start = i
            var depth = 0
            while i < t.count {
                if t[i].kind == .symbol, t[i].text == "(" { depth += 1 }
                if t[i].kind == .symbol, t[i].text == ")" { depth -= 1 }
                if depth == 0, t[i].kind == .word, clauses.contains(t[i].text.lowercased()) { break }
                i += 1
            }
            guard i > start else { throw fail("expected \(what)") }
            return String(chars[t[start].start..<t[i - 1].end])
        }
        func columns(_ what: String) throws -> PipelineCDCFlow.Columns {
            if symbol("*") {
                if word("EXCEPT") { return .except(try nameList("\(what) EXCEPT list")) }
                return .all
            }
            return .only(try nameList("\(what) list"))
        }

        let line = t[0].line
        var name: String?
        if word("CREATE") {
            if word("OR") { try expect("REFRESH") }
            _ = word("APPEND")
            try expect("FLOW")
            guard i < t.count, t[i].isName else { throw fail("expected a flow name") }
            name = t[i].text; i += 1
            if word("COMMENT") { i += 1 }
            try expect("AS")
        }
        if word("AUTO") {
            try expect("CDC")
        } else if word("APPLY") {
            try expect("CHANGES")
        } else {
            throw fail("expected AUTO CDC INTO … or APPLY CHANGES INTO … after CREATE FLOW name AS")
        }
        try expect("INTO")
        let targetParts = try qualifiedName("the target streaming table")
        guard targetParts.count == 1 else { throw fail("the target of a CDC flow is a streaming table of this pipeline (unqualified): \(targetParts.joined(separator: "."))") }
        try expect("FROM")
        let source: PipelineSource
        if i < t.count, t[i].isWord("STREAM") {
            i += 1
            let paren = symbol("(")
            if i < t.count, t[i].isWord("read_files") {
                guard paren || (i + 1 < t.count && t[i + 1].text == "(") else { throw fail("expected read_files(…)") }
                // Reuse the dataset parser's reader of `read_files(…)` on the tokens of the call.
                let open = i + 1
                let close = try closing(open)
                let call = Array(t[i...close])
                let refs = try PipelineSQLParser.references([PToken(kind: .word, text: "FROM", start: 0, end: 0, line: t[i].line)] + call, file: file)
                guard let ref = refs.first, case .files = ref.source else { throw fail("expected read_files('path', …)") }
                source = ref.source
                i = close + 1
            } else {
                source = .stream(parts: try qualifiedName("a source table"))
            }
            if paren, !symbol(")") { throw fail("expected ) after the STREAM source") }
        } else {
            throw fail("the source of a CDC flow is read as a stream: FROM stream(table)")
        }
        var keys: [String] = []
        var deleteWhen: String?
        var sequenceBy: String?
        var cols = PipelineCDCFlow.Columns.all
        var ignoreNull = false
        var scd = 1
        var track = PipelineCDCFlow.Columns.all
        var trackGiven = false
        while i < t.count {
            let at = i
            if word("KEYS") {
                keys = try nameList("KEYS list")
            } else if word("APPLY") {
                try expect("AS")
                if word("DELETE") {
                    try expect("WHEN")
                    deleteWhen = try expression("a condition after APPLY AS DELETE WHEN")
                } else if word("TRUNCATE") {
                    throw fail("APPLY AS TRUNCATE WHEN is not supported: Ingot does not apply truncate events (filter them out of the source, or run a full refresh)", at: at)
                } else {
                    throw fail("expected DELETE WHEN after APPLY AS")
                }
            } else if word("SEQUENCE") {
                try expect("BY")
                sequenceBy = try expression("a column after SEQUENCE BY")
            } else if word("COLUMNS") {
                cols = try columns("COLUMNS")
            } else if word("IGNORE") {
                try expect("NULL"); try expect("UPDATES")
                ignoreNull = true
            } else if word("STORED") {
                try expect("AS"); try expect("SCD"); try expect("TYPE")
                guard i < t.count, t[i].kind == .number, let n = Int(t[i].text), n == 1 || n == 2 else { throw fail("expected SCD TYPE 1 or 2") }
                scd = n; i += 1
            } else if word("TRACK") {
                try expect("HISTORY"); try expect("ON")
                track = try columns("TRACK HISTORY ON")
                trackGiven = true
            } else {
                throw fail("unexpected '\(t[i].text)' in the CDC flow (expected KEYS, APPLY AS DELETE WHEN, SEQUENCE BY, COLUMNS, IGNORE NULL UPDATES, STORED AS SCD TYPE or TRACK HISTORY ON)")
            }
        }
        guard !keys.isEmpty else { throw fail("a CDC flow needs KEYS (…)", at: 0) }
        guard let sequenceBy else { throw fail("a CDC flow needs SEQUENCE BY column", at: 0) }
        if trackGiven, scd != 2 { throw fail("TRACK HISTORY ON applies to STORED AS SCD TYPE 2 only", at: 0) }
        return PipelineCDCFlow(name: name ?? targetParts[0], target: targetParts[0], source: source, keys: keys, deleteWhen: deleteWhen,
                               sequenceBy: sequenceBy, columns: cols, ignoreNullUpdates: ignoreNull, scdType: scd, trackHistory: track,
                               file: file, line: line)
    }

    /// Gives each flow's target dataset its flow (and the flow's source as a reference, for the DAG).
    static func attach(_ flows: [PipelineCDCFlow], to datasets: [PipelineDataset]) throws -> [PipelineDataset] {
        var out = datasets
        for f in flows {
            guard let k = out.firstIndex(where: { $0.name.lowercased() == f.target.lowercased() }) else {
                throw PipelineError("\(f.location): flow \(f.name) writes into \(f.target), which is not defined (declare it with CREATE OR REFRESH STREAMING TABLE \(f.target);)")
            }
            guard out[k].kind == .streamingTable, out[k].query.isEmpty else {
                throw PipelineError("\(f.location): the target of flow \(f.name) must be declared without a query: CREATE OR REFRESH STREAMING TABLE \(f.target); (\(out[k].location))")
            }
            guard out[k].expectations.isEmpty else {
                throw PipelineError("\(out[k].location): expectations on the target of a CDC flow (\(f.target)) are not supported: put them on the flow's source")
            }
            if let other = out[k].cdc {
                throw PipelineError("\(f.location): \(f.target) already has a CDC flow (\(other.name) at \(other.location)); one flow per target is supported")
            }
            out[k].cdc = f
            out[k].references = [PipelineReference(source: f.source, line: f.line, range: 0..<0)]
        }
        for d in out where d.kind == .streamingTable && d.query.isEmpty && d.cdc == nil {
            throw PipelineError("\(d.location): streaming table \(d.name) has no query and no flow writes into it (add AS SELECT … or an AUTO CDC flow)")
        }
        return out
    }
}
