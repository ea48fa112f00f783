import Foundation
import GRDB
import IngotStorage

/// The catalog module's schema migrations, registered in order by the composition root.
/// Append new migrations; never edit one that has shipped.
public enum CatalogModule {
    public static let migrations: [Migration] = [
        Migration("catalog.v1") { db in try NamespaceSchema.createV1(db) },
        Migration("catalog.v2.volumes") { db in try VolumeSchema.createV2(db) },
        Migration("catalog.v3.views") { db in try ViewSchema.createV3(db) },
    ]
}

/// The namespace tables: catalogs → schemas → tables, keyed by name (Unity Catalog names are
/// case-insensitive and stored lower-case). A table row records where its files live and the Delta
/// version / Iceberg metadata file the namespace last saw, so listing never opens a log.
enum NamespaceSchema {
    static func createV1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE catalog_catalogs (
                    name TEXT PRIMARY KEY,
                    comment TEXT,
                    owner TEXT NOT NULL,
                    properties TEXT NOT NULL DEFAULT '{}',
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE catalog_schemas (
                    catalog_name TEXT NOT NULL REFERENCES catalog_catalogs(name) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    comment TEXT,
                    owner TEXT NOT NULL,
                    properties TEXT NOT NULL DEFAULT '{}',
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (catalog_name, name)
                ) WITHOUT ROWID;
                CREATE TABLE catalog_tables (
                    catalog_name TEXT NOT NULL,
                    schema_name TEXT NOT NULL,
                    name TEXT NOT NULL,
                    table_id TEXT NOT NULL UNIQUE,
                    table_type TEXT NOT NULL,
                    data_source_format TEXT NOT NULL,
                    storage_location TEXT NOT NULL,
                    delta_version INTEGER,
                    iceberg_metadata_location TEXT,
                    comment TEXT,
                    owner TEXT NOT NULL,
                    properties TEXT NOT NULL DEFAULT '{}',
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (catalog_name, schema_name, name),
                    FOREIGN KEY (catalog_name, schema_name) REFERENCES catalog_schemas(catalog_name, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                """)
        // The namespace every installation starts with, as on Databricks.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try db.execute(
            sql: "INSERT INTO catalog_catalogs (name, comment, owner, created_at, updated_at) VALUES ('main', 'Default catalog', 'admin', ?, ?)",
            arguments: [now, now])
        try db.execute(
            sql: "INSERT INTO catalog_schemas (catalog_name, name, comment, owner, created_at, updated_at) VALUES ('main', 'default', 'Default schema', 'admin', ?, ?)",
            arguments: [now, now])
    }
}
