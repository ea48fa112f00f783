import Foundation
import Hummingbird
import IngotCore
import IngotTracking

/// MLflow 3 logged models under `/api/2.0/mlflow/logged-models` (and the ajax twin).
struct LoggedModelController {
    let service: TrackingService
    var store: any TrackingStore { service.store }

    struct ModelResponse: Encodable { let model: LoggedModel }
    struct ModelsPage: Encodable {
        let models: [LoggedModel]
        let next_page_token: String?
    }

    func addRoutes(to router: Router<IngotRequestContext>) {
        let w = TrackingController.wrap
        for prefix in ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] {
            let g = router.group(RouterPath(prefix + "/logged-models"))
            g.post(use: w(create))
            g.post("search", use: w(search))
            g.get(":model_id") { request, context in try await self.get(try MLflowParams.read(request, context: context), Self.modelID(context)) }
            g.patch(":model_id") { request, context in try await self.finalize(try MLflowParams.read(request, context: context), Self.modelID(context)) }
            g.delete(":model_id") { _, context in
                try await self.store.deleteLoggedModel(id: try Self.modelID(context))
                return TrackingJSON.empty()
            }
            g.patch(":model_id/tags") { request, context in
                let p = try await MLflowParams.read(request, context: context)
                try await self.store.setLoggedModelTags(id: try Self.modelID(context), tags: try p.keyValues("tags"))
                return TrackingJSON.empty()
            }
            g.delete(":model_id/tags/:tag_key") { _, context in
                guard let key = context.parameters.get("tag_key")?.removingPercentEncoding else { throw TrackingErrorFactory.missing("tag_key") }
                try await self.store.deleteLoggedModelTag(id: try Self.modelID(context), key: key)
                return TrackingJSON.empty()
            }
            g.post(":model_id/params") { request, context in
                let p = try await MLflowParams.read(request, context: context)
                try await self.store.logLoggedModelParams(id: try Self.modelID(context), params: try p.keyValues("params"))
                return TrackingJSON.empty()
            }
            g.get(":model_id/artifacts/directories") { request, context in
                let p = try await MLflowParams.read(request, context: context)
                return try await self.listArtifacts(p, Self.modelID(context))
            }
            g.get(":model_id/artifacts/files") { request, context in
                let p = try await MLflowParams.read(request, context: context)
                let model = try await self.store.getLoggedModel(id: try Self.modelID(context))
                let path = try ArtifactRepository.cleanPath(try p.required("artifact_file_path"), allowEmpty: false)
                return try await ArtifactController(service: self.service).stream(
                    proxyPath: try ArtifactRepository.proxyPath(root: model.info.artifact_uri, relative: path))
            }
        }
    }

    static func modelID(_ context: IngotRequestContext) throws -> String {
        guard let id = context.parameters.get("model_id"), !id.isEmpty else { throw TrackingErrorFactory.missing("model_id") }
        return id
    }

    func create(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let model = try await store.createLoggedModel(
            experimentID: try p.required("experiment_id"), name: try p.string("name"), modelType: try p.string("model_type"),
            sourceRunID: try p.string("source_run_id"), params: try p.keyValues("params"), tags: try p.keyValues("tags"), creatorID: nil)
        return try TrackingJSON.response(ModelResponse(model: model))
    }

    func get(_ p: MLflowParams, _ id: String) async throws -> Response {
        try TrackingJSON.response(ModelResponse(model: try await store.getLoggedModel(id: id)))
    }

    func finalize(_ p: MLflowParams, _ id: String) async throws -> Response {
        let raw = try p.required("status")
        let byNumber = ["0": "LOGGED_MODEL_STATUS_UNSPECIFIED", "1": "LOGGED_MODEL_PENDING", "2": "LOGGED_MODEL_READY", "3": "LOGGED_MODEL_UPLOAD_FAILED"]
        let status = byNumber[raw] ?? raw.uppercased()
        guard ["LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"].contains(status) else {
            throw TrackingError.invalidParameter("Invalid value \(raw) for parameter 'status' supplied.")
        }
        return try TrackingJSON.response(ModelResponse(model: try await store.finalizeLoggedModel(id: id, status: status)))
    }

    func search(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let maxResults = try service.checkMaxResults(try p.int("max_results"), default: 50)
        let order = try p.objects("order_by").map {
            LoggedModelOrder(fieldName: try $0.required("field_name"), ascending: try $0.bool("ascending") ?? true)
        }
        let page = try await store.searchLoggedModels(
            experimentIDs: try p.strings("experiment_ids"), filter: try p.string("filter"), orderBy: order, maxResults: maxResults,
            pageToken: try p.string("page_token"))
        return try TrackingJSON.response(ModelsPage(models: page.items, next_page_token: page.nextPageToken))
    }

    struct FilesResponse: Encodable {
        let root_uri: String
        let files: [ArtifactFileInfo]
    }

    func listArtifacts(_ p: MLflowParams, _ id: String) async throws -> Response {
        let model = try await store.getLoggedModel(id: id)
        let relative = try ArtifactRepository.cleanPath(try p.string("artifact_directory_path") ?? "")
        let root = try ArtifactRepository.proxyPath(forURI: model.info.artifact_uri)
        let files = try await service.artifacts.list(proxyPath: relative.isEmpty ? root : root + "/" + relative, relativeTo: root)
        return try TrackingJSON.response(FilesResponse(root_uri: model.info.artifact_uri, files: files))
    }
}
