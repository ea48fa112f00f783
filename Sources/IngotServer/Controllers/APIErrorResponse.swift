import Foundation
import HTTPTypes
import Hummingbird
import IngotCore

/// The one mapping from module errors to HTTP: `{"error_code": "...", "message": "..."}` with the
/// status MLflow and Databricks clients expect for each code.
public struct APIErrorResponse: HTTPResponseError {
    public let code: ErrorCode
    public let message: String
    /// A status other than the code's usual one, for the few HTTP-level cases (413 body too large).
    let statusOverride: HTTPResponse.Status?

    public init(_ code: ErrorCode, _ message: String, status: HTTPResponse.Status? = nil) {
        self.code = code
        self.message = message
        self.statusOverride = status
    }

    public init(_ error: any IngotError) {
        self.init(error.errorCode, error.message)
    }

    public var status: HTTPResponse.Status { statusOverride ?? Self.status(for: code) }

    public static func status(for code: ErrorCode) -> HTTPResponse.Status {
        switch code {
        case .invalidParameterValue, .badRequest, .malformedRequest, .resourceAlreadyExists, .invalidState: .badRequest
        case .resourceDoesNotExist, .endpointNotFound: .notFound
        case .unauthenticated: .unauthorized
        case .permissionDenied: .forbidden
        case .resourceConflict: .conflict
        case .requestLimitExceeded: .tooManyRequests
        case .notImplemented: .notImplemented
        case .temporarilyUnavailable: .serviceUnavailable
        case .internalError: .internalServerError
        }
    }

    /// `X-Ingot-Client: web` marks requests from the admin pages.
    static let clientHeader = HTTPField.Name("X-Ingot-Client")!

    /// The documented error shape: `{"error_code": ..., "message": ...}`.
    var body: String { "{\"error_code\":\(JSONText.quote(code.rawValue)),\"message\":\(JSONText.quote(message))}" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        // The admin pages show their own sign-in form: a Basic challenge would pop up the browser's dialog.
        if code == .unauthenticated && request.headers[Self.clientHeader] != "web" { headers[.wwwAuthenticate] = "Basic realm=\"ingot\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
