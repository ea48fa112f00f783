import Foundation
import HTTPTypes
import Hummingbird
import IngotCore
import IngotPipelines

/// Databricks Jobs API 2.2 (`/api/2.2/jobs/...`, also answered under `/api/2.1/jobs/...`): jobs CRUD,
/// run-now, one-time submits, runs get/list/get-output/cancel/repair/delete.
struct JobsController {
    let jobs: JobService

    func addRoutes(to router: Router<IngotRequestContext>) {
        for version in ["2.2", "2.1"] {
            let g = router.group(RouterPath("/api/\(version)/jobs"))
            g.post("create") { request, context in try await create(request, context) }
            g.get("get") { request, _ in try Self.json(try await jobJSON(try await jobs.get(try Self.int(request, "job_id")), expand: true)) }
            g.get("list") { request, _ in try await list(request) }
            g.post("update") { request, context in try await update(request, context, reset: false) }
            g.post("reset") { request, context in try await update(request, context, reset: true) }
            g.post("delete") { request, context in
                let body = try await Self.body(request, context)
                try await jobs.delete(try Self.int(body, "job_id"))
                return try Self.json([:])
            }
            g.post("run-now") { request, context in try await runNow(request, context) }
            g.post("runs/submit") { request, context in try await submit(request, context) }
            g.get("runs/get") { request, _ in try Self.json(runJSON(try await jobs.store.run(try Self.int(request, "run_id")), expand: true)) }
            g.get("runs/get-output") { request, _ in try await output(request) }
            g.get("runs/list") { request, _ in try await runs(request) }
            g.post("runs/cancel") { request, context in
                let body = try await Self.body(request, context)
                try await jobs.cancel(try Self.int(body, "run_id"))
                return try Self.json([:])
            }
            g.post("runs/cancel-all") { request, context in
                let body = try await Self.body(request, context)
                let jobID = body["job_id"].flatMap { ($0 as? NSNumber)?.int64Value ?? Int64("\($0)") }
                for r in try await jobs.store.runs(jobID: jobID, activeOnly: true, limit: 10_000) { try await jobs.cancel(r.runID) }
                return try Self.json([:])
            }
            g.post("runs/repair") { request, context in try await repair(request, context) }
            g.post("runs/delete") { request, context in
                let body = try await Self.body(request, context)
                try await jobs.deleteRun(try Self.int(body, "run_id"))
                return try Self.json([:])
            }
        }
    }

    // MARK: Request helpers

    static func json(_ value: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func body(_ request: Request, _ context: IngotRequestContext) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
        if buffer.readableBytes == 0 { return [:] }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw APIErrorResponse(.malformedRequest, "the request body must be a JSON object")
        }
        return obj
    }

    static func int(_ body: [String: Any], _ key: String) throws -> Int64 {
        if let n = body[key] as? NSNumber { return n.int64Value }
        if let s = body[key] as? String, let n = Int64(s) { return n }
        throw JobError.invalid("\(key) is required (an integer)")
    }

    static func int(_ request: Request, _ key: String) throws -> Int64 {
        guard let s = request.uri.queryParameters.get(key), let n = Int64(s) else { throw JobError.invalid("\(key) is required (an integer)") }
        return n
    }

    static func flag(_ request: Request, _ key: String) -> Bool { request.uri.queryParameters.get(key).map { $0 == "true" || $0 == "1" } ?? false }

    /// Decodes a settings-shaped JSON value (snake_case, unknown fields ignored).
    static func settings(_ value: Any?) throws -> JobSettings {
        guard let value else { return JobSettings() }
        let data = try JSONSerialization.data(withJSONObject: value)
        do { return try JobsJSON.decoder.decode(JobSettings.self, from: data) } catch let e as DecodingError {
            throw APIErrorResponse(.invalidParameterValue, "invalid job settings: \(ErrorMiddleware.describe(e))")
        }
    }

    static func strings(_ value: Any?) -> [String: String] {
        guard let d = value as? [String: Any] else { return [:] }
        return d.mapValues { v in (v as? String) ?? "\(v)" }
    }

    /// `limit` plus `page_token` (an offset Ingot hands out) or `offset`.
    static func page(_ request: Request, defaultLimit: Int, maxLimit: Int) throws -> (Int, Int) {
        let q = request.uri.queryParameters
        let limit = q.get("limit").flatMap(Int.init) ?? defaultLimit
        guard (1...maxLimit).contains(limit) else { throw JobError.invalid("limit must be in 1...\(maxLimit)") }
        let offset = q.get("page_token").flatMap { $0.isEmpty ? nil : Int($0) } ?? q.get("offset").flatMap(Int.init) ?? 0
        return (limit, max(0, offset))
    }

    // MARK: Jobs

    func create(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = try await Self.body(request, context)
        let job = try await jobs.create(try Self.settings(body), creator: context.principal.name)
        return try Self.json(["job_id": job.jobID])
    }

    func update(_ request: Request, _ context: IngotRequestContext, reset: Bool) async throws -> Response {
        let body = try await Self.body(request, context)
        let id = try Self.int(body, "job_id")
        if reset {
            guard body["new_settings"] != nil else { throw JobError.invalid("new_settings is required") }
            _ = try await jobs.reset(id, newSettings: try Self.settings(body["new_settings"]))
        } else {
            _ = try await jobs.update(id, newSettings: body["new_settings"] == nil ? nil : try Self.settings(body["new_settings"]),
                                      fieldsToRemove: body["fields_to_remove"] as? [String] ?? [])
        }
        return try Self.json([:])
    }

    static func settingsJSON(_ s: JobSettings) throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: JobsJSON.encoder.encode(s)) as? [String: Any]) ?? [:]
    }

    func jobJSON(_ job: JobRecord, expand: Bool) async throws -> [String: Any] {
        var settings = try Self.settingsJSON(job.settings)
        if settings["max_concurrent_runs"] == nil { settings["max_concurrent_runs"] = 1 }
        if settings["format"] == nil { settings["format"] = "MULTI_TASK" }
        if !expand { settings["tasks"] = nil }
        return ["job_id": job.jobID, "creator_user_name": job.creator, "run_as_user_name": job.creator, "created_time": job.createdTime,
                "settings": settings, "has_more": false]
    }

    func list(_ request: Request) async throws -> Response {
        let (limit, offset) = try Self.page(request, defaultLimit: 20, maxLimit: 100)
        let name: String? = request.uri.queryParameters.get("name").map { String($0) }
        let found = try await jobs.list(name: name, limit: limit + 1, offset: offset)
        var out: [[String: Any]] = []
        for j in found.prefix(limit) { out.append(try await jobJSON(j, expand: Self.flag(request, "expand_tasks"))) }
        var answer: [String: Any] = ["jobs": out, "has_more": found.count > limit]
        if found.count > limit { answer["next_page_token"] = String(offset + limit) }
        if offset > 0 { answer["prev_page_token"] = String(max(0, offset - limit)) }
        return try Self.json(answer)
    }

    // MARK: Runs

    func runNow(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = try await Self.body(request, context)
        var params = Self.strings(body["notebook_params"])
        params.merge(Self.strings(body["python_named_params"])) { _, n in n }
        params.merge(Self.strings(body["sql_params"])) { _, n in n }
        params.merge(Self.strings(body["job_parameters"])) { _, n in n }
        let run = try await jobs.runNow(try Self.int(body, "job_id"), parameters: params, creator: context.principal.name)
        return try Self.json(["run_id": run.runID, "number_in_job": run.runID])
    }

    func submit(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = try await Self.body(request, context)
        var settings = try Self.settings(["tasks": body["tasks"] ?? []])
        settings.name = body["run_name"] as? String
        settings.maxConcurrentRuns = 1000
        let run = try await jobs.submit(settings, runName: settings.name, creator: context.principal.name)
        return try Self.json(["run_id": run.runID])
    }

    func repair(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = try await Self.body(request, context)
        var params = Self.strings(body["notebook_params"])
        params.merge(Self.strings(body["job_parameters"])) { _, n in n }
        let id = try await jobs.repair(
            try Self.int(body, "run_id"), rerunTasks: body["rerun_tasks"] as? [String], rerunAllFailed: body["rerun_all_failed_tasks"] as? Bool ?? false,
            rerunDependents: body["rerun_dependent_tasks"] as? Bool ?? true, parameters: params)
        return try Self.json(["repair_id": id])
    }

    func runs(_ request: Request) async throws -> Response {
        let (limit, offset) = try Self.page(request, defaultLimit: 25, maxLimit: 1000)
        let jobID = request.uri.queryParameters.get("job_id").flatMap { Int64($0) }
        let found = try await jobs.store.runs(
            jobID: jobID, activeOnly: Self.flag(request, "active_only"), completedOnly: Self.flag(request, "completed_only"), limit: limit + 1, offset: offset)
        var answer: [String: Any] = ["runs": found.prefix(limit).map { runJSON($0, expand: Self.flag(request, "expand_tasks")) }, "has_more": found.count > limit]
        if found.count > limit { answer["next_page_token"] = String(offset + limit) }
        if offset > 0 { answer["prev_page_token"] = String(max(0, offset - limit)) }
        return try Self.json(answer)
    }

    func output(_ request: Request) async throws -> Response {
        let id = try Self.int(request, "run_id")
        var (run, task) = try await jobs.store.runHolding(id)
        if task == nil {
            guard run.tasks.count == 1 else {
                throw JobError.invalid("Run \(id) has \(run.tasks.count) tasks; retrieving the output of a multi-task run is not supported. Pass a task run_id.")
            }
            task = run.tasks[0]
        }
        guard let task else { throw JobError.notFound("Run \(id) does not exist.") }
        var answer: [String: Any] = ["metadata": taskJSON(task, run: run, standalone: true)]
        if let path = task.logPath {
            let (logs, truncated) = ProcessTaskLog.tail(path, limit: 64 * 1024)
            answer["logs"] = logs
            answer["logs_truncated"] = truncated
        }
        if task.resultState == .failed || task.resultState == .timedOut { answer["error"] = task.stateMessage }
        if let o = task.output { answer["sql_output"] = ["output_text": o] as [String: Any] }
        return try Self.json(answer)
    }

    // MARK: Rendering

    static func state(_ life: LifeCycleState, _ result: ResultState?, _ message: String) -> [String: Any] {
        var s: [String: Any] = ["life_cycle_state": life.rawValue, "state_message": message,
                                "user_cancelled_or_timedout": result == .canceled || result == .timedOut]
        if let result { s["result_state"] = result.rawValue }
        return s
    }

    static func status(_ life: LifeCycleState, _ result: ResultState?, _ message: String) -> [String: Any] {
        let state: String
        switch life {
        case .skipped, .internalError, .terminated: state = "TERMINATED"
        case .waitingForRetry: state = "WAITING"
        default: state = life.rawValue
        }
        var s: [String: Any] = ["state": state]
        if state == "TERMINATED" {
            let (code, type): (String, String) =
                switch (life, result) {
                case (.internalError, _): ("INTERNAL_ERROR", "INTERNAL_ERROR")
                case (_, .success?), (_, .successWithFailures?): ("SUCCESS", "SUCCESS")
                case (_, .canceled?): ("CANCELED", "SUCCESS")
                case (_, .maximumConcurrentRunsReached?): ("MAX_CONCURRENT_RUNS_EXCEEDED", "CLIENT_ERROR")
                case (.skipped, _): ("SKIPPED", "SUCCESS")
                default: ("RUN_EXECUTION_ERROR", "CLIENT_ERROR")
                }
            s["termination_details"] = ["code": code, "type": type, "message": message]
        }
        return s
    }

    func taskJSON(_ t: TaskRunRecord, run: JobRunRecord, standalone: Bool = false) -> [String: Any] {
        let def = (run.settings.tasks ?? []).first { $0.taskKey == t.taskKey }
        var o: [String: Any] = def.flatMap { try? Self.taskDefJSON($0) } ?? [:]
        o["task_key"] = t.taskKey
        o["run_id"] = t.taskRunID
        o["attempt_number"] = t.attemptNumber
        o["state"] = Self.state(t.lifeCycleState, t.resultState, t.stateMessage)
        o["status"] = Self.status(t.lifeCycleState, t.resultState, t.stateMessage)
        o["start_time"] = t.startTime ?? 0
        o["end_time"] = t.endTime ?? 0
        let duration = t.startTime.map { (t.endTime ?? Clock.nowMillis()) - $0 } ?? 0
        o["execution_duration"] = duration
        o["run_duration"] = duration
        o["setup_duration"] = 0
        o["cleanup_duration"] = 0
        o["attempts"] = t.attempts.map { a -> [String: Any] in
            var d: [String: Any] = ["attempt_number": a.attemptNumber, "start_time": a.startTime]
            if let e = a.endTime { d["end_time"] = e }
            if let r = a.resultState { d["result_state"] = r }
            if let m = a.message { d["message"] = m }
            return d
        }
        if standalone {
            o["job_id"] = run.jobID as Any? ?? NSNull()
            o["parent_run_id"] = run.runID
            o["run_name"] = run.runName
        }
        return o
    }

    static func taskDefJSON(_ t: JobTask) throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: JobsJSON.encoder.encode(t)) as? [String: Any]) ?? [:]
    }

    func runJSON(_ run: JobRunRecord, expand: Bool) -> [String: Any] {
        var o: [String: Any] = [
            "run_id": run.runID, "number_in_job": run.runID, "original_attempt_run_id": run.runID, "run_name": run.runName, "run_type": run.runType,
            "trigger": run.trigger, "creator_user_name": run.creator, "start_time": run.startTime, "end_time": run.endTime ?? 0,
            "state": Self.state(run.lifeCycleState, run.resultState, run.stateMessage),
            "status": Self.status(run.lifeCycleState, run.resultState, run.stateMessage),
            "setup_duration": 0, "cleanup_duration": 0,
        ]
        let duration = (run.endTime ?? Clock.nowMillis()) - run.startTime
        o["execution_duration"] = duration
        o["run_duration"] = duration
        if let j = run.jobID { o["job_id"] = j }
        if let s = run.scheduledTime { o["scheduled_time"] = s }
        if expand { o["tasks"] = run.tasks.map { taskJSON($0, run: run) } }
        o["job_parameters"] = (run.settings.parameters ?? []).map { p -> [String: Any] in ["name": p.name, "default": p.default, "value": run.parameters[p.name] ?? p.default] }
        if !run.parameters.isEmpty { o["overriding_parameters"] = ["job_parameters": run.parameters] }
        o["repair_history"] = run.repairHistory.map { r -> [String: Any] in
            var d: [String: Any] = ["type": r.type, "start_time": r.startTime, "end_time": r.endTime ?? 0, "task_run_ids": r.taskRunIds]
            if let id = r.id { d["id"] = id }
            var st: [String: Any] = [:]
            if let l = r.lifeCycleState { st["life_cycle_state"] = l }
            if let rs = r.resultState { st["result_state"] = rs }
            d["state"] = st
            return d
        }
        if let sched = run.settings.schedule, run.trigger == "PERIODIC" {
            o["schedule"] = ["quartz_cron_expression": sched.quartzCronExpression, "timezone_id": sched.timezoneId ?? "UTC",
                             "pause_status": sched.pauseStatus ?? "UNPAUSED"]
        }
        return o
    }
}

/// Reads the tail of a task log for `runs/get-output`.
enum ProcessTaskLog {
    static func tail(_ path: String, limit: Int) -> (String, Bool) {
        guard let data = FileManager.default.contents(atPath: path) else { return ("", false) }
        if data.count <= limit { return (String(decoding: data, as: UTF8.self), false) }
        return (String(decoding: data.suffix(limit), as: UTF8.self), true)
    }
}
