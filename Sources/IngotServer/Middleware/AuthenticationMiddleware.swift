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
    /// The web session a cookie names: its principal and CSRF token, or nil when it is not (or no
    /// longer) a live session.
    func authenticate(sessionCookie: String) async throws -> (principal: Principal, csrfToken: String)?
}

extension Authenticator {
    public func authenticate(sessionCookie: String) async throws -> (principal: Principal, csrfToken: String)? { nil }
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
    /// Repeated rejected credentials from one address are answered 429 (brute-force throttling).
    var throttle = CredentialThrottle()

    /// Paths anyone may fetch: liveness, metrics scraping, MLflow's version probe, and the pages
    /// themselves (they call the APIs, which do require credentials).
    static func isPublic(_ path: String) -> Bool {
        path == "/" || path == "/health" || path == "/metrics" || path == "/version" || path == "/ui" || path.hasPrefix("/ui/")
            || path == SessionController.loginPath || path == SessionController.logoutPath
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var principal: Principal?
        let authorization = request.headers[.authorization]
        let address = context.remoteAddress ?? "local"
        if authorization != nil, authenticator.requiresCredentials, let wait = throttle.retryAfter(address) {
            await recorder?.record(request, context, status: 429)
            return Self.throttled(retryAfter: wait)
        }
        do {
            do {
                principal = try await authenticator.authenticate(authorization: authorization)
            } catch let error as APIErrorResponse where error.code == .unauthenticated {
                throttle.recordFailure(address)
                throw error
            } catch let error as any IngotError where error.errorCode == .unauthenticated {
                throttle.recordFailure(address)
                throw error
            }
            // The session cookie counts only when the request names no other credential.
            if authorization == nil, authenticator.requiresCredentials, let cookie = request.cookies[SessionCookie.name]?.value, !cookie.isEmpty,
                let session = try await authenticator.authenticate(sessionCookie: cookie)
            {
                principal = session.principal
                context.sessionCSRFToken = session.csrfToken
                if SessionCookie.requiresCSRF(request.method, path: request.uri.path),
                    !SessionCookie.csrfMatches(request.headers[SessionCookie.csrfHeader], expected: session.csrfToken)
                {
                    context.principal = session.principal
                    await recorder?.record(request, context, status: 403)
                    throw APIErrorResponse(.permissionDenied, "missing or wrong X-CSRF-Token header (required on changes made with a session cookie)")
                }
            }
        } catch let error as APIErrorResponse where error.status == .forbidden {
            throw error
        } catch {
            await recorder?.record(request, context, status: Int(AuditMiddleware.status(of: error).code))
            throw error
        }
        if let principal {
            context.principal = principal
        } else if authenticator.requiresCredentials {
            guard Self.isPublic(request.uri.path) else {
                await recorder?.record(request, context, status: 401)
                throw APIErrorResponse(.unauthenticated, "authentication required: send a Bearer token or HTTP Basic credentials, or sign in")
            }
            context.principal = .anonymous
        }
        return try await next(request, context)
    }

    static func throttled(retryAfter seconds: Int) -> Response {
        let message = "too many rejected credentials from this address; retry in \(seconds) s"
        let body = "{\"error_code\":\"\(ErrorCode.requestLimitExceeded.rawValue)\",\"message\":\(JSONText.quote(message))}"
        return Response(
            status: .tooManyRequests, headers: [.contentType: "application/json", .retryAfter: String(seconds)],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
