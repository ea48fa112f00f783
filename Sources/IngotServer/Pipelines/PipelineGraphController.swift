import Foundation
import HTTPTypes
import Hummingbird
import IngotCore
import IngotPipelines

/// Read-only view of a pipeline for the web console's DAG page:
/// `GET /api/2.0/ingot/pipelines/{id}/graph[?update_id=…]` answers the datasets of the pipeline's
/// current definition (its folder) with their kind, AUTO CDC flow, expectations, file sources and
/// dependency edges, each with a layered `depth` (0 = reads no pipeline dataset), plus the state and
/// counts of every dataset in one update (the latest when `update_id` is absent): RUNNING from the
/// runner's live progress (or, for an update this process does not run, its flow_progress events),
/// else the recorded metrics' state (COMPLETED / FAILED / …), else QUEUED (update active) or NOT_RUN
/// (update finished without reaching it). An active update carries the runner's `progress`. When the folder no longer loads, the
/// datasets come from the update's metrics and `definition_error` says why.
struct PipelineGraphController {
    let pipelines: PipelineService

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.get("/api/2.0/ingot/pipelines/:id/graph") { request, context in
            let p = try await pipelines.store.pipeline(try context.parameters.require("id"))
            let updateID = request.uri.queryParameters.get("update_id").map { String($0) }
            return try PipelinesController.json(try await graph(p, updateID: updateID))
        }
    }

    static let active: Set<String> = ["QUEUED", "INITIALIZING", "RUNNING"]

    func graph(_ p: PipelineRecord, updateID: String?) async throws -> [String: Any] {
        let update: PipelineUpdateRecord?
        if let updateID {
            let u = try await pipelines.store.update(updateID)
            guard u.pipelineID == p.id else { throw PipelineError(.resourceDoesNotExist, "Update '\(updateID)' does not belong to pipeline '\(p.id)'") }
            update = u
        } else {
            update = try await pipelines.store.updates(pipelineID: p.id, limit: 1).first
        }
        var metrics: [DatasetMetrics] = []
        if let u = update { metrics = try await pipelines.store.metrics(u.id) }
        let byName = Dictionary(metrics.map { ($0.dataset.lowercased(), $0) }, uniquingKeysWith: { (_: DatasetMetrics, b: DatasetMetrics) in b })
        var running = Set<String>()
        var progress: PipelineProgress.Snapshot?
        if let u = update, Self.active.contains(u.state) {
            progress = await pipelines.runner.progress.snapshot(u.id)
            if let progress {
                running = Set(progress.running.map { $0.lowercased() })
            } else {
                // Not run by this process: a dataset's newest flow_progress event tells whether it runs.
                var seen = Set<String>()
                for e in try await pipelines.store.events(pipelineID: p.id, updateID: u.id, limit: 10_000) where e.eventType == "flow_progress" {
                    guard let d = e.dataset?.lowercased(), seen.insert(d).inserted else { continue }
                    if e.details.contains("\"RUNNING\"") { running.insert(d) }
                }
            }
        }

        var out: [String: Any] = ["pipeline_id": p.id, "name": p.name, "catalog": p.settings.catalog, "schema": p.settings.schema]
        if let u = update {
            var o: [String: Any] = ["update_id": u.id, "state": u.state, "full_refresh": u.fullRefresh, "cause": u.cause, "creation_time": u.creationTime]
            if let t = u.startTime { o["start_time"] = t }
            if let t = u.endTime { o["end_time"] = t }
            if let e = u.error { o["error"] = e }
            if let g = progress {
                o["progress"] = ["datasets_total": g.total, "datasets_done": g.done, "datasets_running": g.running, "output_records": g.outputRecords,
                                 "micro_batches": g.microBatches, "elapsed_ms": Clock.nowMillis() - g.startedAt] as [String: Any]
            }
            out["update"] = o
        }

        func state(_ name: String) -> String {
            let key = name.lowercased()
            // Running first: in a continuous update a dataset re-runs after its last pass's metrics.
            if running.contains(key) { return "RUNNING" }
            if let m = byName[key] { return m.state }
            guard let u = update else { return "NOT_RUN" }
            return Self.active.contains(u.state) ? "QUEUED" : "NOT_RUN"
        }
        func counts(_ name: String, into d: inout [String: Any]) {
            d["state"] = state(name)
            guard let m = byName[name.lowercased()] else { return }
            d["input_records"] = m.inputRecords
            d["output_records"] = m.outputRecords
            d["dropped_records"] = m.droppedRecords
            d["input_files"] = m.inputFiles
            d["duration_ms"] = m.durationMs
            if let v = m.tableVersion { d["table_version"] = v }
            d["expectation_results"] = m.expectations.map {
                ["name": $0.name, "action": $0.action, "passed_records": $0.passedRecords, "failed_records": $0.failedRecords] as [String: Any]
            }
        }

        let def: PipelineDefinition
        do {
            def = try PipelineDefinition.load(directory: URL(fileURLWithPath: p.rootPath))
        } catch {
            out["definition_error"] = (error as? any IngotError)?.message ?? "\(error)"
            out["datasets"] = metrics.map { m -> [String: Any] in
                var d: [String: Any] = ["name": m.dataset, "type": m.kind, "depth": 0, "depends_on": [String](), "expectations": [[String: Any]]()]
                counts(m.dataset, into: &d)
                return d
            }
            out["edges"] = [[String: Any]]()
            out["external_tables"] = [String]()
            return out
        }

        // Layer = longest path from a dataset that reads no pipeline dataset (datasets are in topological order).
        var depth: [String: Int] = [:]
        for d in def.datasets {
            let key = d.name.lowercased()
            depth[key] = (def.dependencies[key] ?? []).map { (depth[$0] ?? 0) + 1 }.max() ?? 0
        }
        let display = Dictionary(def.datasets.map { ($0.name.lowercased(), $0.name) }, uniquingKeysWith: { a, _ in a })
        var edges: [[String: Any]] = []
        out["datasets"] = def.datasets.map { ds -> [String: Any] in
            let key = ds.name.lowercased()
            let deps = (def.dependencies[key] ?? []).map { display[$0] ?? $0 }
            for dep in deps { edges.append(["from": dep, "to": ds.name]) }
            var d: [String: Any] = [
                "name": ds.name, "type": ds.kind.rawValue, "depth": depth[key] ?? 0, "depends_on": deps, "location": ds.location,
                "expectations": ds.expectations.map { ["name": $0.name, "action": $0.action.rawValue, "condition": $0.condition] },
                "sources": ds.references.compactMap { r -> String? in if case .files(let path, _) = r.source { return path } else { return nil } },
            ]
            if let c = ds.comment { d["comment"] = c }
            if let flow = ds.cdc {
                d["flow"] = ["type": "AUTO_CDC", "name": flow.name, "keys": flow.keys, "sequence_by": flow.sequenceBy, "scd_type": flow.scdType] as [String: Any]
            }
            counts(ds.name, into: &d)
            return d
        }
        out["edges"] = edges
        out["external_tables"] = def.externalTables.map { $0.joined(separator: ".") }
        return out
    }
}
