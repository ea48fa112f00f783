import Foundation
import HTTPTypes
import Hummingbird
import IngotCore
import IngotStorage
import IngotTracking

/// MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/...`): streaming PUT uploads, GET
/// downloads, listings and deletes over the shared object store; plus the run-based listing
/// (`/api/2.0/mlflow/artifacts/list`) and file download (`/get-artifact`) the UI uses.
struct ArtifactController {
    let service: TrackingService
    var repository: ArtifactRepository { service.artifacts }

    static let proxyPrefixes = ["/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"]
    static let chunkSize = 1 << 20

    func addRoutes(to router: Router<IngotRequestContext>) {
        for prefix in Self.proxyPrefixes {
            let g = router.group(RouterPath(prefix))
            g.get("artifacts") { request, context in try await self.listProxy(request, context) }
            g.get("artifacts/**") { request, context in try await self.download(request, prefix: prefix + "/artifacts/") }
            g.put("artifacts/**") { request, context in try await self.upload(request, prefix: prefix + "/artifacts/") }
            g.delete("artifacts/**") { request, context in try await self.delete(request, prefix: prefix + "/artifacts/") }
            for action in ["create", "complete", "abort"] {
                g.post(RouterPath("mpu/\(action)/**")) { _, _ -> Response in
                    throw APIErrorResponse(.notImplemented, "Multipart upload is not supported by this artifact store; upload with a single PUT.")
                }
            }
        }
        for prefix in ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] {
            router.get(RouterPath(prefix + "/artifacts/list"), use: TrackingController.wrap(listRunArtifacts))
        }
        router.get("/get-artifact", use: TrackingController.wrap(getRunArtifact))
    }

    /// The artifact path after a route prefix, percent-decoded and validated.
    static func path(of request: Request, after prefix: String) throws -> String {
        let raw = request.uri.path
        guard raw.hasPrefix(prefix) else { throw TrackingError.invalidParameter("Invalid artifact path '\(raw)'") }
        let tail = String(raw.dropFirst(prefix.count))
        guard let decoded = tail.removingPercentEncoding else { throw TrackingError.invalidParameter("Invalid artifact path encoding") }
        return try ArtifactRepository.cleanPath(decoded, allowEmpty: false)
    }

    struct FilesResponse: Encodable { let files: [ArtifactFileInfo] }

    func listProxy(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let raw = request.uri.queryParameters.get("path") ?? ""
        let path = try ArtifactRepository.cleanPath(raw)
        return try TrackingJSON.response(FilesResponse(files: try await repository.list(proxyPath: path)))
    }

    func upload(_ request: Request, prefix: String) async throws -> Response {
        let path = try Self.path(of: request, after: prefix)
        let upload = try await repository.beginUpload(proxyPath: path)
        do {
            var pending: [UInt8] = []
            pending.reserveCapacity(Self.chunkSize)
            for try await buffer in request.body {
                pending.append(contentsOf: buffer.readableBytesView)
                if pending.count >= Self.chunkSize {
                    try await upload.write(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            if !pending.isEmpty { try await upload.write(pending) }
            try await upload.commit()
        } catch {
            await upload.abort()
            throw error
        }
        return TrackingJSON.empty()
    }

    func download(_ request: Request, prefix: String) async throws -> Response {
        try await stream(proxyPath: try Self.path(of: request, after: prefix))
    }

    /// Streams a stored artifact with its MIME type, an attachment disposition and nosniff.
    func stream(proxyPath: String) async throws -> Response {
        let handle = try await repository.openRead(proxyPath: proxyPath)
        let size = handle.size
        let name = (proxyPath as NSString).lastPathComponent
        var headers = HTTPFields()
        headers[.contentType] = ArtifactRepository.mimeType(for: name)
        headers[.contentDisposition] = "attachment; filename=\"\(name.replacingOccurrences(of: "\"", with: "_"))\""
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        let chunk = Self.chunkSize
        let body = ResponseBody(contentLength: Int(size)) { writer in
            var offset: Int64 = 0
            do {
                while offset < size {
                    let bytes = try await handle.read(offset: offset, length: chunk)
                    if bytes.isEmpty { break }
                    try await writer.write(ByteBuffer(bytes: bytes))
                    offset += Int64(bytes.count)
                }
            } catch {
                await handle.close()
                throw error
            }
            await handle.close()
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    func delete(_ request: Request, prefix: String) async throws -> Response {
        try await repository.delete(proxyPath: try Self.path(of: request, after: prefix))
        return TrackingJSON.empty()
    }

    // MARK: - Run-based (UI)

    struct RunFilesResponse: Encodable {
        let root_uri: String
        let files: [ArtifactFileInfo]
    }

    func listRunArtifacts(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let run = try await service.store.getRun(id: try p.runID())
        let relative = try ArtifactRepository.cleanPath(try p.string("path") ?? "")
        let root = try ArtifactRepository.proxyPath(forURI: run.info.artifact_uri)
        let target = relative.isEmpty ? root : root + "/" + relative
        var files = try await repository.list(proxyPath: target, relativeTo: root)
        // Listing a file path answers with no entries, as MLflow does.
        if files.count == 1, !files[0].is_dir, files[0].path == relative { files = [] }
        return try TrackingJSON.response(RunFilesResponse(root_uri: run.info.artifact_uri, files: files))
    }

    func getRunArtifact(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let run = try await service.store.getRun(id: try p.runID())
        let relative = try ArtifactRepository.cleanPath(try p.required("path"), allowEmpty: false)
        return try await stream(proxyPath: try ArtifactRepository.proxyPath(root: run.info.artifact_uri, relative: relative))
    }
}

/// Mounts every tracking surface; called once from ``buildRouter(services:authenticator:)``.
enum TrackingRoutes {
    static func add(to router: Router<IngotRequestContext>, services: IngotServices) {
        let service = TrackingService(store: SQLiteTrackingStore(metadata: services.metadata), objects: services.objects)
        TrackingController(service: service).addRoutes(to: router)
        ArtifactController(service: service).addRoutes(to: router)
        LoggedModelController(service: service).addRoutes(to: router)
        TraceController(service: service).addRoutes(to: router)
    }
}
