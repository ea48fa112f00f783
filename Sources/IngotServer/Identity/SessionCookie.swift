import HTTPTypes
import Hummingbird
import IngotIdentity

/// The web session cookie and the CSRF rule for requests it authenticates.
///
/// The cookie is `HttpOnly` (scripts never see the session id), `SameSite=Strict` (browsers don't
/// send it on cross-site requests), `Path=/`, and `Secure` when the server speaks HTTPS. Mutations
/// authenticated by the cookie must also echo the session's CSRF token in `X-CSRF-Token`
/// (double submit against the token stored with the session); Bearer/Basic requests carry their
/// credential explicitly and need no such token.
enum SessionCookie {
    static let name = "ingot_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    static func make(_ id: String, maxAgeSeconds: Int, secure: Bool) -> Cookie {
        Cookie(name: name, value: id, maxAge: maxAgeSeconds, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// Tells the browser to drop the cookie.
    static func cleared(secure: Bool) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// Whether a cookie-authenticated request needs the CSRF header. Signing in proves itself with the password.
    static func requiresCSRF(_ method: HTTPRequest.Method, path: String) -> Bool {
        switch method {
        case .post, .put, .patch, .delete: return path != SessionController.loginPath
        default: return false
        }
    }

    /// The header matches the session's token (constant time).
    static func csrfMatches(_ header: String?, expected: String) -> Bool {
        guard let header, !header.isEmpty else { return false }
        return SessionSecret.matches(header, expected)
    }
}
