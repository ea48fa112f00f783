import IngotCore

/// Identity failures. Messages never echo a secret (password or token).
public enum IdentityError: IngotError {
    case unauthenticated(String)
    case permissionDenied(String)
    case invalid(String)
    case notFound(String)
    case alreadyExists(String)
    case throttled(String)

    public var errorCode: ErrorCode {
        switch self {
        case .unauthenticated: .unauthenticated
        case .permissionDenied: .permissionDenied
        case .invalid: .invalidParameterValue
        case .notFound: .resourceDoesNotExist
        case .alreadyExists: .resourceAlreadyExists
        case .throttled: .requestLimitExceeded
        }
    }

    public var message: String {
        switch self {
        case .unauthenticated(let m), .permissionDenied(let m), .invalid(let m), .notFound(let m), .alreadyExists(let m),
            .throttled(let m):
            m
        }
    }
}
