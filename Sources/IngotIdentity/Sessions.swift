import Crypto
import Foundation
import GRDB
import IngotCore
import IngotStorage

/// A web session as stored: the id itself is never kept, only its SHA-256.
public struct SessionRecord: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "identity_sessions"
    public var id_hash: String
    public var principal_id: Int64
    /// The session's CSRF token (double-submit: the page echoes it in `X-CSRF-Token`).
    public var csrf_token: String
    public var created_at: Int64
    public var expires_at: Int64
    public var last_seen_at: Int64
}

/// How long sessions live: an absolute lifetime from sign-in and an idle timeout.
public struct SessionPolicy: Sendable, Equatable {
    public var lifetimeSeconds: Int64
    public var idleSeconds: Int64
    /// `last_seen_at` is written at most this often (a write per request would serialize reads).
    public var touchIntervalMillis: Int64 = 30_000

    public init(lifetimeSeconds: Int64 = 12 * 3600, idleSeconds: Int64 = 3600) {
        self.lifetimeSeconds = lifetimeSeconds
        self.idleSeconds = idleSeconds
    }
}

/// A signed-in web session as the server sees it on a request.
public struct AuthenticatedSession: Sendable, Equatable {
    public let principal: Principal
    public let csrfToken: String
    public let expiresAt: Int64
}

/// Persistence of web sessions.
public protocol SessionStore: Sendable {
    func insertSession(_ record: SessionRecord) async throws
    func session(hash: String) async throws -> SessionRecord?
    func touchSession(hash: String, at time: Int64) async throws
    func deleteSession(hash: String) async throws
    /// Deletes every session that expired before `now`; returns how many.
    func deleteExpiredSessions(now: Int64, idleCutoff: Int64) async throws -> Int
}

/// ``SessionStore`` on the metadata database.
public struct SQLiteSessionStore: SessionStore {
    let writer: any DatabaseWriter

    public init(metadata: MetadataStore) { writer = metadata.writer }

    public func insertSession(_ record: SessionRecord) async throws {
        try await writer.write { db in try record.insert(db) }
    }

    public func session(hash: String) async throws -> SessionRecord? {
        try await writer.read { db in try SessionRecord.fetchOne(db, key: hash) }
    }

    public func touchSession(hash: String, at time: Int64) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE identity_sessions SET last_seen_at = ? WHERE id_hash = ?", arguments: [time, hash])
        }
    }

    public func deleteSession(hash: String) async throws {
        _ = try await writer.write { db in try SessionRecord.deleteOne(db, key: hash) }
    }

    public func deleteExpiredSessions(now: Int64, idleCutoff: Int64) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM identity_sessions WHERE expires_at <= ? OR last_seen_at <= ?", arguments: [now, idleCutoff])
            return db.changesCount
        }
    }
}

/// Session ids and CSRF tokens: 256 random bits, base64url without padding.
public enum SessionSecret {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func digest(_ id: String) -> String {
        SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two secrets without an early exit.
    public static func matches(_ a: String, _ b: String) -> Bool {
        PasswordHasher.constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }
}

/// Signs in with a password (throttled like every password check), resolves session ids to
/// principals, and ends sessions. A new id is generated on every sign-in; an id the client sends
/// before signing in is never adopted.
public struct SessionManager: Sendable {
    let store: any SessionStore
    let policy: SessionPolicy
    let now: @Sendable () -> Int64

    public init(store: any SessionStore, policy: SessionPolicy = SessionPolicy(), now: @escaping @Sendable () -> Int64 = { Clock.nowMillis() }) {
        self.store = store
        self.policy = policy
        self.now = now
    }

    /// Creates a session for an authenticated principal. Returns the session id (for the cookie only).
    func create(principalID: Int64, principal: Principal) async throws -> (id: String, session: AuthenticatedSession) {
        let id = SessionSecret.generate()
        let t = now()
        let record = SessionRecord(
            id_hash: SessionSecret.digest(id), principal_id: principalID, csrf_token: SessionSecret.generate(), created_at: t,
            expires_at: t + policy.lifetimeSeconds * 1000, last_seen_at: t)
        try await store.insertSession(record)
        return (id, AuthenticatedSession(principal: principal, csrfToken: record.csrf_token, expiresAt: record.expires_at))
    }

    /// The live session record for an id, or nil (unknown, expired or idle too long; those are deleted).
    func live(_ id: String) async throws -> SessionRecord? {
        guard !id.isEmpty, id.count <= 128 else { return nil }
        let hash = SessionSecret.digest(id)
        guard let record = try await store.session(hash: hash) else { return nil }
        let t = now()
        if record.expires_at <= t || record.last_seen_at + policy.idleSeconds * 1000 <= t {
            try await store.deleteSession(hash: hash)
            return nil
        }
        if t - record.last_seen_at >= min(policy.touchIntervalMillis, policy.idleSeconds * 250) { try await store.touchSession(hash: hash, at: t) }
        return record
    }

    func delete(_ id: String) async throws { try await store.deleteSession(hash: SessionSecret.digest(id)) }

    /// Removes expired and idle sessions (housekeeping; lookups refuse them anyway).
    @discardableResult
    public func prune() async throws -> Int {
        let t = now()
        return try await store.deleteExpiredSessions(now: t, idleCutoff: t - policy.idleSeconds * 1000)
    }
}
