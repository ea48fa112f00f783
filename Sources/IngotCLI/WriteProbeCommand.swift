import ArgumentParser
import Foundation
import GRDB
import IngotStorage

/// `ingot admin write-probe`: a durability probe for the metadata store. It commits small
/// transactions (a parent row and its children) into a scratch database through the same
/// `MetadataStore` configuration the server uses, printing `ack <n>` only after each commit
/// returns. The crash test kills it with SIGKILL and checks every acknowledged write survived.
struct WriteProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-probe", abstract: "Commit numbered test transactions to a scratch database (crash testing).")

    @Option(help: "Scratch SQLite file (never a data directory's metadata.sqlite).")
    var db: String
    @Option(help: "Number of transactions to commit.")
    var count: Int = 100_000

    static let migrations = [
        Migration("probe.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE probe_batch (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
                    CREATE TABLE probe_item (
                        batch_id INTEGER NOT NULL REFERENCES probe_batch(id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        value REAL NOT NULL,
                        PRIMARY KEY (batch_id, position));
                    """)
        }
    ]

    func run() async throws {
        guard !db.hasSuffix(MetadataStore.fileName) else {
            throw ValidationError("refusing to write probe rows into a metadata database")
        }
        let store = try MetadataStore(path: db, migrations: Self.migrations)
        try store.migrate()
        var next = try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM probe_batch") ?? 0 } + 1
        let end = next + count
        let payload = String(repeating: "x", count: 200)
        while next < end {
            let id = next
            try await store.writer.write { db in
                try db.execute(sql: "INSERT INTO probe_batch (id, payload) VALUES (?, ?)", arguments: [id, payload])
                for position in 0..<8 {
                    try db.execute(
                        sql: "INSERT INTO probe_item (batch_id, position, value) VALUES (?, ?, ?)",
                        arguments: [id, position, Double(id) * 0.5 + Double(position)])
                }
            }
            // Unbuffered write: the ack must leave the process before the next commit starts.
            FileHandle.standardOutput.write(Data("ack \(id)\n".utf8))
            next += 1
        }
        try store.close()
    }
}
