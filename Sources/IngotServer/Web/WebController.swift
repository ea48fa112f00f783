import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Serves the admin pages: files under `/ui/`, and `index.html` for `/` and for any `/ui/...`
/// path that is not a file (the pages route in the browser).
struct WebController {
    let assets: any WebAssetSource

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.get("/") { request, _ in try self.serve("/index.html", request: request) }
        router.get("/ui") { request, _ in try self.serve("/index.html", request: request) }
        router.get("/ui/**") { request, context in
            let rest = context.parameters.getCatchAll().joined(separator: "/")
            let path = "/" + rest
            if assets.file(path) != nil { return try self.serve(path, request: request) }
            // Missing static files are real 404s; extension-less paths are page routes.
            if rest.split(separator: "/").last?.contains(".") == true {
                throw APIErrorResponse(.resourceDoesNotExist, "no such file /ui\(path)")
            }
            return try self.serve("/index.html", request: request)
        }
    }

    func serve(_ path: String, request: Request) throws -> Response {
        guard let bytes = assets.file(path) else {
            throw APIErrorResponse(.resourceDoesNotExist, "no such file /ui\(path)")
        }
        let digest = SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined()
        let etag = "\"\(digest)\""
        var headers: HTTPFields = [
            .contentType: Self.contentType(for: path),
            .eTag: etag,
            // Revalidate every time: cheap with the ETag, and a new binary never serves stale pages.
            .cacheControl: "no-cache",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
        if request.headers[.ifNoneMatch] == etag {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func contentType(for path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "woff2": "font/woff2"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
