import IngotCore

/// Errors of the jobs domain: a typed kind (for tests and callers) plus the Databricks error code and
/// a message that names the job or task at fault.
public struct JobError: IngotError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case invalid, cycle, unknownDependency, duplicateTaskKey, badCron, notFound, invalidState, unsupported
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var errorCode: ErrorCode {
        switch kind {
        case .invalid, .cycle, .unknownDependency, .duplicateTaskKey, .badCron, .unsupported: .invalidParameterValue
        case .notFound: .resourceDoesNotExist
        case .invalidState: .invalidState
        }
    }

    public static func invalid(_ m: String) -> JobError { .init(.invalid, m) }
    public static func notFound(_ m: String) -> JobError { .init(.notFound, m) }
}
