import Foundation
import GRDB
import IngotCore
import IngotStorage

/// The volume and external-location tables (migration `catalog.v2.volumes`).
enum VolumeSchema {
    static func createV2(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE catalog_volumes (
                    catalog_name TEXT NOT NULL,
                    schema_name TEXT NOT NULL,
                    name TEXT NOT NULL,
                    volume_id TEXT NOT NULL UNIQUE,
                    volume_type TEXT NOT NULL,
                    storage_location TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    comment TEXT,
                    created_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL,
                    updated_at INTEGER NOT NULL,
                    updated_by TEXT NOT NULL,
                    PRIMARY KEY (catalog_name, schema_name, name),
                    FOREIGN KEY (catalog_name, schema_name) REFERENCES catalog_schemas(catalog_name, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE catalog_external_locations (
                    name TEXT PRIMARY KEY,
                    url TEXT NOT NULL UNIQUE,
                    comment TEXT,
                    owner TEXT NOT NULL,
                    read_only INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL,
                    updated_at INTEGER NOT NULL,
                    updated_by TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
    }
}

/// Volumes and external locations in the metadata store. Names are validated by ``NameRules``;
/// every mutation is one transaction.
public struct VolumeStore: Sendable {
    let db: any DatabaseWriter
    let clock: @Sendable () -> Date

    public init(metadata: MetadataStore, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.db = metadata.writer
        self.clock = clock
    }

    var now: Int64 { Int64(clock().timeIntervalSince1970 * 1000) }

    /// A validated `catalog.schema.volume`.
    public static func parse(fullName: String) throws -> (catalog: String, schema: String, volume: String) {
        let parts = fullName.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw CatalogError.invalidParameter("'\(fullName)' is not a volume name: expected catalog.schema.volume") }
        return (try NameRules.identifier(parts[0], what: "catalog"), try NameRules.identifier(parts[1], what: "schema"),
                try NameRules.identifier(parts[2], what: "volume"))
    }

    // MARK: volumes

    public func insert(_ record: VolumeRecord) async throws {
        try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?",
                arguments: [record.catalogName, record.schemaName]) == true
            else { throw CatalogError.notFound("Schema '\(record.catalogName).\(record.schemaName)' does not exist") }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [record.catalogName, record.schemaName, record.name]) == true
            { throw CatalogError.alreadyExists("Volume '\(record.fullName)' already exists") }
            try db.execute(
                sql: """
                    INSERT INTO catalog_volumes (catalog_name, schema_name, name, volume_id, volume_type, storage_location, owner, comment,
                        created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [record.catalogName, record.schemaName, record.name, record.volumeID, record.volumeType.rawValue, record.storageLocation,
                            record.owner, record.comment, record.createdAt, record.createdBy, record.updatedAt, record.updatedBy])
        }
    }

    public func volume(_ fullName: String) async throws -> VolumeRecord {
        let (c, s, v) = try Self.parse(fullName: fullName)
        guard let record = try await db.read({ db in
            try Row.fetchOne(db, sql: "SELECT * FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ? AND name = ?", arguments: [c, s, v])
                .map(Self.volume)
        }) else { throw CatalogError.notFound("Volume '\(c).\(s).\(v)' does not exist") }
        return record
    }

    /// One page of a schema's volumes in name order; the token is the last name returned.
    public func volumes(catalog rawCatalog: String, schema rawSchema: String, maxResults: Int? = nil, pageToken: String? = nil) async throws
        -> (volumes: [VolumeRecord], nextPageToken: String?)
    {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let schema = try NameRules.identifier(rawSchema, what: "schema")
        let limit = min(max(maxResults ?? 1000, 1), 10000)
        let rows = try await db.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, schema]) == true else {
                throw CatalogError.notFound("Schema '\(catalog).\(schema)' does not exist")
            }
            return try Row.fetchAll(db, sql: """
                SELECT * FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ? AND name > ? ORDER BY name LIMIT ?
                """, arguments: [catalog, schema, pageToken ?? "", limit + 1]).map(Self.volume)
        }
        if rows.count > limit { return (Array(rows.prefix(limit)), rows[limit - 1].name) }
        return (rows, nil)
    }

    /// Changes comment, owner and/or name; returns the new record.
    public func update(_ fullName: String, newName: String?, comment: String?, owner: String?, by principal: String,
                       storageLocation: String? = nil) async throws -> VolumeRecord {
        let (c, s, v) = try Self.parse(fullName: fullName)
        let target = try newName.map { try NameRules.identifier($0, what: "volume") } ?? v
        let stamp = now
        return try await db.write { db in
            guard var record = try Row.fetchOne(db, sql: "SELECT * FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [c, s, v]).map(Self.volume)
            else { throw CatalogError.notFound("Volume '\(c).\(s).\(v)' does not exist") }
            if target != v, try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [c, s, target]) == true
            { throw CatalogError.alreadyExists("Volume '\(c).\(s).\(target)' already exists") }
            if let comment { record.comment = comment }
            if let owner { record.owner = owner }
            if let storageLocation { record.storageLocation = storageLocation }
            record.name = target
            record.updatedAt = stamp
            record.updatedBy = principal
            try db.execute(sql: """
                UPDATE catalog_volumes SET name = ?, comment = ?, owner = ?, storage_location = ?, updated_at = ?, updated_by = ?
                WHERE catalog_name = ? AND schema_name = ? AND name = ?
                """, arguments: [target, record.comment, record.owner, record.storageLocation, stamp, principal, c, s, v])
            if target != v { try Self.moveTags(db, from: "\(c).\(s).\(v)", to: "\(c).\(s).\(target)") }
            return record
        }
    }

    /// A volume's tags follow its rename; rows left under the new name by a volume deleted earlier go first.
    static func moveTags(_ db: Database, from: String, to: String) throws {
        try db.execute(sql: "DELETE FROM catalog_tags WHERE securable_type = 'volume' AND full_name = ?", arguments: [to])
        try db.execute(sql: "UPDATE catalog_tags SET full_name = ? WHERE securable_type = 'volume' AND full_name = ?", arguments: [to, from])
    }

    @discardableResult
    public func delete(_ fullName: String) async throws -> VolumeRecord {
        let (c, s, v) = try Self.parse(fullName: fullName)
        return try await db.write { db in
            guard let record = try Row.fetchOne(db, sql: "SELECT * FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [c, s, v]).map(Self.volume)
            else { throw CatalogError.notFound("Volume '\(c).\(s).\(v)' does not exist") }
            try db.execute(sql: "DELETE FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ? AND name = ?", arguments: [c, s, v])
            try db.execute(sql: "DELETE FROM catalog_tags WHERE securable_type = 'volume' AND full_name = ?", arguments: ["\(c).\(s).\(v)"])
            return record
        }
    }

    /// External volumes whose directory overlaps `path` (equal, inside or containing it).
    public func volumesOverlapping(directory path: String) async throws -> [VolumeRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM catalog_volumes").map(Self.volume)
        }.filter { VolumeLocations.contains($0.directory, path) || VolumeLocations.contains(path, $0.directory) }
    }

    /// Synchronous lookups for callers outside async code (pipeline path resolution).
    public func volumeNow(_ fullName: String) throws -> VolumeRecord {
        let (c, s, v) = try Self.parse(fullName: fullName)
        guard let record = try db.read({ db in
            try Row.fetchOne(db, sql: "SELECT * FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ? AND name = ?", arguments: [c, s, v])
                .map(Self.volume)
        }) else { throw CatalogError.notFound("Volume '\(c).\(s).\(v)' does not exist") }
        return record
    }

    public func externalLocationsNow() throws -> [ExternalLocationRecord] {
        try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM catalog_external_locations ORDER BY name").map(Self.location) }
    }

    // MARK: external locations

    public func insert(_ record: ExternalLocationRecord) async throws {
        try await db.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_external_locations WHERE name = ?", arguments: [record.name]) == true {
                throw CatalogError.alreadyExists("External location '\(record.name)' already exists")
            }
            if let other = try String.fetchOne(db, sql: "SELECT name FROM catalog_external_locations WHERE url = ?", arguments: [record.url]) {
                throw CatalogError.alreadyExists("External location '\(other)' already has url \(record.url)")
            }
            try db.execute(sql: """
                INSERT INTO catalog_external_locations (name, url, comment, owner, read_only, created_at, created_by, updated_at, updated_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [record.name, record.url, record.comment, record.owner, record.readOnly, record.createdAt, record.createdBy,
                                 record.updatedAt, record.updatedBy])
        }
    }

    public func externalLocation(_ rawName: String) async throws -> ExternalLocationRecord {
        let name = try NameRules.identifier(rawName, what: "external location")
        guard let record = try await db.read({ db in
            try Row.fetchOne(db, sql: "SELECT * FROM catalog_external_locations WHERE name = ?", arguments: [name]).map(Self.location)
        }) else { throw CatalogError.notFound("External location '\(name)' does not exist") }
        return record
    }

    public func externalLocations() async throws -> [ExternalLocationRecord] {
        try await db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM catalog_external_locations ORDER BY name").map(Self.location) }
    }

    public func deleteExternalLocation(_ rawName: String) async throws {
        let name = try NameRules.identifier(rawName, what: "external location")
        try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_external_locations WHERE name = ?", arguments: [name]) == true else {
                throw CatalogError.notFound("External location '\(name)' does not exist")
            }
            try db.execute(sql: "DELETE FROM catalog_external_locations WHERE name = ?", arguments: [name])
        }
    }

    // MARK: rows

    static func volume(_ row: Row) -> VolumeRecord {
        VolumeRecord(
            catalogName: row["catalog_name"], schemaName: row["schema_name"], name: row["name"], volumeID: row["volume_id"],
            volumeType: VolumeRecord.VolumeType(rawValue: row["volume_type"]) ?? .managed, storageLocation: row["storage_location"],
            owner: row["owner"], comment: row["comment"], createdAt: row["created_at"], createdBy: row["created_by"],
            updatedAt: row["updated_at"], updatedBy: row["updated_by"])
    }

    static func location(_ row: Row) -> ExternalLocationRecord {
        ExternalLocationRecord(
            name: row["name"], url: row["url"], comment: row["comment"], owner: row["owner"], readOnly: row["read_only"],
            createdAt: row["created_at"], createdBy: row["created_by"], updatedAt: row["updated_at"], updatedBy: row["updated_by"])
    }
}
