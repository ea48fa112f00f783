import IngotCore

/// The serving module's typed errors. Each carries the public `error_code` the server maps to an
/// HTTP status in one place (400 bad input, 404 unknown endpoint, 409 update in progress, 429
/// overload, 503 not ready, 504-ish timeouts are reported as TEMPORARILY_UNAVAILABLE).
public struct ServingError: IngotError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case invalidConfig, notFound, alreadyExists, updateInProgress, badInput, schemaMismatch, overloaded, notReady, timeout, workerFailed,
            modelLoad
        /// The model raised while predicting (MLflow answers 400; rollouts count it as an error).
        case predictionFailed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var errorCode: ErrorCode {
        switch kind {
        case .invalidConfig: .invalidParameterValue
        case .notFound: .resourceDoesNotExist
        case .alreadyExists: .resourceAlreadyExists
        case .updateInProgress: .resourceConflict
        case .badInput, .predictionFailed: .badRequest
        // MLflow answers schema-enforcement failures with INVALID_PARAMETER_VALUE (still a 400).
        case .schemaMismatch: .invalidParameterValue
        case .overloaded: .requestLimitExceeded
        case .notReady, .timeout, .workerFailed: .temporarilyUnavailable
        case .modelLoad: .internalError
        }
    }

    public static func invalid(_ message: String) -> ServingError { .init(.invalidConfig, message) }
    public static func badInput(_ message: String) -> ServingError { .init(.badInput, message) }
    public static func schema(_ message: String) -> ServingError { .init(.schemaMismatch, message) }
    public static func notFound(_ message: String) -> ServingError { .init(.notFound, message) }
}
