import Dispatch
import HTTPTypes
import Hummingbird
import Logging

/// Echoes a request id as `X-Request-Id` (the caller's, if it sent a sane one) and writes one
/// structured access-log line per request with route, status and duration.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = IngotRequestContext

    static let requestIDField = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        var context = context
        let requestID = Self.acceptableID(request.headers[Self.requestIDField]) ?? context.id
        context.logger[metadataKey: "request_id"] = .string(requestID)
        var status: HTTPResponse.Status = .internalServerError
        defer {
            let hundredths = (DispatchTime.now().uptimeNanoseconds - start + 5_000) / 10_000
            let fraction = hundredths % 100
            context.logger.info(
                "request",
                metadata: [
                    "method": .string(request.method.rawValue),
                    "path": .string(request.uri.path),
                    "route": .string(context.endpointPath ?? "-"),
                    "status": .stringConvertible(status.code),
                    "duration_ms": .string("\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"),
                ])
        }
        do {
            var response = try await next(request, context)
            status = response.status
            response.headers[Self.requestIDField] = requestID
            return response
        } catch let error as any HTTPResponseError {
            status = error.status
            var response = try error.response(from: request, context: context)
            response.headers[Self.requestIDField] = requestID
            return response
        }
    }

    /// Accepts a client-sent id only if it is short and printable, so logs cannot be forged.
    static func acceptableID(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.count <= 128,
            value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 })
        else { return nil }
        return value
    }
}

import Foundation
