/// What the registry needs to know about a run that produced a model. Declared here (the
/// consumer) and implemented by the composition root on top of tracking's public API.
public struct SourceRun: Sendable, Equatable {
    public var runID: String
    public var experimentID: String
    /// The run's artifact root, e.g. `mlflow-artifacts:/1/<run>/artifacts`.
    public var artifactURI: String

    public init(runID: String, experimentID: String, artifactURI: String) {
        self.runID = runID
        self.experimentID = experimentID
        self.artifactURI = artifactURI
    }
}

/// What the registry needs to know about an MLflow 3 logged model (`m-…`).
public struct SourceLoggedModel: Sendable, Equatable {
    public var modelID: String
    public var experimentID: String
    /// e.g. `mlflow-artifacts:/1/models/m-…/artifacts`.
    public var artifactLocation: String
    public var sourceRunID: String?

    public init(modelID: String, experimentID: String, artifactLocation: String, sourceRunID: String?) {
        self.modelID = modelID
        self.experimentID = experimentID
        self.artifactLocation = artifactLocation
        self.sourceRunID = sourceRunID
    }
}

/// Looks up the runs and logged models that model-version sources (`runs:/…`, `models:/m-…`,
/// `mlflow-artifacts:/…`) refer to. Returns nil for an id that does not exist.
public protocol ModelSourceResolver: Sendable {
    func run(id: String) async throws -> SourceRun?
    func loggedModel(id: String) async throws -> SourceLoggedModel?
}

/// The datasets a run logged as inputs, recorded as a version's lineage.
public protocol RunLineageProvider: Sendable {
    func datasetInputs(runID: String) async throws -> [LineageDataset]
}

/// A resolver that knows nothing: every source must be a plain URI. For tests and tools.
public struct NoModelSources: ModelSourceResolver, RunLineageProvider {
    public init() {}
    public func run(id: String) async throws -> SourceRun? { nil }
    public func loggedModel(id: String) async throws -> SourceLoggedModel? { nil }
    public func datasetInputs(runID: String) async throws -> [LineageDataset] { [] }
}
