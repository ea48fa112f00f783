import IngotCore

/// Failures of the registry domain, with MLflow's error codes and (where clients or tests match
/// on them) MLflow's own message wording.
public enum RegistryError: IngotError, Equatable {
    case invalidParameter(String)
    case notFound(String)
    case alreadyExists(String)
    case permissionDenied(String)
    case invalidState(String)
    case internalFailure(String)

    public var errorCode: ErrorCode {
        switch self {
        case .invalidParameter: .invalidParameterValue
        case .notFound: .resourceDoesNotExist
        case .alreadyExists: .resourceAlreadyExists
        case .permissionDenied: .permissionDenied
        case .invalidState: .invalidState
        case .internalFailure: .internalError
        }
    }

    public var message: String {
        switch self {
        case .invalidParameter(let m), .notFound(let m), .alreadyExists(let m), .permissionDenied(let m), .invalidState(let m),
            .internalFailure(let m):
            m
        }
    }

    static func modelNotFound(_ name: String) -> RegistryError { .notFound("Registered Model with name=\(name) not found") }
    static func versionNotFound(_ name: String, _ version: Int64) -> RegistryError {
        .notFound("Model Version (name=\(name), version=\(version)) not found")
    }
    static func missing(_ field: String) -> RegistryError { .invalidParameter("Missing value for required parameter '\(field)'.") }
}
