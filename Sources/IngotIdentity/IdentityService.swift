import Foundation
import IngotCore

/// Who is who: principals, groups, tokens, and turning request credentials into a ``Principal``.
public struct IdentityService: Sendable {
    let store: any IdentityStore
    private let guardState = LoginGuard()
    /// Web sessions; nil when this service has no session store (sign-in is then refused).
    public let sessions: SessionManager?

    public init(store: any IdentityStore, sessions: SessionManager? = nil) {
        self.store = store
        self.sessions = sessions
    }

    // MARK: Web sessions

    /// Signs in with a password (throttled after repeated failures) and starts a new session.
    /// Returns the session id, which only ever goes into the cookie.
    public func login(name: String, password: String) async throws -> (id: String, session: AuthenticatedSession) {
        guard let sessions else { throw IdentityError.invalid("web sign-in is not available") }
        let principal = try await authenticate(name: name, password: password)
        guard let record = try await store.principal(named: name), let id = record.id else {
            throw IdentityError.unauthenticated("invalid username or password")
        }
        // Housekeeping: expired and idle sessions are refused on lookup anyway; sign-in drops them.
        _ = try? await sessions.prune()
        return try await sessions.create(principalID: id, principal: principal)
    }

    /// The session a cookie names, or nil when it is unknown, expired, idle too long, or its
    /// principal was deleted or deactivated.
    public func authenticate(session id: String) async throws -> AuthenticatedSession? {
        guard let sessions, let record = try await sessions.live(id) else { return nil }
        guard let principal = try await store.principal(id: record.principal_id), principal.active else {
            try await sessions.delete(id)
            return nil
        }
        return AuthenticatedSession(principal: try await makePrincipal(principal), csrfToken: record.csrf_token, expiresAt: record.expires_at)
    }

    /// Ends a session (sign-out). Unknown ids are ignored.
    public func logout(session id: String) async throws {
        try await sessions?.delete(id)
    }

    // MARK: Authentication

    /// Resolves an `Authorization` header (`Bearer <token>` or HTTP Basic). Returns nil when the
    /// request carries no credentials; throws UNAUTHENTICATED when they are wrong.
    public func authenticate(authorization: String?) async throws -> Principal? {
        guard let header = authorization?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw IdentityError.unauthenticated("malformed Authorization header") }
        switch parts[0].lowercased() {
        case "bearer":
            return try await authenticate(token: parts[1].trimmingCharacters(in: .whitespaces))
        case "basic":
            guard let decoded = Data(base64Encoded: parts[1]).flatMap({ String(data: $0, encoding: .utf8) }),
                let colon = decoded.firstIndex(of: ":")
            else { throw IdentityError.unauthenticated("malformed Basic credentials") }
            let name = String(decoded[..<colon])
            let secret = String(decoded[decoded.index(after: colon)...])
            // A token may stand in for the password (as Databricks allows), e.g. MLFLOW_TRACKING_PASSWORD=<token>.
            if TokenFormat.looksLikeToken(secret) { return try await authenticate(token: secret) }
            return try await authenticate(name: name, password: secret)
        default:
            throw IdentityError.unauthenticated("unsupported authorization scheme '\(parts[0])'")
        }
    }

    func authenticate(token: String) async throws -> Principal {
        let now = Clock.nowMillis()
        guard let record = try await store.token(hash: TokenFormat.digest(token)) else {
            throw IdentityError.unauthenticated("invalid access token")
        }
        if let expires = record.expires_at, expires <= now {
            throw IdentityError.unauthenticated("access token has expired")
        }
        guard let principal = try await store.principal(id: record.principal_id), principal.active else {
            throw IdentityError.unauthenticated("invalid access token")
        }
        return try await makePrincipal(principal)
    }

    func authenticate(name: String, password: String) async throws -> Principal {
        if await guardState.isThrottled(name) {
            throw IdentityError.throttled("too many failed logins for '\(name)'; try again in a few minutes")
        }
        let key = LoginGuard.key(name, password)
        guard let principal = try await store.principal(named: name), principal.active, let hash = principal.password_hash else {
            await guardState.recordFailure(name)
            throw IdentityError.unauthenticated("invalid username or password")
        }
        if await guardState.isVerified(key) { return try await makePrincipal(principal) }
        guard PasswordHasher.verify(password, against: hash) else {
            await guardState.recordFailure(name)
            throw IdentityError.unauthenticated("invalid username or password")
        }
        await guardState.recordSuccess(name)
        await guardState.remember(key)
        return try await makePrincipal(principal)
    }

    /// The principal of that name as requests see it (groups, admin), nil when it is unknown or
    /// deactivated — for work done later on someone's behalf, such as a job's tasks.
    public func principal(named name: String) async throws -> Principal? {
        guard let record = try await store.principal(named: name), record.active else { return nil }
        return try await makePrincipal(record)
    }

    func makePrincipal(_ record: PrincipalRecord) async throws -> Principal {
        let groups = try await store.groupNames(ofPrincipal: record.id ?? -1)
        return Principal(
            name: record.name, kind: record.kind == "service_principal" ? .servicePrincipal : .user,
            isAdmin: record.is_admin || groups.contains("admins"), groups: groups)
    }

    // MARK: Principals

    /// Creates the first administrator of an empty identity store and a token for it.
    public func bootstrapAdmin(name: String, password: String?) async throws -> (PrincipalInfo, String) {
        guard try await store.principalCount() == 0 else {
            throw IdentityError.alreadyExists("identity is already initialised; ask an admin to create your user")
        }
        let user = try await createPrincipal(name: name, kind: "user", displayName: nil, isAdmin: true, password: password)
        let (token, _) = try await createToken(for: name, lifetimeSeconds: nil, comment: "bootstrap token")
        return (user, token)
    }

    public func createPrincipal(name: String, kind: String, displayName: String?, isAdmin: Bool, password: String?) async throws
        -> PrincipalInfo
    {
        try Self.validateName(name)
        if let password, password.count < 8 { throw IdentityError.invalid("password must have at least 8 characters") }
        let record = try await store.insertPrincipal(
            PrincipalRecord(
                id: nil, name: name, kind: kind, display_name: displayName, is_admin: isAdmin, active: true,
                password_hash: password.map { PasswordHasher.hash($0) }, created_at: Clock.nowMillis()))
        return try await info(record)
    }

    public func principals() async throws -> [PrincipalInfo] {
        var out: [PrincipalInfo] = []
        for record in try await store.principals() { out.append(try await info(record)) }
        return out
    }

    public func principal(id: Int64) async throws -> PrincipalInfo {
        guard let record = try await store.principal(id: id) else { throw IdentityError.notFound("principal \(id) does not exist") }
        return try await info(record)
    }

    public func deletePrincipal(id: Int64) async throws {
        guard try await store.deletePrincipal(id: id) else { throw IdentityError.notFound("principal \(id) does not exist") }
        await guardState.forgetAll()
    }

    func info(_ record: PrincipalRecord) async throws -> PrincipalInfo {
        PrincipalInfo(
            id: record.id ?? -1, name: record.name, kind: record.kind, displayName: record.display_name,
            isAdmin: record.is_admin, active: record.active, groups: try await store.groupNames(ofPrincipal: record.id ?? -1),
            createdAt: record.created_at)
    }

    static func validateName(_ name: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-@+"))
        guard !name.isEmpty, name.count <= 128, name.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            throw IdentityError.invalid("invalid principal name '\(name)': use letters, digits and . _ - @ +")
        }
    }

    // MARK: Groups

    public func createGroup(name: String) async throws -> GroupRecord {
        try Self.validateName(name)
        return try await store.insertGroup(name: name, createdAt: Clock.nowMillis())
    }

    public func addToGroup(group: String, principal: String?, memberGroup: String?) async throws {
        guard let target = try await store.group(named: group), let groupID = target.id else {
            throw IdentityError.notFound("group '\(group)' does not exist")
        }
        var principalID: Int64?
        var memberGroupID: Int64?
        if let principal {
            guard let record = try await store.principal(named: principal) else {
                throw IdentityError.notFound("principal '\(principal)' does not exist")
            }
            principalID = record.id
        }
        if let memberGroup {
            guard let record = try await store.group(named: memberGroup) else {
                throw IdentityError.notFound("group '\(memberGroup)' does not exist")
            }
            memberGroupID = record.id
        }
        guard (principalID == nil) != (memberGroupID == nil) else { throw IdentityError.invalid("name exactly one member") }
        try await store.addMember(group: groupID, principal: principalID, memberGroup: memberGroupID)
    }

    /// Every group with its direct members.
    public func groups() async throws -> [GroupInfo] {
        var out: [GroupInfo] = []
        for group in try await store.groups() {
            guard let id = group.id else { continue }
            let (principals, groups) = try await store.members(ofGroup: id)
            out.append(
                GroupInfo(
                    id: id, name: group.name, principals: principals.compactMap { p in p.id.map { GroupInfo.Member(id: $0, name: p.name) } },
                    groups: groups.compactMap { g in g.id.map { GroupInfo.Member(id: $0, name: g.name) } }))
        }
        return out
    }

    public func deleteGroup(id: Int64) async throws {
        guard try await store.deleteGroup(id: id) else { throw IdentityError.notFound("group \(id) does not exist") }
    }

    /// Adds members by id (SCIM names members by id): principals, or groups when `groups` is set.
    public func addToGroup(id: Int64, principalIDs: [Int64], groupIDs: [Int64]) async throws {
        guard try await store.group(id: id) != nil else { throw IdentityError.notFound("group \(id) does not exist") }
        for p in principalIDs {
            guard try await store.principal(id: p) != nil else { throw IdentityError.notFound("principal \(p) does not exist") }
            try await store.addMember(group: id, principal: p, memberGroup: nil)
        }
        for g in groupIDs {
            guard g != id, try await store.group(id: g) != nil else { throw IdentityError.invalid("group \(g) cannot be a member of group \(id)") }
            try await store.addMember(group: id, principal: nil, memberGroup: g)
        }
    }

    // MARK: Tokens

    /// Creates a token for a principal; the value is returned once and never stored.
    public func createToken(for name: String, lifetimeSeconds: Int64?, comment: String?) async throws -> (String, TokenInfo) {
        guard let principal = try await store.principal(named: name), let principalID = principal.id else {
            throw IdentityError.notFound("principal '\(name)' does not exist")
        }
        if let lifetimeSeconds, lifetimeSeconds <= 0 { throw IdentityError.invalid("lifetime_seconds must be positive") }
        let value = TokenFormat.generate()
        let now = Clock.nowMillis()
        let record = TokenRecord(
            id: IDGenerator.hex32(), principal_id: principalID, token_hash: TokenFormat.digest(value), comment: comment,
            created_at: now, expires_at: lifetimeSeconds.map { now + $0 * 1000 })
        try await store.insertToken(record)
        return (value, tokenInfo(record, principal: principal.name))
    }

    /// Tokens of one principal, or of everyone when `name` is nil (admins).
    public func tokens(of name: String?) async throws -> [TokenInfo] {
        var principalID: Int64?
        if let name {
            guard let principal = try await store.principal(named: name) else { return [] }
            principalID = principal.id
        }
        let names = Dictionary(uniqueKeysWithValues: try await store.principals().compactMap { p in p.id.map { ($0, p.name) } })
        return try await store.tokens(principal: principalID).map { tokenInfo($0, principal: names[$0.principal_id] ?? "?") }
    }

    /// Deletes a token; with `owner` set, only if it belongs to that principal.
    public func deleteToken(id: String, owner: String?) async throws {
        var principalID: Int64?
        if let owner {
            guard let principal = try await store.principal(named: owner) else { throw IdentityError.notFound("token \(id) does not exist") }
            principalID = principal.id
        }
        guard try await store.deleteToken(id: id, principal: principalID) else {
            throw IdentityError.notFound("token \(id) does not exist")
        }
    }

    func tokenInfo(_ record: TokenRecord, principal: String) -> TokenInfo {
        TokenInfo(
            tokenID: record.id, principal: principal, comment: record.comment, creationTime: record.created_at,
            expiryTime: record.expires_at ?? -1)
    }
}
