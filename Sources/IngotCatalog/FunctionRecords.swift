import Foundation
import GRDB

/// A function registered in a schema. Its definition (parameters, return type, routine body, …) is
/// kept as the JSON object the client sent, in Unity Catalog's `FunctionInfo` field names; Ingot
/// stores and lists functions but does not execute them.
public struct FunctionRecord: Sendable, Equatable {
    public var catalogName: String
    public var schemaName: String
    public var name: String
    public var functionID: String
    /// A JSON object of the definition fields.
    public var definition: String
    public var comment: String?
    public var owner: String
    public var createdAt: Int64
    public var createdBy: String?
    public var updatedAt: Int64
    public var updatedBy: String?

    public var fullName: String { "\(catalogName).\(schemaName).\(name)" }
}

extension NamespaceStore {
    public func createFunction(catalog rawCatalog: String, schema rawSchema: String, name rawName: String, definition: String, comment: String?, owner: String)
        async throws -> FunctionRecord
    {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let schema = try NameRules.identifier(rawSchema, what: "schema")
        let name = try NameRules.identifier(rawName, what: "function")
        let stamp = stamp
        let record = FunctionRecord(
            catalogName: catalog, schemaName: schema, name: name, functionID: UUID().uuidString.lowercased(), definition: definition, comment: comment,
            owner: owner, createdAt: stamp, createdBy: owner, updatedAt: stamp, updatedBy: owner)
        try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, schema]) == true else {
                throw CatalogError.notFound("Schema '\(catalog).\(schema)' does not exist")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_functions WHERE catalog_name = ? AND schema_name = ? AND name = ?",
                arguments: [catalog, schema, name]) == true
            {
                throw CatalogError.alreadyExists("Function '\(record.fullName)' already exists")
            }
            try db.execute(sql: "DELETE FROM catalog_tags WHERE securable_type = 'function' AND full_name = ?", arguments: [record.fullName])
            try db.execute(
                sql: """
                    INSERT INTO catalog_functions (catalog_name, schema_name, name, function_id, definition, comment, owner, created_at, created_by, updated_at, updated_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [catalog, schema, name, record.functionID, definition, comment, owner, stamp, owner, stamp, owner])
        }
        return record
    }

    public func function(_ fullName: String) async throws -> FunctionRecord {
        let name = try Self.securableName(.function, fullName)
        let parts = name.split(separator: ".").map(String.init)
        return try await db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM catalog_functions WHERE catalog_name = ? AND schema_name = ? AND name = ?", arguments: [parts[0], parts[1], parts[2]])
            else { throw CatalogError.notFound("Function '\(name)' does not exist") }
            return Self.function(row)
        }
    }

    public func functions(catalog rawCatalog: String, schema rawSchema: String) async throws -> [FunctionRecord] {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let schema = try NameRules.identifier(rawSchema, what: "schema")
        return try await db.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM catalog_schemas WHERE catalog_name = ? AND name = ?", arguments: [catalog, schema]) == true else {
                throw CatalogError.notFound("Schema '\(catalog).\(schema)' does not exist")
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM catalog_functions WHERE catalog_name = ? AND schema_name = ? ORDER BY name", arguments: [catalog, schema])
                .map(Self.function)
        }
    }

    /// Changes a function's owner or comment.
    public func updateFunction(_ fullName: String, _ update: SecurableUpdate, actor: String) async throws -> FunctionRecord {
        var record = try await function(fullName)
        if let c = update.comment { record.comment = c }
        if let o = update.owner { record.owner = try Self.principal(o) }
        record.updatedAt = stamp
        record.updatedBy = actor
        try await db.write { [record] db in
            try db.execute(sql: "UPDATE catalog_functions SET comment = ?, owner = ?, updated_at = ?, updated_by = ? WHERE function_id = ?",
                arguments: [record.comment, record.owner, record.updatedAt, actor, record.functionID])
        }
        return record
    }

    public func deleteFunction(_ fullName: String) async throws {
        let record = try await function(fullName)
        try await db.write { db in
            try db.execute(sql: "DELETE FROM catalog_functions WHERE function_id = ?", arguments: [record.functionID])
            try db.execute(sql: "DELETE FROM catalog_tags WHERE securable_type = 'function' AND full_name = ?", arguments: [record.fullName])
        }
    }

    static func function(_ row: Row) -> FunctionRecord {
        FunctionRecord(
            catalogName: row["catalog_name"], schemaName: row["schema_name"], name: row["name"], functionID: row["function_id"], definition: row["definition"],
            comment: row["comment"], owner: row["owner"], createdAt: row["created_at"], createdBy: row["created_by"], updatedAt: row["updated_at"],
            updatedBy: row["updated_by"])
    }
}
