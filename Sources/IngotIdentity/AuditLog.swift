import Foundation
import GRDB
import IngotStorage

/// One audited action: a mutating request, a refused one (401/403), or a failed sign-in.
public struct AuditEvent: Sendable, Equatable, Codable {
    public var time: Int64
    public var principal: String
    /// The client's address as the server saw it.
    public var source: String
    /// `METHOD /path` (no query string: it never carries credentials into the log).
    public var action: String
    /// What the action named, when the route has one (e.g. a table or experiment); else the path.
    public var object: String
    /// `success`, `denied`, `unauthenticated` or `failure`.
    public var outcome: String
    public var status: Int
    public var requestID: String

    public init(time: Int64, principal: String, source: String, action: String, object: String, outcome: String, status: Int, requestID: String) {
        self.time = time
        self.principal = principal
        self.source = source
        self.action = action
        self.object = object
        self.outcome = outcome
        self.status = status
        self.requestID = requestID
    }
}

/// The append-only audit store in the metadata database. Rows are only ever inserted, and deleted
/// by retention (``prune(olderThan:)``); nothing updates them.
public struct AuditLog: Sendable {
    let db: any DatabaseWriter

    public init(metadata: MetadataStore) { db = metadata.writer }

    public func append(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await db.write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO identity_audit (time, principal, source, action, object, outcome, status, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for e in events {
                try insert.execute(arguments: [e.time, e.principal, e.source, e.action, e.object, e.outcome, e.status, e.requestID])
            }
        }
    }

    public struct Query: Sendable {
        public var since: Int64?
        public var until: Int64?
        public var principal: String?
        public var outcome: String?
        /// Substring of the action (e.g. `DELETE` or `/api/2.1/unity-catalog`).
        public var actionContains: String?
        public var limit: Int = 100

        public init() {}
    }

    /// Newest first. Filters are bound parameters.
    public func events(_ q: Query) async throws -> [AuditEvent] {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let since = q.since { clauses.append("time >= ?"); arguments.append(since) }
        if let until = q.until { clauses.append("time < ?"); arguments.append(until) }
        if let principal = q.principal { clauses.append("principal = ?"); arguments.append(principal) }
        if let outcome = q.outcome { clauses.append("outcome = ?"); arguments.append(outcome) }
        if let action = q.actionContains { clauses.append("instr(action, ?) > 0"); arguments.append(action) }
        let sql = "SELECT * FROM identity_audit" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY id DESC LIMIT ?"
        arguments.append(max(1, min(q.limit, 10_000)))
        let bound = StatementArguments(arguments)
        return try await db.read { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map { row in
                AuditEvent(
                    time: row["time"], principal: row["principal"], source: row["source"], action: row["action"], object: row["object"],
                    outcome: row["outcome"], status: row["status"], requestID: row["request_id"])
            }
        }
    }

    /// Events with a row id above `afterID`, oldest first, with their ids (the SQL system table reads these).
    public func rows(afterID: Int64, limit: Int = 100_000) async throws -> [(id: Int64, event: AuditEvent)] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM identity_audit WHERE id > ? ORDER BY id LIMIT ?", arguments: [afterID, limit]).map { row in
                (
                    row["id"],
                    AuditEvent(
                        time: row["time"], principal: row["principal"], source: row["source"], action: row["action"], object: row["object"],
                        outcome: row["outcome"], status: row["status"], requestID: row["request_id"])
                )
            }
        }
    }

    /// The smallest and largest row id (nil when empty): retention raises the smallest.
    public func idRange() async throws -> (min: Int64, max: Int64)? {
        try await db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(id) AS lo, max(id) AS hi FROM identity_audit"),
                let lo: Int64 = row["lo"], let hi: Int64 = row["hi"]
            else { return nil }
            return (lo, hi)
        }
    }

    /// Retention: deletes events older than `cutoff` (epoch ms). Returns how many.
    @discardableResult
    public func prune(olderThan cutoff: Int64) async throws -> Int {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM identity_audit WHERE time < ?", arguments: [cutoff])
            return db.changesCount
        }
    }
}
