import Foundation
import HTTPTypes
import Hummingbird
import IngotCore
import IngotPipelines

/// Databricks' pipelines API (`/api/2.0/pipelines`) over folder-defined pipelines: create (from a
/// folder: `root_path`), edit, delete, list, get, start update, list/get updates, events.
struct PipelinesController {
    let pipelines: PipelineService
    /// With authentication on: the owner's catalog privileges, checked before an update starts.
    var tableAccess: PipelineTableAccess?

    func addRoutes(to router: Router<IngotRequestContext>) {
        let group = router.group("/api/2.0/pipelines")
        group.post("") { request, context in try await create(request, context, id: nil) }
        group.get("") { _, _ in try await list() }
        group.get(":id") { _, context in try await get(try context.parameters.require("id")) }
        group.put(":id") { request, context in try await create(request, context, id: try context.parameters.require("id")) }
        group.delete(":id") { _, context in
            let p = try await pipelines.store.pipeline(try context.parameters.require("id"))
            try await pipelines.store.delete(p.id)
            return try Self.json([String: Any]())
        }
        group.post(":id/updates") { request, context in try await start(request, context) }
        group.get(":id/updates") { _, context in try await updates(try context.parameters.require("id")) }
        group.get(":id/updates/:update_id") { _, context in
            let p = try await pipelines.store.pipeline(try context.parameters.require("id"))
            let u = try await pipelines.store.update(try context.parameters.require("update_id"))
            guard u.pipelineID == p.id else { throw PipelineError(.resourceDoesNotExist, "Update '\(u.id)' does not belong to pipeline '\(p.id)'") }
            return try Self.json(["update": try await updateJSON(u, p)])
        }
        group.get(":id/events") { request, context in try await events(request, try context.parameters.require("id")) }
        group.post(":id/stop") { _, context in
            // Databricks' stop: answers once the stop is requested; the update ends CANCELED.
            _ = try await pipelines.stop(try context.parameters.require("id"))
            return try Self.json([String: Any]())
        }
        router.get("/api/2.0/ingot/pipelines/:id/lineage") { request, context in
            try await lineage(try context.parameters.require("id"), updateID: request.uri.queryParameters.get("update_id").map { String($0) })
        }
    }

    /// Per dataset of one update (default: the latest that ran a dataset): the tables and files it
    /// read and the table (version) it wrote.
    func lineage(_ idOrName: String, updateID: String?) async throws -> Response {
        let p = try await pipelines.store.pipeline(idOrName)
        let edges = try await pipelines.store.lineage(pipelineID: p.id, updateID: updateID)
        var byDataset: [String: [String: Any]] = [:]
        for e in edges {
            var d = byDataset[e.dataset] ?? ["dataset": e.dataset, "upstream_tables": [[String: Any]](), "source_files": [String]()]
            switch (e.direction, e.kind) {
            case (.read, .table):
                var t: [String: Any] = ["name": e.name]
                if let v = e.version { t["version"] = v }
                d["upstream_tables"] = (d["upstream_tables"] as? [[String: Any]] ?? []) + [t]
            case (.read, .file): d["source_files"] = (d["source_files"] as? [String] ?? []) + [e.name]
            case (.write, _):
                var t: [String: Any] = ["name": e.name]
                if let v = e.version { t["version"] = v }
                d["target"] = t
            }
            byDataset[e.dataset] = d
        }
        var out: [String: Any] = ["pipeline_id": p.id, "datasets": byDataset.keys.sorted().map { byDataset[$0]! }]
        if let u = edges.first?.updateID { out["update_id"] = u }
        return try Self.json(out)
    }

    static func json(_ value: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    struct CreateBody: Decodable {
        let name: String?
        let root_path: String?
        let path: String?
    }

    func create(_ request: Request, _ context: IngotRequestContext, id: String?) async throws -> Response {
        let body = try await request.decode(as: CreateBody.self, context: context)
        guard let root = body.root_path ?? body.path else { throw PipelineError("root_path (the pipeline folder on the server) is required") }
        var existingID: String?
        if let id { existingID = try await pipelines.store.pipeline(id).id }
        let p = try await pipelines.save(rootPath: root, name: body.name, id: existingID, creator: context.principal.name)
        let out: [String: Any] = ["pipeline_id": p.id]
        return try Self.json(out)
    }

    func spec(_ p: PipelineRecord) -> [String: Any] {
        var s: [String: Any] = [
            "id": p.id, "name": p.name, "catalog": p.settings.catalog, "schema": p.settings.schema, "configuration": p.settings.configuration,
            "root_path": p.rootPath, "libraries": [["glob": ["include": p.rootPath + "/**"]]], "continuous": p.settings.isContinuous, "development": false,
        ]
        let log = p.settings.eventLogTable
        s["event_log"] = ["catalog": log[0], "schema": log[1], "name": log[2]]
        if let n = p.settings.maxParallelDatasets { s["max_parallel_datasets"] = n }
        if let e = p.settings.engine { s["engine"] = e }
        if let e = p.settings.schedule {
            // `schedule` stays the cron text (the web console shows it); Ingot adds the full setting.
            s["schedule"] = e
            s["schedule_settings"] = ["quartz_cron_expression": e, "timezone_id": p.settings.scheduleTimezone ?? "UTC",
                                      "pause_status": p.settings.schedulePaused == true ? "PAUSED" : "UNPAUSED"]
        }
        // Databricks' shape ([{email_recipients, alerts}], which the databricks-sdk decodes) plus Ingot's webhook_urls.
        if let rules = p.settings.notificationRules, !rules.isEmpty {
            s["notifications"] = rules.map { r -> [String: Any] in
                var o: [String: Any] = ["alerts": r.alerts]
                if !r.emailRecipients.isEmpty { o["email_recipients"] = r.emailRecipients }
                if !r.webhookURLs.isEmpty { o["webhook_urls"] = r.webhookURLs }
                return o
            }
        }
        return s
    }

    func latest(_ p: PipelineRecord) async throws -> [[String: Any]] {
        try await pipelines.store.updates(pipelineID: p.id, limit: 5).map {
            ["update_id": $0.id, "state": $0.state, "creation_time": Self.iso($0.creationTime)]
        }
    }

    static func state(_ updates: [[String: Any]]) -> String {
        let s = updates.first?["state"] as? String ?? "IDLE"
        return ["QUEUED", "INITIALIZING", "RUNNING"].contains(s) ? "RUNNING" : s == "FAILED" ? "FAILED" : "IDLE"
    }

    func list() async throws -> Response {
        var statuses: [[String: Any]] = []
        for p in try await pipelines.store.pipelines() {
            let l = try await latest(p)
            statuses.append(["pipeline_id": p.id, "name": p.name, "state": Self.state(l), "latest_updates": l, "creator_user_name": p.creator])
        }
        return try Self.json(["statuses": statuses])
    }

    func get(_ idOrName: String) async throws -> Response {
        let p = try await pipelines.store.pipeline(idOrName)
        let l = try await latest(p)
        return try Self.json([
            "pipeline_id": p.id, "name": p.name, "spec": spec(p), "state": Self.state(l), "latest_updates": l, "creator_user_name": p.creator,
            "last_modified": p.updatedAt,
        ])
    }

    struct StartBody: Decodable {
        let full_refresh: Bool?
        let cause: String?
    }

    func start(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = (try? await request.decode(as: StartBody.self, context: context)) ?? StartBody(full_refresh: nil, cause: nil)
        try await tableAccess?.check(try context.parameters.require("id"))
        let u = try await pipelines.start(try context.parameters.require("id"), fullRefresh: body.full_refresh ?? false)
        return try Self.json(["update_id": u.id])
    }

    func updateJSON(_ u: PipelineUpdateRecord, _ p: PipelineRecord) async throws -> [String: Any] {
        var o: [String: Any] = [
            "update_id": u.id, "pipeline_id": p.id, "state": u.state, "full_refresh": u.fullRefresh, "cause": u.cause,
            "creation_time": u.creationTime,
        ]
        if let t = u.startTime { o["start_time"] = t }
        if let t = u.endTime { o["end_time"] = t }
        if let e = u.error { o["error"] = e }
        // Ingot: live progress while the update runs in this server.
        if let g = await pipelines.runner.progress.snapshot(u.id) {
            o["progress"] = ["datasets_total": g.total, "datasets_done": g.done, "datasets_running": g.running, "output_records": g.outputRecords,
                             "micro_batches": g.microBatches, "elapsed_ms": Clock.nowMillis() - g.startedAt]
        }
        // Ingot: per-dataset and per-expectation counts of the update.
        o["datasets"] = try await pipelines.store.metrics(u.id).map { m -> [String: Any] in
            var d: [String: Any] = [
                "name": m.dataset, "type": m.kind, "state": m.state, "input_records": m.inputRecords, "output_records": m.outputRecords,
                "dropped_records": m.droppedRecords, "input_files": m.inputFiles, "duration_ms": m.durationMs,
                "expectations": m.expectations.map { ["name": $0.name, "dataset": $0.dataset, "action": $0.action, "passed_records": $0.passedRecords, "failed_records": $0.failedRecords] },
            ]
            if let v = m.tableVersion { d["table_version"] = v }
            return d
        }
        return o
    }

    func updates(_ idOrName: String) async throws -> Response {
        let p = try await pipelines.store.pipeline(idOrName)
        var out: [[String: Any]] = []
        for u in try await pipelines.store.updates(pipelineID: p.id) { out.append(try await updateJSON(u, p)) }
        return try Self.json(["updates": out])
    }

    func events(_ request: Request, _ idOrName: String) async throws -> Response {
        let p = try await pipelines.store.pipeline(idOrName)
        let q = request.uri.queryParameters
        let limit = q.get("max_results").flatMap(Int.init) ?? 1000
        let evs = try await pipelines.store.events(pipelineID: p.id, updateID: q.get("update_id").map { String($0) }, limit: max(1, min(limit, 10_000)))
        let out: [[String: Any]] = evs.map { e in
            var origin: [String: Any] = ["pipeline_id": p.id, "pipeline_name": p.name]
            if let u = e.updateID { origin["update_id"] = u }
            if let d = e.dataset { origin["dataset_name"] = d; origin["flow_name"] = d }
            var o: [String: Any] = [
                "id": e.id, "timestamp": Self.iso(e.timestamp), "level": e.level, "event_type": e.eventType, "origin": origin, "message": e.message,
                "details": (try? JSONSerialization.jsonObject(with: Data(e.details.utf8))) ?? [:], "maturity_level": "STABLE",
            ]
            if let err = e.error { o["error"] = ["exceptions": [["message": err]], "fatal": true] }
            return o
        }
        return try Self.json(["events": out])
    }
}
