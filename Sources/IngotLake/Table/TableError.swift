import IngotCore


/// Errors of the table layer: Avro, Delta log, Iceberg metadata and table operations.
public enum TableError: IngotError, Equatable {
    /// A table file (Avro, Delta log entry, metadata JSON) is malformed.
    case corrupt(file: String, detail: String)
    /// A table feature Ingot does not handle yet (named).
    case unsupported(String)
    case invalidArgument(String)
    case notFound(String)
    case alreadyExists(String)
    /// A concurrent commit made this one impossible.
    case conflict(String)

    public var errorCode: ErrorCode {
        switch self {
        case .corrupt, .invalidArgument: return .invalidParameterValue
        case .unsupported: return .notImplemented
        case .notFound: return .resourceDoesNotExist
        case .alreadyExists: return .resourceAlreadyExists
        case .conflict: return .resourceConflict
        }
    }

    public var message: String {
        switch self {
        case .corrupt(let file, let detail): return file.isEmpty ? "corrupt table file: \(detail)" : "\(file): corrupt table file: \(detail)"
        case .unsupported(let what): return "unsupported table feature: \(what)"
        case .invalidArgument(let what): return what
        case .notFound(let what): return what
        case .alreadyExists(let what): return what
        case .conflict(let what): return "commit conflict: \(what)"
        }
    }
}
