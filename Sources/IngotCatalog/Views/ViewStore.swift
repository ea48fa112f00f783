import Foundation
import GRDB
import IngotLake
import IngotStorage

/// A view in the namespace: its query text, the columns planned from it at creation, and its owner.
public struct ViewRecord: Sendable, Equatable {
    public struct Column: Codable, Sendable, Equatable {
        public var name: String
        /// Spark SQL type name (`bigint`, `decimal(10,2)`).
        public var type: String
        public var comment: String?
    }

    public var name: TableName
    public var viewID: String
    public var definition: String
    public var columns: [Column]
    public var comment: String?
    public var owner: String
    public var createdAt: Int64
    public var updatedAt: Int64
    public var createdBy: String
    public var updatedBy: String
}

/// The views table (migration `catalog.v3.views`). A view shares the table namespace: no table and view
/// may have the same name (``NamespaceTableResolver`` checks both ways).
enum ViewSchema {
    static func createV3(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE catalog_views (
                    catalog_name TEXT NOT NULL,
                    schema_name TEXT NOT NULL,
                    name TEXT NOT NULL,
                    view_id TEXT NOT NULL UNIQUE,
                    definition TEXT NOT NULL,
                    columns TEXT NOT NULL,
                    comment TEXT,
                    owner TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL,
                    updated_by TEXT NOT NULL,
                    PRIMARY KEY (catalog_name, schema_name, name),
                    FOREIGN KEY (catalog_name, schema_name) REFERENCES catalog_schemas(catalog_name, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                """)
    }
}

public struct ViewStore: Sendable {
    let db: any DatabaseWriter

    public init(metadata: MetadataStore) { db = metadata.writer }
    init(db: any DatabaseWriter) { self.db = db }

    /// Inserts a view, or (with `replace`) overwrites the definition and columns of the existing one,
    /// keeping its id, owner and creation.
    public func save(_ record: ViewRecord, replace: Bool) async throws {
        let columns = String(decoding: try JSONEncoder().encode(record.columns), as: UTF8.self)
        try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?",
                arguments: [record.name.catalog, record.name.schema]) == true
            else { throw CatalogError.notFound("Schema '\(record.name.schemaFullName)' does not exist") }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_tables WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [record.name.catalog, record.name.schema, record.name.table]) == true
            { throw CatalogError.alreadyExists("Table '\(record.name)' already exists") }
            let args: [any DatabaseValueConvertible] = [record.name.catalog, record.name.schema, record.name.table]
            let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_views WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: StatementArguments(args)) == true
            if exists {
                guard replace else { throw CatalogError.alreadyExists("View '\(record.name)' already exists") }
                try db.execute(
                    sql: """
                        UPDATE catalog_views SET definition = ?, columns = ?, comment = ?, updated_at = ?, updated_by = ?
                        WHERE catalog_name = ? AND schema_name = ? AND name = ?
                        """,
                    arguments: StatementArguments([record.definition, columns, record.comment, record.updatedAt, record.updatedBy] + args))
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO catalog_views (catalog_name, schema_name, name, view_id, definition, columns, comment, owner,
                            created_at, updated_at, created_by, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: StatementArguments(args + [record.viewID, record.definition, columns, record.comment, record.owner,
                        record.createdAt, record.updatedAt, record.createdBy, record.updatedBy]))
            }
        }
    }

    public func view(_ name: TableName) async throws -> ViewRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM catalog_views WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [name.catalog, name.schema, name.table]).map(Self.record)
        }
    }

    public func views(catalog: String, schema: String) async throws -> [ViewRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM catalog_views WHERE catalog_name = ? AND schema_name = ? ORDER BY name",
                arguments: [catalog.lowercased(), schema.lowercased()]).map(Self.record)
        }
    }

    /// Deletes a view; false when there was none.
    @discardableResult
    public func delete(_ name: TableName) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM catalog_views WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [name.catalog, name.schema, name.table])
            return db.changesCount > 0
        }
    }

    static func record(_ row: Row) -> ViewRecord {
        let text: String = row["columns"]
        let columns = (try? JSONDecoder().decode([ViewRecord.Column].self, from: Data(text.utf8))) ?? []
        return ViewRecord(
            name: try! TableName(catalog: row["catalog_name"], schema: row["schema_name"], table: row["name"]),
            viewID: row["view_id"], definition: row["definition"], columns: columns, comment: row["comment"], owner: row["owner"],
            createdAt: row["created_at"], updatedAt: row["updated_at"], createdBy: row["created_by"], updatedBy: row["updated_by"])
    }
}

extension NamespaceStore {
    /// The views of this namespace.
    public var views: ViewStore { ViewStore(db: db) }
}
