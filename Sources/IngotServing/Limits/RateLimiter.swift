import Dispatch
import Synchronization

/// A lock around a value, as a class so shards can live in an array.
final class LockedShard<Value: Sendable>: Sendable {
    let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout sending Value) throws -> sending R) rethrows -> R { try mutex.withLock(body) }
}

/// The answer to "may this request run?".
public enum RateDecision: Sendable, Equatable {
    case allowed
    /// Refused by `limit`; a token is available again after `retryAfter` seconds.
    case limited(retryAfter: Double, limit: RateLimit)
}

/// One endpoint's rate limits, enforced in memory: a token bucket for the endpoint and one per
/// principal, the per-principal buckets spread over shards so concurrent callers rarely share a
/// lock (each held for a few arithmetic operations; no I/O, no await).
public final class EndpointRateLimiter: Sendable {
    public let limits: [RateLimit]
    let endpointLimit: RateLimit?
    let userLimit: RateLimit?
    let endpointBucket: LockedShard<TokenBucket>?
    let userShards: [LockedShard<[String: TokenBucket]>]
    static let shardCount = 16
    /// Above this many principals in a shard, idle (full) buckets are dropped.
    static let pruneAbove = 4096

    public init(limits: [RateLimit], now: Double) {
        self.limits = limits
        endpointLimit = limits.first { $0.key == .endpoint }
        userLimit = limits.first { $0.key == .user }
        endpointBucket = endpointLimit.map { LockedShard(TokenBucket(capacity: $0.calls, now: now)) }
        userShards = userLimit == nil ? [] : (0..<Self.shardCount).map { _ in LockedShard([:]) }
    }

    static func shard(_ key: String) -> Int {
        var h: UInt32 = 2_166_136_261
        for b in key.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Int(h % UInt32(shardCount))
    }

    /// Counts a request by `principal` at `now` against the per-principal limit, then the endpoint's.
    public func admit(principal: String, now: Double) -> RateDecision {
        var tookUser: Int?
        if let limit = userLimit {
            let k = Self.shard(principal)
            let wait = userShards[k].withLock { buckets -> Double? in
                if buckets.count > Self.pruneAbove {
                    buckets = buckets.filter { !$0.value.isFull(now: now, capacity: limit.calls, period: limit.periodSeconds) }
                }
                return buckets[principal, default: TokenBucket(capacity: limit.calls, now: now)]
                    .take(now: now, capacity: limit.calls, period: limit.periodSeconds)
            }
            if let wait { return .limited(retryAfter: wait, limit: limit) }
            tookUser = k
        }
        if let limit = endpointLimit, let bucket = endpointBucket {
            if let wait = bucket.withLock({ $0.take(now: now, capacity: limit.calls, period: limit.periodSeconds) }) {
                if let k = tookUser, let u = userLimit {
                    userShards[k].withLock { $0[principal]?.refund(capacity: u.calls) }
                }
                return .limited(retryAfter: wait, limit: limit)
            }
        }
        return .allowed
    }
}

/// Every endpoint's limiter, looked up by name on each scoring request: the map is split into
/// shards by name, each behind its own lock, and replaced only when an endpoint's limits change.
public final class RateLimitTable: Sendable {
    let shards: [LockedShard<[String: EndpointRateLimiter]>]
    let clock: @Sendable () -> Double
    /// Endpoints with limits: while zero (the common case) a request takes no lock at all.
    let limited = Atomic<Int>(0)

    /// - Parameter clock: monotonic seconds (tests inject their own).
    public init(clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.clock = clock
        shards = (0..<8).map { _ in LockedShard([:]) }
    }

    func shard(_ endpoint: String) -> LockedShard<[String: EndpointRateLimiter]> {
        shards[EndpointRateLimiter.shard(endpoint) % shards.count]
    }

    /// Sets an endpoint's limits (an empty list removes them); buckets start full.
    public func set(_ endpoint: String, _ limits: [RateLimit]) {
        let limiter = limits.isEmpty ? nil : EndpointRateLimiter(limits: limits, now: clock())
        let delta = shard(endpoint).withLock { map -> Int in
            // Unchanged limits keep their buckets (a restart or config update does not refill them).
            if map[endpoint]?.limits == limits { return 0 }
            let had = map[endpoint] != nil
            map[endpoint] = limiter
            return (limiter != nil ? 1 : 0) - (had ? 1 : 0)
        }
        if delta != 0 { limited.add(delta, ordering: .releasing) }
    }

    public func limits(_ endpoint: String) -> [RateLimit] {
        shard(endpoint).withLock { $0[endpoint]?.limits } ?? []
    }

    /// Counts one request; endpoints without limits are always allowed.
    public func admit(endpoint: String, principal: String) -> RateDecision {
        guard limited.load(ordering: .acquiring) > 0 else { return .allowed }
        guard let limiter = shard(endpoint).withLock({ $0[endpoint] }) else { return .allowed }
        return limiter.admit(principal: principal, now: clock())
    }
}
