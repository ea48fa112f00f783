/// Why a native tree model could not be loaded or could not score a request.
///
/// Input errors (``isInputError``) describe a bad request and are meant to reach the client (HTTP 400);
/// the rest describe the model file: a parse failure or a feature the native evaluators do not implement,
/// in which case the caller falls back to the Python worker and logs ``description``.
public enum NativeModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model file is malformed. `format` names the file kind ("LightGBM model", "XGBoost JSON").
    case parse(format: String, detail: String)
    /// The model uses something the native evaluator does not implement.
    case unsupported(String)
    /// A feature the model needs is not among the request's columns.
    case missingColumn(String)
    /// A cell of a numeric feature holds a value that is not a number.
    case nonNumericValue(column: String, row: Int, value: String)
    /// A positional row (no column names) has the wrong number of values.
    case wrongColumnCount(row: Int, expected: Int, got: Int)

    /// True when the request, not the model, is at fault.
    public var isInputError: Bool {
        switch self {
        case .missingColumn, .nonNumericValue, .wrongColumnCount: return true
        case .parse, .unsupported: return false
        }
    }

    public var description: String {
        switch self {
        case .parse(let format, let detail):
            return "\(format) is malformed: \(detail)"
        case .unsupported(let reason):
            return "not natively supported: \(reason)"
        case .missingColumn(let name):
            return "the model needs input column '\(name)', which the request does not have"
        case .nonNumericValue(let column, let row, let value):
            return "column '\(column)' row \(row): \(value) is not a number"
        case .wrongColumnCount(let row, let expected, let got):
            return "row \(row) has \(got) values; the model takes \(expected) features"
        }
    }
}
