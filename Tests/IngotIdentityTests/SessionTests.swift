import Foundation
import GRDB
import IngotCore
import IngotStorage
import Synchronization
import Testing

@testable import IngotIdentity

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    let millis = Mutex<Int64>(1_000_000)
    func advance(seconds: Int64) { millis.withLock { $0 += seconds * 1000 } }
    var now: @Sendable () -> Int64 { { [self] in millis.withLock { $0 } } }
}

@Suite struct SessionTests {
    let clock = ManualClock()
    let metadata: MetadataStore
    let identity: IdentityService

    init() throws {
        metadata = try MetadataStore(inMemoryWith: IdentityModule.migrations)
        try metadata.migrate()
        identity = IdentityService(
            store: SQLiteIdentityStore(metadata: metadata),
            sessions: SessionManager(
                store: SQLiteSessionStore(metadata: metadata), policy: SessionPolicy(lifetimeSeconds: 3600, idleSeconds: 600), now: clock.now))
    }

    func user(_ name: String = "ana") async throws {
        _ = try await identity.createPrincipal(name: name, kind: "user", displayName: nil, isAdmin: false, password: "pw-\(name)-123")
    }

    @Test func signInStoresOnlyAHashAndEachSignInGetsANewID() async throws {
        try await user()
        let (id, session) = try await identity.login(name: "ana", password: "pw-ana-123")
        #expect(id.count == 43 && session.csrfToken.count == 43)
        #expect(session.expiresAt == clock.now() + 3_600_000)
        let stored = try await metadata.writer.read { db in try String.fetchAll(db, sql: "SELECT id_hash FROM identity_sessions") }
        #expect(stored == [SessionSecret.digest(id)])
        #expect(try await identity.authenticate(session: id)?.principal.name == "ana")
        let (second, _) = try await identity.login(name: "ana", password: "pw-ana-123")
        #expect(second != id)
        #expect(try await identity.authenticate(session: "not-a-session") == nil)
        try await identity.logout(session: id)
        #expect(try await identity.authenticate(session: id) == nil)
        #expect(try await identity.authenticate(session: second) != nil)
    }

    @Test func sessionsEndAtTheirLifetimeEvenWhenUsed() async throws {
        try await user()
        let (id, _) = try await identity.login(name: "ana", password: "pw-ana-123")
        for _ in 0..<7 {
            clock.advance(seconds: 500)  // within the idle timeout each time
            #expect(try await identity.authenticate(session: id) != nil)
        }
        clock.advance(seconds: 100)  // 3600 s after sign-in
        #expect(try await identity.authenticate(session: id) == nil)
        let left = try await metadata.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM identity_sessions") }
        #expect(left == 0)
    }

    @Test func idleSessionsEnd() async throws {
        try await user()
        let (id, _) = try await identity.login(name: "ana", password: "pw-ana-123")
        let (other, _) = try await identity.login(name: "ana", password: "pw-ana-123")
        clock.advance(seconds: 599)
        #expect(try await identity.authenticate(session: other) != nil)
        clock.advance(seconds: 2)
        #expect(try await identity.authenticate(session: id) == nil)
        #expect(try await identity.authenticate(session: other) != nil)  // it was used 2 s ago
        clock.advance(seconds: 700)
        #expect(try await identity.sessions?.prune() == 1)
    }

    @Test func deletingTheUserEndsItsSessions() async throws {
        try await user("bo")
        let (id, _) = try await identity.login(name: "bo", password: "pw-bo-123")
        let bo = try #require(try await identity.principals().first { $0.name == "bo" })
        try await identity.deletePrincipal(id: bo.id)
        #expect(try await identity.authenticate(session: id) == nil)
    }

    @Test func failedSignInsAreThrottled() async throws {
        try await user("cy")
        for _ in 0..<5 {
            await #expect(throws: IdentityError.self) { try await identity.login(name: "cy", password: "wrong") }
        }
        do {
            _ = try await identity.login(name: "cy", password: "pw-cy-123")
            Issue.record("a throttled sign-in succeeded")
        } catch let error as IdentityError {
            #expect(error.errorCode == .requestLimitExceeded)
        }
    }
}
