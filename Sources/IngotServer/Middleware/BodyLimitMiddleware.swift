import Hummingbird
import IngotCore

/// Rejects oversized request bodies up front from `Content-Length` (chunked bodies are bounded
/// when collected). Routes that stream uploads to the object store are exempt.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = IngotRequestContext
    let maxBodyBytes: Int
    /// Path prefixes whose handlers stream the body instead of collecting it.
    static let streamingPrefixes = ["/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/", "/api/2.0/fs/"]

    static func streams(_ path: String) -> Bool {
        streamingPrefixes.contains(where: { path.hasPrefix($0) }) || (path.hasPrefix("/api/2.0/ingot/tables/") && path.hasSuffix("/ingest"))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxBodyBytes = maxBodyBytes
        let path = request.uri.path
        if !Self.streams(path),
            let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes
        {
            throw APIErrorResponse(.requestLimitExceeded, "request body of \(length) bytes exceeds the limit of \(maxBodyBytes) bytes", status: .contentTooLarge)
        }
        return try await next(request, context)
    }
}
