import Foundation
import Hummingbird
import IngotCatalog
import IngotCore
import IngotIdentity
import IngotLake

/// Which privilege reads or changes a securable's metadata (REST and SQL agree): reading needs what
/// using it needs (USE CATALOG, USE SCHEMA, SELECT, READ VOLUME, EXECUTE); comments, tags and
/// properties of a table need MODIFY, of anything else MANAGE. Owners hold every privilege.
enum MetadataPrivileges {
    static func read(_ kind: SecurableKind) -> String {
        switch kind {
        case .catalog: "USE CATALOG"
        case .schema: "USE SCHEMA"
        case .table: "SELECT"
        case .volume: "READ VOLUME"
        case .function, .registeredModel: "EXECUTE"
        }
    }

    static func write(_ kind: SecurableKind) -> String { kind == .table ? "MODIFY" : "MANAGE" }

    static func change(_ change: SQLMetadataChange) -> (privilege: String, object: String) {
        switch change {
        case .comment(.table, _, _), .tags(.table, _, _, _, _), .columnComment, .tableProperties: ("MODIFY", change.fullName)
        default: ("MANAGE", change.fullName)
        }
    }
}

extension UnityCatalogController {
    struct UpdateBody: Decodable {
        struct ColumnComment: Decodable {
            let name: String
            let comment: String?
        }
        let comment: String?
        let owner: String?
        let properties: [String: String]?
        let new_name: String?
        /// Ingot (tables only): column comments to set (an empty or missing comment clears it).
        let columns: [ColumnComment]?

        var update: SecurableUpdate { SecurableUpdate(comment: comment, owner: owner, properties: properties, newName: new_name) }
    }

    // MARK: ownership

    /// The creator owns what it creates: an OWNER row (every privilege) on the securable.
    func grantOwner(_ kind: SecurableKind, _ fullName: String, to principal: Principal) async throws {
        try await CatalogOwnerGrants(store: authorizer.store).grant(kind, fullName, to: principal)
    }

    static func kind(_ principal: Principal) -> GranteeKind { CatalogOwnerGrants.kind(principal) }

    /// Only administrators and the current owner (or a member of the owning group) may change the owner.
    static func requireMayChangeOwner(_ principal: Principal, currentOwner: String, _ fullName: String) throws {
        guard principal.isAdmin || principal.name == currentOwner || principal.groups.contains(currentOwner) else {
            throw APIErrorResponse(.permissionDenied, "only the owner of \(fullName) or an administrator may change its owner")
        }
    }

    /// Moves the OWNER row from the old owner to the new one; on a rename the grants follow the name (see ``CatalogOwnerGrants/transfer``).
    func transferOwner(_ kind: SecurableKind, from: (name: String, owner: String), to: (name: String, owner: String)) async throws {
        try await CatalogOwnerGrants(store: authorizer.store).transfer(kind, from: from, to: to)
    }

    // MARK: PATCH catalogs, schemas, tables

    func updateCatalog(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let body = try await request.decode(as: UpdateBody.self, context: context)
        let before = try await namespace.catalog(name)
        if body.owner != nil { try Self.requireMayChangeOwner(context.principal, currentOwner: before.owner, before.name) }
        let after = try await namespace.updateCatalog(name, body.update, actor: context.principal.name)
        try await transferOwner(.catalog, from: (before.name, before.owner), to: (after.name, after.owner))
        var info = CatalogJSON.CatalogInfo(after)
        info.tags = try await namespace.tags(.catalog, after.name)
        return try JSONResponse.make(info)
    }

    func updateSchema(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let (catalog, schema) = try Self.schemaName(try context.parameters.require("full_name"))
        let body = try await request.decode(as: UpdateBody.self, context: context)
        let before = try await namespace.schema(catalog: catalog, name: schema)
        if body.owner != nil { try Self.requireMayChangeOwner(context.principal, currentOwner: before.owner, before.fullName) }
        let after = try await namespace.updateSchema(catalog: catalog, name: schema, body.update, actor: context.principal.name)
        try await transferOwner(.schema, from: (before.fullName, before.owner), to: (after.fullName, after.owner))
        var info = CatalogJSON.SchemaInfo(after)
        info.tags = try await namespace.tags(.schema, after.fullName)
        return try JSONResponse.make(info)
    }

    /// Ingot (Databricks has it; Unity Catalog OSS does not): a table's comment, owner, properties (one
    /// Delta commit), column comments (`columns: [{name, comment}]`) and name (`new_name`: `table`,
    /// `schema.table` or `catalog.schema.table`, same catalog).
    func updateTable(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        var name = try TableName(parsing: try context.parameters.require("full_name"))
        let body = try await request.decode(as: UpdateBody.self, context: context)
        let before = try await namespace.table(name)
        if body.owner != nil { try Self.requireMayChangeOwner(context.principal, currentOwner: before.owner, name.description) }
        if let properties = body.properties {
            let current = try await tables.detail(name).properties
            let unset = current.keys.filter { properties[$0] == nil && !$0.hasPrefix("delta.") }
            try await tables.setProperties(name, set: properties.filter { current[$0.key] != $0.value }, unset: unset)
        }
        _ = try await namespace.updateTable(name, SecurableUpdate(comment: body.comment, owner: body.owner), actor: context.principal.name)
        if let columns = body.columns, !columns.isEmpty {
            let fields = try await tables.detail(name).schema.fields.map { $0.name.lowercased() }
            for column in columns {
                guard fields.contains(column.name.lowercased()) else { throw CatalogError.notFound("Column '\(column.name)' does not exist in table '\(name)'") }
                try await namespace.setColumnComment(name, column: column.name, comment: column.comment, actor: context.principal.name)
            }
        }
        if let newName = body.new_name {
            let target = try TableName(parsing: newName, defaultCatalog: name.catalog, defaultSchema: name.schema)
            guard target.catalog == name.catalog else { throw CatalogError.invalidParameter("a table can only be renamed within its catalog") }
            if target != name {
                try await namespace.renameTable(name, to: target)
                name = target
            }
        }
        let after = try await namespace.table(name)
        try await transferOwner(.table, from: (before.name.description, before.owner), to: (after.name.description, after.owner))
        return try await describe(name)
    }

    // MARK: temporary credentials

    /// `POST /temporary-table-credentials {table_id, operation}`: READ needs SELECT, READ_WRITE needs SELECT
    /// and MODIFY. Storage is the local file system, so the answer is the table's `file://` URL and an
    /// expiry, without cloud credentials.
    func temporaryTableCredentials(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable {
            let table_id: String
            let operation: String
        }
        struct Credentials: Encodable {
            let expiration_time: Int64
            let url: String
        }
        let body = try await request.decode(as: Body.self, context: context)
        let operation = body.operation.uppercased()
        let privileges: [String] =
            switch operation {
            case "READ": ["SELECT"]
            case "READ_WRITE": ["SELECT", "MODIFY"]
            default: throw CatalogError.invalidParameter("operation must be READ or READ_WRITE")
            }
        guard let record = try await namespace.table(id: body.table_id) else {
            throw CatalogError.notFound("Table with id '\(body.table_id)' does not exist")
        }
        for privilege in privileges {
            let allowed = try await authorizer.check(
                context.principal, AccessRequest(objectType: "uc:table", objectID: record.name.description, privilege: privilege))
            guard allowed else {
                throw APIErrorResponse(.permissionDenied, "\(operation) credentials for \(record.name) require \(privileges.joined(separator: " and "))")
            }
        }
        let expires = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        return try JSONResponse.make(Credentials(expiration_time: expires, url: try tables.lakeTable(record).location))
    }

    // MARK: tags

    func tagTarget(_ context: IngotRequestContext) throws -> (SecurableKind, String) {
        let raw = try context.parameters.require("securable_type")
        guard let kind = SecurableKind(apiName: raw) else {
            throw CatalogError.invalidParameter("unknown securable type '\(raw)'; one of \(SecurableKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let name = try context.parameters.require("full_name").lowercased()
        return (kind, name)
    }

    /// Admins pass; others need the privilege on the securable. An unseen securable answers 404.
    func requireOnSecurable(_ context: IngotRequestContext, _ kind: SecurableKind, _ name: String, _ privilege: String) async throws {
        if try await authorizer.check(context.principal, AccessRequest(objectType: "uc:table", objectID: name, privilege: privilege)) { return }
        if try await authorizer.check(context.principal, AccessRequest(objectType: "uc:table", objectID: name, privilege: MetadataPrivileges.read(kind))) {
            throw APIErrorResponse(.permissionDenied, "this request requires \(privilege) on \(name)")
        }
        throw APIErrorResponse(.resourceDoesNotExist, "\(kind.rawValue) \(name) does not exist")
    }

    func tagsBody(_ kind: SecurableKind, _ name: String) async throws -> Response {
        struct Tag: Encodable {
            let key: String
            let value: String
        }
        struct Body: Encodable {
            let securable_type: String
            let full_name: String
            let tags: [Tag]
            let column_tags: [String: [Tag]]?
        }
        func list(_ map: [String: String]) -> [Tag] { map.sorted { $0.key < $1.key }.map { Tag(key: $0.key, value: $0.value) } }
        var columns: [String: [Tag]]?
        if kind == .table { columns = try await namespace.columnTags(try TableName(parsing: name)).mapValues(list) }
        return try JSONResponse.make(Body(securable_type: kind.rawValue, full_name: name, tags: list(try await namespace.tags(kind, name)), column_tags: columns))
    }

    /// `GET /api/2.0/ingot/tags/{securable_type}/{full_name}`: `{tags: [{key, value}], column_tags}`.
    func getTags(_ context: IngotRequestContext) async throws -> Response {
        let (kind, name) = try tagTarget(context)
        try await requireOnSecurable(context, kind, name, MetadataPrivileges.read(kind))
        if kind == .registeredModel { _ = try await registry.getRegisteredModel(name: name) }
        return try await tagsBody(kind, name)
    }

    /// `PATCH … {set: {k: v} | [{key, value}], unset: [k], column_name?}`.
    func patchTags(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let (kind, name) = try tagTarget(context)
        try await requireOnSecurable(context, kind, name, MetadataPrivileges.write(kind))
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxBodyBytes)
        guard let json = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw APIErrorResponse(.malformedRequest, "expected {\"set\": {...}, \"unset\": [...]}")
        }
        var set: [String: String] = [:]
        if let map = json["set"] as? [String: String] {
            set = map
        } else if let list = json["set"] as? [[String: Any]] {
            for item in list {
                guard let key = item["key"] as? String else { throw APIErrorResponse(.invalidParameterValue, "each tag needs a key") }
                set[key] = item["value"] as? String ?? ""
            }
        } else if json["set"] != nil {
            throw APIErrorResponse(.invalidParameterValue, "set is a map of tag keys to values, or a list of {key, value}")
        }
        let unset = json["unset"] as? [String] ?? []
        let column = (json["column_name"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        if kind == .registeredModel { _ = try await registry.getRegisteredModel(name: name) }
        if let column {
            let table = try TableName(parsing: name)
            guard try await tables.detail(table).schema.fields.contains(where: { $0.name.lowercased() == column.lowercased() }) else {
                throw CatalogError.notFound("Column '\(column)' does not exist in table '\(name)'")
            }
        }
        try await namespace.setTags(kind, name, column: column, set: set, unset: unset, actor: context.principal.name)
        return try await tagsBody(kind, name)
    }
}
