import Foundation
import IngotLake

extension TableService {
    /// Sets and removes table properties as one Delta commit (a `metaData` action carrying the new
    /// configuration, mirrored to Iceberg like any commit); returns the new version, or nil when nothing changed.
    @discardableResult
    public func setProperties(_ name: TableName, set: [String: String], unset: [String]) async throws -> Int64? {
        let (_, table) = try await open(name)
        var updates: [LakeJSON] = []
        if !set.isEmpty {
            updates.append(.object([("action", .string("set-properties")), ("updates", .object(set.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))]))
        }
        if !unset.isEmpty {
            updates.append(.object([("action", .string("remove-properties")), ("removals", .array(unset.map { .string($0) }))]))
        }
        guard !updates.isEmpty else { return nil }
        let result = try await table.icebergCommit(requirements: [], updates: updates)
        guard result.committed else { return nil }
        try await committed(name, table: table, version: result.version)
        return result.version
    }
}

extension NamespaceTableResolver {
    /// `COMMENT ON`, `ALTER … SET/UNSET TAGS`, `ALTER COLUMN … COMMENT`, `SET/UNSET TBLPROPERTIES`, recorded as
    /// changed by this resolver's principal.
    public func applyMetadata(_ change: SQLMetadataChange) async throws {
        let store = tables.namespace
        switch change {
        case .comment(.catalog, let parts, let comment):
            _ = try await store.updateCatalog(parts[0], SecurableUpdate(comment: comment ?? ""), actor: owner)
        case .comment(.schema, let parts, let comment):
            _ = try await store.updateSchema(catalog: parts[0], name: parts[1], SecurableUpdate(comment: comment ?? ""), actor: owner)
        case .comment(.table, let parts, let comment):
            _ = try await store.updateTable(try TableName(catalog: parts[0], schema: parts[1], table: parts[2]), SecurableUpdate(comment: comment ?? ""), actor: owner)
        case .columnComment(let t, let column, let comment):
            let name = try TableName(catalog: t.catalog, schema: t.schema, table: t.table)
            try await requireColumn(name, column)
            try await store.setColumnComment(name, column: column, comment: comment, actor: owner)
        case .tags(let kind, let parts, let column, let set, let unset):
            if let column { try await requireColumn(try TableName(catalog: parts[0], schema: parts[1], table: parts[2]), column) }
            let securable: SecurableKind = switch kind {
            case .catalog: .catalog
            case .schema: .schema
            case .table: .table
            }
            try await store.setTags(securable, parts.joined(separator: "."), column: column, set: set, unset: unset, actor: owner)
        case .tableProperties(let t, let set, let unset):
            let name = try TableName(catalog: t.catalog, schema: t.schema, table: t.table)
            try await tables.setProperties(name, set: set, unset: unset)
            _ = try await store.updateTable(name, SecurableUpdate(), actor: owner)
        }
    }

    func requireColumn(_ name: TableName, _ column: String) async throws {
        let schema = try await tables.detail(name).schema
        guard schema.fields.contains(where: { $0.name.lowercased() == column.lowercased() }) else {
            throw CatalogError.notFound("Column '\(column)' does not exist in table '\(name)'")
        }
    }
}
