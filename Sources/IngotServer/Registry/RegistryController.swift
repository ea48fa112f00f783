import Foundation
import Hummingbird
import IngotCore
import IngotRegistry

/// MLflow's model registry REST API (`model_registry.proto`) under `/api/2.0/mlflow` and
/// `/ajax-api/2.0/mlflow`: registered models, model versions, tags, aliases and stages.
struct RegistryController {
    let service: RegistryService

    typealias Handler = @Sendable (MLflowParams, IngotRequestContext) async throws -> Response

    static func wrap(_ handler: @escaping Handler) -> @Sendable (Request, IngotRequestContext) async throws -> Response {
        { request, context in try await handler(try await MLflowParams.read(request, context: context), context) }
    }

    func addRoutes(to router: Router<IngotRequestContext>) {
        for prefix in ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] {
            addRoutes(router.group(RouterPath(prefix)))
        }
    }

    func addRoutes(_ g: RouterGroup<IngotRequestContext>) {
        let w = Self.wrap
        g.post("registered-models/create", use: w(createModel))
        g.get("registered-models/get", use: w(getModel))
        g.post("registered-models/rename", use: w(renameModel))
        g.patch("registered-models/update", use: w(updateModel))
        g.delete("registered-models/delete", use: w(deleteModel))
        g.get("registered-models/search", use: w(searchModels))
        g.post("registered-models/get-latest-versions", use: w(latestVersions))
        g.get("registered-models/get-latest-versions", use: w(latestVersions))
        g.post("registered-models/set-tag", use: w(setModelTag))
        g.delete("registered-models/delete-tag", use: w(deleteModelTag))
        g.post("registered-models/alias", use: w(setAlias))
        g.delete("registered-models/alias", use: w(deleteAlias))
        g.get("registered-models/alias", use: w(getByAlias))

        g.post("model-versions/create", use: w(createVersion))
        g.get("model-versions/get", use: w(getVersion))
        g.patch("model-versions/update", use: w(updateVersion))
        g.delete("model-versions/delete", use: w(deleteVersion))
        g.get("model-versions/search", use: w(searchVersions))
        g.post("model-versions/set-tag", use: w(setVersionTag))
        g.delete("model-versions/delete-tag", use: w(deleteVersionTag))
        g.post("model-versions/transition-stage", use: w(transitionStage))
        g.get("model-versions/get-download-uri", use: w(downloadURI))
    }

    struct ModelBody: Encodable { let registered_model: RegisteredModel }
    struct ModelsPage: Encodable {
        let registered_models: [RegisteredModel]
        let next_page_token: String?
    }
    struct VersionBody: Encodable { let model_version: ModelVersion }
    struct VersionsBody: Encodable {
        let model_versions: [ModelVersion]
        let next_page_token: String?
    }
    struct DownloadURI: Encodable { let artifact_uri: String }

    static func tags(_ p: MLflowParams) throws -> [RegistryTag] {
        try p.keyValues("tags").map { RegistryTag(key: $0.key, value: $0.value) }
    }

    // MARK: - Registered models

    func createModel(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let model = try await service.createRegisteredModel(
            name: try p.string("name"), tags: try Self.tags(p), description: try p.string("description"), actor: c.principal)
        return try TrackingJSON.response(ModelBody(registered_model: model))
    }

    func getModel(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try TrackingJSON.response(ModelBody(registered_model: try await service.getRegisteredModel(name: try p.string("name"))))
    }

    func renameModel(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let model = try await service.renameRegisteredModel(name: try p.string("name"), newName: try p.string("new_name"))
        return try TrackingJSON.response(ModelBody(registered_model: model))
    }

    func updateModel(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let model = try await service.updateRegisteredModel(name: try p.string("name"), description: try p.string("description"))
        return try TrackingJSON.response(ModelBody(registered_model: model))
    }

    func deleteModel(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.deleteRegisteredModel(name: try p.string("name"))
        return TrackingJSON.empty()
    }

    func searchModels(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let page = try await service.searchRegisteredModels(
            filter: try p.string("filter"), orderBy: try p.strings("order_by"), maxResults: try p.int("max_results"),
            pageToken: try p.string("page_token"))
        return try TrackingJSON.response(ModelsPage(registered_models: page.items, next_page_token: page.nextPageToken))
    }

    func latestVersions(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let versions = try await service.getLatestVersions(name: try p.string("name"), stages: try p.strings("stages"))
        return try TrackingJSON.response(VersionsBody(model_versions: versions, next_page_token: nil))
    }

    func setModelTag(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.setRegisteredModelTag(name: try p.string("name"), key: try p.string("key"), value: try p.string("value"))
        return TrackingJSON.empty()
    }

    func deleteModelTag(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.deleteRegisteredModelTag(name: try p.string("name"), key: try p.string("key"))
        return TrackingJSON.empty()
    }

    func setAlias(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.setAlias(name: try p.string("name"), alias: try p.string("alias"), version: try p.string("version"), actor: c.principal)
        return TrackingJSON.empty()
    }

    func deleteAlias(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.deleteAlias(name: try p.string("name"), alias: try p.string("alias"), actor: c.principal)
        return TrackingJSON.empty()
    }

    func getByAlias(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let mv = try await service.getModelVersion(name: try p.string("name"), alias: try p.string("alias"))
        return try TrackingJSON.response(VersionBody(model_version: mv))
    }

    // MARK: - Model versions

    func createVersion(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let mv = try await service.createModelVersion(
            name: try p.string("name"), source: try p.string("source"), runID: try p.string("run_id"), modelID: try p.string("model_id"),
            runLink: try p.string("run_link"), description: try p.string("description"), tags: try Self.tags(p), actor: c.principal)
        return try TrackingJSON.response(VersionBody(model_version: mv))
    }

    func getVersion(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let mv = try await service.getModelVersion(name: try p.string("name"), version: try p.string("version"))
        return try TrackingJSON.response(VersionBody(model_version: mv))
    }

    func updateVersion(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let mv = try await service.updateModelVersion(
            name: try p.string("name"), version: try p.string("version"), description: try p.string("description"))
        return try TrackingJSON.response(VersionBody(model_version: mv))
    }

    func deleteVersion(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.deleteModelVersion(name: try p.string("name"), version: try p.string("version"))
        return TrackingJSON.empty()
    }

    func searchVersions(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let page = try await service.searchModelVersions(
            filter: try p.string("filter"), orderBy: try p.strings("order_by"), maxResults: try p.int("max_results"),
            pageToken: try p.string("page_token"))
        return try TrackingJSON.response(VersionsBody(model_versions: page.items, next_page_token: page.nextPageToken))
    }

    func setVersionTag(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.setModelVersionTag(
            name: try p.string("name"), version: try p.string("version"), key: try p.string("key"), value: try p.string("value"))
        return TrackingJSON.empty()
    }

    func deleteVersionTag(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.deleteModelVersionTag(name: try p.string("name"), version: try p.string("version"), key: try p.string("key"))
        return TrackingJSON.empty()
    }

    func transitionStage(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let mv = try await service.transitionStage(
            name: try p.string("name"), version: try p.string("version"), stage: try p.string("stage"),
            archiveExisting: try p.bool("archive_existing_versions") ?? false, actor: c.principal, comment: try p.string("comment"))
        return try TrackingJSON.response(VersionBody(model_version: mv))
    }

    func downloadURI(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try TrackingJSON.response(DownloadURI(artifact_uri: try await service.downloadURI(name: try p.string("name"), version: try p.string("version"))))
    }
}
