import IngotCore

/// Errors raised by the lake: corrupt or truncated files, unsupported features, bad input rows.
public enum LakeError: IngotError, Equatable {
    /// The file is not valid (bad magic, corrupt metadata, a length pointing outside the file...).
    case corrupt(file: String, detail: String)
    /// A feature the reader or writer does not handle yet.
    case unsupported(String)
    /// A caller error (schema mismatch, unknown column, bad option).
    case invalidArgument(String)
    /// A malformed input row in a text format.
    case malformedRow(file: String, line: Int, column: String, detail: String)
    /// Reading or writing the underlying file or object failed.
    case io(String)

    public var errorCode: ErrorCode {
        switch self {
        case .corrupt, .malformedRow: return .invalidParameterValue
        case .unsupported: return .notImplemented
        case .invalidArgument: return .invalidParameterValue
        case .io: return .internalError
        }
    }

    public var message: String {
        switch self {
        case .corrupt(let file, let detail): return "\(file): corrupt or truncated Parquet file: \(detail)"
        case .unsupported(let what): return "unsupported: \(what)"
        case .invalidArgument(let what): return what
        case .malformedRow(let file, let line, let column, let detail): return "\(file):\(line): column \(column): \(detail)"
        case .io(let what): return what
        }
    }

    /// The same error with the file name filled in (decoders throw with an empty file name).
    func naming(_ file: String) -> LakeError {
        if case .corrupt(let f, let d) = self, f.isEmpty { return .corrupt(file: file, detail: d) }
        return self
    }
}

/// Shorthand used by the decoders, which don't know the file name; the reader fills it in.
@inline(never)
func corrupt(_ detail: String) -> LakeError { .corrupt(file: "", detail: detail) }
