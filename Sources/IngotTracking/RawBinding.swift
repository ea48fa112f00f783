import GRDB
import GRDBSQLite

/// Binds values straight into a prepared statement and runs it, for the hot multi-row INSERTs of
/// `log-batch`: building `StatementArguments` from existentials cost more than the inserts themselves.
/// Only used on statements no other code executes through GRDB's argument API.
struct RawInsert {
    let statement: Statement
    private var index: Int32 = 1

    init(_ statement: Statement) {
        self.statement = statement
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    mutating func bind(_ value: Int64) {
        sqlite3_bind_int64(statement.sqliteStatement, index, value)
        index += 1
    }

    mutating func bind(_ value: Double) {
        sqlite3_bind_double(statement.sqliteStatement, index, value)
        index += 1
    }

    mutating func bind(_ value: Bool) { bind(value ? Int64(1) : 0) }

    mutating func bind(_ value: String?) {
        if let value {
            // SQLITE_TRANSIENT: SQLite copies the text before the call returns.
            sqlite3_bind_text(statement.sqliteStatement, index, value, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        } else {
            sqlite3_bind_null(statement.sqliteStatement, index)
        }
        index += 1
    }

    func run(_ db: Database) throws {
        let code = sqlite3_step(statement.sqliteStatement)
        sqlite3_reset(statement.sqliteStatement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
        }
    }
}
