/// A rate limit as Databricks writes it: `{"calls": N, "renewal_period": "minute", "key": "endpoint" | "user"}`.
public struct RateLimitInput: Codable, Sendable, Equatable {
    public var calls: Int?
    public var renewal_period: String?
    public var key: String?

    public init(calls: Int?, renewal_period: String? = "minute", key: String? = "endpoint") {
        self.calls = calls
        self.renewal_period = renewal_period
        self.key = key
    }
}

/// A validated rate limit: at most `calls` requests per `periodSeconds`, counted for the whole
/// endpoint or for each calling principal.
public struct RateLimit: Codable, Sendable, Equatable {
    public enum Key: String, Codable, Sendable { case endpoint, user }

    public var calls: Int
    public var key: Key
    /// Databricks' `renewal_period` (only `minute` exists there).
    public var renewalPeriod: String

    public init(calls: Int, key: Key, renewalPeriod: String = "minute") {
        self.calls = calls
        self.key = key
        self.renewalPeriod = renewalPeriod
    }

    public var periodSeconds: Double { renewalPeriod == "second" ? 1 : 60 }

    /// The Databricks shape, for API answers.
    public var input: RateLimitInput { RateLimitInput(calls: calls, renewal_period: renewalPeriod, key: key.rawValue) }

    /// Validates a `rate_limits` list: calls 1…10⁹, key `endpoint` (default) or `user`, renewal
    /// period `minute` (Ingot also accepts `second`, for tests); at most one limit per key.
    public static func validate(_ inputs: [RateLimitInput]?) throws -> [RateLimit] {
        var out: [RateLimit] = []
        for (k, item) in (inputs ?? []).enumerated() {
            let at = "rate_limits[\(k)]"
            guard let calls = item.calls, (1...1_000_000_000).contains(calls) else {
                throw ServingError.invalid("\(at).calls must be an integer from 1 to 1000000000")
            }
            let period = item.renewal_period ?? "minute"
            guard period == "minute" || period == "second" else {
                throw ServingError.invalid("\(at).renewal_period '\(period)' must be 'minute'")
            }
            guard let key = Key(rawValue: item.key ?? "endpoint") else {
                throw ServingError.invalid("\(at).key '\(item.key ?? "")' must be 'endpoint' or 'user'")
            }
            guard !out.contains(where: { $0.key == key }) else { throw ServingError.invalid("\(at): only one rate limit per key ('\(key.rawValue)')") }
            out.append(RateLimit(calls: calls, key: key, renewalPeriod: period))
        }
        return out
    }
}
