/// Persistence for principals, groups and tokens. The SQLite implementation is
/// ``SQLiteIdentityStore``; a PostgreSQL one can replace it without touching ``IdentityService``.
public protocol IdentityStore: Sendable {
    func principalCount() async throws -> Int
    func insertPrincipal(_ record: PrincipalRecord) async throws -> PrincipalRecord
    func principal(named name: String) async throws -> PrincipalRecord?
    func principal(id: Int64) async throws -> PrincipalRecord?
    func principals() async throws -> [PrincipalRecord]
    func deletePrincipal(id: Int64) async throws -> Bool
    /// Names of every group the principal belongs to, directly or through nested groups.
    func groupNames(ofPrincipal id: Int64) async throws -> [String]
    func insertGroup(name: String, createdAt: Int64) async throws -> GroupRecord
    func group(named name: String) async throws -> GroupRecord?
    func groups() async throws -> [GroupRecord]
    func deleteGroup(id: Int64) async throws -> Bool
    func addMember(group: Int64, principal: Int64?, memberGroup: Int64?) async throws
    func group(id: Int64) async throws -> GroupRecord?
    /// Direct members of a group: principals and nested groups.
    func members(ofGroup id: Int64) async throws -> (principals: [PrincipalRecord], groups: [GroupRecord])
    func insertToken(_ record: TokenRecord) async throws
    func token(hash: String) async throws -> TokenRecord?
    func tokens(principal: Int64?) async throws -> [TokenRecord]
    func deleteToken(id: String, principal: Int64?) async throws -> Bool
}
