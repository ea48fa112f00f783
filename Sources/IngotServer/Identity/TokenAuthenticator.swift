import IngotCore
import IngotIdentity

/// `auth.mode: token`: Bearer tokens and HTTP Basic (password or token), resolved by the identity module.
struct TokenAuthenticator: Authenticator {
    let identity: IdentityService

    func authenticate(authorization: String?) async throws -> Principal? {
        try await identity.authenticate(authorization: authorization)
    }

    var requiresCredentials: Bool { true }
}
