import Foundation
import GRDB

/// Copies of the metadata database for `ingot backup` / `ingot restore`.
public enum MetadataBackup {
    /// Copies the database at `source` to a new file at `destination` with SQLite's online backup API
    /// (`sqlite3_backup_*`, in one step): the copy is the database as of one read transaction, even
    /// while a server writes to it from another process (WAL readers don't block the writer).
    /// Returns the number of pages copied.
    @discardableResult
    public static func copy(from source: String, to destination: String) throws -> Int {
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.label = "backup-source"
        do {
            let src = try DatabaseQueue(path: source, configuration: config)
            let dst = try DatabaseQueue(path: destination)
            var pages = 0
            try src.backup(to: dst) { progress in pages = progress.totalPageCount }
            try dst.close()
            try src.close()
            return pages
        } catch {
            throw StorageError.database("cannot back up the metadata database \(source): \(error)")
        }
    }

    /// Runs a query on a database file (a backup's copy) and returns its rows as text.
    public static func rows(at path: String, _ sql: String) throws -> [[String?]] {
        var config = Configuration()
        config.busyMode = .timeout(30)
        do {
            let db = try DatabaseQueue(path: path, configuration: config)
            defer { try? db.close() }
            return try db.read { db in
                try Row.fetchAll(db, sql: sql).map { row in row.databaseValues.map { $0.isNull ? nil : String.fromDatabaseValue($0) ?? "\($0)" } }
            }
        } catch {
            throw StorageError.database("cannot read \(path): \(error)")
        }
    }

    /// `PRAGMA integrity_check` of a database file: nil when its structure is sound, else SQLite's
    /// report. Constraint findings on rows ("NULL value in …", "CHECK constraint failed …" — rows a
    /// later migration's constraint does not fit) are not damage to the file and are not reported.
    public static func integrityProblem(at path: String) throws -> String? {
        let lines = try rows(at: path, "PRAGMA integrity_check").compactMap { $0.first ?? nil }
        let damage = lines.filter { $0 != "ok" && !$0.hasPrefix("NULL value in") && !$0.hasPrefix("CHECK constraint failed") }
        return damage.isEmpty ? nil : damage.joined(separator: "; ")
    }
}
