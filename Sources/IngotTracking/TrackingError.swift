import IngotCore

/// Failures of the tracking domain, with MLflow's error codes and (where clients or tests
/// match on them) MLflow's own message wording.
public enum TrackingError: IngotError, Equatable {
    case invalidParameter(String)
    case notFound(String)
    case alreadyExists(String)
    case badRequest(String)
    case internalFailure(String)

    public var errorCode: ErrorCode {
        switch self {
        case .invalidParameter: .invalidParameterValue
        case .notFound: .resourceDoesNotExist
        case .alreadyExists: .resourceAlreadyExists
        case .badRequest: .badRequest
        case .internalFailure: .internalError
        }
    }

    public var message: String {
        switch self {
        case .invalidParameter(let m), .notFound(let m), .alreadyExists(let m), .badRequest(let m), .internalFailure(let m): m
        }
    }

    static func runNotFound(_ runID: String) -> TrackingError { .notFound("Run with id=\(runID) not found") }
    static func experimentNotFound(_ id: String) -> TrackingError { .notFound("No Experiment with id=\(id) exists") }
    static func modelNotFound(_ id: String) -> TrackingError { .notFound("Logged model with ID '\(id)' not found.") }
    static func traceNotFound(_ id: String) -> TrackingError { .notFound("Trace with ID \(id) is not found.") }
    static func missing(_ field: String) -> TrackingError {
        .invalidParameter("Missing value for required parameter '\(field)'. See the API docs for more information about request parameters.")
    }
}
