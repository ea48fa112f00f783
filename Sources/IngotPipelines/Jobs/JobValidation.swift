import Foundation

/// Checks job settings before they are stored or run; every error names the task at fault.
public enum JobValidation {
    public static func isValidTaskKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 100 && key.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "_" || $0 == "-" }
    }

    /// Validates settings.
    /// - Parameter requireTasks: runs need at least one task; a stored job may have none yet.
    public static func validate(_ s: JobSettings, requireTasks: Bool = false) throws {
        if let name = s.name, name.count > 4096 { throw JobError.invalid("name is longer than 4096 characters") }
        if let m = s.maxConcurrentRuns, !(0...1000).contains(m) { throw JobError.invalid("max_concurrent_runs must be in 0...1000, got \(m)") }
        if let sched = s.schedule {
            _ = try QuartzCron(sched.quartzCronExpression)
            if sched.timeZone == nil { throw JobError(.badCron, "schedule.timezone_id '\(sched.timezoneId ?? "")' is not a known time zone") }
            if let p = sched.pauseStatus, p != "PAUSED" && p != "UNPAUSED" { throw JobError.invalid("schedule.pause_status must be PAUSED or UNPAUSED, got '\(p)'") }
        }
        var names = Set<String>()
        for p in s.parameters ?? [] {
            if p.name.isEmpty { throw JobError.invalid("a job parameter has an empty name") }
            if !names.insert(p.name).inserted { throw JobError.invalid("job parameter '\(p.name)' is defined twice") }
        }
        let tasks = s.tasks ?? []
        if requireTasks && tasks.isEmpty { throw JobError.invalid("the job has no tasks") }
        var keys = Set<String>()
        for t in tasks {
            guard isValidTaskKey(t.taskKey) else {
                throw JobError.invalid("task_key '\(t.taskKey)' is invalid: use 1-100 letters, digits, '_' or '-'")
            }
            guard keys.insert(t.taskKey).inserted else { throw JobError(.duplicateTaskKey, "task_key '\(t.taskKey)' is used by more than one task") }
        }
        for t in tasks {
            if let r = t.runIf, RunIf(rawValue: r) == nil {
                throw JobError.invalid("task '\(t.taskKey)': run_if '\(r)' is not one of \(RunIf.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let m = t.maxRetries, m < -1 { throw JobError.invalid("task '\(t.taskKey)': max_retries must be -1 (unlimited) or >= 0") }
            if let m = t.minRetryIntervalMillis, m < 0 { throw JobError.invalid("task '\(t.taskKey)': min_retry_interval_millis must be >= 0") }
            if let m = t.timeoutSeconds, m < 0 { throw JobError.invalid("task '\(t.taskKey)': timeout_seconds must be >= 0") }
            guard let kind = t.kind else {
                throw JobError.invalid("task '\(t.taskKey)' must have exactly one of pipeline_task, sql_task, spark_python_task, python_task, shell_command_task")
            }
            if ["notebook_task", "python_wheel_task", "spark_jar_task", "run_job_task"].contains(kind) {
                throw JobError(.unsupported, "task '\(t.taskKey)': \(kind) is not supported by Ingot; use python_task, spark_python_task, sql_task, pipeline_task or shell_command_task")
            }
            if let sql = t.sqlTask {
                let n = (sql.query != nil ? 1 : 0) + (sql.file != nil ? 1 : 0) + (sql.statement != nil ? 1 : 0)
                if n != 1 { throw JobError.invalid("task '\(t.taskKey)': sql_task needs exactly one of file, statement, query") }
                if sql.query != nil { throw JobError(.unsupported, "task '\(t.taskKey)': sql_task.query (saved queries) is not supported; use file {path} or statement") }
            }
            if let p = t.pythonTask ?? t.sparkPythonTask, p.pythonFile.isEmpty { throw JobError.invalid("task '\(t.taskKey)': python_file is required") }
            if let c = t.shellCommandTask, c.command.isEmpty { throw JobError.invalid("task '\(t.taskKey)': shell_command_task.command is empty") }
            for d in t.dependencies {
                if d == t.taskKey { throw JobError(.cycle, "task '\(t.taskKey)' depends on itself") }
                if !keys.contains(d) { throw JobError(.unknownDependency, "task '\(t.taskKey)' depends on unknown task '\(d)'") }
            }
        }
        if let cycle = findCycle(tasks) {
            throw JobError(.cycle, "tasks form a dependency cycle: \(cycle.joined(separator: " -> "))")
        }
    }

    /// A cycle in `depends_on`, as the task keys along it (first key repeated at the end).
    static func findCycle(_ tasks: [JobTask]) -> [String]? {
        let deps = Dictionary(tasks.map { ($0.taskKey, $0.dependencies) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        func visit(_ k: String) -> [String]? {
            if state[k] == 2 { return nil }
            if state[k] == 1 {
                let i = stack.firstIndex(of: k) ?? 0
                return Array(stack[i...]) + [k]
            }
            state[k] = 1
            stack.append(k)
            for d in deps[k] ?? [] where deps[d] != nil {
                if let c = visit(d) { return c }
            }
            stack.removeLast()
            state[k] = 2
            return nil
        }
        for t in tasks { if let c = visit(t.taskKey) { return c } }
        return nil
    }

    /// The tasks downstream of `keys` (transitively), including `keys`.
    public static func withDependents(_ keys: Set<String>, in tasks: [JobTask]) -> Set<String> {
        var out = keys
        var changed = true
        while changed {
            changed = false
            for t in tasks where !out.contains(t.taskKey) && t.dependencies.contains(where: out.contains) {
                out.insert(t.taskKey)
                changed = true
            }
        }
        return out
    }

    /// Whether a task whose dependencies ended with `upstream` runs, and if not, its result state.
    public static func evaluate(_ condition: RunIf, upstream: [ResultState]) -> ResultState? {
        if upstream.isEmpty { return nil }
        let ok = upstream.filter(\.succeeded).count
        let failed = upstream.filter(\.failedLike).count
        let canceled = upstream.contains { $0 == .canceled || $0 == .upstreamCanceled }
        switch condition {
        case .allSuccess: return ok == upstream.count ? nil : (canceled && failed == 0 ? .upstreamCanceled : .upstreamFailed)
        case .allDone: return nil
        case .noneFailed: return failed == 0 ? (canceled ? .upstreamCanceled : nil) : .upstreamFailed
        case .atLeastOneSuccess: return ok > 0 ? nil : (canceled && failed == 0 ? .upstreamCanceled : .upstreamFailed)
        case .allFailed: return failed == upstream.count ? nil : .excluded
        case .atLeastOneFailed: return failed > 0 ? nil : .excluded
        }
    }
}
