import Foundation
import GRDBSQLite
import IngotCore

/// SQLite's "copy this buffer now" destructor (the C macro is not imported into Swift).
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Errors of the SQL engine.
public enum SQLError: IngotError, Equatable, CustomStringConvertible, LocalizedError {
    /// The statement does not parse or is not valid.
    case invalid(String)
    /// A table (or catalog/schema) does not exist.
    case notFound(String)
    /// A statement kind or feature the engine does not handle (yet).
    case unsupported(String)
    /// The statement was cancelled (``SQLEngine/cancel()``).
    case cancelled
    /// SQLite reported an error while executing.
    case execution(String)

    public var description: String {
        switch self {
        case .invalid(let m), .notFound(let m): return m
        case .unsupported(let m): return "not supported: \(m)"
        case .cancelled: return "the statement was cancelled"
        case .execution(let m): return m
        }
    }

    public var errorDescription: String? { description }
    public var message: String { description }

    public var errorCode: ErrorCode {
        switch self {
        case .invalid, .execution: return .invalidParameterValue
        case .notFound: return .resourceDoesNotExist
        case .unsupported: return .notImplemented
        case .cancelled: return .invalidState
        }
    }
}

/// A thin owner of one SQLite connection (always in-memory, never the metadata database).
/// Only used from the engine's own serial queue.
final class SQLiteConnection {
    let db: OpaquePointer

    init() throws {
        var h: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(":memory:", &h, flags, nil)
        guard rc == SQLITE_OK, let h else {
            if let h { sqlite3_close_v2(h) }
            throw SQLError.execution("cannot open an in-memory SQLite database (code \(rc))")
        }
        db = h
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(db) }

    var lastError: String { String(cString: sqlite3_errmsg(db)) }

    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? lastError
            sqlite3_free(err)
            throw SQLError.execution(msg)
        }
    }

    func prepare(_ sql: String) throws -> OpaquePointer {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            sqlite3_finalize(stmt)
            throw SQLError.invalid(lastError)
        }
        return stmt
    }
}

// MARK: - Value helpers

extension String {
    /// SQL identifier quoting with double quotes (SQLite's own dialect).
    var sqliteQuoted: String { "\"" + replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    /// SQL string literal.
    var sqlLiteral: String { "'" + replacingOccurrences(of: "'", with: "''") + "'" }
}

/// Reads a `sqlite3_value` as a Swift string (nil for NULL).
func sqliteText(_ v: OpaquePointer?) -> String? {
    guard let v, sqlite3_value_type(v) != SQLITE_NULL else { return nil }
    if sqlite3_value_type(v) == SQLITE_BLOB {
        let n = Int(sqlite3_value_bytes(v))
        guard let p = sqlite3_value_blob(v) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }
    guard let p = sqlite3_value_text(v) else { return nil }
    let n = Int(sqlite3_value_bytes(v))
    return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
}

func setResult(_ ctx: OpaquePointer?, text s: String) {
    var s = s
    s.withUTF8 { p in
        if let base = p.baseAddress {
            sqlite3_result_text(ctx, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(p.count), sqliteTransient)
        } else {
            sqlite3_result_text(ctx, "", 0, sqliteTransient)
        }
    }
}

func setResult(_ ctx: OpaquePointer?, blob b: [UInt8]) {
    b.withUnsafeBytes { p in
        if let base = p.baseAddress { sqlite3_result_blob(ctx, base, Int32(p.count), sqliteTransient) } else { sqlite3_result_zeroblob(ctx, 0) }
    }
}

/// A SQLite-side scalar: what a value of SQLite's dynamic type system holds.
enum SQLiteScalar: Equatable {
    case null
    case int(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    init(_ v: OpaquePointer?) {
        guard let v else { self = .null; return }
        switch sqlite3_value_type(v) {
        case SQLITE_INTEGER: self = .int(sqlite3_value_int64(v))
        case SQLITE_FLOAT: self = .real(sqlite3_value_double(v))
        case SQLITE_TEXT: self = .text(sqliteText(v) ?? "")
        case SQLITE_BLOB:
            let n = Int(sqlite3_value_bytes(v))
            if let p = sqlite3_value_blob(v) { self = .blob(Array(UnsafeRawBufferPointer(start: p, count: n))) } else { self = .blob([]) }
        default: self = .null
        }
    }

    /// The value of column `i` of the current row of a statement.
    init(stmt: OpaquePointer, column i: Int32) {
        switch sqlite3_column_type(stmt, i) {
        case SQLITE_INTEGER: self = .int(sqlite3_column_int64(stmt, i))
        case SQLITE_FLOAT: self = .real(sqlite3_column_double(stmt, i))
        case SQLITE_TEXT:
            let n = Int(sqlite3_column_bytes(stmt, i))
            if let p = sqlite3_column_text(stmt, i) {
                self = .text(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
            } else {
                self = .text("")
            }
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(stmt, i))
            if let p = sqlite3_column_blob(stmt, i) { self = .blob(Array(UnsafeRawBufferPointer(start: p, count: n))) } else { self = .blob([]) }
        default: self = .null
        }
    }

    func setResult(_ ctx: OpaquePointer?) {
        switch self {
        case .null: sqlite3_result_null(ctx)
        case .int(let x): sqlite3_result_int64(ctx, x)
        case .real(let d): sqlite3_result_double(ctx, d)
        case .text(let s): IngotLake.setResult(ctx, text: s)
        case .blob(let b): IngotLake.setResult(ctx, blob: b)
        }
    }
}
