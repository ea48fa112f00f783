import Hummingbird
import IngotCore

/// Turns a request's credentials into a ``Principal``. The identity module's token/password
/// authenticator plugs in here; with auth disabled everyone is the local admin and any
/// `Authorization` header a client sends anyway is ignored.
public protocol Authenticator: Sendable {
    /// The caller, nil when the request has no credentials, or an `UNAUTHENTICATED` error when
    /// the credentials are wrong.
    func authenticate(authorization: String?) async throws -> Principal?
    /// Whether requests without credentials are let through (as anonymous) to public paths.
    var requiresCredentials: Bool { get }
}

/// Authentication disabled: the default on loopback.
public struct LocalAdminAuthenticator: Authenticator {
    public init() {}
    public func authenticate(authorization: String?) async throws -> Principal? { .localAdmin }
    public var requiresCredentials: Bool { false }
}

struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = IngotRequestContext
    let authenticator: any Authenticator
    /// Failed sign-ins go to the audit log.
    var recorder: AuditRecorder?

    /// Paths anyone may fetch: liveness, metrics scraping, MLflow's version probe, and the pages
    /// themselves (they call the APIs, which do require credentials).
    static func isPublic(_ path: String) -> Bool {
        path == "/" || path == "/health" || path == "/metrics" || path == "/version" || path == "/ui" || path.hasPrefix("/ui/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let principal: Principal?
        do {
            principal = try await authenticator.authenticate(authorization: request.headers[.authorization])
        } catch {
            await recorder?.record(request, context, status: Int(AuditMiddleware.status(of: error).code))
            throw error
        }
        if let principal {
            context.principal = principal
        } else if authenticator.requiresCredentials {
            guard Self.isPublic(request.uri.path) else {
                await recorder?.record(request, context, status: 401)
                throw APIErrorResponse(.unauthenticated, "authentication required: send a Bearer token or HTTP Basic credentials")
            }
            context.principal = .anonymous
        }
        return try await next(request, context)
    }
}
