import Hummingbird
import IngotCore

/// The request context for every Ingot route: Hummingbird's core storage plus the principal
/// resolved by ``AuthenticationMiddleware`` and the body-size limit from configuration.
public struct IngotRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who is calling. Set by the authentication middleware before any route runs.
    public var principal: Principal = .localAdmin
    /// Largest body `collectBody`/decoding accepts; artifact routes stream instead.
    public var maxBodyBytes: Int = 64 * 1024 * 1024

    /// Set when a web session cookie authenticated the request: that session's CSRF token.
    public var sessionCSRFToken: String?

    /// The client's IP address (audit log), when the transport knows it.
    public var remoteAddress: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    public var maxUploadSize: Int { maxBodyBytes }
}
