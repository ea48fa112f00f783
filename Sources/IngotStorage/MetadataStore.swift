import Foundation
import GRDB
import IngotCore

/// One schema migration. Identifiers are `module.vN` (e.g. `tracking.v1`); once a migration has
/// shipped it is never edited — a change is a new migration appended after it.
public struct Migration: Sendable {
    public let identifier: String
    public let body: @Sendable (Database) throws -> Void

    public init(_ identifier: String, _ body: @escaping @Sendable (Database) throws -> Void) {
        self.identifier = identifier
        self.body = body
    }
}

/// The metadata database every module shares: SQLite in WAL mode through a GRDB pool (one
/// serialized writer, a pool of readers), foreign keys on, and one ordered list of migrations.
///
/// Modules do not use this type's pool directly from their domain logic; each declares a store
/// protocol (`TrackingStore`, …) whose SQLite implementation is built on `writer`.
public final class MetadataStore: Sendable {
    /// The GRDB connection pool (or queue, in tests). Module store implementations use it.
    public let writer: any DatabaseWriter
    public let path: String?
    private let migrations: [Migration]
    /// A second connection used only for WAL checkpoints (see ``checkpoint()``).
    private let checkpointer: DatabaseQueue?

    /// WAL pages after which the writer checkpoints by itself. Normally ``checkpoint()`` runs in the
    /// background long before this; the threshold only bounds the WAL if that ever falls behind.
    static let fallbackAutoCheckpointPages = 16_384

    /// File name of the metadata database inside the data directory.
    public static let fileName = "metadata.sqlite"

    /// Opens (creating if needed) the database at `path`. Does not migrate: call ``migrate()``.
    /// - Parameter durability: `.process` (WAL + synchronous=NORMAL) keeps every acknowledged commit
    ///   through a crash or kill -9 of the process, because the WAL is written before the commit returns
    ///   and the OS holds it; `.power` adds an fsync per commit so it also survives power loss.
    public init(path: String, migrations: [Migration], durability: IngotConfig.MetadataDurability = .process) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.maximumReaderCount = 8
        let synchronous = durability == .power ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // A larger page cache keeps the hot indexes (latest metrics, run lookups) in memory.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            // SQLite's default (checkpoint inside the commit that crosses 1000 WAL pages) puts a
            // checkpoint's page copies and fsyncs into some unlucky request; ``checkpoint()`` does it
            // beside the writer instead.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.fallbackAutoCheckpointPages)")
        }
        do {
            self.writer = try DatabasePool(path: path, configuration: config)
            var checkpointConfig = Configuration()
            checkpointConfig.busyMode = .timeout(10)
            checkpointConfig.label = "checkpointer"
            self.checkpointer = try DatabaseQueue(path: path, configuration: checkpointConfig)
        } catch {
            throw StorageError.database("cannot open metadata database at \(path): \(error)")
        }
        self.path = path
        self.migrations = migrations
    }

    /// Copies committed WAL frames into the database file (a PASSIVE checkpoint: it never waits for
    /// or blocks the writer or readers). The server calls it every few hundred milliseconds so commits
    /// stay small appends to the WAL. Returns the number of frames checkpointed.
    @discardableResult
    public func checkpoint() async throws -> Int {
        guard let checkpointer else { return 0 }
        do {
            return try await checkpointer.writeWithoutTransaction { db in
                try db.checkpoint(.passive).checkpointedFrameCount
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            // Another checkpoint (the writer's fallback, or shutdown) holds the lock: the next call catches up.
            return 0
        }
    }

    /// An in-memory store for tests.
    public init(inMemoryWith migrations: [Migration]) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        self.writer = try DatabaseQueue(configuration: config)
        self.path = nil
        self.migrations = migrations
        self.checkpointer = nil
    }

    private var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier, migrate: migration.body)
        }
        return migrator
    }

    /// Applies every migration not yet applied, in order, each in its own transaction.
    /// Refuses a database that a newer Ingot has migrated past what this binary knows.
    public func migrate() throws {
        let migrator = self.migrator
        let superseded = try writer.read { db in try migrator.hasBeenSuperseded(db) }
        if superseded {
            throw StorageError.database(
                "the metadata database was migrated by a newer Ingot (schema \(try appliedSchemaVersion() ?? "?")); upgrade this binary")
        }
        do {
            try migrator.migrate(writer)
        } catch {
            throw StorageError.database("migration failed: \(error)")
        }
    }

    /// Migrations this binary knows but the database has not applied yet.
    public func pendingMigrations() throws -> [String] {
        let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
        return migrations.map(\.identifier).filter { !applied.contains($0) }
    }

    /// The identifier of the last migration this binary knows: its schema version.
    public var knownSchemaVersion: String { migrations.last?.identifier ?? "none" }

    /// The schema version of the database: the last known migration that has been applied.
    public func appliedSchemaVersion() throws -> String? {
        let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
        return migrations.map(\.identifier).last(where: { applied.contains($0) })
    }

    /// Number of migrations applied, the integer schema version shown by `/health`.
    public func appliedMigrationCount() throws -> Int {
        try writer.read { db in try migrator.appliedIdentifiers(db).count }
    }

    /// Runs SQLite's own consistency check; "ok" means the file is intact.
    public func integrityCheck() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no result" }
    }

    /// Closes the pool; later use throws. Called on graceful shutdown.
    public func close() throws {
        if let pool = writer as? DatabasePool { try pool.close() }
    }
}

/// Storage-layer failures, mapped to API error codes once.
public enum StorageError: IngotError {
    case invalidKey(String)
    case notFound(String)
    case alreadyExists(String)
    case io(String)
    case database(String)

    public var errorCode: ErrorCode {
        switch self {
        case .invalidKey: .invalidParameterValue
        case .notFound: .resourceDoesNotExist
        case .alreadyExists: .resourceAlreadyExists
        case .io, .database: .internalError
        }
    }

    public var message: String {
        switch self {
        case .invalidKey(let m), .notFound(let m), .alreadyExists(let m), .io(let m), .database(let m): m
        }
    }
}
