import Foundation
import GRDB
import IngotCore
import IngotStorage

/// Catalogs, schemas and tables in the metadata store. Every mutation is one transaction; names are
/// validated by ``NameRules`` before they reach SQL, and all values are bound parameters.
public struct NamespaceStore: Sendable {
    let db: any DatabaseWriter
    let clock: @Sendable () -> Date
    /// Removes the files of managed volumes whose schema (or catalog) was deleted; nil leaves them.
    let droppedVolumes: (any DroppedVolumeFiles)?

    public init(metadata: MetadataStore, droppedVolumes: (any DroppedVolumeFiles)? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.db = metadata.writer
        self.clock = clock
        self.droppedVolumes = droppedVolumes
    }

    private var now: Int64 { Int64(clock().timeIntervalSince1970 * 1000) }

    // MARK: catalogs

    public func createCatalog(_ rawName: String, comment: String? = nil, owner: String, properties: [String: String] = [:]) async throws -> CatalogRecord {
        let name = try NameRules.identifier(rawName, what: "catalog")
        let stamp = now
        let record = CatalogRecord(
            name: name, comment: comment, owner: owner, properties: properties, createdAt: stamp, updatedAt: stamp, createdBy: owner, updatedBy: owner)
        try await db.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_catalogs WHERE name = ?", arguments: [name]) == true {
                throw CatalogError.alreadyExists("Catalog '\(name)' already exists")
            }
            try db.execute(
                sql: "INSERT INTO catalog_catalogs (name, comment, owner, properties, created_at, updated_at, created_by, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [name, comment, owner, Self.encode(properties), stamp, stamp, owner, owner])
        }
        return record
    }

    public func catalog(_ rawName: String) async throws -> CatalogRecord {
        let name = try NameRules.identifier(rawName, what: "catalog")
        return try await db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM catalog_catalogs WHERE name = ?", arguments: [name]) else {
                throw CatalogError.notFound("Catalog '\(name)' does not exist")
            }
            return Self.catalog(row)
        }
    }

    public func catalogs() async throws -> [CatalogRecord] {
        try await db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM catalog_catalogs ORDER BY name").map(Self.catalog) }
    }

    /// Deletes a catalog; refuses one with schemas other than an empty `default` unless `force`. With
    /// `force` its schemas, tables and volumes go too (managed volumes' files through ``droppedVolumes``).
    /// Returns the tables that went with it, so the caller can remove managed tables' files
    /// (``TableService/deleteCatalog(_:force:)`` does).
    @discardableResult
    public func deleteCatalog(_ rawName: String, force: Bool = false) async throws -> [TableRecord] {
        let name = try NameRules.identifier(rawName, what: "catalog")
        let (volumes, dropped) = try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_catalogs WHERE name = ?", arguments: [name]) == true else {
                throw CatalogError.notFound("Catalog '\(name)' does not exist")
            }
            let dropped = try Row.fetchAll(db, sql: "SELECT * FROM catalog_tables WHERE catalog_name = ?", arguments: [name]).map(Self.table)
            let tables = dropped.count
            let schemas = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM catalog_schemas WHERE catalog_name = ? AND name <> 'default'", arguments: [name]) ?? 0
            let volumes = try Row.fetchAll(db, sql: "SELECT * FROM catalog_volumes WHERE catalog_name = ?", arguments: [name]).map(VolumeStore.volume)
            if !force && (tables > 0 || schemas > 0 || !volumes.isEmpty) {
                throw CatalogError.notEmpty(
                    "Catalog '\(name)' is not empty (\(schemas) schemas, \(tables) tables, \(volumes.count) volumes); use force to delete it")
            }
            try db.execute(sql: "DELETE FROM catalog_volumes WHERE catalog_name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM catalog_tables WHERE catalog_name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM catalog_catalogs WHERE name = ?", arguments: [name])
            try Self.forgetMetadata(db, under: name)
            try QualityStore.forgetMonitors(db, under: name)
            return (volumes, dropped)
        }
        try droppedVolumes?.removeFiles(of: volumes)
        return dropped
    }

    // MARK: schemas

    public func createSchema(catalog rawCatalog: String, name rawName: String, comment: String? = nil, owner: String, properties: [String: String] = [:]) async throws -> SchemaRecord {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let name = try NameRules.identifier(rawName, what: "schema")
        let stamp = now
        try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_catalogs WHERE name = ?", arguments: [catalog]) == true else {
                throw CatalogError.notFound("Catalog '\(catalog)' does not exist")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, name]) == true {
                throw CatalogError.alreadyExists("Schema '\(catalog).\(name)' already exists")
            }
            try db.execute(
                sql: "INSERT INTO catalog_schemas (catalog_name, name, comment, owner, properties, created_at, updated_at, created_by, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [catalog, name, comment, owner, Self.encode(properties), stamp, stamp, owner, owner])
        }
        return SchemaRecord(
            catalogName: catalog, name: name, comment: comment, owner: owner, properties: properties, createdAt: stamp, updatedAt: stamp,
            createdBy: owner, updatedBy: owner)
    }

    public func schema(catalog rawCatalog: String, name rawName: String) async throws -> SchemaRecord {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let name = try NameRules.identifier(rawName, what: "schema")
        return try await db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, name]) else {
                throw CatalogError.notFound("Schema '\(catalog).\(name)' does not exist")
            }
            return Self.schema(row)
        }
    }

    public func schemas(catalog rawCatalog: String) async throws -> [SchemaRecord] {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        return try await db.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_catalogs WHERE name = ?", arguments: [catalog]) == true else {
                throw CatalogError.notFound("Catalog '\(catalog)' does not exist")
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM catalog_schemas WHERE catalog_name = ? ORDER BY name", arguments: [catalog]).map(Self.schema)
        }
    }

    /// Deletes a schema; refuses one holding tables or volumes unless `force`, which deletes them too
    /// (managed volumes' files through ``droppedVolumes``; external volumes' files stay). Returns the
    /// tables that went with it, so the caller can remove managed tables' files
    /// (``TableService/deleteSchema(catalog:name:force:)`` does).
    @discardableResult
    public func deleteSchema(catalog rawCatalog: String, name rawName: String, force: Bool = false) async throws -> [TableRecord] {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let name = try NameRules.identifier(rawName, what: "schema")
        let (volumes, dropped) = try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, name]) == true else {
                throw CatalogError.notFound("Schema '\(catalog).\(name)' does not exist")
            }
            let dropped = try Row.fetchAll(db, sql: "SELECT * FROM catalog_tables WHERE catalog_name = ? AND schema_name = ?", arguments: [catalog, name])
                .map(Self.table)
            let tables = dropped.count
            let volumes = try Row.fetchAll(db, sql: "SELECT * FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ?", arguments: [catalog, name])
                .map(VolumeStore.volume)
            if (tables > 0 || !volumes.isEmpty) && !force {
                throw CatalogError.notEmpty("Schema '\(catalog).\(name)' has \(tables) tables and \(volumes.count) volumes; use force to delete it")
            }
            try db.execute(sql: "DELETE FROM catalog_volumes WHERE catalog_name = ? AND schema_name = ?", arguments: [catalog, name])
            try db.execute(sql: "DELETE FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, name])
            try Self.forgetMetadata(db, under: "\(catalog).\(name)")
            try QualityStore.forgetMonitors(db, under: "\(catalog).\(name)")
            return (volumes, dropped)
        }
        try droppedVolumes?.removeFiles(of: volumes)
        return dropped
    }

    /// Sets and removes schema properties (a `comment` property sets the comment); returns the schema.
    public func updateSchemaProperties(catalog rawCatalog: String, name rawName: String, updates: [String: String], removals: [String]) async throws -> SchemaRecord {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let name = try NameRules.identifier(rawName, what: "schema")
        let stamp = now
        return try await db.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, name]) else {
                throw CatalogError.notFound("Schema '\(catalog).\(name)' does not exist")
            }
            var record = Self.schema(row)
            for k in removals {
                if k == "comment" { record.comment = nil } else { record.properties.removeValue(forKey: k) }
            }
            for (k, v) in updates {
                if k == "comment" { record.comment = v } else { record.properties[k] = v }
            }
            try db.execute(sql: "UPDATE catalog_schemas SET comment = ?, properties = ?, updated_at = ? WHERE catalog_name = ? AND name = ?",
                arguments: [record.comment, Self.encode(record.properties), stamp, catalog, name])
            record.updatedAt = stamp
            return record
        }
    }

    // MARK: tables

    /// Records a table. The schema must exist; a missing one is an error (callers that should create
    /// it, like pipelines, call ``createSchema`` first).
    public func createTable(_ record: TableRecord) async throws {
        try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?",
                arguments: [record.name.catalog, record.name.schema]) == true
            else {
                throw CatalogError.notFound("Schema '\(record.name.schemaFullName)' does not exist")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_tables WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [record.name.catalog, record.name.schema, record.name.table]) == true
            {
                throw CatalogError.alreadyExists("Table '\(record.name)' already exists")
            }
            try db.execute(
                sql: """
                    INSERT INTO catalog_tables (catalog_name, schema_name, name, table_id, table_type, data_source_format, storage_location,
                        delta_version, iceberg_metadata_location, comment, owner, properties, created_at, updated_at, created_by, updated_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.name.catalog, record.name.schema, record.name.table, record.tableID, record.tableType.rawValue, record.dataSourceFormat,
                    record.storageLocation, record.deltaVersion, record.icebergMetadataLocation, record.comment, record.owner,
                    Self.encode(record.properties), record.createdAt, record.updatedAt, record.createdBy ?? record.owner, record.updatedBy ?? record.owner,
                ])
        }
    }

    public func table(_ name: TableName) async throws -> TableRecord {
        guard let record = try await tableIfExists(name) else { throw CatalogError.notFound("Table '\(name)' does not exist") }
        return record
    }

    public func tableIfExists(_ name: TableName) async throws -> TableRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM catalog_tables WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [name.catalog, name.schema, name.table]).map(Self.table)
        }
    }

    /// A registered table whose storage location is `key`, lies inside it or contains it: two names
    /// must never share files (a vacuum through one would delete the other's data).
    public func tableOverlapping(location key: String) async throws -> TableRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM catalog_tables
                WHERE storage_location = :key
                   OR substr(storage_location, 1, length(:key) + 1) = :key || '/'
                   OR substr(:key, 1, length(storage_location) + 1) = storage_location || '/'
                LIMIT 1
                """, arguments: ["key": key]).map(Self.table)
        }
    }

    public func tables(catalog rawCatalog: String, schema rawSchema: String) async throws -> [TableRecord] {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let schema = try NameRules.identifier(rawSchema, what: "schema")
        return try await db.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, schema]) == true else {
                throw CatalogError.notFound("Schema '\(catalog).\(schema)' does not exist")
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM catalog_tables WHERE catalog_name = ? AND schema_name = ? ORDER BY name",
                arguments: [catalog, schema]).map(Self.table)
        }
    }

    /// Records the Delta version and Iceberg metadata file the table is now at. Never moves backwards,
    /// so a slow writer finishing late cannot regress what a faster one recorded.
    public func recordVersion(_ name: TableName, deltaVersion: Int64, icebergMetadataLocation: String?) async throws {
        let stamp = now
        try await db.write { db in
            try db.execute(
                sql: """
                    UPDATE catalog_tables SET delta_version = ?, iceberg_metadata_location = COALESCE(?, iceberg_metadata_location), updated_at = ?
                    WHERE catalog_name = ? AND schema_name = ? AND name = ? AND (delta_version IS NULL OR delta_version <= ?)
                    """,
                arguments: [deltaVersion, icebergMetadataLocation, stamp, name.catalog, name.schema, name.table, deltaVersion])
        }
    }

    /// Renames a table (within a catalog, possibly to another schema); its storage stays where it is.
    public func renameTable(_ from: TableName, to: TableName) async throws {
        let stamp = now
        try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_tables WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [from.catalog, from.schema, from.table]) == true
            else {
                throw CatalogError.notFound("Table '\(from)' does not exist")
            }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [to.catalog, to.schema]) == true else {
                throw CatalogError.notFound("Schema '\(to.schemaFullName)' does not exist")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_tables WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [to.catalog, to.schema, to.table]) == true
            {
                throw CatalogError.alreadyExists("Table '\(to)' already exists")
            }
            try db.execute(sql: "UPDATE catalog_tables SET catalog_name = ?, schema_name = ?, name = ?, updated_at = ? WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [to.catalog, to.schema, to.table, stamp, from.catalog, from.schema, from.table])
            try Self.moveMetadata(db, from: from.description, to: to.description)
        }
    }

    /// Removes a table's row, tags, ownership records and column comments, and its data quality monitor
    /// unless `replacing` (the table is dropped to be created again under its name: a pipeline's full refresh).
    public func deleteTable(_ name: TableName, replacing: Bool = false) async throws -> TableRecord {
        try await db.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM catalog_tables WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [name.catalog, name.schema, name.table])
            else {
                throw CatalogError.notFound("Table '\(name)' does not exist")
            }
            try db.execute(sql: "DELETE FROM catalog_tables WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [name.catalog, name.schema, name.table])
            let record = Self.table(row)
            try Self.forgetMetadata(db, under: name.description)
            try db.execute(sql: "DELETE FROM catalog_column_comments WHERE table_id = ?", arguments: [record.tableID])
            if !replacing { try QualityStore.forgetMonitors(db, table: name.description) }
            return record
        }
    }

    // MARK: rows

    static func encode(_ properties: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: properties, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String?) -> [String: String] {
        guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else { return [:] }
        return object
    }

    static func catalog(_ row: Row) -> CatalogRecord {
        CatalogRecord(name: row["name"], comment: row["comment"], owner: row["owner"], properties: decode(row["properties"]),
            createdAt: row["created_at"], updatedAt: row["updated_at"], createdBy: row["created_by"], updatedBy: row["updated_by"])
    }

    static func schema(_ row: Row) -> SchemaRecord {
        SchemaRecord(catalogName: row["catalog_name"], name: row["name"], comment: row["comment"], owner: row["owner"],
            properties: decode(row["properties"]), createdAt: row["created_at"], updatedAt: row["updated_at"], createdBy: row["created_by"],
            updatedBy: row["updated_by"])
    }

    static func table(_ row: Row) -> TableRecord {
        // Names in the database were validated on the way in.
        let name = try! TableName(catalog: row["catalog_name"], schema: row["schema_name"], table: row["name"])
        return TableRecord(
            name: name, tableID: row["table_id"], tableType: TableRecord.TableType(rawValue: row["table_type"]) ?? .managed,
            dataSourceFormat: row["data_source_format"], storageLocation: row["storage_location"], deltaVersion: row["delta_version"],
            icebergMetadataLocation: row["iceberg_metadata_location"], comment: row["comment"], owner: row["owner"],
            properties: decode(row["properties"]), createdAt: row["created_at"], updatedAt: row["updated_at"], createdBy: row["created_by"],
            updatedBy: row["updated_by"])
    }
}
