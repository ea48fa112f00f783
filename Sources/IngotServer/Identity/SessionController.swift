import Foundation
import Hummingbird
import IngotCore
import IngotIdentity

/// Web sign-in: `POST /api/2.0/ingot/login` (username + password → session cookie + CSRF token),
/// `POST /api/2.0/ingot/logout`, and `GET /api/2.0/ingot/me` (the caller, whatever authenticated it).
///
/// Authentication only: this resolves who is calling; what they may do is decided elsewhere.
struct SessionController {
    static let loginPath = "/api/2.0/ingot/login"
    static let logoutPath = "/api/2.0/ingot/logout"

    let identity: IdentityService
    let recorder: AuditRecorder
    let authMode: IngotConfig.AuthMode
    /// Cookies are marked Secure when the server speaks HTTPS.
    let secureCookies: Bool
    let sessionTTLSeconds: Int64

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.post(RouterPath(stringLiteral: Self.loginPath)) { request, context in try await login(request, context) }
        router.post(RouterPath(stringLiteral: Self.logoutPath)) { request, context in try await logout(request, context) }
        router.get("/api/2.0/ingot/me") { _, context in try await me(context) }
    }

    struct LoginBody: Decodable {
        let username: String
        let password: String
    }

    struct MeBody: Encodable {
        let user_name: String
        let kind: String
        let groups: [String]
        let is_admin: Bool
        /// `none` (everyone is the local admin) or `token`.
        let auth_mode: String
        /// Present when a session cookie authenticated the request (or it just signed in).
        let csrf_token: String?
        let session_expires_at: Int64?
    }

    func meBody(_ principal: Principal, csrf: String?, expires: Int64?) -> MeBody {
        MeBody(
            user_name: principal.name, kind: principal.kind.rawValue, groups: principal.groups, is_admin: principal.isAdmin,
            auth_mode: authMode.rawValue, csrf_token: csrf, session_expires_at: expires)
    }

    func login(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        guard authMode == .token else {
            throw APIErrorResponse(.invalidParameterValue, "authentication is disabled (auth.mode: none): there is nothing to sign in to")
        }
        var name = "anonymous"
        do {
            let body = try await request.decode(as: LoginBody.self, context: context)
            name = body.username
            // Always a fresh id; whatever session the client had is ended, never adopted.
            if let old = request.cookies[SessionCookie.name]?.value, !old.isEmpty { try await identity.logout(session: old) }
            let (id, session) = try await identity.login(name: body.username, password: body.password)
            await recorder.record(request, context, status: 200, principal: session.principal.name)
            var response = try JSONResponse.make(meBody(session.principal, csrf: session.csrfToken, expires: session.expiresAt))
            response.setCookie(SessionCookie.make(id, maxAgeSeconds: Int(sessionTTLSeconds), secure: secureCookies))
            return response
        } catch {
            await recorder.record(request, context, status: Int(AuditMiddleware.status(of: error).code), principal: name)
            throw error
        }
    }

    func logout(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        if let id = request.cookies[SessionCookie.name]?.value, !id.isEmpty { try await identity.logout(session: id) }
        var response = Response(status: .noContent)
        response.setCookie(SessionCookie.cleared(secure: secureCookies))
        return response
    }

    func me(_ context: IngotRequestContext) async throws -> Response {
        try JSONResponse.make(meBody(context.principal, csrf: context.sessionCSRFToken, expires: nil))
    }
}
