import Foundation
import GRDB
import IngotStorage

/// Migrations of securable metadata, registered after ``CatalogModule/migrations`` by the composition root.
/// Append new migrations; never edit one that has shipped.
public enum CatalogMetadataModule {
    public static let migrations: [Migration] = [
        Migration("catalog.metadata.v1") { db in try CatalogMetadataSchema.createV1(db) }
    ]
}

enum CatalogMetadataSchema {
    /// Securable metadata: who created and last changed each catalog, schema and table; column comments
    /// (by table id, so they survive renames); tags on any securable or column; SQL functions (stored as
    /// their Unity Catalog definition, not executed); and owners of securables whose rows live in other
    /// modules (registered models, volumes).
    static func createV1(_ db: Database) throws {
        for table in ["catalog_catalogs", "catalog_schemas", "catalog_tables"] {
            try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN created_by TEXT")
            try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN updated_by TEXT")
            try db.execute(sql: "UPDATE \(table) SET created_by = owner, updated_by = owner")
        }
        try db.execute(
            sql: """
                CREATE TABLE catalog_column_comments (
                    table_id TEXT NOT NULL,
                    column_name TEXT NOT NULL,
                    comment TEXT NOT NULL,
                    PRIMARY KEY (table_id, column_name)
                ) WITHOUT ROWID;
                CREATE TABLE catalog_tags (
                    securable_type TEXT NOT NULL,
                    full_name TEXT NOT NULL,
                    column_name TEXT NOT NULL DEFAULT '',
                    tag_key TEXT NOT NULL,
                    tag_value TEXT NOT NULL DEFAULT '',
                    PRIMARY KEY (securable_type, full_name, column_name, tag_key)
                ) WITHOUT ROWID;
                CREATE TABLE catalog_functions (
                    catalog_name TEXT NOT NULL,
                    schema_name TEXT NOT NULL,
                    name TEXT NOT NULL,
                    function_id TEXT NOT NULL UNIQUE,
                    definition TEXT NOT NULL DEFAULT '{}',
                    comment TEXT,
                    owner TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    created_by TEXT,
                    updated_at INTEGER NOT NULL,
                    updated_by TEXT,
                    PRIMARY KEY (catalog_name, schema_name, name),
                    FOREIGN KEY (catalog_name, schema_name) REFERENCES catalog_schemas(catalog_name, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE catalog_securable_owners (
                    securable_type TEXT NOT NULL,
                    full_name TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    created_by TEXT,
                    updated_at INTEGER NOT NULL,
                    updated_by TEXT,
                    PRIMARY KEY (securable_type, full_name)
                ) WITHOUT ROWID;
                """)
    }
}
