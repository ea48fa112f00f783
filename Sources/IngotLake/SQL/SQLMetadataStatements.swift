import Foundation

/// What `COMMENT ON` and `ALTER … SET/UNSET TAGS|TBLPROPERTIES|ALTER COLUMN … COMMENT` change. The engine
/// parses them; the resolver (a catalog) stores them, checking the caller's privileges.
public enum SQLMetadataChange: Sendable, Equatable {
    public enum Securable: String, Sendable { case catalog, schema, table }

    /// A comment on a catalog (`[name]`), schema (`[catalog, schema]`) or table; nil clears it.
    case comment(Securable, [String], String?)
    case columnComment(SQLTableName, column: String, String?)
    /// Tags set (`set`) or removed (`unset`) on a securable, or on a column of a table.
    case tags(Securable, [String], column: String?, set: [String: String], unset: [String])
    case tableProperties(SQLTableName, set: [String: String], unset: [String])

    /// The catalog a change touches.
    public var catalogName: String {
        switch self {
        case .comment(_, let parts, _), .tags(_, let parts, _, _, _): parts.first ?? ""
        case .columnComment(let t, _, _), .tableProperties(let t, _, _): t.catalog
        }
    }

    /// The full name of the securable a change touches (a column's table).
    public var fullName: String {
        switch self {
        case .comment(_, let parts, _), .tags(_, let parts, _, _, _): parts.joined(separator: ".")
        case .columnComment(let t, _, _), .tableProperties(let t, _, _): t.description
        }
    }

    /// The table a change touches (nil for catalogs and schemas).
    public var table: SQLTableName? {
        switch self {
        case .comment(.table, let parts, _), .tags(.table, let parts, _, _, _):
            parts.count == 3 ? SQLTableName(catalog: parts[0], schema: parts[1], table: parts[2]) : nil
        case .columnComment(let t, _, _), .tableProperties(let t, _, _): t
        default: nil
        }
    }
}

extension SQLEngine {
    /// `COMMENT ON CATALOG|SCHEMA|DATABASE|TABLE|COLUMN name IS 'text'|NULL`.
    func commentOn(_ t: [SQLToken]) async throws -> SQLExecution {
        guard t.count >= 5, t[1].isWord("ON") else { throw SQLError.invalid("expected COMMENT ON CATALOG|SCHEMA|TABLE|COLUMN name IS '…'") }
        let what = t[2].upper
        let (parts, after) = try parseName(t, 3, maxParts: what == "COLUMN" ? 4 : 3)
        guard after + 1 < t.count, t[after].isWord("IS"), after + 2 == t.count else { throw SQLError.invalid("expected IS '…' or IS NULL after the name") }
        let comment = try Self.optionalString(t[after + 1])
        let change: SQLMetadataChange
        switch what {
        case "CATALOG":
            guard parts.count == 1 else { throw SQLError.invalid("a catalog name has one part") }
            change = .comment(.catalog, parts, comment)
        case "SCHEMA", "DATABASE":
            change = .comment(.schema, try qualifySchema(parts), comment)
        case "TABLE":
            let name = try qualify(parts)
            change = .comment(.table, [name.catalog, name.schema, name.table], comment)
        case "COLUMN":
            guard parts.count >= 2 else { throw SQLError.invalid("COMMENT ON COLUMN needs table.column") }
            change = .columnComment(try qualify(Array(parts.dropLast())), column: parts.last!, comment)
        default:
            throw SQLError.unsupported("COMMENT ON \(t[2].text)")
        }
        return try await applyMetadata(change)
    }

    /// `ALTER TABLE t SET|UNSET TAGS|TBLPROPERTIES (…)`, `ALTER TABLE t ALTER [COLUMN] c COMMENT '…' | SET TAGS (…) | UNSET TAGS (…)`,
    /// `ALTER CATALOG|SCHEMA x SET|UNSET TAGS (…)`.
    func alter(_ t: [SQLToken]) async throws -> SQLExecution {
        guard t.count >= 4 else { throw SQLError.invalid("incomplete ALTER statement") }
        let what = t[1].upper
        let (parts, after) = try parseName(t, 2)
        var i = after
        var column: String?
        let securable: SQLMetadataChange.Securable
        var full: [String]
        switch what {
        case "CATALOG":
            guard parts.count == 1 else { throw SQLError.invalid("a catalog name has one part") }
            securable = .catalog
            full = parts
        case "SCHEMA", "DATABASE":
            securable = .schema
            full = try qualifySchema(parts)
        case "TABLE":
            securable = .table
            let name = try qualify(parts)
            full = [name.catalog, name.schema, name.table]
            if i < t.count, t[i].isWord("ALTER") || t[i].isWord("CHANGE") {
                i += 1
                if i < t.count, t[i].isWord("COLUMN") { i += 1 }
                guard i < t.count, t[i].isName else { throw SQLError.invalid("expected a column name") }
                column = t[i].text
                i += 1
                if i + 1 < t.count, t[i].isWord("COMMENT") {
                    guard i + 2 == t.count else { throw SQLError.invalid("unexpected \(t[i + 2].text) after the comment") }
                    return try await applyMetadata(.columnComment(name, column: column!, try Self.optionalString(t[i + 1])))
                }
            }
        default:
            throw SQLError.unsupported("ALTER \(t[1].text)")
        }
        guard i + 1 < t.count, t[i].isWord("SET") || t[i].isWord("UNSET") else {
            throw SQLError.unsupported("ALTER \(what) … \(i < t.count ? t[i].text : "") (supported: SET/UNSET TAGS, SET/UNSET TBLPROPERTIES, ALTER COLUMN … COMMENT)")
        }
        let set = t[i].isWord("SET")
        let target = t[i + 1].upper
        i += 2
        if !set, i + 1 < t.count, t[i].isWord("IF"), t[i + 1].isWord("EXISTS") { i += 2 }  // unsetting a missing key is a no-op anyway
        guard i < t.count, t[i].isSymbol("("), let close = SQLRewriter.matchParen(t, i), close == t.count - 1 else {
            throw SQLError.invalid("expected (…) after \(set ? "SET" : "UNSET") \(target)")
        }
        let items = SQLRewriter.splitArgs(Array(t[(i + 1)..<close]))
        var pairs: [String: String] = [:]
        var keys: [String] = []
        for item in items {
            if set {
                guard item.count == 3, item[1].isSymbol("="), item[0].kind == .string || item[0].isName, item[2].kind == .string || item[2].kind == .number
                else { throw SQLError.invalid("entries are 'key' = 'value'") }
                pairs[item[0].text] = item[2].text
            } else {
                guard item.count == 1, item[0].kind == .string || item[0].isName else { throw SQLError.invalid("UNSET takes a list of 'key's") }
                keys.append(item[0].text)
            }
        }
        switch target {
        case "TAGS":
            return try await applyMetadata(.tags(securable, full, column: column, set: pairs, unset: keys))
        case "TBLPROPERTIES" where securable == .table && column == nil:
            return try await applyMetadata(.tableProperties(SQLTableName(catalog: full[0], schema: full[1], table: full[2]), set: pairs, unset: keys))
        default:
            throw SQLError.unsupported("ALTER \(what) … \(set ? "SET" : "UNSET") \(target)")
        }
    }

    /// `CREATE TABLE … (col type COMMENT '…') COMMENT '…'`: the comments, once the table exists. A resolver
    /// without a catalog has nowhere to keep them (the table is created all the same).
    func recordComments(_ name: SQLTableName, table comment: String?, columns: [(String, String)]) async throws {
        do {
            if let comment { try await resolver.applyMetadata(.comment(.table, [name.catalog, name.schema, name.table], comment)) }
            for (column, text) in columns { try await resolver.applyMetadata(.columnComment(name, column: column, text)) }
        } catch SQLError.unsupported {
            return
        }
    }

    func applyMetadata(_ change: SQLMetadataChange) async throws -> SQLExecution {
        try await resolver.applyMetadata(change)
        return SQLExecution(kind: .ddl, schema: Schema([]), rowCount: 0, affectedRows: 0, tableVersion: nil, scanStats: SQLScanStats(), message: "OK")
    }

    /// A schema name against the current catalog.
    func qualifySchema(_ parts: [String]) throws -> [String] {
        switch parts.count {
        case 1: return [currentCatalog, parts[0]]
        case 2: return parts
        default: throw SQLError.invalid("a schema name has at most two parts")
        }
    }

    /// A name of up to `maxParts` dotted parts at `i`.
    func parseName(_ t: [SQLToken], _ i: Int, maxParts: Int) throws -> ([String], Int) {
        guard i < t.count, t[i].isName else { throw SQLError.invalid("expected a name") }
        var parts = [t[i].text]
        var j = i + 1
        while j + 1 < t.count, t[j].isSymbol("."), t[j + 1].isName {
            parts.append(t[j + 1].text)
            j += 2
        }
        guard parts.count <= maxParts else { throw SQLError.invalid("name \(parts.joined(separator: ".")) has too many parts") }
        return (parts, j)
    }

    static func optionalString(_ token: SQLToken) throws -> String? {
        if token.isWord("NULL") { return nil }
        guard token.kind == .string else { throw SQLError.invalid("expected a quoted string or NULL") }
        return token.text
    }
}
