import Foundation
import IngotCore

/// Executes runs: a DAG of task runs, started as their dependencies finish (up to
/// `maxParallelTasks` at once), each with its run_if condition, retries and timeout.
public final class JobRunner: Sendable {
    public let store: JobStore
    public let environment: JobEnvironment
    let pipelines: (any PipelineTaskRunning)?
    let sql: (any SQLTaskRunning)?
    let active = ActiveRuns()

    /// The runs this process is executing, with their tasks (to cancel them).
    actor ActiveRuns {
        var tasks: [Int64: Task<Void, Never>] = [:]
        var ids: Set<Int64> { Set(tasks.keys) }

        func start(_ id: Int64, _ body: @escaping @Sendable () async -> Void) {
            guard tasks[id] == nil else { return }
            tasks[id] = Task.detached {
                await body()
                await self.remove(id)
            }
        }
        func remove(_ id: Int64) { tasks[id] = nil }
        func cancel(_ id: Int64) -> Bool {
            guard let t = tasks[id] else { return false }
            t.cancel()
            return true
        }
        func wait(_ id: Int64) async { await tasks[id]?.value }

        /// Set when the server stops: runs end as INTERNAL_ERROR rather than CANCELED.
        var stopping = false
        func stopAll() -> [Task<Void, Never>] {
            stopping = true
            for t in tasks.values { t.cancel() }
            return Array(tasks.values)
        }
    }

    public init(store: JobStore, environment: JobEnvironment, pipelines: (any PipelineTaskRunning)?, sql: (any SQLTaskRunning)?) {
        self.store = store
        self.environment = environment
        self.pipelines = pipelines
        self.sql = sql
    }

    /// Starts executing a run in the background.
    public func launch(_ runID: Int64) async {
        await active.start(runID) { [self] in await execute(runID) }
    }

    /// Waits for a run this process is executing (tests).
    public func wait(_ runID: Int64) async { await active.wait(runID) }

    public func activeRunIDs() async -> Set<Int64> { await active.ids }

    /// Stops every run this process executes (the server is stopping): task processes get SIGTERM
    /// (then SIGKILL), and the runs are recorded as INTERNAL_ERROR "the server stopped during the run".
    /// - Parameter timeout: seconds to wait for the runs to wind down.
    public func shutdown(timeout: Double) async {
        let tasks = await active.stopAll()
        guard !tasks.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for t in tasks { await t.value } }
            group.addTask { try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000)) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Cancels a run: its running tasks are stopped (processes get SIGTERM, then SIGKILL).
    /// - Returns: false when this process is not executing the run.
    public func cancel(_ runID: Int64) async -> Bool { await active.cancel(runID) }

    // MARK: The run

    /// Store writes run outside the (possibly canceled) run task: GRDB refuses work in a canceled task,
    /// and a canceled run must still record how it ended.
    func save(_ rec: TaskRunRecord) async {
        let store = self.store
        await Task.detached { try? await store.saveTask(rec) }.value
    }

    func setRun(_ id: Int64, _ state: LifeCycleState, result: ResultState? = nil, message: String? = nil) async throws {
        let store = self.store
        try await Task.detached { try await store.setRunState(id, state, result: result, message: message) }.value
    }

    func execute(_ runID: Int64) async {
        do {
            try await executeDAG(runID)
        } catch {
            try? await setRun(runID, .internalError, result: .failed, message: "internal error: \(error)")
        }
    }

    func executeDAG(_ runID: Int64) async throws {
        let run = try await store.run(runID)
        try await setRun(runID, .running, message: "")
        let defs = Dictionary((run.settings.tasks ?? []).map { ($0.taskKey, $0) }, uniquingKeysWith: { a, _ in a })
        var records = Dictionary(run.tasks.map { ($0.taskKey, $0) }, uniquingKeysWith: { a, _ in a })
        var results: [String: ResultState] = [:]
        for t in run.tasks where t.lifeCycleState.isFinal { results[t.taskKey] = t.resultState ?? .failed }
        var pending = (run.settings.tasks ?? []).map(\.taskKey).filter { records[$0].map { !$0.lifeCycleState.isFinal } ?? false }
        let limit = max(1, environment.maxParallelTasks)
        let parameters = run.parameters

        await withTaskGroup(of: TaskRunRecord.self) { group in
            var running = 0
            func schedule() async {
                var progress = true
                while progress {
                    progress = false
                    for key in pending {
                        guard let def = defs[key], var rec = records[key] else { continue }
                        if Task.isCancelled {
                            rec.lifeCycleState = .skipped
                            rec.resultState = .canceled
                            rec.stateMessage = "The run was canceled before this task started."
                            rec.endTime = Clock.nowMillis()
                            await save(rec)
                            results[key] = .canceled
                            records[key] = rec
                            pending.removeAll { $0 == key }
                            progress = true
                            break
                        }
                        let deps = def.dependencies
                        guard deps.allSatisfy({ results[$0] != nil }) else { continue }
                        if let skip = JobValidation.evaluate(def.condition, upstream: deps.compactMap { results[$0] }) {
                            rec.lifeCycleState = .skipped
                            rec.resultState = skip
                            rec.stateMessage = skip == .excluded
                                ? "run_if \(def.condition.rawValue) was not met; the task was excluded."
                                : "Upstream task(s) did not succeed (run_if \(def.condition.rawValue))."
                            rec.endTime = Clock.nowMillis()
                            await save(rec)
                            results[key] = skip
                            records[key] = rec
                            pending.removeAll { $0 == key }
                            progress = true
                            break
                        }
                        guard running < limit else { continue }
                        pending.removeAll { $0 == key }
                        running += 1
                        let start = rec
                        group.addTask { [self] in await runTask(def, start, run: run, parameters: parameters) }
                        progress = true
                        break
                    }
                }
            }
            await schedule()
            while running > 0, let done = await group.next() {
                running -= 1
                records[done.taskKey] = done
                results[done.taskKey] = done.resultState ?? .failed
                await schedule()
            }
        }

        if await active.stopping {
            let store = self.store
            try await Task.detached { try await store.markStopped(runID) }.value
            return
        }
        // The run's result follows its leaf tasks (those nothing depends on).
        let canceled = Task.isCancelled || results.values.contains(.canceled)
        let allKeys = (run.settings.tasks ?? []).map(\.taskKey)
        let depended = Set((run.settings.tasks ?? []).flatMap(\.dependencies))
        let leaves = allKeys.filter { !depended.contains($0) }
        let leafOK = leaves.allSatisfy { results[$0]?.succeeded ?? false }
        let anyFailed = results.values.contains { !$0.succeeded }
        let result: ResultState
        let message: String
        if canceled {
            result = .canceled
            message = "The run was canceled."
        } else if leafOK {
            result = anyFailed ? .successWithFailures : .success
            message = ""
        } else {
            let bad = allKeys.filter { results[$0] == .failed || results[$0] == .timedOut }
            result = bad.allSatisfy { results[$0] == .timedOut } && !bad.isEmpty ? .timedOut : .failed
            message = bad.isEmpty ? "Some tasks did not succeed." : "Task \(bad.joined(separator: ", ")) \(result == .timedOut ? "timed out" : "failed")."
        }
        try await setRun(runID, .terminated, result: result, message: message)
    }

    // MARK: One task, with retries and timeout

    func runTask(_ def: JobTask, _ start: TaskRunRecord, run: JobRunRecord, parameters: [String: String]) async -> TaskRunRecord {
        var rec = start
        let maxRetries = def.maxRetries.map { $0 < 0 ? 1_000_000 : $0 } ?? 0
        var attempt = 0
        let log: URL
        do { log = try environment.logURL(runID: run.runID, taskKey: def.taskKey) } catch {
            rec.lifeCycleState = .internalError
            rec.resultState = .failed
            rec.stateMessage = "\(error)"
            await save(rec)
            return rec
        }
        rec.logPath = log.path
        rec.startTime = Clock.nowMillis()
        while true {
            let begun = Clock.nowMillis()
            rec.attemptNumber = attempt
            rec.lifeCycleState = .running
            rec.stateMessage = attempt == 0 ? "" : "Retry attempt \(attempt)"
            rec.attempts.append(TaskAttempt(attemptNumber: attempt, startTime: begun))
            await save(rec)
            let context = JobTaskContext(jobID: run.jobID, runID: run.runID, taskRunID: rec.taskRunID, taskKey: def.taskKey, attempt: attempt,
                                         parameters: parameters, principal: run.creator, logURL: log)
            appendLog(log, "=== \(def.taskKey) attempt \(attempt) started \(ISO8601DateFormatter().string(from: Date())) ===\n")
            let (state, message, output) = await attemptOnce(def, context: context)
            ProcessTask.trim(log, limit: environment.logTailBytes)
            let ended = Clock.nowMillis()
            rec.attempts[rec.attempts.count - 1].endTime = ended
            rec.attempts[rec.attempts.count - 1].resultState = state.rawValue
            rec.attempts[rec.attempts.count - 1].message = message
            rec.output = output ?? rec.output
            let retryable = state == .failed || (state == .timedOut && (def.retryOnTimeout ?? false))
            if retryable && attempt < maxRetries && !Task.isCancelled {
                rec.lifeCycleState = .waitingForRetry
                rec.resultState = nil
                rec.stateMessage = "Attempt \(attempt) \(state.rawValue): \(message)"
                await save(rec)
                let wait = UInt64(max(0, def.minRetryIntervalMillis ?? 0)) * 1_000_000
                if wait > 0 { try? await Task.sleep(nanoseconds: wait) }
                if Task.isCancelled {
                    rec.lifeCycleState = .terminated
                    rec.resultState = .canceled
                    rec.stateMessage = "The run was canceled while the task waited to retry."
                    rec.endTime = Clock.nowMillis()
                    await save(rec)
                    return rec
                }
                attempt += 1
                continue
            }
            rec.lifeCycleState = .terminated
            rec.resultState = state
            rec.stateMessage = message
            rec.endTime = ended
            await save(rec)
            return rec
        }
    }

    func appendLog(_ url: URL, _ text: String) {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let h = try? FileHandle(forWritingTo: url) {
            _ = try? h.seekToEnd()
            try? h.write(contentsOf: Data(text.utf8))
            try? h.close()
        } else {
            try? Data(text.utf8).write(to: url)
        }
    }

    /// One attempt, bounded by the task's timeout.
    func attemptOnce(_ def: JobTask, context: JobTaskContext) async -> (ResultState, String, String?) {
        let timeout = def.timeoutSeconds ?? 0
        return await withTaskGroup(of: (ResultState, String, String?)?.self) { group in
            group.addTask { [self] in await body(def, context: context) }
            if timeout > 0 {
                group.addTask {
                    do { try await Task.sleep(nanoseconds: UInt64(timeout) * 1_000_000_000) } catch { return nil }
                    return (.timedOut, "The task timed out after \(timeout) seconds.", nil)
                }
            }
            var outcome: (ResultState, String, String?) = (.canceled, "canceled", nil)
            for await r in group {
                if let r {
                    outcome = r
                    group.cancelAll()
                    break
                }
            }
            if outcome.0 == .timedOut { appendLog(context.logURL, "=== timed out after \(timeout) s: stopped ===\n") }
            return outcome
        }
    }

    func body(_ def: JobTask, context: JobTaskContext) async -> (ResultState, String, String?) {
        do {
            if let p = def.pythonTask ?? def.sparkPythonTask {
                let args = [environment.python, context.substitute(p.pythonFile)] + (p.parameters ?? []).map(context.substitute)
                return try await process(args, context)
            }
            if let s = def.shellCommandTask {
                return try await process(["/bin/sh", "-c", context.substitute(s.command)], context)
            }
            if let p = def.pipelineTask {
                guard let pipelines else { throw JobError(.unsupported, "pipeline tasks are not available in this process") }
                let out = try await pipelines.runPipeline(id: context.substitute(p.pipelineId), fullRefresh: p.fullRefresh ?? false, context: context)
                appendLog(context.logURL, out + "\n")
                return (.success, "", out)
            }
            if let q = def.sqlTask {
                guard let sql else { throw JobError(.unsupported, "SQL tasks are not available in this process") }
                var text = q.statement ?? ""
                if let f = q.file { text = try String(contentsOfFile: context.substitute(f.path), encoding: .utf8) }
                for (k, v) in q.parameters ?? [:] { text = text.replacingOccurrences(of: "{{\(k)}}", with: v) }
                let statements = SQLScript.split(context.substitute(text))
                appendLog(context.logURL, statements.map { "> " + $0 }.joined(separator: "\n") + "\n")
                let out = try await sql.runSQL(statements, catalog: q.catalog, schema: q.schema, context: context)
                appendLog(context.logURL, out + "\n")
                return (.success, "", out)
            }
            throw JobError(.unsupported, "task '\(def.taskKey)' has no runnable body")
        } catch is CancellationError {
            return (.canceled, "The task was canceled.", nil)
        } catch {
            if Task.isCancelled { return (.canceled, "The task was canceled.", nil) }
            let message = (error as? any IngotError)?.message ?? "\(error)"
            appendLog(context.logURL, "error: \(message)\n")
            return (.failed, message, nil)
        }
    }

    func process(_ args: [String], _ context: JobTaskContext) async throws -> (ResultState, String, String?) {
        var env = ProcessInfo.processInfo.environment
        env["INGOT_URL"] = environment.serverURL
        env["INGOT_SERVER"] = environment.serverURL  // what the `ingot` CLI reads
        env["DATABRICKS_HOST"] = environment.serverURL
        env["MLFLOW_TRACKING_URI"] = environment.serverURL
        if let token = environment.token {
            env["INGOT_TOKEN"] = token
            env["DATABRICKS_TOKEN"] = token
            env["MLFLOW_TRACKING_TOKEN"] = token
        }
        env["INGOT_JOB_ID"] = context.jobID.map(String.init) ?? ""
        env["INGOT_RUN_ID"] = String(context.runID)
        env["INGOT_TASK_RUN_ID"] = String(context.taskRunID)
        env["INGOT_TASK_KEY"] = context.taskKey
        env["INGOT_ATTEMPT"] = String(context.attempt)
        env["INGOT_JOB_PARAMETERS"] = JobsJSON.encode(context.parameters)
        for (k, v) in context.parameters {
            let name = String(k.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
            env["INGOT_PARAM_" + name] = v
        }
        let status = try await ProcessTask.run(arguments: args, environment: env, log: context.logURL, graceSeconds: environment.killGraceSeconds)
        if Task.isCancelled { return (.canceled, "The task was canceled.", nil) }
        let (tail, _) = ProcessTask.tail(context.logURL, limit: 4096)
        if status == 0 { return (.success, "", nil) }
        let lastLine = tail.split(separator: "\n").last(where: { !$0.hasPrefix("===") }).map(String.init) ?? ""
        return (.failed, "Process exited with status \(status)\(lastLine.isEmpty ? "" : ": " + lastLine)", nil)
    }
}

/// Splits a SQL script into statements on `;` outside quotes and comments.
public enum SQLScript {
    public static func split(_ text: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var quote: Character?
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i) < text.endIndex ? text[text.index(after: i)] : nil
            if let q = quote {
                cur.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" || c == "`" {
                quote = c
                cur.append(c)
            } else if c == "-" && next == "-" {
                while i < text.endIndex && text[i] != "\n" { i = text.index(after: i) }
                continue
            } else if c == "/" && next == "*" {
                if let end = text.range(of: "*/", range: text.index(after: i)..<text.endIndex) { i = end.upperBound } else { i = text.endIndex }
                continue
            } else if c == ";" {
                let s = cur.trimmingCharacters(in: .whitespacesAndNewlines)
                if !s.isEmpty { out.append(s) }
                cur = ""
            } else {
                cur.append(c)
            }
            i = text.index(after: i)
        }
        let s = cur.trimmingCharacters(in: .whitespacesAndNewlines)
        if !s.isEmpty { out.append(s) }
        return out
    }
}
