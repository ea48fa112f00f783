import Foundation
import GRDB

/// Builds SQL text and its bound arguments side by side; values are only ever bound, never pasted.
struct SQLBuilder {
    var joins: [String] = []
    var conditions: [String] = []
    var orderTerms: [String] = []
    var arguments: [DatabaseValue] = []
    var joinArguments: [DatabaseValue] = []

    mutating func bind(_ value: some DatabaseValueConvertible) -> String {
        arguments.append(value.databaseValue)
        return "?"
    }

    mutating func bindJoin(_ value: some DatabaseValueConvertible) -> String {
        joinArguments.append(value.databaseValue)
        return "?"
    }

    /// `?, ?, ?` bound to the given values.
    mutating func bindList(_ values: [String]) -> String {
        values.map { bind($0) }.joined(separator: ", ")
    }
}

/// SQL for one string comparison; LIKE is case-sensitive (as MLflow makes it on SQLite) via GLOB.
func stringComparisonSQL(_ column: String, _ comparator: FilterComparator, _ value: FilterValue, into b: inout SQLBuilder, join: Bool = false)
    throws -> String
{
    func bind(_ v: String) -> String { join ? b.bindJoin(v) : b.bind(v) }
    switch (comparator, value) {
    case (.eq, .string(let s)): return "\(column) = \(bind(s))"
    case (.ne, .string(let s)): return "\(column) != \(bind(s))"
    case (.like, .string(let s)): return "\(column) GLOB \(bind(globPattern(fromLike: s)))"
    case (.ilike, .string(let s)): return "lower(\(column)) LIKE lower(\(bind(s)))"
    case (.inList, .list(let items)):
        return "\(column) IN (\(items.map { bind($0) }.joined(separator: ", ")))"
    case (.notInList, .list(let items)):
        return "\(column) NOT IN (\(items.map { bind($0) }.joined(separator: ", ")))"
    case (.lt, .string(let s)): return "\(column) < \(bind(s))"
    case (.le, .string(let s)): return "\(column) <= \(bind(s))"
    case (.gt, .string(let s)): return "\(column) > \(bind(s))"
    case (.ge, .string(let s)): return "\(column) >= \(bind(s))"
    default:
        throw TrackingError.invalidParameter("Invalid comparator '\(comparator.rawValue)' for a string value")
    }
}

/// Translates a SQL LIKE pattern (`%`, `_`) to the equivalent case-sensitive GLOB pattern.
func globPattern(fromLike pattern: String) -> String {
    var out = ""
    for ch in pattern {
        switch ch {
        case "%": out += "*"
        case "_": out += "?"
        case "*": out += "[*]"
        case "?": out += "[?]"
        case "[": out += "[[]"
        default: out.append(ch)
        }
    }
    return out
}

/// Page tokens are base64 JSON `{"offset": n}`, the shape MLflow's own server uses.
enum PageToken {
    static func decode(_ token: String?) throws -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let data = Data(base64Encoded: token),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let offset = object["offset"] as? Int, offset >= 0
        else {
            throw TrackingError.invalidParameter("Invalid page token, could not base64-decode")
        }
        return offset
    }

    static func encode(_ offset: Int) -> String {
        Data("{\"offset\": \(offset)}".utf8).base64EncodedString()
    }
}

/// Which table or column family a filter or order_by identifier refers to.
enum SearchEntity {
    case metric, param, tag, attribute, dataset

    static func resolve(_ raw: String?) throws -> SearchEntity {
        guard let raw else { return .attribute }
        switch raw {
        case "metric", "metrics": return .metric
        case "parameter", "parameters", "param", "params": return .param
        case "tag", "tags": return .tag
        case "attribute", "attr", "attributes", "run": return .attribute
        case "dataset", "datasets": return .dataset
        default:
            throw TrackingError.invalidParameter(
                "Invalid entity type '\(raw)'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']")
        }
    }
}

/// Compiles a runs search (filter + order_by + view type) into one parameterized query over
/// `tracking_runs r` that selects `r.run_pk` in result order.
struct RunSearchCompiler {
    static let stringAttributes: [String: String] = [
        "run_id": "r.run_id", "run_name": "r.run_name", "user_id": "r.user_id", "status": "r.status",
        "artifact_uri": "r.artifact_uri",
    ]
    static let numericAttributes: [String: String] = ["start_time": "r.start_time", "end_time": "r.end_time"]

    static func canonicalAttribute(_ key: String) -> String {
        switch key {
        case "created", "Created": "start_time"
        case "run name", "Run name", "Run Name": "run_name"
        default: key
        }
    }

    /// One query of a search; a search ordered first by a metric runs as up to three segments
    /// (finite values, NaN, missing) so that each can walk the metric index in order and stop early.
    struct Query {
        var sql: String
        var arguments: StatementArguments
    }

    static func compile(
        experimentIDs: [Int64], filter: [FilterCondition], orderBy: [OrderClause], viewType: ViewType, limit: Int, offset: Int
    ) throws -> (sql: String, arguments: StatementArguments) {
        let queries = try compileSegments(
            experimentIDs: experimentIDs, filter: filter, orderBy: orderBy, viewType: viewType, limit: limit + offset)
        let q = queries[0]
        return (q.sql + (queries.count == 1 ? " OFFSET \(offset)" : ""), q.arguments)
    }

    /// Whether a search filters or orders on a metric, i.e. reads `tracking_search_metrics` (which must be synced
    /// first); searches on params, tags, attributes and datasets never read it.
    static func readsSearchMetrics(filter: [FilterCondition], orderBy: [OrderClause]) throws -> Bool {
        try filter.contains { try SearchEntity.resolve($0.entity) == .metric } || orderBy.contains { try SearchEntity.resolve($0.entity) == .metric }
    }

    /// Queries whose concatenated results, in order, are the search result; each is limited to `limit` rows.
    static func compileSegments(
        experimentIDs: [Int64], filter: [FilterCondition], orderBy: [OrderClause], viewType: ViewType, limit: Int
    ) throws -> [Query] {
        var b = SQLBuilder()
        b.conditions.append("r.experiment_id IN (\(experimentIDs.map { b.bind($0) }.joined(separator: ", ")))")
        let stages = viewType.stages
        b.conditions.append(stages.count == 1 ? "r.lifecycle_stage = \(b.bind(stages[0]))" : "r.lifecycle_stage IN ('active', 'deleted')")
        for (i, condition) in filter.enumerated() {
            try addCondition(condition, index: i, into: &b)
        }
        var seen: Set<String> = []
        var sortsStartTime = false
        var leadingMetric: OrderClause?
        for (i, clause) in orderBy.enumerated() {
            let entity = try SearchEntity.resolve(clause.entity)
            let fieldID = "\(entity)|\(entity == .attribute ? canonicalAttribute(clause.key) : clause.key)"
            if seen.contains(fieldID) {
                throw TrackingError.invalidParameter("`order_by` contains duplicate fields: \(orderBy.map { "\($0.entity.map { $0 + "." } ?? "")\($0.key)" })")
            }
            seen.insert(fieldID)
            let direction = clause.ascending ? "" : " DESC"
            switch entity {
            case .attribute:
                let key = canonicalAttribute(clause.key)
                guard let column = stringAttributes[key] ?? numericAttributes[key] else {
                    throw TrackingError.invalidParameter(
                        "Invalid attribute key '\(clause.key)' specified. Valid keys are '\(Array(stringAttributes.keys) + Array(numericAttributes.keys))'")
                }
                if key == "start_time" { sortsStartTime = true }
                b.orderTerms.append("(\(column) IS NULL)")
                b.orderTerms.append(column + direction)
            case .metric:
                if i == 0 {
                    leadingMetric = clause
                    continue
                }
                let alias = "o\(i)"
                b.joins.append("LEFT JOIN tracking_search_metrics \(alias) ON \(alias).run_pk = r.run_pk AND \(alias).key = \(b.bindJoin(clause.key))")
                b.orderTerms.append("(CASE WHEN \(alias).is_nan = 1 THEN 1 WHEN \(alias).value IS NULL THEN 2 ELSE 0 END)")
                b.orderTerms.append("\(alias).value" + direction)
            case .param, .tag:
                let alias = "o\(i)"
                let table = entity == .param ? "tracking_params" : "tracking_tags"
                b.joins.append("LEFT JOIN \(table) \(alias) ON \(alias).run_pk = r.run_pk AND \(alias).key = \(b.bindJoin(clause.key))")
                b.orderTerms.append("(\(alias).value IS NULL)")
                b.orderTerms.append("\(alias).value" + direction)
            case .dataset:
                throw TrackingError.invalidParameter("Invalid identifier type 'dataset' in order_by")
            }
        }
        if !sortsStartTime { b.orderTerms.append("r.start_time DESC") }
        b.orderTerms.append("r.run_id")
        let joins = b.joins.joined(separator: " ")
        let conditions = b.conditions.joined(separator: " AND ")
        guard let metric = leadingMetric else {
            return [
                Query(
                    sql: "SELECT r.run_pk FROM tracking_runs r \(joins) WHERE \(conditions) ORDER BY \(b.orderTerms.joined(separator: ", ")) LIMIT \(limit)",
                    arguments: StatementArguments(b.joinArguments + b.arguments))
            ]
        }
        // Segments in MLflow's order: finite values, then NaN, then runs without the metric. The
        // metric table is the outer loop (CROSS JOIN pins it) so the (key, is_nan, value) index
        // yields rows already sorted and LIMIT stops the walk early.
        let rest = b.orderTerms.joined(separator: ", ")
        let pinned = joins.replacingOccurrences(of: "JOIN tracking_search_metrics f", with: "CROSS JOIN tracking_search_metrics f")
            .replacingOccurrences(of: "JOIN tracking_params f", with: "CROSS JOIN tracking_params f")
            .replacingOccurrences(of: "JOIN tracking_tags f", with: "CROSS JOIN tracking_tags f")
        let key = metric.key.databaseValue
        let direction = metric.ascending ? "" : " DESC"
        let finite = Query(
            sql: """
                SELECT r.run_pk FROM tracking_search_metrics o0 CROSS JOIN tracking_runs r ON r.run_pk = o0.run_pk \(pinned)
                WHERE o0.key = ? AND o0.is_nan = 0 AND \(conditions) ORDER BY o0.value\(direction), \(rest) LIMIT \(limit)
                """,
            arguments: StatementArguments(b.joinArguments + [key] + b.arguments))
        let nan = Query(
            sql: """
                SELECT r.run_pk FROM tracking_search_metrics o0 CROSS JOIN tracking_runs r ON r.run_pk = o0.run_pk \(pinned)
                WHERE o0.key = ? AND o0.is_nan = 1 AND \(conditions) ORDER BY \(rest) LIMIT \(limit)
                """,
            arguments: StatementArguments(b.joinArguments + [key] + b.arguments))
        let missing = Query(
            sql: """
                SELECT r.run_pk FROM tracking_runs r \(joins)
                WHERE NOT EXISTS (SELECT 1 FROM tracking_search_metrics x WHERE x.run_pk = r.run_pk AND x.key = ?) AND \(conditions)
                ORDER BY \(rest) LIMIT \(limit)
                """,
            arguments: StatementArguments(b.joinArguments + [key] + b.arguments))
        return [finite, nan, missing]
    }

    static func addCondition(_ c: FilterCondition, index: Int, into b: inout SQLBuilder) throws {
        let entity = try SearchEntity.resolve(c.entity)
        let alias = "f\(index)"
        switch entity {
        case .attribute:
            let key = canonicalAttribute(c.key)
            if let column = numericAttributes[key] {
                guard [.eq, .ne, .lt, .le, .gt, .ge].contains(c.comparator) else {
                    throw TrackingError.invalidParameter("Invalid comparator '\(c.comparator.rawValue)' not one of '{'>=', '!=', '<=', '>', '=', '<'}'")
                }
                guard case .number(let v, _, let isInt) = c.value else {
                    throw TrackingError.invalidParameter("Expected numeric value type for numeric attribute: \(key). Found \(describe(c.value))")
                }
                b.conditions.append("\(column) \(c.comparator.rawValue) \(isInt ? b.bind(Int64(v)) : b.bind(v))")
            } else if let column = stringAttributes[key] {
                guard [.eq, .ne, .like, .ilike, .inList, .notInList].contains(c.comparator) else {
                    throw TrackingError.invalidParameter(
                        "Invalid comparator '\(c.comparator.rawValue)' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'")
                }
                if case .list = c.value, key != "run_id" {
                    throw TrackingError.invalidParameter("Only ['run_id'] attributes support comparison with a list of quoted string values.")
                }
                guard case .string = c.value, true else {
                    if case .list = c.value {
                        b.conditions.append(try stringComparisonSQL(column, c.comparator, c.value, into: &b))
                        return
                    }
                    throw TrackingError.invalidParameter("Expected a quoted string value for attributes. Got value \(describe(c.value))")
                }
                b.conditions.append(try stringComparisonSQL(column, c.comparator, c.value, into: &b))
            } else {
                throw TrackingError.invalidParameter(
                    "Invalid attribute key '\(c.key)' specified. Valid keys are '['artifact_uri', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id', 'created', 'run name']'")
            }
        case .metric:
            guard [.eq, .ne, .lt, .le, .gt, .ge].contains(c.comparator) else {
                throw TrackingError.invalidParameter("Invalid comparator '\(c.comparator.rawValue)' not one of '{'>', '>=', '!=', '=', '<', '<='}")
            }
            guard case .number(let v, _, _) = c.value else {
                throw TrackingError.invalidParameter("Expected numeric value type for metric. Found \(describe(c.value))")
            }
            let key = b.bindJoin(c.key)
            let valueTest =
                c.comparator == .ne
                ? "(\(alias).value != \(b.bindJoin(v)) OR \(alias).is_nan = 1)"
                : "\(alias).value \(c.comparator.rawValue) \(b.bindJoin(v)) AND \(alias).is_nan = 0"
            b.joins.append("JOIN tracking_search_metrics \(alias) ON \(alias).run_pk = r.run_pk AND \(alias).key = \(key) AND \(valueTest)")
        case .param, .tag:
            let table = entity == .param ? "tracking_params" : "tracking_tags"
            let name = entity == .param ? "parameter" : "tag"
            switch c.comparator {
            case .isNull, .isNotNull:
                let exists = "EXISTS (SELECT 1 FROM \(table) \(alias) WHERE \(alias).run_pk = r.run_pk AND \(alias).key = \(b.bind(c.key)))"
                b.conditions.append(c.comparator == .isNull ? "NOT " + exists : exists)
            case .eq, .ne, .like, .ilike:
                guard case .string = c.value else {
                    throw TrackingError.invalidParameter("Expected a quoted string value for \(name) (e.g. 'my-value'). Got value \(describe(c.value))")
                }
                let key = b.bindJoin(c.key)
                let test = try stringComparisonSQL("\(alias).value", c.comparator, c.value, into: &b, join: true)
                b.joins.append("JOIN \(table) \(alias) ON \(alias).run_pk = r.run_pk AND \(alias).key = \(key) AND \(test)")
            default:
                throw TrackingError.invalidParameter(
                    "Invalid comparator '\(c.comparator.rawValue)' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}'")
            }
        case .dataset:
            guard [.eq, .ne, .like, .ilike, .inList, .notInList].contains(c.comparator) else {
                throw TrackingError.invalidParameter("Invalid comparator '\(c.comparator.rawValue)' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}")
            }
            switch c.value {
            case .string, .list: break
            default: throw TrackingError.invalidParameter("Expected a quoted string value for dataset attributes. Got value \(describe(c.value))")
            }
            switch c.key {
            case "name", "digest":
                let test = try stringComparisonSQL("d.\(c.key)", c.comparator, c.value, into: &b)
                b.conditions.append(
                    "EXISTS (SELECT 1 FROM tracking_inputs i JOIN tracking_datasets d ON d.dataset_pk = i.dataset_pk WHERE i.run_pk = r.run_pk AND \(test))")
            case "context":
                let test = try stringComparisonSQL("t.value", c.comparator, c.value, into: &b)
                b.conditions.append(
                    "EXISTS (SELECT 1 FROM tracking_inputs i JOIN tracking_input_tags t ON t.input_pk = i.input_pk AND t.key = 'mlflow.data.context' WHERE i.run_pk = r.run_pk AND \(test))"
                )
            default:
                throw TrackingError.invalidParameter("Invalid dataset key '\(c.key)' specified. Valid keys are '{'name', 'digest', 'context'}'")
            }
        }
    }

    static func describe(_ value: FilterValue) -> String {
        switch value {
        case .number(_, let text, _): text
        case .string(let s): s
        case .list(let items): "(" + items.map { "'\($0)'" }.joined(separator: ",") + ")"
        case .none: "NULL"
        }
    }
}

/// Compiles an experiments search into a query selecting `e.experiment_id` in result order.
struct ExperimentSearchCompiler {
    static let attributes: [String: String] = [
        "name": "e.name", "experiment_id": "e.experiment_id", "creation_time": "e.creation_time",
        "last_update_time": "e.last_update_time",
    ]

    static func compile(filter: [FilterCondition], orderBy: [OrderClause], viewType: ViewType, limit: Int, offset: Int) throws
        -> (sql: String, arguments: StatementArguments)
    {
        var b = SQLBuilder()
        let stages = viewType.stages
        b.conditions.append(stages.count == 1 ? "e.lifecycle_stage = \(b.bind(stages[0]))" : "1 = 1")
        for (i, c) in filter.enumerated() {
            let entity = try SearchEntity.resolve(c.entity)
            switch entity {
            case .attribute:
                guard let column = attributes[c.key] else {
                    throw TrackingError.invalidParameter("Invalid attribute key '\(c.key)' specified. Valid keys are '\(attributes.keys.sorted())'")
                }
                if c.key == "creation_time" || c.key == "last_update_time" {
                    guard case .number(let v, _, _) = c.value, [.eq, .ne, .lt, .le, .gt, .ge].contains(c.comparator) else {
                        throw TrackingError.invalidParameter("Invalid filter on numeric attribute '\(c.key)'")
                    }
                    b.conditions.append("\(column) \(c.comparator.rawValue) \(b.bind(Int64(v)))")
                } else {
                    b.conditions.append(try stringComparisonSQL(column, c.comparator, c.value, into: &b))
                }
            case .tag:
                let alias = "t\(i)"
                guard [.eq, .ne, .like, .ilike].contains(c.comparator), case .string = c.value else {
                    if c.comparator == .isNull || c.comparator == .isNotNull {
                        let exists =
                            "EXISTS (SELECT 1 FROM tracking_experiment_tags \(alias) WHERE \(alias).experiment_id = e.experiment_id AND \(alias).key = \(b.bind(c.key)))"
                        b.conditions.append(c.comparator == .isNull ? "NOT " + exists : exists)
                        continue
                    }
                    throw TrackingError.invalidParameter("Invalid comparator '\(c.comparator.rawValue)' for experiment tag '\(c.key)'")
                }
                let key = b.bindJoin(c.key)
                let test = try stringComparisonSQL("\(alias).value", c.comparator, c.value, into: &b, join: true)
                b.joins.append("JOIN tracking_experiment_tags \(alias) ON \(alias).experiment_id = e.experiment_id AND \(alias).key = \(key) AND \(test)")
            default:
                throw TrackingError.invalidParameter("Invalid entity type '\(c.entity ?? "")'. Valid values are ['attribute', 'tag']")
            }
        }
        let clauses = orderBy.isEmpty
            ? [OrderClause(entity: nil, key: "creation_time", ascending: false), OrderClause(entity: nil, key: "experiment_id", ascending: true)]
            : orderBy
        var hasID = false
        for clause in clauses {
            guard try SearchEntity.resolve(clause.entity) == .attribute, let column = attributes[clause.key] else {
                throw TrackingError.invalidParameter("Invalid order_by entity: \(clause.entity ?? clause.key)")
            }
            if clause.key == "experiment_id" { hasID = true }
            b.orderTerms.append(column + (clause.ascending ? "" : " DESC"))
        }
        if !hasID { b.orderTerms.append("e.experiment_id DESC") }
        let sql = """
            SELECT e.experiment_id FROM tracking_experiments e \(b.joins.joined(separator: " "))
            WHERE \(b.conditions.joined(separator: " AND "))
            ORDER BY \(b.orderTerms.joined(separator: ", "))
            LIMIT \(limit) OFFSET \(offset)
            """
        return (sql, StatementArguments(b.joinArguments + b.arguments))
    }
}
