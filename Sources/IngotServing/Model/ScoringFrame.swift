/// One cell of a scoring request after JSON/CSV decoding. The invocation layer turns MLflow's scoring
/// formats (dataframe_split, dataframe_records, instances, inputs; CSV) into a `ScoringFrame`; models
/// convert it to whatever they evaluate (a dense feature matrix for native tree models, JSON for the
/// Python worker).
public enum ScoringValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)

    /// Numeric view used by tree models: null is a missing value (NaN), as MLflow treats a null in a
    /// floating-point column; strings that are not numbers give nil (the caller decides: category or error).
    public var numeric: Double? {
        switch self {
        case .null: return .nan
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string: return nil
        }
    }
}

/// A table of request rows, row-major as it arrives on the wire. `columns` is empty when the request
/// carried positional rows (`instances` as arrays, `inputs` as a matrix); models then map by position.
public struct ScoringFrame: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[ScoringValue]]

    public init(columns: [String], rows: [[ScoringValue]]) {
        self.columns = columns
        self.rows = rows
    }

    public var rowCount: Int { rows.count }
}

/// What a model answers. MLflow's scoring server serializes a 1-D result as a JSON array of numbers,
/// a 2-D result (class probabilities) as an array of arrays, and labels as their JSON values.
public enum Predictions: Sendable, Equatable {
    case vector([Double])
    case matrix([[Double]])
    case labels([ScoringValue])

    public var count: Int {
        switch self {
        case .vector(let v): return v.count
        case .matrix(let m): return m.count
        case .labels(let l): return l.count
        }
    }
}
