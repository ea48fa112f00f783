import Hummingbird
import IngotCore
import Logging
import NIOCore

/// Turns every error a route throws into the documented JSON error shape, so no request ever
/// gets an HTML page or a dropped connection: module errors keep their code, Hummingbird's own
/// HTTP errors (404 for unknown routes, 413 for large bodies, decoding failures) are translated,
/// and anything unexpected becomes a logged INTERNAL_ERROR.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = IngotRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIErrorResponse {
            throw error
        } catch let error as any ShapedErrorResponse {
            throw error  // an API with its own error shape (Unity Catalog, Files API) already built it
        } catch let error as any IngotError {
            throw APIErrorResponse(error)
        } catch let error as HTTPError {
            throw Self.translate(error, request: request)
        } catch let error as DecodingError {
            throw APIErrorResponse(.malformedRequest, "invalid JSON body: \(Self.describe(error))")
        } catch is NIOTooManyBytesError {
            // `collect(upTo:)` on a chunked body (no Content-Length for the limit middleware to see).
            throw APIErrorResponse(.requestLimitExceeded, "request body is too large", status: .contentTooLarge)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            throw APIErrorResponse(.internalError, "internal error (request id \(context.id))")
        }
    }

    static func translate(_ error: HTTPError, request: Request) -> APIErrorResponse {
        switch error.status {
        case .notFound:
            return APIErrorResponse(.endpointNotFound, "no API endpoint \(request.method) \(request.uri.path)")
        case .contentTooLarge:
            return APIErrorResponse(.requestLimitExceeded, "request body is too large", status: .contentTooLarge)
        case .badRequest:
            return APIErrorResponse(.malformedRequest, error.body ?? "malformed request")
        case .methodNotAllowed:
            return APIErrorResponse(.endpointNotFound, "method \(request.method) is not allowed on \(request.uri.path)")
        case .unauthorized:
            return APIErrorResponse(.unauthenticated, error.body ?? "authentication required")
        case .forbidden:
            return APIErrorResponse(.permissionDenied, error.body ?? "permission denied")
        default:
            return APIErrorResponse(error.status.code >= 500 ? .internalError : .badRequest, error.body ?? error.status.reasonPhrase)
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .keyNotFound(_, let ctx), .dataCorrupted(let ctx):
            let path = ctx.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            if case .keyNotFound(let key, _) = error { return "missing field '\(key.stringValue)'" }
            return path.isEmpty ? ctx.debugDescription : "field '\(path)': \(ctx.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
