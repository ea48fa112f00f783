import Foundation
import Hummingbird
import IngotCore
import IngotIdentity

/// Tokens (`/api/2.0/token/*`, Databricks' shape) and principals (`/api/2.0/preview/scim/v2/*`, SCIM).
struct IdentityController {
    let identity: IdentityService

    func addRoutes(to router: Router<IngotRequestContext>) {
        let tokens = router.group("/api/2.0/token")
        tokens.post("create") { request, context in try await self.createToken(request, context) }
        tokens.get("list") { _, context in try await self.listTokens(context) }
        tokens.post("delete") { request, context in try await self.deleteToken(request, context) }

        let scim = router.group("/api/2.0/preview/scim/v2")
        scim.get("Me") { _, context in try JSONResponse.make(Self.scimMe(context.principal)) }
        scim.get("Users") { _, context in try await self.listUsers(context) }
        scim.post("Users") { request, context in try await self.createUser(request, context) }
        scim.get("Users/:id") { _, context in try await self.getUser(context) }
        scim.delete("Users/:id") { _, context in try await self.deleteUser(context) }
        scim.get("ServicePrincipals") { _, context in try await self.listServicePrincipals(context) }
        scim.post("ServicePrincipals") { request, context in try await self.createServicePrincipal(request, context) }
        scim.delete("ServicePrincipals/:id") { _, context in try await self.deleteUser(context) }
        scim.get("Groups") { _, context in try await self.listGroups(context) }
        scim.post("Groups") { request, context in try await self.createGroup(request, context) }
        scim.patch("Groups/:id") { request, context in try await self.patchGroup(request, context) }
        scim.delete("Groups/:id") { _, context in try await self.deleteGroup(context) }
    }

    // MARK: SCIM service principals and groups

    struct SCIMServicePrincipal: Encodable {
        let schemas = ["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"]
        let id: String
        let applicationId: String
        let displayName: String?
        let active: Bool
        let groups: [SCIMValue]

        init(_ info: PrincipalInfo) {
            id = String(info.id)
            applicationId = info.name
            displayName = info.displayName
            active = info.active
            groups = info.groups.map(SCIMValue.init)
        }
    }

    struct SCIMMember: Codable {
        let value: String
        let display: String?
        /// `Users/<id>`, `ServicePrincipals/<id>` or `Groups/<id>`.
        let ref: String?
        enum CodingKeys: String, CodingKey { case value, display, ref = "$ref" }
    }

    struct SCIMGroup: Encodable {
        let schemas = ["urn:ietf:params:scim:schemas:core:2.0:Group"]
        let id: String
        let displayName: String
        let members: [SCIMMember]

        init(_ info: GroupInfo) {
            id = String(info.id)
            displayName = info.name
            members = info.principals.map { SCIMMember(value: String($0.id), display: $0.name, ref: "Users/\($0.id)") }
                + info.groups.map { SCIMMember(value: String($0.id), display: $0.name, ref: "Groups/\($0.id)") }
        }
    }

    struct SCIMListOf<Item: Encodable>: Encodable {
        let schemas = ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
        let totalResults: Int
        let startIndex = 1
        let itemsPerPage: Int
        let Resources: [Item]
        init(_ items: [Item]) {
            totalResults = items.count
            itemsPerPage = items.count
            Resources = items
        }
    }

    func listServicePrincipals(_ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        return try JSONResponse.make(SCIMListOf(try await identity.principals().filter { $0.kind == "service_principal" }.map(SCIMServicePrincipal.init)))
    }

    func createServicePrincipal(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        struct Body: Decodable {
            let applicationId: String?
            let displayName: String?
        }
        let body = try await request.decode(as: Body.self, context: context)
        guard let name = body.applicationId ?? body.displayName else { throw IdentityError.invalid("applicationId or displayName is required") }
        let info = try await identity.createPrincipal(name: name, kind: "service_principal", displayName: body.displayName, isAdmin: false, password: nil)
        return try JSONResponse.make(SCIMServicePrincipal(info), status: .created)
    }

    func listGroups(_ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        return try JSONResponse.make(SCIMListOf(try await identity.groups().map(SCIMGroup.init)))
    }

    static func split(_ members: [SCIMMember]) throws -> (principals: [Int64], groups: [Int64]) {
        var principals: [Int64] = []
        var groups: [Int64] = []
        for m in members {
            guard let id = Int64(m.value) else { throw IdentityError.invalid("member value '\(m.value)' is not an id") }
            if m.ref?.hasPrefix("Groups/") == true { groups.append(id) } else { principals.append(id) }
        }
        return (principals, groups)
    }

    func createGroup(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        struct Body: Decodable {
            let displayName: String
            let members: [SCIMMember]?
        }
        let body = try await request.decode(as: Body.self, context: context)
        let (principals, groups) = try Self.split(body.members ?? [])
        let group = try await identity.createGroup(name: body.displayName)
        guard let id = group.id else { throw IdentityError.invalid("group was not created") }
        try await identity.addToGroup(id: id, principalIDs: principals, groupIDs: groups)
        let info = try await identity.groups().first { $0.id == id }
        return try JSONResponse.make(info.map(SCIMGroup.init), status: .created)
    }

    /// SCIM PatchOp: `add` of `members` (the only operation supported so far).
    func patchGroup(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        struct Operation: Decodable {
            let op: String
            let path: String?
            let value: [SCIMMember]?
        }
        struct Body: Decodable { let Operations: [Operation] }
        let body = try await request.decode(as: Body.self, context: context)
        let id = try userID(context)
        for op in body.Operations {
            guard op.op.lowercased() == "add", (op.path ?? "members") == "members" else {
                throw IdentityError.invalid("only {op: add, path: members} is supported")
            }
            let (principals, groups) = try Self.split(op.value ?? [])
            try await identity.addToGroup(id: id, principalIDs: principals, groupIDs: groups)
        }
        guard let info = try await identity.groups().first(where: { $0.id == id }) else { throw IdentityError.notFound("group \(id) does not exist") }
        return try JSONResponse.make(SCIMGroup(info))
    }

    func deleteGroup(_ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        try await identity.deleteGroup(id: try userID(context))
        return Response(status: .noContent)
    }

    // MARK: Tokens

    struct CreateTokenBody: Decodable {
        let lifetime_seconds: Int64?
        let comment: String?
    }

    struct TokenInfoBody: Encodable {
        let token_id: String
        let creation_time: Int64
        let expiry_time: Int64
        let comment: String?
        let created_by_username: String

        init(_ info: TokenInfo) {
            token_id = info.tokenID
            creation_time = info.creationTime
            expiry_time = info.expiryTime
            comment = info.comment
            created_by_username = info.principal
        }
    }

    struct CreateTokenResponse: Encodable {
        let token_value: String
        let token_info: TokenInfoBody
    }

    func createToken(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = try await request.decode(as: CreateTokenBody.self, context: context)
        let (value, info) = try await identity.createToken(
            for: context.principal.name, lifetimeSeconds: body.lifetime_seconds, comment: body.comment)
        return try JSONResponse.make(CreateTokenResponse(token_value: value, token_info: TokenInfoBody(info)))
    }

    func listTokens(_ context: IngotRequestContext) async throws -> Response {
        struct Page: Encodable { let token_infos: [TokenInfoBody] }
        let infos = try await identity.tokens(of: context.principal.name)
        return try JSONResponse.make(Page(token_infos: infos.map(TokenInfoBody.init)))
    }

    func deleteToken(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable { let token_id: String }
        let body = try await request.decode(as: Body.self, context: context)
        try await identity.deleteToken(id: body.token_id, owner: context.principal.isAdmin ? nil : context.principal.name)
        return try JSONResponse.make([String: String]())
    }

    // MARK: SCIM users

    struct SCIMValue: Codable { let value: String }
    struct SCIMUser: Encodable {
        let schemas = ["urn:ietf:params:scim:schemas:core:2.0:User"]
        let id: String
        let userName: String
        let displayName: String?
        let active: Bool
        let groups: [SCIMValue]
        let entitlements: [SCIMValue]

        init(_ info: PrincipalInfo) {
            id = String(info.id)
            userName = info.name
            displayName = info.displayName
            active = info.active
            groups = info.groups.map(SCIMValue.init)
            entitlements = info.isAdmin ? [SCIMValue(value: "admin")] : []
        }
    }

    struct SCIMList: Encodable {
        let schemas = ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
        let totalResults: Int
        let startIndex = 1
        let itemsPerPage: Int
        let Resources: [SCIMUser]
    }

    struct CreateUserBody: Decodable {
        let userName: String
        let displayName: String?
        /// Ingot extension: an initial password for HTTP Basic and web login.
        let password: String?
        let entitlements: [SCIMValue]?
    }

    static func scimMe(_ principal: Principal) -> [String: String] {
        ["userName": principal.name, "kind": principal.kind.rawValue, "admin": principal.isAdmin ? "true" : "false"]
    }

    func requireAdmin(_ context: IngotRequestContext) throws {
        guard context.principal.isAdmin else { throw IdentityError.permissionDenied("managing principals requires an admin") }
    }

    func listUsers(_ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        let users = try await identity.principals().filter { $0.kind == "user" }.map(SCIMUser.init)
        return try JSONResponse.make(SCIMList(totalResults: users.count, itemsPerPage: users.count, Resources: users))
    }

    func createUser(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        let body = try await request.decode(as: CreateUserBody.self, context: context)
        let info = try await identity.createPrincipal(
            name: body.userName, kind: "user", displayName: body.displayName,
            isAdmin: body.entitlements?.contains { $0.value == "admin" } ?? false, password: body.password)
        return try JSONResponse.make(SCIMUser(info), status: .created)
    }

    func userID(_ context: IngotRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("id").flatMap({ Int64($0) }) else {
            throw IdentityError.notFound("no such user")
        }
        return id
    }

    func getUser(_ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        return try JSONResponse.make(SCIMUser(try await identity.principal(id: try userID(context))))
    }

    func deleteUser(_ context: IngotRequestContext) async throws -> Response {
        try requireAdmin(context)
        try await identity.deletePrincipal(id: try userID(context))
        return Response(status: .noContent)
    }
}
