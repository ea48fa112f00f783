import Foundation
import GRDB
import IngotCore

// Scheduled pipeline updates.
//
// `schedule` in pipeline.yaml is a Quartz cron expression (as in jobs), either alone (UTC) or as
// `{quartz_cron_expression, timezone_id, pause_status}`. The server's scheduler loop
// (`PipelineRecoveryService`) asks ``PipelineService/scheduleDue(now:)`` once a second (or at the
// next fire time) to start the updates that are due.
//
// Missed times follow the jobs policy (JobService.swift): a pipeline fires only for times after its
// schedule anchor (creation, a change of the schedule, unpause) and after its last scheduled time;
// of the times missed while the server was down only the latest runs, once. Each scheduled time is
// claimed under a primary key (pipeline_id, scheduled_time) in the same transaction that creates the
// update, so a time never runs twice — across restarts and with two schedulers on one database. A
// time that falls while an update is still active is claimed and skipped (recorded without an update).

extension PipelineSettings {
    mutating func parseSchedule(_ value: Any, file: String) throws {
        var cron: String
        var tz: String?
        var pause: String?
        if let text = value as? String {
            cron = text
        } else if let m = value as? [String: Any] {
            for k in m.keys where !["quartz_cron_expression", "timezone_id", "pause_status"].contains(k) {
                throw PipelineError("\(file): unknown schedule setting '\(k)'")
            }
            guard let c = m["quartz_cron_expression"] as? String else { throw PipelineError("\(file): 'schedule.quartz_cron_expression' is required") }
            cron = c
            tz = m["timezone_id"].map { "\($0)" }
            pause = m["pause_status"].map { "\($0)".uppercased() }
        } else {
            throw PipelineError("\(file): 'schedule' must be a Quartz cron expression or {quartz_cron_expression, timezone_id, pause_status}")
        }
        cron = cron.trimmingCharacters(in: .whitespaces)
        do { _ = try QuartzCron(cron) } catch { throw PipelineError("\(file): 'schedule.quartz_cron_expression': \(error)") }
        if let tz, TimeZone(identifier: tz) == nil { throw PipelineError("\(file): 'schedule.timezone_id': unknown time zone '\(tz)'") }
        if let pause, !["PAUSED", "UNPAUSED"].contains(pause) { throw PipelineError("\(file): 'schedule.pause_status' must be PAUSED or UNPAUSED") }
        schedule = cron
        scheduleTimezone = tz
        schedulePaused = pause == "PAUSED" ? true : nil
    }

    /// The schedule's cron and zone when it is set and not paused.
    var activeSchedule: (QuartzCron, TimeZone)? {
        guard let schedule, schedulePaused != true, let cron = try? QuartzCron(schedule), let tz = TimeZone(identifier: scheduleTimezone ?? "UTC") else { return nil }
        return (cron, tz)
    }

    /// What restarts the schedule's anchor when it changes.
    var scheduleIdentity: String { "\(schedule ?? "")|\(scheduleTimezone ?? "UTC")|\(schedulePaused == true)" }
}

enum PipelineScheduleSchema {
    static func createV3(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE pipeline_schedule_anchors (
                    pipeline_id TEXT PRIMARY KEY NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
                    schedule TEXT NOT NULL,
                    anchor INTEGER NOT NULL
                );
                CREATE TABLE pipeline_scheduled_runs (
                    pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
                    scheduled_time INTEGER NOT NULL,
                    update_id TEXT,
                    outcome TEXT NOT NULL,
                    PRIMARY KEY (pipeline_id, scheduled_time)
                );
                """)
    }
}

/// What claiming a scheduled time did.
public enum PipelineScheduleClaim: Sendable {
    case created(PipelineUpdateRecord)
    /// An update was active: the time is recorded as skipped.
    case skipped
    /// Already claimed (by this or another scheduler).
    case duplicate
}

extension PipelineStore {
    /// The schedule anchor (epoch ms) of a pipeline, recording `now` when the schedule is new or changed.
    func scheduleAnchor(pipelineID: String, identity: String, now: Int64) async throws -> Int64 {
        // The common case (schedule unchanged) is a read; the scheduler asks every second.
        let known = try await metadata.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT schedule, anchor FROM pipeline_schedule_anchors WHERE pipeline_id = ?", arguments: [pipelineID])
                .flatMap { ($0["schedule"] as String) == identity ? ($0["anchor"] as Int64) : nil }
        }
        if let known { return known }
        return try await metadata.writer.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT schedule, anchor FROM pipeline_schedule_anchors WHERE pipeline_id = ?", arguments: [pipelineID]),
                (row["schedule"] as String) == identity
            {
                return row["anchor"] as Int64
            }
            try db.execute(sql: "INSERT OR REPLACE INTO pipeline_schedule_anchors (pipeline_id, schedule, anchor) VALUES (?, ?, ?)", arguments: [pipelineID, identity, now])
            return now
        }
    }

    public func lastScheduledTime(pipelineID: String) async throws -> Int64? {
        try await metadata.writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT max(scheduled_time) FROM pipeline_scheduled_runs WHERE pipeline_id = ?", arguments: [pipelineID])
        }
    }

    /// The scheduled times of a pipeline, newest first: (time, update id or nil when skipped, outcome).
    public func scheduledRuns(pipelineID: String, limit: Int = 50) async throws -> [(time: Int64, updateID: String?, outcome: String)] {
        try await metadata.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT scheduled_time, update_id, outcome FROM pipeline_scheduled_runs WHERE pipeline_id = ? ORDER BY scheduled_time DESC LIMIT ?",
                             arguments: [pipelineID, limit]).map { ($0["scheduled_time"], $0["update_id"], $0["outcome"]) }
        }
    }

    /// Claims a scheduled time and creates its update, in one transaction.
    func claimScheduled(pipelineID: String, scheduledTime: Int64) async throws -> PipelineScheduleClaim {
        let rec = PipelineUpdateRecord(id: IDGenerator.uuid(), pipelineID: pipelineID, state: "QUEUED", fullRefresh: false, cause: "SCHEDULED",
                                       creationTime: Clock.nowMillis())
        return try await metadata.writer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM pipeline_scheduled_runs WHERE pipeline_id = ? AND scheduled_time = ?", arguments: [pipelineID, scheduledTime]) == true {
                return .duplicate
            }
            if try String.fetchOne(db, sql: "SELECT update_id FROM pipeline_updates WHERE pipeline_id = ? AND state IN ('QUEUED', 'INITIALIZING', 'RUNNING')",
                                   arguments: [pipelineID]) != nil
            {
                try db.execute(sql: "INSERT INTO pipeline_scheduled_runs (pipeline_id, scheduled_time, update_id, outcome) VALUES (?, ?, NULL, 'SKIPPED')",
                               arguments: [pipelineID, scheduledTime])
                return .skipped
            }
            try db.execute(sql: "INSERT INTO pipeline_updates (update_id, pipeline_id, state, full_refresh, cause, creation_time) VALUES (?, ?, ?, 0, ?, ?)",
                           arguments: [rec.id, pipelineID, rec.state, rec.cause, rec.creationTime])
            try db.execute(sql: "INSERT INTO pipeline_scheduled_runs (pipeline_id, scheduled_time, update_id, outcome) VALUES (?, ?, ?, 'STARTED')",
                           arguments: [pipelineID, scheduledTime, rec.id])
            return .created(rec)
        }
    }
}

extension PipelineService {
    /// Starts the update due for each scheduled, unpaused pipeline at `now` (the latest fire time after
    /// its anchor and its last scheduled time). Returns the updates started.
    @discardableResult
    public func scheduleDue(now: Date = Date()) async throws -> [PipelineUpdateRecord] {
        var out: [PipelineUpdateRecord] = []
        let nowMillis = Int64((now.timeIntervalSince1970 * 1000).rounded())
        for p in try await store.pipelines() {
            guard p.settings.schedule != nil else { continue }
            let anchor = try await store.scheduleAnchor(pipelineID: p.id, identity: p.settings.scheduleIdentity, now: nowMillis)
            guard let (cron, tz) = p.settings.activeSchedule else { continue }
            let last = try await store.lastScheduledTime(pipelineID: p.id) ?? 0
            let from = Date(timeIntervalSince1970: Double(max(anchor, last)) / 1000)
            guard let due = cron.latest(notAfter: now, notBefore: from, in: tz) else { continue }
            let time = Int64((due.timeIntervalSince1970 * 1000).rounded())
            guard time > last else { continue }
            switch try await store.claimScheduled(pipelineID: p.id, scheduledTime: time) {
            case .created(let update):
                try await store.log(PipelineEvent(
                    id: IDGenerator.uuid(), pipelineID: p.id, updateID: update.id, timestamp: Clock.nowMillis(), level: "INFO", eventType: "create_update",
                    dataset: nil, message: "Update \(update.id) started by the schedule (\(p.settings.schedule ?? "")) for \(ISO8601DateFormatter().string(from: due)).",
                    details: "{\"create_update\":{\"cause\":\"SCHEDULED\",\"full_refresh\":false,\"scheduled_time\":\(time)}}", error: nil))
                await launch(p, update)
                out.append(update)
            case .skipped:
                try await store.log(PipelineEvent(
                    id: IDGenerator.uuid(), pipelineID: p.id, updateID: nil, timestamp: Clock.nowMillis(), level: "WARN", eventType: "update_progress",
                    dataset: nil, message: "Scheduled update for \(ISO8601DateFormatter().string(from: due)) skipped: an update is still active.",
                    details: "{\"scheduled_time\":\(time)}", error: nil))
            case .duplicate: continue
            }
        }
        return out
    }

    /// The next fire time after `now` across scheduled, unpaused pipelines.
    public func nextScheduled(after now: Date = Date()) async throws -> Date? {
        var best: Date?
        for p in try await store.pipelines() {
            guard let (cron, tz) = p.settings.activeSchedule, let n = cron.next(after: now, in: tz) else { continue }
            if best.map({ n < $0 }) ?? true { best = n }
        }
        return best
    }
}
