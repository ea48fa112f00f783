import Foundation
import GRDB

/// Compiles a ``RegistryFilter`` and MLflow `order_by` clauses to SQL over the registry tables,
/// with MLflow's rules on which keys and comparators each search accepts.
enum RegistrySQL {
    enum Target {
        /// Registered models: `m` is `registry_models`.
        case models
        /// Model versions: `v` is `registry_versions` joined to `m`.
        case versions
    }

    static let promptTag = "mlflow.prompt.is_prompt"

    struct Clause: Sendable {
        var sql: [String] = []
        var arguments: [DatabaseValue] = []
    }

    /// WHERE-clause fragments (ANDed) for a filter.
    static func compile(_ filter: RegistryFilter, target: Target) throws -> Clause {
        var clause = Clause()
        // Prompts (MLflow's registered models tagged `mlflow.prompt.is_prompt`) are not models; the
        // client adds `tags.mlflow.prompt.is_prompt != 'true'` itself, which (as in MLflow) is served
        // by excluding prompts rather than by requiring the tag.
        let queriesPrompts = filter.conditions.contains { c in
            c.kind == .tag && c.key == promptTag
                && ((c.comparator == .equal && c.value.scalarText?.lowercased() == "true")
                    || (c.comparator == .notEqual && c.value.scalarText?.lowercased() == "false"))
        }
        for condition in filter.conditions {
            if condition.kind == .tag && condition.key == promptTag && !queriesPrompts { continue }
            switch condition.kind {
            case .attribute:
                try compileAttribute(condition, target: target, into: &clause)
            case .tag:
                guard [.equal, .notEqual, .like, .ilike].contains(condition.comparator) else {
                    throw RegistryError.invalidParameter("Invalid comparator for tag: \(condition.comparator.rawValue)")
                }
                let (op, value) = comparison(condition.comparator, "t.value", condition.value.scalarText ?? "")
                switch target {
                case .models:
                    clause.sql.append("EXISTS (SELECT 1 FROM registry_model_tags t WHERE t.model_pk = m.model_pk AND t.key = ? AND \(op))")
                case .versions:
                    clause.sql.append(
                        "EXISTS (SELECT 1 FROM registry_version_tags t WHERE t.model_pk = v.model_pk AND t.version = v.version AND t.key = ? AND \(op))"
                    )
                }
                clause.arguments.append(condition.key.databaseValue)
                clause.arguments.append(value.databaseValue)
            }
        }
        if !queriesPrompts {
            clause.sql.append(
                "NOT EXISTS (SELECT 1 FROM registry_model_tags p WHERE p.model_pk = m.model_pk AND p.key = 'mlflow.prompt.is_prompt' AND p.value = 'true')"
            )
        }
        return clause
    }

    static func compileAttribute(_ c: RegistryFilter.Condition, target: Target, into clause: inout Clause) throws {
        let column: String
        var numeric = false
        switch (target, c.key) {
        case (_, "name"): column = "m.name"
        case (.versions, "run_id"): column = "v.run_id"
        case (.versions, "source_path"): column = "v.source"
        case (.versions, "version_number"):
            column = "v.version"
            numeric = true
        case (.versions, "creation_timestamp"):
            column = "v.creation_time"
            numeric = true
        case (.versions, "last_updated_timestamp"):
            column = "v.last_updated_time"
            numeric = true
        default:
            throw RegistryError.invalidParameter("Invalid attribute name: \(c.key)")
        }
        if numeric {
            guard [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual].contains(c.comparator) else {
                throw RegistryError.invalidParameter("Invalid comparator for attribute \(c.key): \(c.comparator.rawValue)")
            }
            guard let text = c.value.scalarText, let number = Int64(text) else {
                throw RegistryError.invalidParameter("Invalid value for numeric attribute '\(c.key)': '\(c.value.scalarText ?? "")'")
            }
            clause.sql.append("\(column) \(c.comparator.rawValue) ?")
            clause.arguments.append(number.databaseValue)
            return
        }
        switch c.comparator {
        case .equal, .notEqual, .like, .ilike:
            let (op, value) = comparison(c.comparator, column, c.value.scalarText ?? "")
            clause.sql.append(op)
            clause.arguments.append(value.databaseValue)
        case .in, .notIn:
            guard c.key == "name" || c.key == "run_id" else {
                throw RegistryError.invalidParameter("Invalid comparator for attribute: \(c.comparator.rawValue)")
            }
            guard case .list(let items) = c.value, !items.isEmpty else {
                throw RegistryError.invalidParameter("\(c.comparator.rawValue) needs a non-empty list of values")
            }
            let marks = Array(repeating: "?", count: items.count).joined(separator: ", ")
            clause.sql.append("\(column) \(c.comparator == .in ? "IN" : "NOT IN") (\(marks))")
            clause.arguments.append(contentsOf: items.map(\.databaseValue))
        default:
            throw RegistryError.invalidParameter("Invalid comparator for attribute: \(c.comparator.rawValue)")
        }
    }

    /// A string comparison with MLflow's semantics: `=`/`!=` exact, LIKE case-sensitive (as GLOB),
    /// ILIKE case-insensitive.
    static func comparison(_ comparator: RegistryFilter.Comparator, _ column: String, _ value: String) -> (String, String) {
        switch comparator {
        case .like: ("\(column) GLOB ?", globPattern(fromLike: value))
        case .ilike: ("LOWER(\(column)) LIKE LOWER(?) ESCAPE '\\'", value)
        case .notEqual: ("\(column) != ?", value)
        default: ("\(column) = ?", value)
        }
    }

    /// Translates a SQL LIKE pattern (`%`, `_`, `\` escapes) to a case-sensitive SQLite GLOB pattern.
    static func globPattern(fromLike pattern: String) -> String {
        var out = ""
        var escaped = false
        for ch in pattern {
            if escaped {
                out += globLiteral(ch)
                escaped = false
                continue
            }
            switch ch {
            case "\\": escaped = true
            case "%": out += "*"
            case "_": out += "?"
            default: out += globLiteral(ch)
            }
        }
        if escaped { out += globLiteral("\\") }
        return out
    }

    static func globLiteral(_ ch: Character) -> String {
        switch ch {
        case "*", "?", "[": "[\(ch)]"
        default: String(ch)
        }
    }

    // MARK: - Ordering

    /// ORDER BY for registered models: `name`, `timestamp`/`last_updated_timestamp`, `creation_timestamp`.
    static func modelsOrder(_ orderBy: [String]) throws -> String {
        var terms: [String] = []
        var seen = Set<String>()
        for raw in orderBy {
            let (key, ascending) = try parseOrder(raw)
            let column: String
            switch key {
            case "name": column = "m.name"
            case "timestamp", "last_updated_timestamp": column = "m.last_updated_time"
            case "creation_timestamp": column = "m.creation_time"
            default:
                throw RegistryError.invalidParameter(
                    "Invalid order by key '\(key)' specified.Valid keys are '{'name', 'timestamp'}'")
            }
            guard seen.insert(column).inserted else {
                throw RegistryError.invalidParameter("`order_by` contains duplicate fields: \(orderBy)")
            }
            terms.append("\(column) \(ascending ? "ASC" : "DESC")")
        }
        if !seen.contains("m.name") { terms.append("m.name ASC") }
        return terms.joined(separator: ", ")
    }

    /// ORDER BY for model versions; the default is MLflow's `last_updated_timestamp DESC, name, version DESC`.
    static func versionsOrder(_ orderBy: [String]) throws -> String {
        let list = orderBy.isEmpty ? ["last_updated_timestamp DESC", "name ASC", "version_number DESC"] : orderBy
        var terms: [String] = []
        var seen = Set<String>()
        for raw in list {
            let (key, ascending) = try parseOrder(raw)
            let column: String
            switch key {
            case "name": column = "m.name"
            case "version_number": column = "v.version"
            case "creation_timestamp": column = "v.creation_time"
            case "last_updated_timestamp": column = "v.last_updated_time"
            default:
                throw RegistryError.invalidParameter(
                    "Invalid order by key '\(key)' specified. Valid keys are {'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}"
                )
            }
            guard seen.insert(column).inserted else {
                throw RegistryError.invalidParameter("`order_by` contains duplicate fields: \(orderBy)")
            }
            terms.append("\(column) \(ascending ? "ASC" : "DESC")")
        }
        if !seen.contains("m.name") { terms.append("m.name ASC") }
        if !seen.contains("v.version") { terms.append("v.version DESC") }
        return terms.joined(separator: ", ")
    }

    /// `key [ASC|DESC]`, with an optional `attribute.`/`attributes.` prefix.
    static func parseOrder(_ raw: String) throws -> (String, Bool) {
        let parts = raw.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        guard (1...2).contains(parts.count) else { throw RegistryError.invalidParameter("Invalid order_by clause '\(raw)'.") }
        var key = parts[0].replacingOccurrences(of: "`", with: "")
        for prefix in ["attributes.", "attribute.", "attr."] where key.hasPrefix(prefix) { key = String(key.dropFirst(prefix.count)) }
        var ascending = true
        if parts.count == 2 {
            switch parts[1].uppercased() {
            case "ASC": ascending = true
            case "DESC": ascending = false
            default: throw RegistryError.invalidParameter("Invalid ordering key in order_by clause '\(raw)'.")
            }
        }
        return (key, ascending)
    }

    // MARK: - Paging

    /// MLflow's page tokens: base64 of `{"offset": N}`.
    static func pageToken(offset: Int) -> String {
        Data("{\"offset\": \(offset)}".utf8).base64EncodedString()
    }

    static func offset(fromToken token: String?) throws -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
            let digits = text.split(whereSeparator: { !$0.isNumber }).first, let offset = Int(digits), offset >= 0
        else {
            throw RegistryError.invalidParameter("Invalid page token, could not base64-decode")
        }
        return offset
    }
}
