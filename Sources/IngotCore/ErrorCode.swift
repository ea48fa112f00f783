/// Error codes shared by every API surface. The raw values are the Databricks/MLflow
/// `error_code` strings that clients match on, so they must never be renamed.
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    case invalidParameterValue = "INVALID_PARAMETER_VALUE"
    case badRequest = "BAD_REQUEST"
    case malformedRequest = "MALFORMED_REQUEST"
    case resourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST"
    case resourceAlreadyExists = "RESOURCE_ALREADY_EXISTS"
    case resourceConflict = "RESOURCE_CONFLICT"
    case invalidState = "INVALID_STATE"
    case endpointNotFound = "ENDPOINT_NOT_FOUND"
    case unauthenticated = "UNAUTHENTICATED"
    case permissionDenied = "PERMISSION_DENIED"
    case requestLimitExceeded = "REQUEST_LIMIT_EXCEEDED"
    case notImplemented = "NOT_IMPLEMENTED"
    case temporarilyUnavailable = "TEMPORARILY_UNAVAILABLE"
    case internalError = "INTERNAL_ERROR"
}

/// A module error that knows its public code and a message safe to show to a client.
///
/// Each module keeps its own typed error enum and conforms it to this protocol; the server
/// and the CLI map `errorCode` to a status or exit code in exactly one place each.
public protocol IngotError: Error, Sendable, CustomStringConvertible {
    var errorCode: ErrorCode { get }
    var message: String { get }
}

extension IngotError {
    public var description: String { "\(errorCode.rawValue): \(message)" }
}

/// A general-purpose error for cases that need no module-specific type.
public struct IngotFailure: IngotError {
    public let errorCode: ErrorCode
    public let message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.errorCode = code
        self.message = message
    }

    public static func invalid(_ message: String) -> IngotFailure { .init(.invalidParameterValue, message) }
    public static func notFound(_ message: String) -> IngotFailure { .init(.resourceDoesNotExist, message) }
    public static func exists(_ message: String) -> IngotFailure { .init(.resourceAlreadyExists, message) }
    public static func `internal`(_ message: String) -> IngotFailure { .init(.internalError, message) }
}
