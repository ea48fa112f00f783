import IngotCore
import IngotIdentity

/// `auth.mode: token`: Bearer tokens and HTTP Basic (password or token), resolved by the identity module.
struct TokenAuthenticator: Authenticator {
    let identity: IdentityService

    func authenticate(authorization: String?) async throws -> Principal? {
        try await identity.authenticate(authorization: authorization)
    }

    var requiresCredentials: Bool { true }

    func authenticate(sessionCookie: String) async throws -> (principal: Principal, csrfToken: String)? {
        try await identity.authenticate(session: sessionCookie).map { ($0.principal, $0.csrfToken) }
    }
}
