import Foundation
import IngotCore
import IngotStorage
import Testing

@testable import IngotIdentity

@Suite struct IdentityServiceTests {
    func makeService() throws -> IdentityService {
        let store = try MetadataStore(inMemoryWith: IdentityModule.migrations)
        try store.migrate()
        return IdentityService(store: SQLiteIdentityStore(metadata: store))
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test func passwordHashesAreSaltedAndVerify() {
        let a = PasswordHasher.hash("correct horse", iterations: 1000)
        let b = PasswordHasher.hash("correct horse", iterations: 1000)
        #expect(a != b)
        #expect(a.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(PasswordHasher.verify("correct horse", against: a))
        #expect(!PasswordHasher.verify("correct horsE", against: a))
        #expect(!PasswordHasher.verify("x", against: "garbage"))
    }

    @Test func bootstrapOnlyOnce() async throws {
        let identity = try makeService()
        let (admin, token) = try await identity.bootstrapAdmin(name: "root", password: nil)
        #expect(admin.isAdmin)
        #expect(TokenFormat.looksLikeToken(token))
        let principal = try await identity.authenticate(authorization: "Bearer \(token)")
        #expect(principal?.name == "root" && principal?.isAdmin == true)
        await #expect(throws: IdentityError.self) { _ = try await identity.bootstrapAdmin(name: "again", password: nil) }
    }

    @Test func noCredentialsIsNilAndWrongOnesThrow() async throws {
        let identity = try makeService()
        #expect(try await identity.authenticate(authorization: nil) == nil)
        await #expect(throws: IdentityError.self) { _ = try await identity.authenticate(authorization: "Bearer ingot_nope") }
        await #expect(throws: IdentityError.self) { _ = try await identity.authenticate(authorization: "Digest abc") }
        await #expect(throws: IdentityError.self) { _ = try await identity.authenticate(authorization: "Basic !!!") }
    }

    @Test func basicAuthWithPasswordOrToken() async throws {
        let identity = try makeService()
        _ = try await identity.createPrincipal(name: "ana", kind: "user", displayName: nil, isAdmin: false, password: "s3cret-pass")
        let viaPassword = try await identity.authenticate(authorization: Self.basic("ana", "s3cret-pass"))
        #expect(viaPassword?.name == "ana" && viaPassword?.isAdmin == false)
        // A second call hits the verification cache and still answers correctly.
        #expect(try await identity.authenticate(authorization: Self.basic("ana", "s3cret-pass"))?.name == "ana")
        await #expect(throws: IdentityError.self) { _ = try await identity.authenticate(authorization: Self.basic("ana", "wrong-pass")) }
        let (token, _) = try await identity.createToken(for: "ana", lifetimeSeconds: nil, comment: "ci")
        #expect(try await identity.authenticate(authorization: Self.basic("token", token))?.name == "ana")
    }

    @Test func failedLoginsAreThrottled() async throws {
        let identity = try makeService()
        _ = try await identity.createPrincipal(name: "bob", kind: "user", displayName: nil, isAdmin: false, password: "good-password")
        for _ in 0..<5 {
            await #expect(throws: IdentityError.self) { _ = try await identity.authenticate(authorization: Self.basic("bob", "bad")) }
        }
        // Even the right password is refused while throttled.
        do {
            _ = try await identity.authenticate(authorization: Self.basic("bob", "good-password"))
            Issue.record("expected throttling")
        } catch let error as IdentityError {
            #expect(error.errorCode == .requestLimitExceeded)
        }
    }

    @Test func expiredAndDeletedTokensStopWorking() async throws {
        let identity = try makeService()
        _ = try await identity.createPrincipal(name: "cy", kind: "user", displayName: nil, isAdmin: false, password: nil)
        let (token, info) = try await identity.createToken(for: "cy", lifetimeSeconds: 3600, comment: nil)
        #expect(info.expiryTime > info.creationTime)
        #expect(try await identity.authenticate(authorization: "Bearer \(token)")?.name == "cy")
        try await identity.deleteToken(id: info.tokenID, owner: "cy")
        await #expect(throws: IdentityError.self) { _ = try await identity.authenticate(authorization: "Bearer \(token)") }

        // An expired token (written directly with a past expiry).
        let store = identity.store
        let expired = TokenFormat.generate()
        let owner = try await store.principal(named: "cy")
        try await store.insertToken(
            TokenRecord(id: "t-old", principal_id: owner!.id!, token_hash: TokenFormat.digest(expired), comment: nil, created_at: 0, expires_at: 1))
        await #expect(throws: IdentityError.self) { _ = try await identity.authenticate(authorization: "Bearer \(expired)") }
    }

    @Test func nestedGroupsAndAdminGroup() async throws {
        let identity = try makeService()
        _ = try await identity.createPrincipal(name: "dee", kind: "user", displayName: nil, isAdmin: false, password: nil)
        _ = try await identity.createGroup(name: "analysts")
        _ = try await identity.createGroup(name: "admins")
        try await identity.addToGroup(group: "analysts", principal: "dee", memberGroup: nil)
        try await identity.addToGroup(group: "admins", principal: nil, memberGroup: "analysts")
        let (token, _) = try await identity.createToken(for: "dee", lifetimeSeconds: nil, comment: nil)
        let principal = try await identity.authenticate(authorization: "Bearer \(token)")
        #expect(principal?.groups == ["admins", "analysts"])
        #expect(principal?.isAdmin == true)
    }

    @Test func namesAreValidatedAndUnique() async throws {
        let identity = try makeService()
        await #expect(throws: IdentityError.self) {
            _ = try await identity.createPrincipal(name: "bad name", kind: "user", displayName: nil, isAdmin: false, password: nil)
        }
        _ = try await identity.createPrincipal(name: "eve", kind: "user", displayName: nil, isAdmin: false, password: nil)
        await #expect(throws: IdentityError.self) {
            _ = try await identity.createPrincipal(name: "EVE", kind: "user", displayName: nil, isAdmin: false, password: nil)
        }
        await #expect(throws: IdentityError.self) {
            _ = try await identity.createPrincipal(name: "frank", kind: "user", displayName: nil, isAdmin: false, password: "short")
        }
    }
}
