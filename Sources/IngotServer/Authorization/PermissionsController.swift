import Foundation
import Hummingbird
import IngotCore
import IngotIdentity

/// Object ACLs in Databricks' shape (`/api/2.0/permissions/{type}/{id}`) and Unity Catalog grants
/// (`/api/2.1/unity-catalog/permissions|effective-permissions/{securable_type}/{full_name}`).
/// Reading an ACL needs any level on the object; changing it needs CAN_MANAGE (owners rank above).
/// Reading grants needs any privilege on the securable; changing them needs MANAGE (or ALL PRIVILEGES).
struct PermissionsController {
    let authorizer: ACLAuthorizer
    let identity: IdentityService

    func addRoutes(to router: Router<IngotRequestContext>) {
        let acl = router.group("/api/2.0/permissions")
        acl.get(":object_type/:object_id") { _, context in try await self.getACL(context) }
        acl.put(":object_type/:object_id") { request, context in try await self.setACL(request, context, replace: true) }
        acl.patch(":object_type/:object_id") { request, context in try await self.setACL(request, context, replace: false) }
        acl.get(":object_type/:object_id/permissionLevels") { _, context in try await self.levels(context) }
        acl.get(":object_type/:object_id/me") { _, context in try await self.myLevel(context) }
        let uc = router.group("/api/2.1/unity-catalog")
        uc.get("permissions/:securable_type/:full_name") { request, context in try await self.getGrants(context, effective: false, request: request) }
        uc.patch("permissions/:securable_type/:full_name") { request, context in try await self.changeGrants(request, context) }
        uc.get("effective-permissions/:securable_type/:full_name") { request, context in try await self.getGrants(context, effective: true, request: request) }
        uc.get("effective-permissions/:securable_type/:full_name/me") { _, context in try await self.myPrivileges(context) }
    }

    static func json(_ object: Any) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Object ACLs

    func target(_ context: IngotRequestContext) throws -> (ACLObjectType, String) {
        let raw = try context.parameters.require("object_type")
        guard let type = ACLObjectType(rawValue: raw) else {
            throw APIErrorResponse(.invalidParameterValue, "unknown object type '\(raw)'; one of \(ACLObjectType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return (type, try context.parameters.require("object_id"))
    }

    /// The caller's level, or a 404 when it holds none (the object's existence is not revealed).
    func visibleLevel(_ context: IngotRequestContext, _ type: ACLObjectType, _ id: String) async throws -> String {
        guard let level = try await authorizer.level(context.principal, on: type, id: id) else {
            throw APIErrorResponse(.resourceDoesNotExist, "\(type.singular) \(id) does not exist")
        }
        return level
    }

    func aclBody(_ type: ACLObjectType, _ id: String) async throws -> Response {
        let rows = try await authorizer.store.rows(objectType: type.rawValue, objectID: id)
        var list: [[String: Any]] = []
        for row in rows {
            let key =
                switch GranteeKind(rawValue: row.principal_kind) ?? .user {
                case .user: "user_name"
                case .group: "group_name"
                case .servicePrincipal: "service_principal_name"
                }
            list.append([key: row.principal, "all_permissions": [["permission_level": row.level, "inherited": false]]])
        }
        return try Self.json(["object_id": "/\(type.rawValue)/\(id)", "object_type": type.rawValue, "access_control_list": list])
    }

    func getACL(_ context: IngotRequestContext) async throws -> Response {
        let (type, id) = try target(context)
        _ = try await visibleLevel(context, type, id)
        return try await aclBody(type, id)
    }

    func levels(_ context: IngotRequestContext) async throws -> Response {
        let (type, id) = try target(context)
        _ = try await visibleLevel(context, type, id)
        return try Self.json(["permission_levels": type.levels.map { ["permission_level": $0, "description": "Can \($0.dropFirst(4).lowercased())"] }])
    }

    /// Ingot: the caller's own level (`permission_level`, the best it holds directly or through a group)
    /// and every level that implies (`levels`), so pages can hide what the caller cannot do. 404 when
    /// it holds none, like the other reads.
    func myLevel(_ context: IngotRequestContext) async throws -> Response {
        let (type, id) = try target(context)
        let held = try await visibleLevel(context, type, id)
        let rank = type.rank(held) ?? -1
        return try Self.json([
            "object_id": "/\(type.rawValue)/\(id)", "permission_level": held, "is_admin": context.principal.isAdmin,
            "levels": type.levels.enumerated().filter { $0.offset <= rank }.map(\.element),
        ])
    }

    func setACL(_ request: Request, _ context: IngotRequestContext, replace: Bool) async throws -> Response {
        let (type, id) = try target(context)
        let held = try await visibleLevel(context, type, id)
        guard (type.rank(held) ?? -1) >= (type.rank(type.manageLevel) ?? Int.max) else {
            throw APIErrorResponse(.permissionDenied, "changing permissions requires CAN_MANAGE on \(type.singular) \(id)")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxBodyBytes)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let list = json["access_control_list"] as? [[String: Any]]
        else { throw APIErrorResponse(.malformedRequest, "expected {\"access_control_list\": [...]}") }
        var entries: [PermissionRecord] = []
        for item in list {
            let grantee: (String, GranteeKind)? =
                if let name = item["user_name"] as? String { (name, .user) }
                else if let name = item["group_name"] as? String { (name, .group) }
                else if let name = item["service_principal_name"] as? String { (name, .servicePrincipal) }
                else { nil }
            guard let (name, kind) = grantee else {
                throw APIErrorResponse(.invalidParameterValue, "each entry needs user_name, group_name or service_principal_name")
            }
            guard let level = (item["permission_level"] as? String)?.uppercased(), type.rank(level) != nil else {
                throw APIErrorResponse(
                    .invalidParameterValue, "permission_level must be one of \(type.levels.joined(separator: ", ")) for \(type.rawValue)")
            }
            entries.append(PermissionRecord(objectType: type.rawValue, objectID: id, principal: name, kind: kind, level: level))
        }
        try await authorizer.store.setACL(objectType: type.rawValue, objectID: id, entries: entries, replaceAll: replace)
        return try await aclBody(type, id)
    }

    // MARK: Unity Catalog grants

    func securable(_ context: IngotRequestContext) throws -> (SecurableType, String) {
        let raw = try context.parameters.require("securable_type")
        guard let type = SecurableType(rawValue: raw.lowercased()) else {
            throw APIErrorResponse(.invalidParameterValue, "unknown securable type '\(raw)'; one of \(SecurableType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return (type, try context.parameters.require("full_name"))
    }

    static func apiName(_ privilege: String) -> String { privilege.replacingOccurrences(of: " ", with: "_") }

    func grantsVisible(_ context: IngotRequestContext, _ name: String) async throws {
        let principal = context.principal
        if principal.isAdmin { return }
        for privilege in ["MANAGE", "USE CATALOG", "USE SCHEMA", "SELECT", "MODIFY", "READ VOLUME", "EXECUTE"]
        where try await authorizer.check(principal, AccessRequest(objectType: "uc:table", objectID: name, privilege: privilege)) {
            return
        }
        throw APIErrorResponse(.permissionDenied, "reading grants requires a privilege on \(name)")
    }

    /// Privilege names as Databricks spells them (`USE_CATALOG`), or — for Unity Catalog OSS's generated
    /// client, whose enum has Unity Catalog's spelling (`USE CATALOG`) and no MANAGE/ALL PRIVILEGES — as it
    /// spells them, leaving out what it cannot parse. Ownership rows are shown as `owner`, never as grants.
    static func grantName(_ privilege: String, ucClient: Bool) -> String? {
        if privilege == "OWNER" { return nil }
        guard ucClient else { return apiName(privilege) }
        return ["MANAGE", "ALL PRIVILEGES", "WRITE VOLUME"].contains(privilege) ? nil : privilege
    }

    func getGrants(_ context: IngotRequestContext, effective: Bool, request: Request? = nil) async throws -> Response {
        let ucClient = request?.headers[.userAgent]?.hasPrefix("OpenAPI-Generator/") ?? false
        let (type, name) = try securable(context)
        try await grantsVisible(context, name)
        var byPrincipal: [String: [Any]] = [:]
        let lineage = effective ? SecurableType.lineage(name) : [name]
        let types: [SecurableType] = [.catalog, .schema, type]
        for (index, objectName) in lineage.enumerated() {
            let objectType = effective ? types[min(index, 2)] : type
            for row in try await authorizer.store.rows(objectType: "uc:" + objectType.rawValue, objectID: objectName) {
                guard let privilege = Self.grantName(row.level, ucClient: ucClient) else { continue }
                if effective {
                    var entry: [String: Any] = ["privilege": privilege]
                    if objectName != name {
                        entry["inherited_from_type"] = objectType.rawValue.uppercased()
                        entry["inherited_from_name"] = objectName
                    }
                    byPrincipal[row.principal, default: []].append(entry)
                } else {
                    byPrincipal[row.principal, default: []].append(privilege)
                }
            }
        }
        // `?principal=` limits the answer to one principal (Unity Catalog's filter).
        let only = request?.uri.queryParameters.get("principal")
        let assignments = byPrincipal.keys.sorted().filter { only == nil || $0 == only }.map { ["principal": $0, "privileges": byPrincipal[$0]!] as [String: Any] }
        return try Self.json(["privilege_assignments": assignments])
    }

    /// Ingot: the catalog privileges the caller holds on a securable (granted there or inherited,
    /// with USE CATALOG / USE SCHEMA on the parents where Unity Catalog needs them), as API names.
    func myPrivileges(_ context: IngotRequestContext) async throws -> Response {
        let (_, name) = try securable(context)
        var held: [String] = []
        for privilege in SecurableType.privileges
        where try await authorizer.check(context.principal, AccessRequest(objectType: "uc:table", objectID: name, privilege: privilege)) {
            held.append(Self.apiName(privilege))
        }
        return try Self.json(["full_name": name, "privileges": held, "is_admin": context.principal.isAdmin])
    }

    func changeGrants(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let (type, name) = try securable(context)
        if !context.principal.isAdmin,
            try await !authorizer.check(context.principal, AccessRequest(objectType: "uc:table", objectID: name, privilege: "MANAGE"))
        {
            throw APIErrorResponse(.permissionDenied, "changing grants requires MANAGE on \(name)")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxBodyBytes)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let changes = json["changes"] as? [[String: Any]]
        else { throw APIErrorResponse(.malformedRequest, "expected {\"changes\": [{\"principal\": ..., \"add\": [...], \"remove\": [...]}]}") }
        let groups = Set(try await identity.groups().map { $0.name.lowercased() })
        let objectType = "uc:" + type.rawValue
        for change in changes {
            guard let principal = change["principal"] as? String, !principal.isEmpty else {
                throw APIErrorResponse(.invalidParameterValue, "each change needs a principal")
            }
            let kind: GranteeKind = groups.contains(principal.lowercased()) ? .group : .user
            func rows(_ key: String) throws -> [PermissionRecord] {
                try ((change[key] as? [String]) ?? []).map { raw in
                    guard let privilege = SecurableType.privilege(raw) else {
                        throw APIErrorResponse(.invalidParameterValue, "unknown privilege '\(raw)'")
                    }
                    return PermissionRecord(objectType: objectType, objectID: name, principal: principal, kind: kind, level: privilege)
                }
            }
            try await authorizer.store.changeGrants(objectType: objectType, objectID: name, add: try rows("add"), remove: try rows("remove"))
        }
        return try await getGrants(context, effective: false, request: request)
    }
}
