import Foundation
import GRDB
import Testing

@testable import IngotStorage

@Suite struct MetadataStoreTests {
    static let migrations = [
        Migration("test.v1") { db in try db.execute(sql: "CREATE TABLE parent (id INTEGER PRIMARY KEY)") },
        Migration("test.v2") { db in
            try db.execute(sql: "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id))")
        },
    ]

    func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ingot-md-\(UUID().uuidString).sqlite").path
    }

    @Test func migratesInOrderAndReportsVersions() throws {
        let path = tempPath()
        let first = try MetadataStore(path: path, migrations: Array(Self.migrations.prefix(1)))
        #expect(try first.pendingMigrations() == ["test.v1"])
        try first.migrate()
        #expect(try first.appliedSchemaVersion() == "test.v1")
        try first.close()

        let second = try MetadataStore(path: path, migrations: Self.migrations)
        #expect(try second.pendingMigrations() == ["test.v2"])
        try second.migrate()
        #expect(try second.appliedSchemaVersion() == "test.v2")
        #expect(try second.appliedMigrationCount() == 2)
        #expect(second.knownSchemaVersion == "test.v2")
        #expect(try second.integrityCheck() == "ok")
        try second.close()
    }

    @Test func walAndForeignKeysAreOn() throws {
        let store = try MetadataStore(path: tempPath(), migrations: Self.migrations)
        try store.migrate()
        let mode = try store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        #expect(throws: (any Error).self) {
            try store.writer.write { db in try db.execute(sql: "INSERT INTO child (id, parent_id) VALUES (1, 99)") }
        }
    }

    @Test func refusesDatabaseFromNewerBinary() throws {
        let path = tempPath()
        let newer = try MetadataStore(path: path, migrations: Self.migrations)
        try newer.migrate()
        try newer.close()
        let older = try MetadataStore(path: path, migrations: Array(Self.migrations.prefix(1)))
        #expect {
            try older.migrate()
        } throws: { error in
            "\(error)".contains("newer Ingot")
        }
    }

    @Test func concurrentWritersNeverSeeDatabaseLocked() async throws {
        let store = try MetadataStore(path: tempPath(), migrations: Self.migrations)
        try store.migrate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for i in 0..<50 {
                        try await store.writer.write { db in
                            try db.execute(sql: "INSERT INTO parent (id) VALUES (?)", arguments: [worker * 1000 + i])
                        }
                        _ = try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM parent") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let count = try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM parent") }
        #expect(count == 800)
    }
}
