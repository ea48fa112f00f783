import IngotCore

/// Errors of the namespace, mapped once to HTTP and CLI output by their error code.
public enum CatalogError: IngotError, Equatable {
    case invalidParameter(String)
    case notFound(String)
    case alreadyExists(String)
    case notEmpty(String)

    public var errorCode: ErrorCode {
        switch self {
        case .invalidParameter: .invalidParameterValue
        case .notFound: .resourceDoesNotExist
        case .alreadyExists: .resourceAlreadyExists
        case .notEmpty: .invalidState
        }
    }

    public var message: String {
        switch self {
        case .invalidParameter(let m), .notFound(let m), .alreadyExists(let m), .notEmpty(let m): m
        }
    }
}
