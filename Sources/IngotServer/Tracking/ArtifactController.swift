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
            g.post("mpu/create/**") { request, context in try await self.createMultipart(request, context, prefix: prefix + "/mpu/create/") }
            g.post("mpu/complete/**") { request, context in try await self.completeMultipart(request, context, prefix: prefix + "/mpu/complete/") }
            g.post("mpu/abort/**") { request, context in
                let p = try await MLflowParams.read(request, context: context)
                _ = try Self.path(of: request, after: prefix + "/mpu/abort/")
                try await self.repository.abortMultipart(uploadID: try p.required("upload_id"))
                return TrackingJSON.empty()
            }
            g.put("mpu/part/:upload_id/:part") { request, context in try await self.uploadPart(request, context) }
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

    // MARK: - Multipart

    struct Credential: Encodable {
        let url: String
        let part_number: Int
        let headers: [String: String]
    }
    struct CreateMultipartResponse: Encodable {
        let upload_id: String
        let credentials: [Credential]
    }

    func createMultipart(_ request: Request, _ context: IngotRequestContext, prefix: String) async throws -> Response {
        let raw = request.uri.path
        if raw.count > prefix.count { _ = try Self.path(of: request, after: prefix) }
        let p = try await MLflowParams.read(request, context: context)
        let parts = try p.int("num_parts") ?? 1
        guard parts >= 1, parts <= 10000 else { throw TrackingError.invalidParameter("num_parts must be between 1 and 10000") }
        let uploadID = IDGenerator.hex32()
        let host = request.head.authority ?? "127.0.0.1"
        let base = prefix.hasPrefix("/ajax-api") ? "/ajax-api/2.0/mlflow-artifacts" : "/api/2.0/mlflow-artifacts"
        let credentials = (1...parts).map { Credential(url: "http://\(host)\(base)/mpu/part/\(uploadID)/\($0)", part_number: $0, headers: [:]) }
        return try TrackingJSON.response(CreateMultipartResponse(upload_id: uploadID, credentials: credentials))
    }

    func uploadPart(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        guard let uploadID = context.parameters.get("upload_id"), let part = context.parameters.get("part").flatMap(Int.init) else {
            throw TrackingError.invalidParameter("Invalid multipart part URL")
        }
        let upload = try await repository.beginPartUpload(uploadID: uploadID, part: part)
        do {
            for try await buffer in request.body { try await upload.write(Array(buffer.readableBytesView)) }
            try await upload.commit()
        } catch {
            await upload.abort()
            throw error
        }
        var headers = HTTPFields()
        headers[.eTag] = "\"\(uploadID)-\(part)\""
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "{}")))
    }

    func completeMultipart(_ request: Request, _ context: IngotRequestContext, prefix: String) async throws -> Response {
        let path = try Self.path(of: request, after: prefix)
        let p = try await MLflowParams.read(request, context: context)
        let parts = try p.objects("parts").map { try $0.int("part_number") ?? 0 }
        // The URL names the artifact directory; `path` is the client's local file, whose name is kept.
        let fileName = ((try p.required("path")) as NSString).lastPathComponent
        let target = try ArtifactRepository.cleanPath(path + "/" + fileName, allowEmpty: false)
        try await repository.completeMultipart(proxyPath: target, uploadID: try p.required("upload_id"), parts: parts)
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
