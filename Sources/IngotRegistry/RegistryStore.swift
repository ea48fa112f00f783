/// A model version about to be created: the request's fields plus what the service resolved.
public struct NewModelVersion: Sendable {
    public var name: String
    public var source: String
    /// What `get-download-uri` answers (MLflow's `storage_location`).
    public var storageLocation: String
    /// The resolved `mlflow-artifacts:/…` location of the files, for serving and lineage.
    public var artifactLocation: String
    public var runID: String?
    public var runLink: String?
    public var modelID: String?
    public var experimentID: String?
    public var description: String?
    public var tags: [RegistryTag]
    public var userID: String?
    public var datasets: [LineageDataset]

    public init(
        name: String, source: String, storageLocation: String, artifactLocation: String, runID: String? = nil, runLink: String? = nil,
        modelID: String? = nil, experimentID: String? = nil, description: String? = nil, tags: [RegistryTag] = [], userID: String? = nil,
        datasets: [LineageDataset] = []
    ) {
        self.name = name
        self.source = source
        self.storageLocation = storageLocation
        self.artifactLocation = artifactLocation
        self.runID = runID
        self.runLink = runLink
        self.modelID = modelID
        self.experimentID = experimentID
        self.description = description
        self.tags = tags
        self.userID = userID
        self.datasets = datasets
    }
}

/// Persistence for the registry. Implementations trust their input (``RegistryService``
/// validates) and make every call one transaction.
public protocol RegistryStore: Sendable {
    // MARK: Registered models
    func createRegisteredModel(name: String, tags: [RegistryTag], description: String?, userID: String?) async throws -> RegisteredModel
    func getRegisteredModel(name: String) async throws -> RegisteredModel
    func renameRegisteredModel(name: String, newName: String) async throws -> RegisteredModel
    func updateRegisteredModel(name: String, description: String?) async throws -> RegisteredModel
    func deleteRegisteredModel(name: String) async throws
    func searchRegisteredModels(filter: RegistryFilter, orderBy: [String], maxResults: Int, pageToken: String?) async throws
        -> RegistryPage<RegisteredModel>
    /// Sets a tag, or deletes it when `value` is nil.
    func setRegisteredModelTag(name: String, key: String, value: String?) async throws
    /// Points an alias at a version, or deletes it when `version` is nil. Records who did it.
    func setAlias(name: String, alias: String, version: Int64?, userID: String) async throws
    func getLatestVersions(name: String, stages: [ModelStage]) async throws -> [ModelVersion]

    // MARK: Model versions
    func createModelVersion(_ draft: NewModelVersion) async throws -> ModelVersion
    func getModelVersion(name: String, version: Int64) async throws -> ModelVersion
    func getModelVersion(name: String, alias: String) async throws -> ModelVersion
    func updateModelVersion(name: String, version: Int64, description: String?) async throws -> ModelVersion
    func deleteModelVersion(name: String, version: Int64) async throws
    func searchModelVersions(filter: RegistryFilter, orderBy: [String], maxResults: Int, pageToken: String?) async throws
        -> RegistryPage<ModelVersion>
    func setModelVersionTag(name: String, version: Int64, key: String, value: String?) async throws
    /// Moves a version to a stage (archiving others in that stage if asked). Records who did it.
    func transitionStage(name: String, version: Int64, stage: ModelStage, archiveExisting: Bool, userID: String, comment: String?)
        async throws -> ModelVersion
    func downloadURI(name: String, version: Int64) async throws -> String
    func lineage(name: String, version: Int64) async throws -> ModelVersionLineage

    // MARK: Approval workflow
    func getPolicy(name: String) async throws -> ApprovalPolicy?
    /// Sets the model's policy, or removes it when `policy` is nil.
    func setPolicy(name: String, policy: ApprovalPolicy?) async throws
    func createRequest(name: String, version: Int64, target: RequestTarget, archiveExisting: Bool, userID: String, comment: String?)
        async throws -> TransitionRequest
    func getRequest(id: String) async throws -> TransitionRequest
    /// Requests of a model (optionally one version); pending ones only unless `includeClosed`.
    func listRequests(name: String?, version: Int64?, includeClosed: Bool) async throws -> [TransitionRequest]
    /// Records an approval; when `apply` is set, also applies the request and closes it, all in one transaction.
    func approveRequest(id: String, userID: String, comment: String?, apply: Bool) async throws -> (TransitionRequest, Activity)
    /// Closes a pending request as REJECTED or CANCELLED.
    func closeRequest(id: String, status: String, userID: String, comment: String?) async throws -> (TransitionRequest, Activity)
    func activities(name: String, version: Int64) async throws -> [Activity]
    func createComment(name: String, version: Int64, userID: String, comment: String) async throws -> VersionComment
    func getComment(id: String) async throws -> VersionComment
    func updateComment(id: String, comment: String) async throws -> VersionComment
    func deleteComment(id: String) async throws
    func comments(name: String, version: Int64) async throws -> [VersionComment]
}
