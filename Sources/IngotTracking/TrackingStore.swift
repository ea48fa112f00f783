/// Persistence for experiments, runs, logged models and traces. Implementations trust their
/// input (``TrackingService`` validates) and make every call one transaction.
public protocol TrackingStore: LoggedModelStore, TraceStore {
    // Experiments
    func createExperiment(name: String, artifactLocation: String?, tags: [KeyValue]) async throws -> String
    func getExperiment(id: String) async throws -> Experiment
    func getExperiment(byName name: String) async throws -> Experiment?
    func searchExperiments(filter: String?, orderBy: [String], viewType: ViewType, maxResults: Int, pageToken: String?) async throws
        -> Page<Experiment>
    func renameExperiment(id: String, newName: String) async throws
    func setExperimentLifecycle(id: String, deleted: Bool) async throws
    /// Sets a tag, or deletes it when `value` is nil.
    func setExperimentTag(id: String, key: String, value: String?) async throws

    // Runs
    func createRun(experimentID: String, userID: String?, runName: String?, startTime: Int64?, tags: [KeyValue]) async throws -> Run
    func getRun(id: String) async throws -> Run
    func updateRun(id: String, status: String?, endTime: Int64?, runName: String?) async throws -> RunInfo
    func setRunLifecycle(id: String, deleted: Bool) async throws
    func logBatch(runID: String, metrics: [Metric], params: [KeyValue], tags: [KeyValue]) async throws
    func deleteTag(runID: String, key: String) async throws
    func logInputs(runID: String, datasets: [DatasetInput], models: [ModelInput]) async throws
    func logOutputs(runID: String, models: [ModelOutput]) async throws
    func metricHistory(runID: String, key: String, maxResults: Int?, pageToken: String?) async throws -> Page<Metric>
    func metricHistoryBulkInterval(runIDs: [String], key: String, startStep: Int64?, endStep: Int64?, maxResults: Int) async throws -> [Metric]
    func searchRuns(experimentIDs: [String], filter: String?, orderBy: [String], viewType: ViewType, maxResults: Int, pageToken: String?)
        async throws -> Page<Run>
}

/// MLflow 3 logged models.
public protocol LoggedModelStore: Sendable {
    func createLoggedModel(
        experimentID: String, name: String?, modelType: String?, sourceRunID: String?, params: [KeyValue], tags: [KeyValue], creatorID: String?
    ) async throws -> LoggedModel
    func getLoggedModel(id: String) async throws -> LoggedModel
    func finalizeLoggedModel(id: String, status: String) async throws -> LoggedModel
    func deleteLoggedModel(id: String) async throws
    func setLoggedModelTags(id: String, tags: [KeyValue]) async throws
    func deleteLoggedModelTag(id: String, key: String) async throws
    func logLoggedModelParams(id: String, params: [KeyValue]) async throws
    func searchLoggedModels(experimentIDs: [String], filter: String?, orderBy: [LoggedModelOrder], maxResults: Int, pageToken: String?)
        async throws -> Page<LoggedModel>
}
