import IngotCore
import IngotIdentity
import IngotLake

/// The SQL engine's resolver for one caller: reading a table needs SELECT on it, writing MODIFY,
/// creating CREATE TABLE on its schema — each with USE CATALOG and USE SCHEMA, as in Unity Catalog
/// (``ACLAuthorizer``). SHOW CATALOGS/SCHEMAS/TABLES list only what the caller may use. The creator of
/// a table gets ALL PRIVILEGES on it. The `system` catalog keeps its own rule (admins only).
///
/// Views: the reader needs SELECT on the view; the tables and views under it are checked here too,
/// but for the view's owner (``viewOwnerResolver(_:)``), as Unity Catalog does. Dropping or replacing a
/// view needs MANAGE on it (its creator holds ALL PRIVILEGES).
struct AuthorizingTableResolver: TableResolver {
    let base: any TableResolver
    let caller: Principal
    let authorizer: ACLAuthorizer
    /// Looks up a view owner's groups and admin flag; nil checks the owner by name alone.
    var principals: (@Sendable (String) async throws -> Principal?)? = nil

    func allowed(_ privilege: String, _ fullName: String) async throws -> Bool {
        try await authorizer.check(caller, AccessRequest(objectType: "uc:table", objectID: fullName, privilege: privilege))
    }

    func authorize(_ name: SQLTableName, _ access: SQLTableAccess) async throws {
        try await base.authorize(name, access)
        if SystemTablesResolver.isSystem(name.catalog) { return }
        let (privilege, object) =
            switch access {
            case .read: ("SELECT", name.description)
            case .write: ("MODIFY", name.description)
            case .create: ("CREATE TABLE", "\(name.catalog).\(name.schema)")
            case .manage: ("MANAGE", name.description)
            }
        guard try await allowed(privilege, object) else {
            throw IngotFailure(.permissionDenied, "\(caller.name) requires \(privilege) (with USE CATALOG and USE SCHEMA) on \(object)")
        }
    }

    func table(_ name: SQLTableName) async throws -> LakeTable { try await base.table(name) }

    /// The `system` catalog is listed as before (its table checks the caller itself).
    func visible(_ catalog: String, _ privilege: String, _ fullName: String) async throws -> Bool {
        if SystemTablesResolver.isSystem(catalog) { return true }
        return try await allowed(privilege, fullName)
    }

    func catalogs() async throws -> [String] {
        var shown: [String] = []
        for catalog in try await base.catalogs() {
            if try await visible(catalog, "USE CATALOG", catalog) { shown.append(catalog) }
        }
        return shown
    }

    func schemas(catalog: String) async throws -> [String] {
        var shown: [String] = []
        for schema in try await base.schemas(catalog: catalog) {
            if try await visible(catalog, "USE SCHEMA", "\(catalog).\(schema)") { shown.append(schema) }
        }
        return shown
    }

    func tables(catalog: String, schema: String) async throws -> [String] {
        var shown: [String] = []
        for table in try await base.tables(catalog: catalog, schema: schema) {
            if try await visible(catalog, "SELECT", "\(catalog).\(schema).\(table)") { shown.append(table) }
        }
        return shown
    }

    func tableCreated(_ name: SQLTableName, _ table: LakeTable) async throws {
        try await base.tableCreated(name, table)
        try await recordOwner(name)
    }

    func table(_ name: SQLTableName, location: String) async throws -> LakeTable { try await base.table(name, location: location) }

    func tableRegistered(_ name: SQLTableName, _ table: LakeTable) async throws {
        try await base.tableRegistered(name, table)
        try await recordOwner(name)
    }

    /// Comments, tags and properties: MODIFY on a table (and its columns), MANAGE on a schema or catalog.
    func applyMetadata(_ change: SQLMetadataChange) async throws {
        let (privilege, object) = MetadataPrivileges.change(change)
        guard try await allowed(privilege, object) else {
            throw IngotFailure(.permissionDenied, "\(caller.name) requires \(privilege) on \(object)")
        }
        try await base.applyMetadata(change)
    }

    func view(_ name: SQLTableName) async throws -> SQLView? { try await base.view(name) }

    func createView(_ view: SQLView, replace: Bool) async throws {
        try await base.createView(view, replace: replace)
        if !replace { try await recordOwner(view.name) }
    }

    /// Dropping a view drops its grants, so a later securable of that name starts clean.
    func dropView(_ name: SQLTableName) async throws -> Bool {
        let dropped = try await base.dropView(name)
        if dropped { try await authorizer.store.deleteObject(objectType: "uc:table", objectID: name.description) }
        return dropped
    }

    /// The same checks for the view's owner. An owner that no longer exists (or is deactivated) may read nothing.
    func viewOwnerResolver(_ owner: String) async throws -> any TableResolver {
        let ownerBase = try await base.viewOwnerResolver(owner)
        let principal: Principal
        if owner == caller.name {
            principal = caller
        } else if let principals {
            guard let found = try await principals(owner) else {
                throw IngotFailure(.permissionDenied, "the owner \(owner) of this view is no longer active")
            }
            principal = found
        } else {
            principal = Principal(name: owner)
        }
        return AuthorizingTableResolver(base: ownerBase, caller: principal, authorizer: authorizer, principals: principals)
    }

    /// Called for new tables and views only: rows left under the name by a securable deleted earlier
    /// (a dropped table, a force-deleted schema) go first, so the new one inherits nobody's grants.
    func recordOwner(_ name: SQLTableName) async throws {
        let kind: GranteeKind = caller.kind == .servicePrincipal ? .servicePrincipal : .user
        try await authorizer.store.deleteObject(objectType: "uc:table", objectID: name.description)
        try await authorizer.store.changeGrants(
            objectType: "uc:table", objectID: name.description,
            add: [PermissionRecord(objectType: "uc:table", objectID: name.description, principal: caller.name, kind: kind, level: "ALL PRIVILEGES")],
            remove: [])
    }
}
