import Foundation

/// SQL views: `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] name [(col [COMMENT '…'], …)] [COMMENT '…'] AS query`,
/// `DROP VIEW [IF EXISTS] name`, and the expansion of a view wherever a query names it.
///
/// A view is expanded in place as a parenthesised subquery whose own table references resolve against the
/// view's catalog and schema and are checked through ``TableResolver/viewOwnerResolver(_:)`` — the view
/// owner's privileges, as in Unity Catalog — while the reader needs SELECT on the view itself.
extension SQLEngine {
    /// Views nest at most this deep (a cycle is reported before that).
    static let maxViewDepth = 32

    struct BoundReferences {
        var tokens: [SQLToken]
        var bound: [BoundTable]
        var aliases: [String: BoundTable]
    }

    /// Replaces each table reference of `tokens` by its bound lake table and each view reference by its
    /// query (recursively). `views` are the views being expanded (to refuse cycles).
    func bindReferences(_ tokens: [SQLToken], resolver: any TableResolver, scope: (catalog: String, schema: String)?,
                        views: [SQLTableName]) async throws -> BoundReferences {
        let cteDefs = SQLRewriter.cteDefinitions(tokens)
        let refs = try SQLRewriter.tableReferences(tokens, ctes: Set(cteDefs.map(\.name))).filter { !$0.isCTE }
        var out = BoundReferences(tokens: tokens, bound: [], aliases: [:])
        var replacements: [(Range<Int>, [SQLToken])] = []
        for r in refs {
            let name = try qualify(r.parts, scope: scope)
            let label = SQLToken.quoted(r.parts.last!)
            if let view = try await resolver.view(name) {
                if views.contains(name) {
                    throw SQLError.invalid("view cycle: \((views + [name]).map(\.description).joined(separator: " → "))")
                }
                guard views.count < Self.maxViewDepth else { throw SQLError.invalid("views nest more than \(Self.maxViewDepth) deep at \(name)") }
                guard r.version == nil else { throw SQLError.invalid("time travel (VERSION/TIMESTAMP AS OF) does not apply to the view \(name)") }
                try await resolver.authorize(name, .read)
                guard let body = SQLTokenizer.statements(try SQLTokenizer.tokenize(view.definition)).first else {
                    throw SQLError.invalid("view \(name) has an empty definition")
                }
                let owner = try await resolver.viewOwnerResolver(view.owner)
                let inner = try await bindReferences(body, resolver: owner, scope: (name.catalog, name.schema), views: views + [name])
                out.bound += inner.bound
                for (k, v) in inner.aliases where out.aliases[k] == nil { out.aliases[k] = v }
                // `(WITH "v"(cols) AS (query) SELECT * FROM "v")`: the view's recorded column names.
                var repl: [SQLToken] = [.symbol("("), .word("WITH"), label, .symbol("(")]
                for (k, f) in view.columns.enumerated() {
                    if k > 0 { repl.append(.symbol(",")) }
                    repl.append(.quoted(f.name))
                }
                repl += [.symbol(")"), .word("AS"), .symbol("(")] + inner.tokens + [.symbol(")"), .word("SELECT"), .symbol("*"), .word("FROM"), label, .symbol(")")]
                if !r.hasAlias { repl += [.word("AS"), label] }
                replacements.append((r.range, repl))
            } else {
                let b = try await bind(r, name, resolver: resolver)
                out.bound.append(b)
                var repl: [SQLToken] = [.quoted(b.vtabName)]
                if !r.hasAlias { repl += [.word("AS"), label] }
                replacements.append((r.range, repl))
                out.aliases[(r.alias ?? r.parts.last!).lowercased()] = b
            }
        }
        for (range, repl) in replacements.reversed() { out.tokens.replaceSubrange(range, with: repl) }
        return out
    }

    static func isCreateView(_ t: [SQLToken]) -> Bool {
        var i = 1
        if i + 1 < t.count, t[i].isWord("OR"), t[i + 1].isWord("REPLACE") { i += 2 }
        return i < t.count && t[i].isWord("VIEW")
    }

    /// `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] name [(col [COMMENT '…'], …)] [COMMENT '…'] AS query`.
    /// The query is planned once (as the creator, against the view's catalog and schema) for its columns.
    func createView(_ t: [SQLToken]) async throws -> SQLExecution {
        var i = 1
        var replace = false
        if i + 1 < t.count, t[i].isWord("OR"), t[i + 1].isWord("REPLACE") { replace = true; i += 2 }
        i += 1  // VIEW
        var ifNotExists = false
        if i + 2 < t.count, t[i].isWord("IF"), t[i + 1].isWord("NOT"), t[i + 2].isWord("EXISTS") { ifNotExists = true; i += 3 }
        if replace, ifNotExists { throw SQLError.invalid("CREATE OR REPLACE VIEW cannot have IF NOT EXISTS") }
        let (parts, afterName) = try parseName(t, i)
        i = afterName
        var listed: [(name: String, comment: String?)]?
        if i < t.count, t[i].isSymbol("(") {
            guard let close = SQLRewriter.matchParen(t, i) else { throw SQLError.invalid("unbalanced parentheses in CREATE VIEW") }
            listed = try SQLRewriter.splitArgs(Array(t[(i + 1)..<close])).map { def in
                guard let n = def.first, n.isName else { throw SQLError.invalid("bad view column \(def.map(\.text).joined(separator: " "))") }
                if def.count == 1 { return (n.text, nil) }
                guard def.count == 3, def[1].isWord("COMMENT"), def[2].kind == .string else {
                    throw SQLError.invalid("a view column is `name [COMMENT '…']` (types come from the query)")
                }
                return (n.text, def[2].text)
            }
            i = close + 1
        }
        var comment: String?
        while i < t.count, !t[i].isWord("AS") {
            if t[i].isWord("COMMENT"), i + 1 < t.count, t[i + 1].kind == .string {
                comment = t[i + 1].text
                i += 2
            } else if t[i].isWord("TBLPROPERTIES") {
                throw SQLError.unsupported("TBLPROPERTIES on a view")
            } else {
                throw SQLError.invalid("unexpected \(t[i].text) in CREATE VIEW (expected AS query)")
            }
        }
        guard i + 1 < t.count else { throw SQLError.invalid("CREATE VIEW needs AS query") }
        let query = Array(t[(i + 1)...])
        guard let first = query.first, first.isWord("SELECT") || first.isWord("WITH") || first.isWord("VALUES") || first.isSymbol("(") else {
            throw SQLError.invalid("a view is defined by a query (SELECT, WITH, VALUES)")
        }
        let name = try qualify(parts)
        try await resolver.authorize(name, .create)
        let existing = try await resolver.view(name)
        if existing != nil, !replace {
            if ifNotExists { return Self.ddl("view \(name) already exists") }
            throw SQLError.invalid("view \(name) already exists (use CREATE OR REPLACE VIEW)")
        }
        if existing != nil { try await resolver.authorize(name, .manage) }
        if try await resolver.table(name).exists() { throw SQLError.invalid("\(name) already exists as a table") }
        // Plan the query as the creator, in the view's own namespace; a replaced view must not refer to itself.
        let cursor = try await openQuery(query, scope: (name.catalog, name.schema), views: [name])
        let schema: Schema
        do {
            _ = try await cursor.next()
            guard let s = cursor.schema else { throw SQLError.execution("the view's query produced no schema") }
            schema = s
            cursor.close()
        } catch {
            cursor.close()
            throw error
        }
        var columns = schema.fields.map { f -> Field in
            var c = f
            c.nullable = true
            c.id = nil
            return c
        }
        var comments: [String: String] = [:]
        if let listed {
            guard listed.count == columns.count else {
                throw SQLError.invalid("the view lists \(listed.count) columns but its query produces \(columns.count)")
            }
            for (k, l) in listed.enumerated() {
                columns[k].name = l.name
                if let c = l.comment { comments[l.name] = c }
            }
        }
        var seen = Set<String>()
        for c in columns {
            guard seen.insert(c.name.lowercased()).inserted else { throw SQLError.invalid("the view has two columns named \(c.name): add aliases") }
        }
        let definition = SQLTokenizer.render(query)
        try await resolver.createView(SQLView(name: name, definition: definition, columns: columns, columnComments: comments, comment: comment, owner: ""),
                                      replace: existing != nil)
        return Self.ddl("\(existing != nil ? "replaced" : "created") view \(name)")
    }

    /// `DROP VIEW [IF EXISTS] name`.
    func dropView(_ t: [SQLToken]) async throws -> SQLExecution {
        guard t.count > 1, t[1].isWord("VIEW") else { throw SQLError.unsupported("DROP \(t.count > 1 ? t[1].text : "") (only DROP VIEW)") }
        var i = 2
        var ifExists = false
        if i + 1 < t.count, t[i].isWord("IF"), t[i + 1].isWord("EXISTS") { ifExists = true; i += 2 }
        let (parts, end) = try parseName(t, i)
        guard end == t.count else { throw SQLError.invalid("unexpected \(t[end].text) in DROP VIEW") }
        let name = try qualify(parts)
        guard try await resolver.view(name) != nil else {
            if ifExists { return Self.ddl("view \(name) does not exist") }
            if try await resolver.table(name).exists() { throw SQLError.invalid("\(name) is a table, not a view") }
            throw SQLError.notFound("view not found: \(name)")
        }
        try await resolver.authorize(name, .manage)
        _ = try await resolver.dropView(name)
        return Self.ddl("dropped view \(name)")
    }

    static func ddl(_ message: String) -> SQLExecution {
        SQLExecution(kind: .ddl, schema: Schema([]), rowCount: 0, affectedRows: 0, tableVersion: nil, scanStats: SQLScanStats(), message: message)
    }
}
