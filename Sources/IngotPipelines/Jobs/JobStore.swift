import Foundation
import GRDB
import IngotCore
import IngotStorage

enum JobSchema {
    static func createV1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE job_id_sequence (id INTEGER PRIMARY KEY AUTOINCREMENT);
                CREATE TABLE jobs (
                    job_id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    settings TEXT NOT NULL,
                    creator TEXT NOT NULL,
                    created_time INTEGER NOT NULL,
                    updated_time INTEGER NOT NULL,
                    schedule_anchor INTEGER NOT NULL
                );
                CREATE TABLE job_runs (
                    run_id INTEGER PRIMARY KEY NOT NULL,
                    job_id INTEGER REFERENCES jobs(job_id) ON DELETE CASCADE,
                    run_name TEXT NOT NULL,
                    run_type TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    scheduled_time INTEGER,
                    settings TEXT NOT NULL,
                    parameters TEXT NOT NULL,
                    life_cycle_state TEXT NOT NULL,
                    result_state TEXT,
                    state_message TEXT NOT NULL DEFAULT '',
                    start_time INTEGER NOT NULL,
                    end_time INTEGER,
                    creator TEXT NOT NULL,
                    repair_history TEXT NOT NULL DEFAULT '[]',
                    UNIQUE (job_id, scheduled_time)
                );
                CREATE INDEX job_runs_by_job ON job_runs(job_id, run_id);
                CREATE INDEX job_runs_by_state ON job_runs(life_cycle_state);
                CREATE TABLE job_task_runs (
                    task_run_id INTEGER PRIMARY KEY NOT NULL,
                    run_id INTEGER NOT NULL REFERENCES job_runs(run_id) ON DELETE CASCADE,
                    task_key TEXT NOT NULL,
                    life_cycle_state TEXT NOT NULL,
                    result_state TEXT,
                    state_message TEXT NOT NULL DEFAULT '',
                    attempt_number INTEGER NOT NULL DEFAULT 0,
                    start_time INTEGER,
                    end_time INTEGER,
                    attempts TEXT NOT NULL DEFAULT '[]',
                    output TEXT,
                    log_path TEXT,
                    UNIQUE (run_id, task_key)
                );
                """)
    }
}

/// Jobs, runs and task runs in the metadata store. Run and task-run ids share one sequence, so an id
/// names exactly one of them (Databricks' `runs/get-output` takes a task run's id).
public struct JobStore: Sendable {
    public let metadata: MetadataStore
    public init(metadata: MetadataStore) { self.metadata = metadata }

    static let activeStates = "('QUEUED', 'PENDING', 'RUNNING', 'TERMINATING', 'BLOCKED', 'WAITING_FOR_RETRY')"

    static func nextID(_ db: Database) throws -> Int64 {
        try db.execute(sql: "INSERT INTO job_id_sequence DEFAULT VALUES")
        return db.lastInsertedRowID
    }

    // MARK: Jobs

    public func createJob(_ settings: JobSettings, creator: String) async throws -> JobRecord {
        let now = Clock.nowMillis()
        return try await metadata.writer.write { db in
            try db.execute(
                sql: "INSERT INTO jobs (name, settings, creator, created_time, updated_time, schedule_anchor) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [settings.name ?? "Untitled", JobsJSON.encode(settings), creator, now, now, now])
            return JobRecord(jobID: db.lastInsertedRowID, settings: settings, creator: creator, createdTime: now, updatedTime: now, scheduleAnchor: now)
        }
    }

    /// Replaces a job's settings; `resetAnchor` restarts the schedule from now (schedule changed or unpaused).
    public func replaceJob(_ id: Int64, _ settings: JobSettings, resetAnchor: Bool) async throws {
        let now = Clock.nowMillis()
        try await metadata.writer.write { db in
            try db.execute(
                sql: "UPDATE jobs SET name = ?, settings = ?, updated_time = ?, schedule_anchor = CASE WHEN ? THEN ? ELSE schedule_anchor END WHERE job_id = ?",
                arguments: [settings.name ?? "Untitled", JobsJSON.encode(settings), now, resetAnchor, now, id])
            if db.changesCount == 0 { throw JobError.notFound("Job \(id) does not exist.") }
        }
    }

    public func deleteJob(_ id: Int64) async throws {
        try await metadata.writer.write { db in
            try db.execute(sql: "DELETE FROM jobs WHERE job_id = ?", arguments: [id])
            if db.changesCount == 0 { throw JobError.notFound("Job \(id) does not exist.") }
        }
    }

    static func job(_ row: Row) throws -> JobRecord {
        JobRecord(jobID: row["job_id"], settings: try JobsJSON.decode(JobSettings.self, row["settings"]), creator: row["creator"],
                  createdTime: row["created_time"], updatedTime: row["updated_time"], scheduleAnchor: row["schedule_anchor"])
    }

    public func job(_ id: Int64) async throws -> JobRecord {
        let rec = try await metadata.writer.read { db in try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE job_id = ?", arguments: [id]).map(Self.job) }
        guard let rec else { throw JobError.notFound("Job \(id) does not exist.") }
        return rec
    }

    /// Jobs ordered by id, optionally filtered by exact name.
    public func jobs(name: String? = nil, limit: Int = 1000, offset: Int = 0) async throws -> [JobRecord] {
        try await metadata.writer.read { db in
            if let name {
                return try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE name = ? ORDER BY job_id LIMIT ? OFFSET ?", arguments: [name, limit, offset]).map(Self.job)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY job_id LIMIT ? OFFSET ?", arguments: [limit, offset]).map(Self.job)
        }
    }

    // MARK: Runs

    /// What `createRun` did.
    public enum Creation: Sendable {
        case created(JobRunRecord)
        /// Over `max_concurrent_runs`: recorded as SKIPPED.
        case skipped(JobRunRecord)
        /// Another scheduler already created the run for this scheduled time.
        case duplicate
    }

    /// Creates a run and its task runs in one transaction. A scheduled run is unique per (job, scheduled
    /// time); beyond the job's concurrency limit the run is recorded as SKIPPED.
    public func createRun(
        jobID: Int64?, settings: JobSettings, parameters: [String: String], trigger: String, runType: String,
        scheduledTime: Int64? = nil, creator: String, runName: String? = nil
    ) async throws -> Creation {
        let now = Clock.nowMillis()
        do {
            return try await metadata.writer.write { db -> Creation in
                if let jobID, let scheduledTime,
                    try Int.fetchOne(db, sql: "SELECT 1 FROM job_runs WHERE job_id = ? AND scheduled_time = ?", arguments: [jobID, scheduledTime]) != nil
                {
                    return .duplicate
                }
                var skipped = false
                if let jobID {
                    guard try Int.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE job_id = ?", arguments: [jobID]) != nil else {
                        throw JobError.notFound("Job \(jobID) does not exist.")
                    }
                    let active = try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM job_runs WHERE job_id = ? AND life_cycle_state IN \(Self.activeStates)", arguments: [jobID]) ?? 0
                    skipped = active >= settings.concurrencyLimit
                }
                let runID = try Self.nextID(db)
                let state: LifeCycleState = skipped ? .skipped : .pending
                let message = skipped ? "Skipping this run because the limit of \(settings.concurrencyLimit) maximum concurrent runs has been reached." : ""
                var run = JobRunRecord(
                    runID: runID, jobID: jobID, runName: runName ?? settings.name ?? "Untitled", runType: runType, trigger: trigger,
                    scheduledTime: scheduledTime, settings: settings, parameters: parameters, lifeCycleState: state,
                    resultState: skipped ? .maximumConcurrentRunsReached : nil, stateMessage: message, startTime: now, endTime: skipped ? now : nil,
                    creator: creator, repairHistory: [], tasks: [])
                if !skipped {
                    for t in settings.tasks ?? [] {
                        let id = try Self.nextID(db)
                        run.tasks.append(TaskRunRecord(taskRunID: id, runID: runID, taskKey: t.taskKey, lifeCycleState: .pending, resultState: nil,
                                                       stateMessage: "", attemptNumber: 0, startTime: nil, endTime: nil, attempts: [], output: nil, logPath: nil))
                    }
                }
                run.repairHistory = [RepairEntry(id: nil, type: "ORIGINAL", startTime: now, endTime: run.endTime, taskRunIds: run.tasks.map(\.taskRunID),
                                                 lifeCycleState: state.rawValue, resultState: run.resultState?.rawValue)]
                try db.execute(
                    sql: """
                        INSERT INTO job_runs (run_id, job_id, run_name, run_type, trigger, scheduled_time, settings, parameters, life_cycle_state,
                            result_state, state_message, start_time, end_time, creator, repair_history)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [runID, jobID, run.runName, runType, trigger, scheduledTime, JobsJSON.encode(settings), JobsJSON.encode(parameters),
                                state.rawValue, run.resultState?.rawValue, message, now, run.endTime, creator, JobsJSON.encode(run.repairHistory)])
                for t in run.tasks { try Self.insertTask(db, t) }
                return skipped ? .skipped(run) : .created(run)
            }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT && scheduledTime != nil {
            return .duplicate
        }
    }

    static func insertTask(_ db: Database, _ t: TaskRunRecord) throws {
        try db.execute(
            sql: """
                INSERT INTO job_task_runs (task_run_id, run_id, task_key, life_cycle_state, result_state, state_message, attempt_number, start_time,
                    end_time, attempts, output, log_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [t.taskRunID, t.runID, t.taskKey, t.lifeCycleState.rawValue, t.resultState?.rawValue, t.stateMessage, t.attemptNumber, t.startTime,
                        t.endTime, JobsJSON.encode(t.attempts), t.output, t.logPath])
    }

    static func task(_ r: Row) throws -> TaskRunRecord {
        TaskRunRecord(
            taskRunID: r["task_run_id"], runID: r["run_id"], taskKey: r["task_key"],
            lifeCycleState: LifeCycleState(rawValue: r["life_cycle_state"]) ?? .internalError,
            resultState: (r["result_state"] as String?).flatMap(ResultState.init(rawValue:)), stateMessage: r["state_message"],
            attemptNumber: r["attempt_number"], startTime: r["start_time"], endTime: r["end_time"],
            attempts: (try? JobsJSON.decode([TaskAttempt].self, r["attempts"])) ?? [], output: r["output"], logPath: r["log_path"])
    }

    static func run(_ db: Database, _ r: Row) throws -> JobRunRecord {
        let id: Int64 = r["run_id"]
        let tasks = try Row.fetchAll(db, sql: "SELECT * FROM job_task_runs WHERE run_id = ?", arguments: [id]).map(Self.task)
        let settings = try JobsJSON.decode(JobSettings.self, r["settings"])
        let order = (settings.tasks ?? []).map(\.taskKey)
        return JobRunRecord(
            runID: id, jobID: r["job_id"], runName: r["run_name"], runType: r["run_type"], trigger: r["trigger"], scheduledTime: r["scheduled_time"],
            settings: settings, parameters: (try? JobsJSON.decode([String: String].self, r["parameters"])) ?? [:],
            lifeCycleState: LifeCycleState(rawValue: r["life_cycle_state"]) ?? .internalError,
            resultState: (r["result_state"] as String?).flatMap(ResultState.init(rawValue:)), stateMessage: r["state_message"],
            startTime: r["start_time"], endTime: r["end_time"], creator: r["creator"],
            repairHistory: (try? JobsJSON.decode([RepairEntry].self, r["repair_history"])) ?? [],
            tasks: tasks.sorted { (order.firstIndex(of: $0.taskKey) ?? 0) < (order.firstIndex(of: $1.taskKey) ?? 0) })
    }

    /// A run by its id.
    public func run(_ id: Int64) async throws -> JobRunRecord {
        let rec = try await metadata.writer.read { db in try Row.fetchOne(db, sql: "SELECT * FROM job_runs WHERE run_id = ?", arguments: [id]).map { try Self.run(db, $0) } }
        guard let rec else { throw JobError.notFound("Run \(id) does not exist.") }
        return rec
    }

    /// The run holding a task run (or the run itself when `id` is a run id).
    public func runHolding(_ id: Int64) async throws -> (JobRunRecord, TaskRunRecord?) {
        let parent = try await metadata.writer.read { db in try Int64.fetchOne(db, sql: "SELECT run_id FROM job_task_runs WHERE task_run_id = ?", arguments: [id]) }
        if let parent {
            let run = try await run(parent)
            return (run, run.tasks.first { $0.taskRunID == id })
        }
        return (try await run(id), nil)
    }

    /// Runs newest first.
    public func runs(jobID: Int64?, activeOnly: Bool = false, completedOnly: Bool = false, limit: Int = 25, offset: Int = 0) async throws -> [JobRunRecord] {
        try await metadata.writer.read { db in
            var sql = "SELECT * FROM job_runs WHERE 1 = 1"
            var args: [any DatabaseValueConvertible] = []
            if let jobID {
                sql += " AND job_id = ?"
                args.append(jobID)
            }
            if activeOnly { sql += " AND life_cycle_state IN \(Self.activeStates)" }
            if completedOnly { sql += " AND life_cycle_state NOT IN \(Self.activeStates)" }
            sql += " ORDER BY run_id DESC LIMIT ? OFFSET ?"
            args += [limit, offset]
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { try Self.run(db, $0) }
        }
    }

    public func setRunState(_ id: Int64, _ state: LifeCycleState, result: ResultState? = nil, message: String? = nil) async throws {
        let now = Clock.nowMillis()
        try await metadata.writer.write { db in
            let final = state.isFinal
            try db.execute(
                sql: """
                    UPDATE job_runs SET life_cycle_state = ?, result_state = ?, state_message = COALESCE(?, state_message),
                        end_time = CASE WHEN ? THEN ? ELSE NULL END WHERE run_id = ?
                    """,
                arguments: [state.rawValue, result?.rawValue, message, final, now, id])
            // Keep the latest repair-history entry in step.
            if let text = try String.fetchOne(db, sql: "SELECT repair_history FROM job_runs WHERE run_id = ?", arguments: [id]),
                var history = try? JobsJSON.decode([RepairEntry].self, text), !history.isEmpty
            {
                history[history.count - 1].lifeCycleState = state.rawValue
                history[history.count - 1].resultState = result?.rawValue
                history[history.count - 1].endTime = final ? now : nil
                try db.execute(sql: "UPDATE job_runs SET repair_history = ? WHERE run_id = ?", arguments: [JobsJSON.encode(history), id])
            }
        }
    }

    public func saveTask(_ t: TaskRunRecord) async throws {
        try await metadata.writer.write { db in
            try db.execute(
                sql: """
                    UPDATE job_task_runs SET life_cycle_state = ?, result_state = ?, state_message = ?, attempt_number = ?, start_time = ?, end_time = ?,
                        attempts = ?, output = ?, log_path = ? WHERE task_run_id = ?
                    """,
                arguments: [t.lifeCycleState.rawValue, t.resultState?.rawValue, t.stateMessage, t.attemptNumber, t.startTime, t.endTime,
                            JobsJSON.encode(t.attempts), t.output, t.logPath, t.taskRunID])
        }
    }

    /// Starts a repair: the named tasks get fresh task-run ids and go back to PENDING; the run becomes
    /// PENDING again with a new repair-history entry. Returns the repair id.
    public func startRepair(_ runID: Int64, tasks keys: Set<String>, parameters: [String: String]) async throws -> Int64 {
        let now = Clock.nowMillis()
        return try await metadata.writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM job_runs WHERE run_id = ?", arguments: [runID]) else {
                throw JobError.notFound("Run \(runID) does not exist.")
            }
            let run = try Self.run(db, row)
            guard run.lifeCycleState.isFinal else { throw JobError(.invalidState, "Run \(runID) is still \(run.lifeCycleState.rawValue); only a finished run can be repaired.") }
            if let jobID = run.jobID {
                let active = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job_runs WHERE job_id = ? AND life_cycle_state IN \(Self.activeStates)", arguments: [jobID]) ?? 0
                if active >= run.settings.concurrencyLimit {
                    throw JobError(.invalidState, "Job \(jobID) already has \(active) active run(s), its max_concurrent_runs.")
                }
            }
            let repairID = try Self.nextID(db)
            var ids: [Int64] = []
            for t in run.tasks where keys.contains(t.taskKey) {
                let id = try Self.nextID(db)
                ids.append(id)
                try db.execute(
                    sql: """
                        UPDATE job_task_runs SET task_run_id = ?, life_cycle_state = 'PENDING', result_state = NULL, state_message = '', attempt_number = 0,
                            start_time = NULL, end_time = NULL, attempts = '[]', output = NULL WHERE task_run_id = ?
                        """, arguments: [id, t.taskRunID])
            }
            var history = run.repairHistory
            history.append(RepairEntry(id: repairID, type: "REPAIR", startTime: now, endTime: nil, taskRunIds: ids, lifeCycleState: "PENDING", resultState: nil))
            var params = run.parameters
            params.merge(parameters) { _, new in new }
            try db.execute(
                sql: """
                    UPDATE job_runs SET life_cycle_state = 'PENDING', result_state = NULL, state_message = '', end_time = NULL, repair_history = ?,
                        parameters = ? WHERE run_id = ?
                    """,
                arguments: [JobsJSON.encode(history), JobsJSON.encode(params), runID])
            return repairID
        }
    }

    public func deleteRun(_ id: Int64) async throws {
        try await metadata.writer.write { db in
            guard let state = try String.fetchOne(db, sql: "SELECT life_cycle_state FROM job_runs WHERE run_id = ?", arguments: [id]) else {
                throw JobError.notFound("Run \(id) does not exist.")
            }
            if !(LifeCycleState(rawValue: state)?.isFinal ?? true) { throw JobError(.invalidState, "Run \(id) is active (\(state)); cancel it before deleting it.") }
            try db.execute(sql: "DELETE FROM job_runs WHERE run_id = ?", arguments: [id])
        }
    }

    /// Marks every active run not in `running` (and its unfinished tasks) as INTERNAL_ERROR / FAILED:
    /// they were left by a server that stopped. Returns how many runs were marked.
    @discardableResult
    public func failInterruptedRuns(except running: Set<Int64> = []) async throws -> Int {
        let now = Clock.nowMillis()
        let message = "the server stopped during the run"
        return try await metadata.writer.write { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT run_id FROM job_runs WHERE life_cycle_state IN \(Self.activeStates)").filter { !running.contains($0) }
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE job_task_runs SET life_cycle_state = 'INTERNAL_ERROR', result_state = 'FAILED', state_message = ?, end_time = ?
                        WHERE run_id = ? AND life_cycle_state IN \(Self.activeStates)
                        """, arguments: [message, now, id])
                try db.execute(
                    sql: "UPDATE job_runs SET life_cycle_state = 'INTERNAL_ERROR', result_state = 'FAILED', state_message = ?, end_time = ? WHERE run_id = ?",
                    arguments: [message, now, id])
            }
            return ids.count
        }
    }

    /// Records that the server stopped during a run: the run and its tasks that did not finish on their
    /// own (still active, or canceled by the stop) become INTERNAL_ERROR / FAILED.
    public func markStopped(_ runID: Int64) async throws {
        let now = Clock.nowMillis()
        let message = "the server stopped during the run"
        try await metadata.writer.write { db in
            try db.execute(
                sql: """
                    UPDATE job_task_runs SET life_cycle_state = 'INTERNAL_ERROR', result_state = 'FAILED', state_message = ?, end_time = ?
                    WHERE run_id = ? AND (life_cycle_state IN \(Self.activeStates) OR result_state IN ('CANCELED', 'UPSTREAM_CANCELED'))
                    """, arguments: [message, now, runID])
            try db.execute(
                sql: "UPDATE job_runs SET life_cycle_state = 'INTERNAL_ERROR', result_state = 'FAILED', state_message = ?, end_time = ? WHERE run_id = ?",
                arguments: [message, now, runID])
        }
    }

    /// The latest scheduled time a run was created for.
    public func lastScheduledTime(_ jobID: Int64) async throws -> Int64? {
        try await metadata.writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(scheduled_time) FROM job_runs WHERE job_id = ?", arguments: [jobID]) }
    }
}
