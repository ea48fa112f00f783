import Foundation
import IngotCore

/// The registry domain's entry point for every adapter (REST, UI, CLI through REST): validates
/// with MLflow's rules and messages, resolves model-version sources and lineage, enforces a
/// model's approval policy, and publishes events for webhooks after each committed change.
public struct RegistryService: Sendable {
    public let store: any RegistryStore
    public let sources: any ModelSourceResolver
    public let lineage: any RunLineageProvider
    public let events: any RegistryEventSink

    public static let searchModelsDefault = 100
    public static let searchModelsLimit = 1000
    public static let searchVersionsDefault = 10_000
    public static let searchVersionsLimit = 200_000

    public init(
        store: any RegistryStore, sources: any ModelSourceResolver = NoModelSources(), lineage: any RunLineageProvider = NoModelSources(),
        events: any RegistryEventSink = NoRegistryEvents()
    ) {
        self.store = store
        self.sources = sources
        self.lineage = lineage
        self.events = events
    }

    func publish(_ event: String, _ name: String, version: String? = nil, to: String? = nil, from: String? = nil, alias: String? = nil,
        text: String? = nil, user: String? = nil, request: String? = nil) async
    {
        await events.publish([
            RegistryEvent(
                event: event, timestamp: Clock.nowMillis(), modelName: name, version: version, toStage: to, fromStage: from, alias: alias,
                text: text, userID: user, requestID: request)
        ])
    }

    // MARK: - Registered models

    public func createRegisteredModel(name: String?, tags: [RegistryTag], description: String?, actor: Principal) async throws -> RegisteredModel {
        let name = try RegistryValidation.modelName(name)
        for tag in tags { try RegistryValidation.tag(tag) }
        let model = try await store.createRegisteredModel(name: name, tags: tags, description: description, userID: actor.name)
        await publish("REGISTERED_MODEL_CREATED", name, user: actor.name)
        return model
    }

    public func getRegisteredModel(name: String?) async throws -> RegisteredModel {
        try await store.getRegisteredModel(name: try RegistryValidation.modelName(name))
    }

    public func renameRegisteredModel(name: String?, newName: String?) async throws -> RegisteredModel {
        let name = try RegistryValidation.modelName(name)
        guard let newName, !newName.trimmingCharacters(in: .whitespaces).isEmpty else { throw RegistryError.missing("new_name") }
        return try await store.renameRegisteredModel(name: name, newName: try RegistryValidation.modelName(newName, field: "new_name"))
    }

    public func updateRegisteredModel(name: String?, description: String?) async throws -> RegisteredModel {
        try await store.updateRegisteredModel(name: try RegistryValidation.modelName(name), description: description)
    }

    public func deleteRegisteredModel(name: String?) async throws {
        try await store.deleteRegisteredModel(name: try RegistryValidation.modelName(name))
    }

    public func searchRegisteredModels(filter: String?, orderBy: [String], maxResults: Int?, pageToken: String?) async throws
        -> RegistryPage<RegisteredModel>
    {
        let max = try RegistryValidation.maxResults(maxResults, default: Self.searchModelsDefault, limit: Self.searchModelsLimit)
        return try await store.searchRegisteredModels(filter: try RegistryFilter.parse(filter), orderBy: orderBy, maxResults: max, pageToken: pageToken)
    }

    public func setRegisteredModelTag(name: String?, key: String?, value: String?) async throws {
        let name = try RegistryValidation.modelName(name)
        let tag = RegistryTag(key: try RegistryValidation.tagKey(key), value: value ?? "")
        try RegistryValidation.tag(tag)
        try await store.setRegisteredModelTag(name: name, key: tag.key, value: tag.value)
    }

    public func deleteRegisteredModelTag(name: String?, key: String?) async throws {
        try await store.setRegisteredModelTag(name: try RegistryValidation.modelName(name), key: try RegistryValidation.tagKey(key), value: nil)
    }

    public func getLatestVersions(name: String?, stages: [String]) async throws -> [ModelVersion] {
        let stages = try stages.map(ModelStage.canonical)
        return try await store.getLatestVersions(name: try RegistryValidation.modelName(name), stages: stages)
    }

    // MARK: - Aliases

    /// MLflow's set-alias. Under a policy protecting the alias it is refused: request it instead.
    public func setAlias(name: String?, alias: String?, version: String?, actor: Principal) async throws {
        let name = try RegistryValidation.modelName(name)
        let alias = try RegistryValidation.alias(alias, reservedCheck: true)
        let version = try RegistryValidation.version(version)
        if ApprovalRules.requiresApproval(.alias(alias), policy: try await store.getPolicy(name: name)) {
            throw RegistryError.permissionDenied(
                "Setting alias '\(alias)' of model '\(name)' requires an approved request: POST /api/2.0/mlflow/transition-requests/create with {\"name\", \"version\", \"alias\"}"
            )
        }
        try await store.setAlias(name: name, alias: alias, version: version, userID: actor.name)
        await publish("MODEL_VERSION_ALIAS_SET", name, version: String(version), alias: alias, user: actor.name)
    }

    public func deleteAlias(name: String?, alias: String?, actor: Principal) async throws {
        let name = try RegistryValidation.modelName(name)
        let alias = try RegistryValidation.alias(alias, reservedCheck: false)
        if ApprovalRules.requiresApproval(.alias(alias), policy: try await store.getPolicy(name: name)) {
            throw RegistryError.permissionDenied("Deleting alias '\(alias)' of model '\(name)' is not allowed by the model's approval policy")
        }
        try await store.setAlias(name: name, alias: alias, version: nil, userID: actor.name)
    }

    public func getModelVersion(name: String?, alias: String?) async throws -> ModelVersion {
        let name = try RegistryValidation.modelName(name)
        let alias = try RegistryValidation.alias(alias, reservedCheck: false)
        if alias.lowercased() == "latest" {
            let versions = try await store.getLatestVersions(name: name, stages: [])
            guard let latest = versions.max(by: { $0.versionNumber < $1.versionNumber }) else {
                throw RegistryError.notFound("Latest version not found for model \(name).")
            }
            return latest
        }
        return try await store.getModelVersion(name: name, alias: alias)
    }

    // MARK: - Model versions

    /// Creates a version from a run artifact (`runs:/<run>/path`, `mlflow-artifacts:/…` inside the
    /// run), a logged model (`models:/m-…`) or another version (`models:/name/3`), recording lineage.
    public func createModelVersion(
        name: String?, source: String?, runID: String?, modelID: String?, runLink: String?, description: String?, tags: [RegistryTag],
        actor: Principal
    ) async throws -> ModelVersion {
        let name = try RegistryValidation.modelName(name)
        guard let source, !source.isEmpty else { throw RegistryError.missing("source") }
        for tag in tags { try RegistryValidation.tag(tag) }
        var draft = try await resolve(source: source, runID: runID?.nilIfEmpty, modelID: modelID?.nilIfEmpty, name: name)
        draft.runLink = runLink
        draft.description = description
        draft.tags = tags
        draft.userID = actor.name
        if let run = draft.runID, draft.datasets.isEmpty {
            draft.datasets = (try? await lineage.datasetInputs(runID: run)) ?? []
        }
        let version = try await store.createModelVersion(draft)
        await publish(
            "MODEL_VERSION_CREATED", name, version: version.version, text: "A new version \(version.version) of registered model '\(name)' was created.",
            user: actor.name)
        return version
    }

    func invalidSource(_ source: String, _ idName: String) -> RegistryError {
        .invalidParameter(
            "Invalid model version source: '\(source)'. The \(idName) request parameter must identify the resource that contains the source.")
    }

    /// MLflow's source rules (`_validate_source_run` / `_validate_source_model`), resolved to locations.
    func resolve(source: String, runID: String?, modelID: String?, name: String) async throws -> NewModelVersion {
        if source.split(separator: "/").contains("..") || source.contains("%2e%2e") || source.contains("%2E%2E") {
            throw RegistryError.invalidParameter("Invalid model version source: '\(source)'. Relative paths are not allowed.")
        }
        // models:/<name>/<version> or models:/<name>@<alias>: another registry version.
        if source.hasPrefix("models:/"), !source.hasPrefix("models:/m-") {
            let rest = String(source.dropFirst("models:/".count))
            guard !rest.hasPrefix("/") else {
                throw RegistryError.invalidParameter(
                    "Invalid model version source: '\(source)'. Registered model sources must use the active model registry.")
            }
            let base: ModelVersion
            if let at = rest.firstIndex(of: "@") {
                base = try await getModelVersion(name: String(rest[..<at]), alias: String(rest[rest.index(after: at)...]))
            } else {
                let parts = rest.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw RegistryError.invalidParameter("Invalid model version source: '\(source)'.") }
                base = try await store.getModelVersion(name: parts[0], version: try RegistryValidation.version(parts[1]))
            }
            if (runID != nil && runID != base.run_id) || (modelID != nil && modelID != base.model_id) {
                throw RegistryError.invalidParameter(
                    "Invalid model version source: '\(source)'. The run_id and model_id request parameters must match the referenced model version.")
            }
            let lineage = try await store.lineage(name: base.name, version: base.versionNumber)
            let storage = try await store.downloadURI(name: base.name, version: base.versionNumber)
            return NewModelVersion(
                name: name, source: "models:/\(base.name)/\(base.version)", storageLocation: storage, artifactLocation: lineage.artifact_location,
                runID: runID ?? base.run_id, modelID: modelID ?? base.model_id, experimentID: lineage.experiment_id, datasets: lineage.datasets)
        }
        if let modelID {
            guard let model = try await sources.loggedModel(id: modelID) else {
                throw RegistryError.notFound("Logged model with ID '\(modelID)' not found.")
            }
            if source.hasPrefix("models:/") {
                guard source == "models:/\(modelID)" || source.hasPrefix("models:/\(modelID)/") else { throw invalidSource(source, "model_id") }
            } else if source.hasPrefix("runs:/") {
                throw invalidSource(source, "model_id")
            } else if !isWithin(source, root: model.artifactLocation) {
                throw invalidSource(source, "model_id")
            }
            let resolvedRun = runID ?? model.sourceRunID
            return NewModelVersion(
                name: name, source: source, storageLocation: source.hasPrefix("models:/") ? model.artifactLocation : source,
                artifactLocation: source.hasPrefix("models:/") ? model.artifactLocation : source, runID: resolvedRun, modelID: modelID,
                experimentID: model.experimentID)
        }
        if source.hasPrefix("models:/") { throw invalidSource(source, "model_id") }
        if source.hasPrefix("runs:/") {
            let rest = source.dropFirst("runs:/".count)
            guard !rest.hasPrefix("/"), let sourceRun = rest.split(separator: "/").first.map(String.init), runID == sourceRun else {
                throw invalidSource(source, "run_id")
            }
            guard let run = try await sources.run(id: sourceRun) else { throw RegistryError.notFound("Run with id=\(sourceRun) not found") }
            let path = rest.split(separator: "/").dropFirst().joined(separator: "/")
            return NewModelVersion(
                name: name, source: source, storageLocation: source,
                artifactLocation: path.isEmpty ? run.artifactURI : run.artifactURI + "/" + path, runID: sourceRun,
                experimentID: run.experimentID)
        }
        if source.hasPrefix("mlflow-artifacts:") {
            guard let runID, let run = try await sources.run(id: runID), isWithin(source, root: run.artifactURI) else {
                throw invalidSource(source, "run_id")
            }
            return NewModelVersion(
                name: name, source: source, storageLocation: source, artifactLocation: source, runID: runID, experimentID: run.experimentID)
        }
        if source.hasPrefix("/") || source.hasPrefix("file:") || !source.contains(":") {
            throw RegistryError.invalidParameter(
                "Invalid model version source: '\(source)'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id."
            )
        }
        // Remote object stores (s3://, gs://, …) are referenced as they are.
        var experimentID: String?
        if let runID { experimentID = try await sources.run(id: runID)?.experimentID }
        return NewModelVersion(
            name: name, source: source, storageLocation: source, artifactLocation: source, runID: runID, experimentID: experimentID)
    }

    /// Whether `uri` is `root` or below it, comparing normalized `mlflow-artifacts` paths.
    func isWithin(_ uri: String, root: String) -> Bool {
        func parts(_ s: String) -> [Substring] {
            var rest = Substring(s)
            if let colon = rest.firstIndex(of: ":") { rest = rest[rest.index(after: colon)...] }
            return rest.split(separator: "/")
        }
        let (u, r) = (parts(uri), parts(root))
        return u.count >= r.count && Array(u.prefix(r.count)) == r
    }

    public func getModelVersion(name: String?, version: String?) async throws -> ModelVersion {
        try await store.getModelVersion(name: try RegistryValidation.modelName(name), version: try RegistryValidation.version(version))
    }

    public func updateModelVersion(name: String?, version: String?, description: String?) async throws -> ModelVersion {
        try await store.updateModelVersion(
            name: try RegistryValidation.modelName(name), version: try RegistryValidation.version(version), description: description)
    }

    public func deleteModelVersion(name: String?, version: String?) async throws {
        try await store.deleteModelVersion(name: try RegistryValidation.modelName(name), version: try RegistryValidation.version(version))
    }

    public func searchModelVersions(filter: String?, orderBy: [String], maxResults: Int?, pageToken: String?) async throws
        -> RegistryPage<ModelVersion>
    {
        let max = try RegistryValidation.maxResults(maxResults, default: Self.searchVersionsDefault, limit: Self.searchVersionsLimit)
        return try await store.searchModelVersions(filter: try RegistryFilter.parse(filter), orderBy: orderBy, maxResults: max, pageToken: pageToken)
    }

    public func setModelVersionTag(name: String?, version: String?, key: String?, value: String?) async throws {
        let name = try RegistryValidation.modelName(name)
        let version = try RegistryValidation.version(version)
        let tag = RegistryTag(key: try RegistryValidation.tagKey(key), value: value ?? "")
        try RegistryValidation.tag(tag)
        try await store.setModelVersionTag(name: name, version: version, key: tag.key, value: tag.value)
        await publish("MODEL_VERSION_TAG_SET", name, version: String(version), text: "\(tag.key)=\(tag.value)")
    }

    public func deleteModelVersionTag(name: String?, version: String?, key: String?) async throws {
        try await store.setModelVersionTag(
            name: try RegistryValidation.modelName(name), version: try RegistryValidation.version(version), key: try RegistryValidation.tagKey(key),
            value: nil)
    }

    /// MLflow's transition-stage. Under a policy protecting the stage it is refused: request it instead.
    public func transitionStage(name: String?, version: String?, stage: String?, archiveExisting: Bool, actor: Principal, comment: String? = nil)
        async throws -> ModelVersion
    {
        let name = try RegistryValidation.modelName(name)
        let version = try RegistryValidation.version(version)
        guard let stage, !stage.isEmpty else { throw RegistryError.missing("stage") }
        let target = try ModelStage.canonical(stage)
        if archiveExisting && !target.isActive {
            throw RegistryError.invalidParameter(
                "Model version transition cannot archive existing model versions because '\(stage)' is not an Active stage. Valid stages are ['Staging', 'Production']"
            )
        }
        if ApprovalRules.requiresApproval(.stage(target), policy: try await store.getPolicy(name: name)) {
            throw RegistryError.permissionDenied(
                "Moving model '\(name)' to stage \(target.rawValue) requires an approved request: POST /api/2.0/mlflow/transition-requests/create")
        }
        let before = try await store.getModelVersion(name: name, version: version)
        let mv = try await store.transitionStage(
            name: name, version: version, stage: target, archiveExisting: archiveExisting, userID: actor.name, comment: comment)
        await publishTransition(name, String(version), from: before.current_stage, to: target, user: actor.name, request: nil)
        return mv
    }

    func publishTransition(_ name: String, _ version: String, from: String, to: ModelStage, user: String, request: String?) async {
        var events = [RegistryEvent(
            event: "MODEL_VERSION_TRANSITIONED_STAGE", timestamp: Clock.nowMillis(), modelName: name, version: version, toStage: to.rawValue,
            fromStage: from, text: "Registered model '\(name)' version \(version) transitioned from \(from) to \(to.rawValue).", userID: user,
            requestID: request)]
        if to != .none {
            var specific = events[0]
            specific.event = "MODEL_VERSION_TRANSITIONED_TO_\(to.rawValue.uppercased())"
            events.append(specific)
        }
        await self.events.publish(events)
    }

    public func downloadURI(name: String?, version: String?) async throws -> String {
        try await store.downloadURI(name: try RegistryValidation.modelName(name), version: try RegistryValidation.version(version))
    }

    public func lineage(name: String?, version: String?) async throws -> ModelVersionLineage {
        try await store.lineage(name: try RegistryValidation.modelName(name), version: try RegistryValidation.version(version))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
