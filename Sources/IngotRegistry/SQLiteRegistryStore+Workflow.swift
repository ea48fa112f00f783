import Foundation
import GRDB
import IngotCore

extension SQLiteRegistryStore {
    // MARK: - Policies

    public func getPolicy(name: String) async throws -> ApprovalPolicy? {
        try await writer.read { db in
            let pk = try Self.modelPK(db, name)
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM registry_policies WHERE model_pk = ?", arguments: [pk]) else { return nil }
            return ApprovalPolicy(
                name: name, protected_aliases: Self.decodeList(row["protected_aliases"]), protected_stages: Self.decodeList(row["protected_stages"]),
                required_approvals: row["required_approvals"], allow_self_approval: row["allow_self_approval"], updated_by: row["updated_by"],
                last_updated_timestamp: row["last_updated_time"])
        }
    }

    public func setPolicy(name: String, policy: ApprovalPolicy?) async throws {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            guard let policy else {
                try db.execute(sql: "DELETE FROM registry_policies WHERE model_pk = ?", arguments: [pk])
                return
            }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO registry_policies (model_pk, protected_aliases, protected_stages, required_approvals, allow_self_approval,
                        updated_by, last_updated_time) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    pk, Self.encodeList(policy.protected_aliases), Self.encodeList(policy.protected_stages), policy.required_approvals,
                    policy.allow_self_approval, policy.updated_by, Clock.nowMillis(),
                ])
        }
    }

    static func encodeList(_ list: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(list), as: UTF8.self)) ?? "[]"
    }

    static func decodeList(_ text: String?) -> [String] {
        guard let text, let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { return [] }
        return list
    }

    // MARK: - Requests

    static func fetchRequests(_ db: Database, where whereSQL: String, arguments: StatementArguments) throws -> [TransitionRequest] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT r.*, m.name FROM registry_requests r JOIN registry_models m ON m.model_pk = r.model_pk
                WHERE \(whereSQL) ORDER BY r.creation_time, r.request_id
                """, arguments: arguments)
        return try rows.map { row in
            let id: String = row["request_id"]
            let approvals = try String.fetchAll(
                db, sql: "SELECT user_id FROM registry_request_approvals WHERE request_id = ? ORDER BY creation_time", arguments: [id])
            let status: String = row["status"]
            return TransitionRequest(
                id: id, name: row["name"], version: String(row["version"] as Int64), creation_timestamp: row["creation_time"],
                last_updated_timestamp: row["last_updated_time"], to_stage: row["to_stage"], alias: row["alias"], user_id: row["user_id"],
                comment: row["comment"], status: status, approvals: approvals, archive_existing_versions: row["archive_existing"],
                available_actions: status == "PENDING"
                    ? ["APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST", "CANCEL_TRANSITION_REQUEST"] : [])
        }
    }

    static func fetchRequest(_ db: Database, id: String) throws -> TransitionRequest {
        guard let request = try fetchRequests(db, where: "r.request_id = ?", arguments: [id]).first else {
            throw RegistryError.notFound("Transition request '\(id)' not found")
        }
        return request
    }

    static func fetchActivity(_ db: Database, id: String) throws -> Activity {
        guard let activity = try fetchActivities(db, where: "a.activity_id = ?", arguments: [id]).first else {
            throw RegistryError.internalFailure("activity \(id) vanished")
        }
        return activity
    }

    static func fetchActivities(_ db: Database, where whereSQL: String, arguments: StatementArguments) throws -> [Activity] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT a.*, m.name FROM registry_activities a JOIN registry_models m ON m.model_pk = a.model_pk
                WHERE \(whereSQL) ORDER BY a.creation_time, a.rowid
                """, arguments: arguments
        ).map { row in
            Activity(
                id: row["activity_id"], name: row["name"], version: String(row["version"] as Int64), activity_type: row["activity_type"],
                from_stage: row["from_stage"], to_stage: row["to_stage"], alias: row["alias"], user_id: row["user_id"], comment: row["comment"],
                system_comment: row["system_comment"], request_id: row["request_id"], creation_timestamp: row["creation_time"],
                last_updated_timestamp: row["creation_time"])
        }
    }

    public func createRequest(name: String, version: Int64, target: RequestTarget, archiveExisting: Bool, userID: String, comment: String?)
        async throws -> TransitionRequest
    {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            try Self.versionExists(db, pk, name, version)
            let now = Clock.nowMillis()
            let id = IDGenerator.hex32()
            var stage: String?
            var alias: String?
            switch target {
            case .stage(let s): stage = s.rawValue
            case .alias(let a): alias = a
            }
            try db.execute(
                sql: """
                    INSERT INTO registry_requests (request_id, model_pk, version, to_stage, alias, archive_existing, status, user_id, comment,
                        creation_time, last_updated_time) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, ?)
                    """, arguments: [id, pk, version, stage, alias, archiveExisting, userID, comment, now, now])
            let from = try String.fetchOne(
                db, sql: "SELECT current_stage FROM registry_versions WHERE model_pk = ? AND version = ?", arguments: [pk, version])
            _ = try Self.recordActivity(
                db, pk: pk, version: version, type: "REQUESTED_TRANSITION", from: from, to: stage, alias: alias, userID: userID, comment: comment,
                requestID: id, now: now)
            return try Self.fetchRequest(db, id: id)
        }
    }

    public func getRequest(id: String) async throws -> TransitionRequest {
        try await writer.read { db in try Self.fetchRequest(db, id: id) }
    }

    public func listRequests(name: String?, version: Int64?, includeClosed: Bool) async throws -> [TransitionRequest] {
        try await writer.read { db in
            var clauses: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let name {
                clauses.append("r.model_pk = ?")
                args.append(try Self.modelPK(db, name))
            }
            if let version {
                clauses.append("r.version = ?")
                args.append(version)
            }
            if !includeClosed { clauses.append("r.status = 'PENDING'") }
            return try Self.fetchRequests(
                db, where: clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), arguments: StatementArguments(args.map { $0.databaseValue }))
        }
    }

    public func approveRequest(id: String, userID: String, comment: String?, apply: Bool) async throws -> (TransitionRequest, Activity) {
        try await writer.write { db in
            let request = try Self.fetchRequest(db, id: id)
            guard request.status == "PENDING" else {
                throw RegistryError.invalidState("Transition request '\(id)' is \(request.status), not PENDING")
            }
            let pk = try Self.modelPK(db, request.name)
            let version = request.versionNumber
            try Self.versionExists(db, pk, request.name, version)
            let now = Clock.nowMillis()
            try db.execute(
                sql: "INSERT OR IGNORE INTO registry_request_approvals (request_id, user_id, creation_time) VALUES (?, ?, ?)",
                arguments: [id, userID, now])
            let activityID = try Self.recordActivity(
                db, pk: pk, version: version, type: "APPROVED_REQUEST", to: request.to_stage, alias: request.alias, userID: userID, comment: comment,
                requestID: id, now: now)
            if apply {
                if let stage = request.to_stage {
                    try Self.applyTransition(
                        db, pk: pk, version: version, stage: try ModelStage.canonical(stage), archiveExisting: request.archive_existing_versions,
                        userID: userID, comment: comment, requestID: id, now: now)
                } else if let alias = request.alias {
                    try Self.applyAlias(db, pk: pk, alias: alias, version: version, userID: userID, requestID: id, now: now)
                }
                try db.execute(
                    sql: "UPDATE registry_requests SET status = 'APPROVED', last_updated_time = ? WHERE request_id = ?", arguments: [now, id])
            } else {
                try db.execute(sql: "UPDATE registry_requests SET last_updated_time = ? WHERE request_id = ?", arguments: [now, id])
            }
            return (try Self.fetchRequest(db, id: id), try Self.fetchActivity(db, id: activityID))
        }
    }

    public func closeRequest(id: String, status: String, userID: String, comment: String?) async throws -> (TransitionRequest, Activity) {
        try await writer.write { db in
            let request = try Self.fetchRequest(db, id: id)
            guard request.status == "PENDING" else {
                throw RegistryError.invalidState("Transition request '\(id)' is \(request.status), not PENDING")
            }
            let pk = try Self.modelPK(db, request.name)
            let now = Clock.nowMillis()
            try db.execute(
                sql: "UPDATE registry_requests SET status = ?, last_updated_time = ? WHERE request_id = ?", arguments: [status, now, id])
            let activityID = try Self.recordActivity(
                db, pk: pk, version: request.versionNumber, type: status == "REJECTED" ? "REJECTED_REQUEST" : "CANCELLED_REQUEST",
                to: request.to_stage, alias: request.alias, userID: userID, comment: comment, requestID: id, now: now)
            return (try Self.fetchRequest(db, id: id), try Self.fetchActivity(db, id: activityID))
        }
    }

    public func activities(name: String, version: Int64) async throws -> [Activity] {
        try await writer.read { db in
            let pk = try Self.modelPK(db, name)
            return try Self.fetchActivities(db, where: "a.model_pk = ? AND a.version = ?", arguments: [pk, version])
        }
    }

    // MARK: - Comments

    static func fetchComments(_ db: Database, where whereSQL: String, arguments: StatementArguments) throws -> [VersionComment] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT c.*, m.name FROM registry_comments c JOIN registry_models m ON m.model_pk = c.model_pk
                WHERE \(whereSQL) ORDER BY c.creation_time, c.rowid
                """, arguments: arguments
        ).map { row in
            VersionComment(
                id: row["comment_id"], name: row["name"], version: String(row["version"] as Int64), user_id: row["user_id"],
                comment: row["comment"], creation_timestamp: row["creation_time"], last_updated_timestamp: row["last_updated_time"],
                available_actions: ["EDIT_COMMENT", "DELETE_COMMENT"])
        }
    }

    static func fetchComment(_ db: Database, id: String) throws -> VersionComment {
        guard let comment = try fetchComments(db, where: "c.comment_id = ?", arguments: [id]).first else {
            throw RegistryError.notFound("Comment '\(id)' not found")
        }
        return comment
    }

    public func createComment(name: String, version: Int64, userID: String, comment: String) async throws -> VersionComment {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            try Self.versionExists(db, pk, name, version)
            let id = IDGenerator.hex32()
            let now = Clock.nowMillis()
            try db.execute(
                sql: """
                    INSERT INTO registry_comments (comment_id, model_pk, version, user_id, comment, creation_time, last_updated_time)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, pk, version, userID, comment, now, now])
            _ = try Self.recordActivity(db, pk: pk, version: version, type: "NEW_COMMENT", userID: userID, comment: comment, now: now)
            return try Self.fetchComment(db, id: id)
        }
    }

    public func getComment(id: String) async throws -> VersionComment {
        try await writer.read { db in try Self.fetchComment(db, id: id) }
    }

    public func updateComment(id: String, comment: String) async throws -> VersionComment {
        try await writer.write { db in
            _ = try Self.fetchComment(db, id: id)
            try db.execute(
                sql: "UPDATE registry_comments SET comment = ?, last_updated_time = ? WHERE comment_id = ?",
                arguments: [comment, Clock.nowMillis(), id])
            return try Self.fetchComment(db, id: id)
        }
    }

    public func deleteComment(id: String) async throws {
        try await writer.write { db in
            _ = try Self.fetchComment(db, id: id)
            try db.execute(sql: "DELETE FROM registry_comments WHERE comment_id = ?", arguments: [id])
        }
    }

    public func comments(name: String, version: Int64) async throws -> [VersionComment] {
        try await writer.read { db in
            let pk = try Self.modelPK(db, name)
            return try Self.fetchComments(db, where: "c.model_pk = ? AND c.version = ?", arguments: [pk, version])
        }
    }
}

extension TransitionRequest {
    public var versionNumber: Int64 { Int64(version) ?? 0 }
}
