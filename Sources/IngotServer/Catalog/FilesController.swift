import Foundation
import HTTPTypes
import Hummingbird
import IngotCatalog
import IngotCore
import NIOCore

/// The Databricks Files API over volumes: `/api/2.0/fs/files/Volumes/<c>/<s>/<v>/<path>` (PUT, GET with
/// Range, HEAD, DELETE) and `/api/2.0/fs/directories/Volumes/...` (PUT, GET listing, HEAD, DELETE).
/// Bodies stream in 1 MiB pieces both ways; paths are checked by ``VolumePath`` and resolved by
/// ``VolumeFiles`` (no `..`, no symlinks). Privileges are enforced by ``RouteGuards`` (READ VOLUME /
/// WRITE VOLUME on the volume the path names).
struct FilesController {
    let volumes: VolumeService

    static let filesPrefix = "/api/2.0/fs/files"
    static let directoriesPrefix = "/api/2.0/fs/directories"
    static let chunkSize = 1 << 20

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.put("/api/2.0/fs/files/**") { request, _ in try await Self.files { try await upload(request) } }
        router.get("/api/2.0/fs/files/**") { request, _ in try await Self.files { try await download(request, head: false) } }
        router.head("/api/2.0/fs/files/**") { request, _ in try await Self.files { try await download(request, head: true) } }
        router.delete("/api/2.0/fs/files/**") { request, _ in
            try await Self.files {
                let (path, files) = try await resolve(request, prefix: Self.filesPrefix)
                try files.deleteFile(path.segments)
                return Self.empty()
            }
        }
        router.put("/api/2.0/fs/directories/**") { request, _ in
            try await Self.files {
                let (path, files) = try await resolve(request, prefix: Self.directoriesPrefix)
                try files.makeDirectory(path.segments)
                return Self.empty()
            }
        }
        router.get("/api/2.0/fs/directories/**") { request, _ in try await Self.files { try await list(request) } }
        router.head("/api/2.0/fs/directories/**") { request, _ in
            try await Self.files {
                let (path, files) = try await resolve(request, prefix: Self.directoriesPrefix)
                guard let entry = try files.entry(path.segments), entry.isDirectory else {
                    throw VolumeFileError.notFound("directory \(path) does not exist")
                }
                return Response(status: .ok)
            }
        }
        router.delete("/api/2.0/fs/directories/**") { request, _ in
            try await Self.files {
                let (path, files) = try await resolve(request, prefix: Self.directoriesPrefix)
                try files.deleteDirectory(path.segments)
                return Self.empty()
            }
        }
    }

    /// The volume path after a route prefix (percent-decoded once) and the volume's files.
    static func volumePath(_ request: Request, prefix: String) throws -> VolumePath {
        let raw = request.uri.path
        guard raw.hasPrefix(prefix + "/") else { throw VolumeFileError.invalidPath("invalid path '\(raw)'") }
        return try VolumePath(urlPath: String(raw.dropFirst(prefix.count)))
    }

    func resolve(_ request: Request, prefix: String) async throws -> (VolumePath, VolumeFiles) {
        let path = try Self.volumePath(request, prefix: prefix)
        let (_, files) = try await volumes.files(path)
        return (path, files)
    }

    static func empty() -> Response { Response(status: .noContent) }

    func upload(_ request: Request) async throws -> Response {
        let (path, files) = try await resolve(request, prefix: Self.filesPrefix)
        let flag = request.uri.queryParameters.get("overwrite")?.lowercased()
        let overwrite = flag == nil || flag == "true" || flag == "1"
        let upload = try files.beginUpload(path.segments, overwrite: overwrite)
        do {
            for try await buffer in request.body {
                try buffer.withUnsafeReadableBytes { try upload.write($0) }
            }
            try upload.commit()
        } catch {
            upload.abort()
            throw error
        }
        return Self.empty()
    }

    static func httpDate(_ millis: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(millis) / 1000))
    }

    /// `bytes=a-b`, `bytes=a-` or `bytes=-n` against a size; nil when absent, throws 416 when unsatisfiable.
    static func range(_ header: String?, size: Int64) throws -> ClosedRange<Int64>? {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        let start: Int64, end: Int64
        if spec[0].isEmpty {
            guard let n = Int64(spec[1]), n > 0 else { throw FilesAPIError("INVALID_PARAMETER_VALUE", .rangeNotSatisfiable, "invalid range \(header)") }
            start = max(0, size - n)
            end = size - 1
        } else {
            guard let a = Int64(spec[0]) else { return nil }
            start = a
            end = spec[1].isEmpty ? size - 1 : min(Int64(spec[1]) ?? (size - 1), size - 1)
        }
        guard start <= end, start < size else {
            throw FilesAPIError("INVALID_PARAMETER_VALUE", .rangeNotSatisfiable, "range \(header) is outside the file of \(size) bytes")
        }
        return start...end
    }

    func download(_ request: Request, head: Bool) async throws -> Response {
        let (path, files) = try await resolve(request, prefix: Self.filesPrefix)
        if let entry = try files.entry(path.segments), entry.isDirectory {
            throw VolumeFileError.notFound("\(path) is a directory, not a file")
        }
        let handle = try files.openRead(path.segments)
        let size = handle.size
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.lastModified] = Self.httpDate(handle.modified)
        headers[.acceptRanges] = "bytes"
        if head {
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers, body: .init())
        }
        let range = try Self.range(request.headers[.range], size: size)
        let start = range?.lowerBound ?? 0
        let end = range.map { $0.upperBound + 1 } ?? size
        if let range { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)" }
        let chunk = Self.chunkSize
        let body = ResponseBody(contentLength: Int(end - start)) { writer in
            var offset = start
            while offset < end {
                let bytes = try handle.read(offset: offset, length: Int(min(Int64(chunk), end - offset)))
                if bytes.isEmpty { break }
                try await writer.write(ByteBuffer(bytes: bytes))
                offset += Int64(bytes.count)
            }
            try await writer.finish(nil)
        }
        return Response(status: range == nil ? .ok : .partialContent, headers: headers, body: body)
    }

    struct DirectoryEntry: Encodable {
        let path: String
        let is_directory: Bool
        let file_size: Int64?
        let last_modified: Int64?
        let name: String
    }

    func list(_ request: Request) async throws -> Response {
        let (path, files) = try await resolve(request, prefix: Self.directoriesPrefix)
        let query = request.uri.queryParameters
        let pageSize = min(max(query.get("page_size").flatMap(Int.init) ?? 1000, 1), 1000)
        let token = query.get("page_token").flatMap { $0.isEmpty ? nil : $0 }
        let entries = try files.list(path.segments).filter { token == nil || $0.name > token! }
        let page = entries.prefix(pageSize)
        let base = path.description
        struct Listing: Encodable {
            let contents: [DirectoryEntry]
            let next_page_token: String?
        }
        let contents = page.map { e in
            DirectoryEntry(path: base + "/" + e.name + (e.isDirectory ? "/" : ""), is_directory: e.isDirectory, file_size: e.isDirectory ? nil : e.size,
                           last_modified: e.modified, name: e.name)
        }
        return try JSONResponse.make(Listing(contents: contents, next_page_token: entries.count > pageSize ? page.last?.name : nil))
    }

    /// Runs a handler, answering volume and catalog errors in the Files API's shape.
    static func files(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as any IngotError {
            throw FilesAPIError(error)
        }
    }
}

/// The Files API's errors: `NOT_FOUND` 404, `ALREADY_EXISTS` 409, `INVALID_PARAMETER_VALUE` 400, …
struct FilesAPIError: ShapedErrorResponse {
    let code: String
    let status: HTTPResponse.Status
    let message: String

    init(_ code: String, _ status: HTTPResponse.Status, _ message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    init(_ error: any IngotError) {
        message = error.message
        switch error.errorCode {
        case .resourceDoesNotExist, .endpointNotFound: (code, status) = ("NOT_FOUND", .notFound)
        case .resourceAlreadyExists: (code, status) = ("ALREADY_EXISTS", .conflict)
        case .invalidState, .resourceConflict: (code, status) = ("RESOURCE_CONFLICT", .conflict)
        case .permissionDenied: (code, status) = ("PERMISSION_DENIED", .forbidden)
        case .unauthenticated: (code, status) = ("UNAUTHENTICATED", .unauthorized)
        case .internalError: (code, status) = ("INTERNAL_ERROR", .internalServerError)
        default: (code, status) = (error.errorCode.rawValue, APIErrorResponse.status(for: error.errorCode))
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = "{\"error_code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message))}"
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
