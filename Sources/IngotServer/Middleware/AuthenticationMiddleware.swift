import Hummingbird
import IngotCore

/// Resolves who is calling. The seam every request passes through: the identity module plugs an
/// ``Authenticator`` in here; until then (and whenever auth is disabled) everyone is the local admin
/// and any `Authorization` header a client sends anyway is ignored.
public protocol Authenticator: Sendable {
    /// Returns the caller, or throws an `UNAUTHENTICATED` error.
    func authenticate(authorization: String?) async throws -> Principal
}

/// Authentication disabled: the default on loopback.
public struct LocalAdminAuthenticator: Authenticator {
    public init() {}
    public func authenticate(authorization: String?) async throws -> Principal { .localAdmin }
}

struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = IngotRequestContext
    let authenticator: any Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.principal = try await authenticator.authenticate(authorization: request.headers[.authorization])
        return try await next(request, context)
    }
}
