import Foundation
import GRDB
import IngotCore
import IngotStorage

/// Rollouts and their steps in the metadata store (tables `serving_rollouts`, `serving_rollout_steps`).
public struct RolloutStore: Sendable {
    let writer: any DatabaseWriter

    public init(metadata: MetadataStore) { self.writer = metadata.writer }
    init(writer: any DatabaseWriter) { self.writer = writer }

    static func json<T: Encodable>(_ v: T) -> String { String(decoding: (try? JSONEncoder().encode(v)) ?? Data("null".utf8), as: UTF8.self) }

    static func decode<T: Decodable>(_ t: T.Type, _ s: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(s.utf8)) } catch {
            throw ServingError(.modelLoad, "stored rollout is unreadable: \(error)")
        }
    }

    static func step(_ row: Row) -> RolloutStep {
        var s = RolloutStep(
            step: row["step"], trafficPercentage: row["traffic_percentage"], state: RolloutStep.State(rawValue: row["state"]) ?? .pending)
        s.startTime = row["start_time"]
        s.endTime = row["end_time"]
        if s.startTime != nil {
            s.candidate = StatsWindow(requests: row["requests"], errors: row["errors"], p99Seconds: (row["p99_ms"] as Double? ?? 0) / 1000)
            s.baseline = StatsWindow(
                requests: row["baseline_requests"], errors: row["baseline_errors"], p99Seconds: (row["baseline_p99_ms"] as Double? ?? 0) / 1000)
        }
        s.decision = row["decision"]
        return s
    }

    static func record(_ db: Database, _ row: Row) throws -> RolloutRecord {
        let id: String = row["id"]
        let steps = try Row.fetchAll(db, sql: "SELECT * FROM serving_rollout_steps WHERE rollout_id = ? ORDER BY step", arguments: [id]).map(step)
        return RolloutRecord(
            id: id, endpoint: row["endpoint"], state: RolloutState(rawValue: row["state"]) ?? .failed,
            plan: try decode(RolloutPlan.self, row["plan"]), baselineEntity: row["baseline_entity"],
            baselineConfig: try decode(EndpointConfig.self, row["baseline_config"]), target: try decode(ServedEntity.self, row["target"]),
            pendingVersion: row["pending_version"], currentStep: row["current_step"], trafficPercentage: row["traffic_percentage"],
            reason: row["reason"], creator: row["creator"], startTime: row["start_time"], endTime: row["end_time"],
            lastUpdatedTime: row["last_updated_time"], steps: steps)
    }

    /// Begins the endpoint's config update towards `final` (refused while one is in progress) and
    /// stores the rollout, in one transaction. Returns the rollout with its pending version.
    public func begin(_ rollout: RolloutRecord, final: EndpointConfig) async throws -> RolloutRecord {
        try await writer.write { db in
            var r = rollout
            r.pendingVersion = try EndpointStore.beginUpdate(db, rollout.endpoint, pending: final)
            try db.execute(
                sql: """
                    INSERT INTO serving_rollouts (id, endpoint, state, strategy, plan, baseline_entity, baseline_config, target_entity, target,
                        pending_version, current_step, traffic_percentage, reason, creator, start_time, end_time, last_updated_time)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    r.id, r.endpoint, r.state.rawValue, r.plan.strategy.rawValue, Self.json(r.plan), r.baselineEntity, Self.json(r.baselineConfig),
                    r.target.name, Self.json(r.target), r.pendingVersion, r.currentStep, r.trafficPercentage, r.reason, r.creator, r.startTime,
                    r.endTime, r.lastUpdatedTime,
                ])
            for s in r.steps { try Self.save(db, r.id, s) }
            return r
        }
    }

    static func save(_ db: Database, _ id: String, _ s: RolloutStep) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO serving_rollout_steps (rollout_id, step, traffic_percentage, state, start_time, end_time, requests, errors,
                    p99_ms, baseline_requests, baseline_errors, baseline_p99_ms, decision)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, s.step, s.trafficPercentage, s.state.rawValue, s.startTime, s.endTime, s.candidate?.requests ?? 0, s.candidate?.errors ?? 0,
                s.candidate.map(\.p99Millis), s.baseline?.requests ?? 0, s.baseline?.errors ?? 0, s.baseline.map(\.p99Millis), s.decision,
            ])
    }

    /// Saves the rollout's state and its steps (no-op once the endpoint, and so the rollout, is deleted).
    public func save(_ r: RolloutRecord) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE serving_rollouts SET state = ?, current_step = ?, traffic_percentage = ?, reason = ?, end_time = ?,
                        last_updated_time = ? WHERE id = ?
                    """, arguments: [r.state.rawValue, r.currentStep, r.trafficPercentage, r.reason, r.endTime, r.lastUpdatedTime, r.id])
            guard db.changesCount > 0 else { return }
            for s in r.steps { try Self.save(db, r.id, s) }
        }
    }

    /// The endpoint's rollouts, newest first.
    public func history(_ endpoint: String, limit: Int = 20) async throws -> [RolloutRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM serving_rollouts WHERE endpoint = ? ORDER BY start_time DESC, rowid DESC LIMIT ?",
                arguments: [endpoint, limit]
            ).map { try Self.record(db, $0) }
        }
    }

    /// Rollouts still LOADING or BAKING (after a restart: those the server was running).
    public func active() async throws -> [RolloutRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM serving_rollouts WHERE state IN ('LOADING', 'BAKING') ORDER BY start_time").map {
                try Self.record(db, $0)
            }
        }
    }
}
