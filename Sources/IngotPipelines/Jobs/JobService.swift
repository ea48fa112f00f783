import Foundation
import IngotCore
import IngotStorage

/// Jobs as the server offers them: CRUD with validation, run-now / submit, cancel, repair, and the
/// scheduling decisions the server's scheduler loop asks for.
///
/// Missed schedules: a job fires only for times after its schedule anchor (creation, schedule change or
/// unpause) and after its last scheduled run. When the server was down over one or more fire times,
/// the most recent of them (which by construction lies within one schedule period of now) runs once
/// when the scheduler starts; older missed times are dropped, never run as a backlog. Every scheduled
/// run records its scheduled time under a UNIQUE (job_id, scheduled_time) constraint in the transaction
/// that creates it, so no scheduled time runs twice, even with two schedulers on one database.
public final class JobService: Sendable {
    public let store: JobStore
    public let runner: JobRunner

    public init(metadata: MetadataStore, environment: JobEnvironment, pipelines: (any PipelineTaskRunning)? = nil, sql: (any SQLTaskRunning)? = nil) {
        store = JobStore(metadata: metadata)
        runner = JobRunner(store: store, environment: environment, pipelines: pipelines, sql: sql)
    }

    // MARK: Jobs

    public func create(_ settings: JobSettings, creator: String) async throws -> JobRecord {
        try JobValidation.validate(settings)
        return try await store.createJob(settings, creator: creator)
    }

    public func get(_ id: Int64) async throws -> JobRecord { try await store.job(id) }

    public func list(name: String? = nil, limit: Int = 20, offset: Int = 0) async throws -> [JobRecord] {
        try await store.jobs(name: name, limit: limit, offset: offset)
    }

    /// Partial update (`jobs/update`): top-level fields replace, `tasks` merge by task_key, and
    /// `fields_to_remove` drops top-level fields or `tasks/<task_key>`.
    public func update(_ id: Int64, newSettings: JobSettings?, fieldsToRemove: [String] = []) async throws -> JobRecord {
        let job = try await store.job(id)
        var s = job.settings
        if let new = newSettings {
            var merged = s.merged(with: new)
            if let newTasks = new.tasks {
                var tasks = s.tasks ?? []
                for t in newTasks {
                    if let i = tasks.firstIndex(where: { $0.taskKey == t.taskKey }) { tasks[i] = t } else { tasks.append(t) }
                }
                merged.tasks = tasks
            }
            s = merged
        }
        for f in fieldsToRemove {
            switch f {
            case "schedule": s.schedule = nil
            case "tags": s.tags = nil
            case "parameters": s.parameters = nil
            case "description": s.description = nil
            case "timeout_seconds": s.timeoutSeconds = nil
            case "max_concurrent_runs": s.maxConcurrentRuns = nil
            default:
                if f.hasPrefix("tasks/") {
                    let key = String(f.dropFirst(6))
                    s.tasks?.removeAll { $0.taskKey == key }
                } else {
                    throw JobError.invalid("fields_to_remove: '\(f)' cannot be removed")
                }
            }
        }
        return try await replace(job, s)
    }

    /// Full replacement (`jobs/reset`).
    public func reset(_ id: Int64, newSettings: JobSettings) async throws -> JobRecord {
        try await replace(try await store.job(id), newSettings)
    }

    func replace(_ job: JobRecord, _ s: JobSettings) async throws -> JobRecord {
        try JobValidation.validate(s)
        let old = job.settings.schedule, new = s.schedule
        let resetAnchor = old?.quartzCronExpression != new?.quartzCronExpression || old?.timezoneId != new?.timezoneId
            || ((old?.paused ?? true) && !(new?.paused ?? true))
        try await store.replaceJob(job.jobID, s, resetAnchor: resetAnchor)
        return try await store.job(job.jobID)
    }

    /// Sets a job's schedule pause status.
    public func setPaused(_ id: Int64, _ paused: Bool) async throws -> JobRecord {
        let job = try await store.job(id)
        guard var schedule = job.settings.schedule else { throw JobError.invalid("Job \(id) has no schedule to pause or unpause.") }
        schedule.pauseStatus = paused ? "PAUSED" : "UNPAUSED"
        var s = job.settings
        s.schedule = schedule
        return try await replace(job, s)
    }

    /// Deletes a job after canceling its active runs.
    public func delete(_ id: Int64) async throws {
        _ = try await store.job(id)
        for r in try await store.runs(jobID: id, activeOnly: true, limit: 1000) { try? await cancel(r.runID) }
        try await store.deleteJob(id)
    }

    // MARK: Runs

    /// Job parameters for a run: the job's defaults overridden by the caller's values.
    public static func parameters(_ settings: JobSettings, overrides: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for p in settings.parameters ?? [] { out[p.name] = p.default }
        out.merge(overrides) { _, new in new }
        return out
    }

    /// Starts a run of a job now.
    @discardableResult
    public func runNow(_ jobID: Int64, parameters overrides: [String: String] = [:], creator: String) async throws -> JobRunRecord {
        let job = try await store.job(jobID)
        try JobValidation.validate(job.settings, requireTasks: true)
        let creation = try await store.createRun(
            jobID: jobID, settings: job.settings, parameters: Self.parameters(job.settings, overrides: overrides), trigger: "ONE_TIME", runType: "JOB_RUN",
            creator: creator)
        return try await started(creation)
    }

    /// A one-time run of tasks that belong to no job (`runs/submit`).
    public func submit(_ settings: JobSettings, runName: String?, creator: String) async throws -> JobRunRecord {
        try JobValidation.validate(settings, requireTasks: true)
        let creation = try await store.createRun(
            jobID: nil, settings: settings, parameters: Self.parameters(settings, overrides: [:]), trigger: "ONE_TIME", runType: "SUBMIT_RUN",
            creator: creator, runName: runName)
        return try await started(creation)
    }

    func started(_ creation: JobStore.Creation) async throws -> JobRunRecord {
        switch creation {
        case .created(let run):
            await runner.launch(run.runID)
            return run
        case .skipped(let run): return run
        case .duplicate: throw JobError(.invalidState, "a run for this scheduled time already exists")
        }
    }

    /// Cancels a run. A run no process is executing (left by a stopped server) is marked canceled directly.
    public func cancel(_ runID: Int64) async throws {
        let run = try await store.run(runID)
        guard !run.lifeCycleState.isFinal else { return }
        if await runner.cancel(runID) {
            try? await store.setRunState(runID, .terminating, message: "Cancel requested.")
            return
        }
        try await store.setRunState(runID, .terminated, result: .canceled, message: "The run was canceled.")
    }

    /// Repairs a finished run: re-runs `rerunTasks` (or, with `rerunAllFailed`, every task that did not
    /// succeed) and, unless `rerunDependents` is false for explicit tasks, all their dependents; successful
    /// tasks keep their results. Returns the repair id.
    public func repair(_ runID: Int64, rerunTasks: [String]? = nil, rerunAllFailed: Bool = false, rerunDependents: Bool = true,
                       parameters: [String: String] = [:]) async throws -> Int64 {
        let run = try await store.run(runID)
        let selected = try Self.repairSelection(run, rerunTasks: rerunTasks, rerunAllFailed: rerunAllFailed, rerunDependents: rerunDependents)
        guard !selected.isEmpty else { throw JobError.invalid("Run \(runID) has no failed tasks to repair.") }
        let repairID = try await store.startRepair(runID, tasks: selected, parameters: parameters)
        await runner.launch(runID)
        return repairID
    }

    /// The task keys a repair re-runs.
    public static func repairSelection(_ run: JobRunRecord, rerunTasks: [String]?, rerunAllFailed: Bool, rerunDependents: Bool) throws -> Set<String> {
        let tasks = run.settings.tasks ?? []
        let keys = Set(tasks.map(\.taskKey))
        var base = Set<String>()
        if let rerunTasks, !rerunTasks.isEmpty {
            for k in rerunTasks where !keys.contains(k) { throw JobError.invalid("rerun_tasks: run \(run.runID) has no task '\(k)'") }
            base = Set(rerunTasks)
            if rerunAllFailed { base.formUnion(run.tasks.filter { !($0.resultState?.succeeded ?? false) }.map(\.taskKey)) }
            return rerunDependents ? JobValidation.withDependents(base, in: tasks) : base
        }
        // Default (and rerun_all_failed_tasks): every task that did not succeed, plus its dependents.
        base = Set(run.tasks.filter { !($0.resultState?.succeeded ?? false) || $0.resultState == .excluded }.map(\.taskKey))
        return JobValidation.withDependents(base, in: tasks)
    }

    public func deleteRun(_ runID: Int64) async throws { try await store.deleteRun(runID) }

    /// Marks runs left active by a stopped server as INTERNAL_ERROR ("the server stopped during the run").
    @discardableResult
    public func recoverInterruptedRuns() async throws -> Int {
        try await store.failInterruptedRuns(except: await runner.activeRunIDs())
    }

    // MARK: Scheduling

    /// Creates (and starts) the run due for each unpaused scheduled job at `now`: the latest fire time
    /// after the job's anchor and last scheduled run, if any.
    /// - Returns: the runs created (including SKIPPED ones over the concurrency limit).
    @discardableResult
    public func scheduleDue(now: Date = Date()) async throws -> [JobRunRecord] {
        var out: [JobRunRecord] = []
        for job in try await store.jobs(limit: 100_000) {
            guard let sched = job.settings.schedule, !sched.paused, let cron = try? QuartzCron(sched.quartzCronExpression), let tz = sched.timeZone,
                !(job.settings.tasks ?? []).isEmpty
            else { continue }
            let last = try await store.lastScheduledTime(job.jobID) ?? 0
            let anchor = Date(timeIntervalSince1970: Double(max(job.scheduleAnchor, last)) / 1000)
            guard let due = cron.latest(notAfter: now, notBefore: anchor, in: tz) else { continue }
            let creation = try await store.createRun(
                jobID: job.jobID, settings: job.settings, parameters: Self.parameters(job.settings, overrides: [:]), trigger: "PERIODIC", runType: "JOB_RUN",
                scheduledTime: Int64((due.timeIntervalSince1970 * 1000).rounded()), creator: job.creator)
            switch creation {
            case .created(let run):
                await runner.launch(run.runID)
                out.append(run)
            case .skipped(let run): out.append(run)
            case .duplicate: break
            }
        }
        return out
    }

    /// The next fire time after `now` across unpaused scheduled jobs.
    public func nextDue(after now: Date = Date()) async throws -> Date? {
        var best: Date?
        for job in try await store.jobs(limit: 100_000) {
            guard let sched = job.settings.schedule, !sched.paused, let cron = try? QuartzCron(sched.quartzCronExpression), let tz = sched.timeZone
            else { continue }
            let anchor = Date(timeIntervalSince1970: Double(job.scheduleAnchor) / 1000)
            if let n = cron.next(after: max(now, anchor), in: tz), best.map({ n < $0 }) ?? true { best = n }
        }
        return best
    }
}
