import Foundation
import Hummingbird
import IngotCore
import IngotTracking

/// MLflow's tracking REST API (experiments, runs, metrics) under `/api/2.0/mlflow` and the
/// identical `/ajax-api/2.0/mlflow` the MLflow UI uses, plus `/api/3.0/mlflow/server-info`.
struct TrackingController {
    let service: TrackingService
    var store: any TrackingStore { service.store }

    typealias Handler = @Sendable (MLflowParams, IngotRequestContext) async throws -> Response

    static func wrap(_ handler: @escaping Handler) -> @Sendable (Request, IngotRequestContext) async throws -> Response {
        { request, context in try await handler(try await MLflowParams.read(request, context: context), context) }
    }

    func addRoutes(to router: Router<IngotRequestContext>) {
        for prefix in ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] {
            addV2Routes(router.group(RouterPath(prefix)))
        }
        router.get("/api/3.0/mlflow/server-info") { _, _ in
            try TrackingJSON.response(ServerInfo())
        }
        router.get("/ajax-api/3.0/mlflow/server-info") { _, _ in
            try TrackingJSON.response(ServerInfo())
        }
    }

    struct ServerInfo: Encodable {
        var store_type = "SqlStore"
        var workspaces_enabled = false
        var trace_archival_enabled = false
        var multipart_uploads_enabled = true
        var multipart_downloads_enabled = false
        var presigned_upload_run_id_supported = false
        var presigned_upload_model_id_supported = false
        var features_enabled: [String: Bool] = ["gateway": false]
    }

    func addV2Routes(_ g: RouterGroup<IngotRequestContext>) {
        let w = Self.wrap
        g.post("experiments/create", use: w(createExperiment))
        g.get("experiments/get", use: w(getExperiment))
        g.get("experiments/get-by-name", use: w(getExperimentByName))
        g.post("experiments/search", use: w(searchExperiments))
        g.get("experiments/search", use: w(searchExperiments))
        g.get("experiments/list", use: w(searchExperiments))
        g.post("experiments/update", use: w(updateExperiment))
        g.post("experiments/delete", use: w(deleteExperiment))
        g.post("experiments/restore", use: w(restoreExperiment))
        g.post("experiments/set-experiment-tag", use: w(setExperimentTag))
        g.post("experiments/delete-experiment-tag", use: w(deleteExperimentTag))

        g.post("runs/create", use: w(createRun))
        g.get("runs/get", use: w(getRun))
        g.post("runs/update", use: w(updateRun))
        g.post("runs/delete", use: w(deleteRun))
        g.post("runs/restore", use: w(restoreRun))
        g.post("runs/log-metric", use: w(logMetric))
        g.post("runs/log-parameter", use: w(logParam))
        g.post("runs/set-tag", use: w(setTag))
        g.post("runs/delete-tag", use: w(deleteTag))
        g.post("runs/log-batch") { request, context in try await self.logBatch(try await LogBatchBody.read(request, context: context)) }
        g.post("runs/log-inputs", use: w(logInputs))
        g.post("runs/outputs", use: w(logOutputs))
        g.post("runs/search", use: w(searchRuns))
        g.get("runs/search", use: w(searchRuns))

        g.get("metrics/get-history", use: w(metricHistory))
        g.get("metrics/get-history-bulk-interval", use: w(metricHistoryBulkInterval))
        g.get("metrics/get-history-bulk", use: w(metricHistoryBulk))
    }

    // MARK: - Experiments

    struct CreateExperimentResponse: Encodable { let experiment_id: String }
    struct ExperimentResponse: Encodable { let experiment: Experiment }
    struct ExperimentsPage: Encodable {
        let experiments: [Experiment]
        let next_page_token: String?
    }

    func createExperiment(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let id = try await service.createExperiment(
            name: try p.string("name"), artifactLocation: try p.string("artifact_location"), tags: try p.keyValues("tags"))
        return try TrackingJSON.response(CreateExperimentResponse(experiment_id: id))
    }

    func getExperiment(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try TrackingJSON.response(ExperimentResponse(experiment: try await store.getExperiment(id: try p.required("experiment_id"))))
    }

    func getExperimentByName(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let name = try p.required("experiment_name")
        guard let experiment = try await store.getExperiment(byName: name) else {
            throw TrackingError.notFound("Could not find experiment with name '\(name)'")
        }
        return try TrackingJSON.response(ExperimentResponse(experiment: experiment))
    }

    func searchExperiments(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let maxResults = try service.checkMaxResults(try p.int("max_results"), default: 1000)
        let page = try await store.searchExperiments(
            filter: try p.string("filter"), orderBy: try p.strings("order_by"), viewType: try ViewType.parse(try p.string("view_type")),
            maxResults: maxResults, pageToken: try p.string("page_token"))
        return try TrackingJSON.response(ExperimentsPage(experiments: page.items, next_page_token: page.nextPageToken))
    }

    func updateExperiment(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let id = try p.required("experiment_id")
        if let name = try p.string("new_name") {
            guard !name.isEmpty else { throw TrackingError.invalidParameter("Invalid experiment name: ''") }
            try await store.renameExperiment(id: id, newName: name)
        }
        return TrackingJSON.empty()
    }

    func deleteExperiment(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await store.setExperimentLifecycle(id: try p.required("experiment_id"), deleted: true)
        return TrackingJSON.empty()
    }

    func restoreExperiment(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await store.setExperimentLifecycle(id: try p.required("experiment_id"), deleted: false)
        return TrackingJSON.empty()
    }

    func setExperimentTag(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let key = try p.required("key")
        try await store.setExperimentTag(id: try p.required("experiment_id"), key: key, value: try p.string("value") ?? "")
        return TrackingJSON.empty()
    }

    func deleteExperimentTag(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await store.setExperimentTag(id: try p.required("experiment_id"), key: try p.required("key"), value: nil)
        return TrackingJSON.empty()
    }

    // MARK: - Runs

    struct RunResponse: Encodable { let run: Run }
    struct RunInfoResponse: Encodable { let run_info: RunInfo }
    struct RunsPage: Encodable {
        let runs: [Run]
        let next_page_token: String?
    }
    struct MetricsPage: Encodable {
        let metrics: [Metric]
        let next_page_token: String?
    }

    func createRun(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let run = try await store.createRun(
            experimentID: try p.string("experiment_id") ?? "0", userID: try p.string("user_id") ?? c.principal.name,
            runName: try p.string("run_name"), startTime: try p.int64("start_time"), tags: try p.keyValues("tags"))
        return try TrackingJSON.response(RunResponse(run: run))
    }

    func getRun(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try TrackingJSON.response(RunResponse(run: try await store.getRun(id: try p.runID())))
    }

    func updateRun(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let status = try p.string("status").map { try RunStatus.parse($0) }
        let info = try await store.updateRun(id: try p.runID(), status: status, endTime: try p.int64("end_time"), runName: try p.string("run_name"))
        return try TrackingJSON.response(RunInfoResponse(run_info: info))
    }

    func deleteRun(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await store.setRunLifecycle(id: try p.runID(), deleted: true)
        return TrackingJSON.empty()
    }

    func restoreRun(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await store.setRunLifecycle(id: try p.runID(), deleted: false)
        return TrackingJSON.empty()
    }

    static func metric(_ p: MLflowParams) throws -> Metric {
        guard let key = try p.string("key") else { throw TrackingErrorFactory.missing("key") }
        guard let value = try p.double("value") else { throw TrackingErrorFactory.missing("value") }
        guard let timestamp = try p.int64("timestamp") else { throw TrackingErrorFactory.missing("timestamp") }
        return Metric(
            key: key, value: value, timestamp: timestamp, step: try p.int64("step") ?? 0, datasetName: try p.string("dataset_name"),
            datasetDigest: try p.string("dataset_digest"), modelID: try p.string("model_id"))
    }

    func logMetric(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.logMetric(runID: try p.runID(), metric: try Self.metric(p))
        return TrackingJSON.empty()
    }

    func logParam(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        guard let key = try p.string("key") else { throw TrackingErrorFactory.missing("key") }
        guard let value = try p.string("value") else { throw TrackingErrorFactory.missing("value") }
        try await service.logParam(runID: try p.runID(), param: KeyValue(key: key, value: value))
        return TrackingJSON.empty()
    }

    func setTag(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        guard let key = try p.string("key") else { throw TrackingErrorFactory.missing("key") }
        guard let value = try p.string("value") else { throw TrackingErrorFactory.missing("value") }
        try await service.setTag(runID: try p.runID(), tag: KeyValue(key: key, value: value))
        return TrackingJSON.empty()
    }

    func deleteTag(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await store.deleteTag(runID: try p.runID(), key: try p.required("key"))
        return TrackingJSON.empty()
    }

    func logBatch(_ body: LogBatchBody) async throws -> Response {
        guard let runID = [body.run_id, body.run_uuid].compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            throw TrackingErrorFactory.missing("run_id")
        }
        let params = (body.params ?? []).map { KeyValue(key: $0.key ?? "", value: $0.value ?? "") }
        let tags = (body.tags ?? []).map { KeyValue(key: $0.key ?? "", value: $0.value ?? "") }
        try await service.logBatch(runID: runID, metrics: try body.domainMetrics(), params: params, tags: tags)
        return TrackingJSON.empty()
    }

    func logInputs(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let datasets = try p.objects("datasets").map { input -> DatasetInput in
            guard let d = try input.object("dataset") else { throw TrackingErrorFactory.missing("datasets.dataset") }
            let dataset = Dataset(
                name: try d.required("name"), digest: try d.required("digest"), source_type: try d.string("source_type") ?? "",
                source: try d.string("source") ?? "", schema: try d.string("schema"), profile: try d.string("profile"))
            return DatasetInput(tags: try input.keyValues("tags"), dataset: dataset)
        }
        let models = try p.objects("models").map { ModelInput(model_id: try $0.required("model_id")) }
        try await store.logInputs(runID: try p.runID(), datasets: datasets, models: models)
        return TrackingJSON.empty()
    }

    func logOutputs(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let models = try p.objects("models").map { ModelOutput(model_id: try $0.required("model_id"), step: try $0.int64("step") ?? 0) }
        try await store.logOutputs(runID: try p.runID(), models: models)
        return TrackingJSON.empty()
    }

    func searchRuns(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let maxResults = try service.checkMaxResults(try p.int("max_results"), default: 1000)
        let page = try await store.searchRuns(
            experimentIDs: try p.strings("experiment_ids"), filter: try p.string("filter"), orderBy: try p.strings("order_by"),
            viewType: try ViewType.parse(try p.string("run_view_type")), maxResults: maxResults, pageToken: try p.string("page_token"))
        return try TrackingJSON.response(RunsPage(runs: page.items, next_page_token: page.nextPageToken))
    }

    func metricHistory(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let page = try await store.metricHistory(
            runID: try p.runID(), key: try p.required("metric_key"), maxResults: try p.int("max_results"), pageToken: try p.string("page_token"))
        return try TrackingJSON.response(MetricsPage(metrics: page.items, next_page_token: page.nextPageToken))
    }

    func metricHistoryBulkInterval(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let runIDs = try p.strings("run_ids")
        guard !runIDs.isEmpty else { throw TrackingErrorFactory.missing("run_ids") }
        guard runIDs.count <= 100 else { throw TrackingError.invalidParameter("GetMetricHistoryBulkInterval request must specify at most 100 run_ids.") }
        let maxResults = try p.int("max_results") ?? 320
        guard maxResults > 0, maxResults <= 2500 else {
            throw TrackingError.invalidParameter("max_results must be between 1 and 2500")
        }
        let metrics = try await store.metricHistoryBulkInterval(
            runIDs: runIDs, key: try p.required("metric_key"), startStep: try p.int64("start_step"), endStep: try p.int64("end_step"),
            maxResults: maxResults)
        return try TrackingJSON.response(MetricsPage(metrics: metrics, next_page_token: nil))
    }

    func metricHistoryBulk(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let runIDs = try p.strings("run_id")
        guard !runIDs.isEmpty else { throw TrackingErrorFactory.missing("run_id") }
        let key = try p.required("metric_key")
        var all: [Metric] = []
        let limit = try p.int("max_results") ?? 25000
        for runID in runIDs {
            for var metric in try await store.metricHistory(runID: runID, key: key, maxResults: limit, pageToken: nil).items {
                metric.run_id = runID
                all.append(metric)
            }
        }
        return try TrackingJSON.response(MetricsPage(metrics: Array(all.prefix(limit)), next_page_token: nil))
    }
}
