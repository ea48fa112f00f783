import Foundation
import Synchronization
import Testing

@testable import IngotServing

/// Rate limits: validation of Databricks' shape, token buckets with an injected clock, per-user and
/// per-endpoint keys, Retry-After, and concurrent callers.
@Suite struct RateLimiterTests {
    final class FakeClock: Sendable {
        let now = Mutex(1000.0)
        func advance(_ s: Double) { now.withLock { $0 += s } }
        var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
    }

    @Test func validation() throws {
        let limits = try RateLimit.validate([RateLimitInput(calls: 100, renewal_period: "minute", key: "user"), RateLimitInput(calls: 5, renewal_period: nil, key: nil)])
        #expect(limits == [RateLimit(calls: 100, key: .user), RateLimit(calls: 5, key: .endpoint)])
        #expect(try RateLimit.validate(nil).isEmpty)
        for bad in [
            [RateLimitInput(calls: 0)], [RateLimitInput(calls: nil)], [RateLimitInput(calls: 1, renewal_period: "hour")],
            [RateLimitInput(calls: 1, key: "group")], [RateLimitInput(calls: 1), RateLimitInput(calls: 2)],
        ] {
            #expect(throws: ServingError.self) { try RateLimit.validate(bad) }
        }
    }

    @Test func burstThenRefill() {
        let clock = FakeClock()
        let table = RateLimitTable(clock: clock.read)
        table.set("ep", [RateLimit(calls: 6, key: .endpoint)])
        let answers = (0..<9).map { _ in table.admit(endpoint: "ep", principal: "a") }
        #expect(answers.prefix(6).allSatisfy { $0 == .allowed })
        // One token per 10 s: the first refusal waits 10 s.
        #expect(answers[6] == .limited(retryAfter: 10, limit: RateLimit(calls: 6, key: .endpoint)))
        clock.advance(9.9)
        #expect(table.admit(endpoint: "ep", principal: "a") != .allowed)
        clock.advance(0.2)
        #expect(table.admit(endpoint: "ep", principal: "b") == .allowed)
        #expect(table.admit(endpoint: "ep", principal: "b") != .allowed)
        // A minute later the bucket is full again, never fuller.
        clock.advance(600)
        #expect((0..<7).map { _ in table.admit(endpoint: "ep", principal: "c") == .allowed } == [true, true, true, true, true, true, false])
        // Other endpoints are unlimited.
        #expect((0..<100).allSatisfy { _ in table.admit(endpoint: "other", principal: "a") == .allowed })
    }

    @Test func perUserBucketsAndRefundWhenTheEndpointRefuses() {
        let clock = FakeClock()
        let table = RateLimitTable(clock: clock.read)
        table.set("ep", [RateLimit(calls: 2, key: .user), RateLimit(calls: 3, key: .endpoint)])
        #expect(table.admit(endpoint: "ep", principal: "ann") == .allowed)
        #expect(table.admit(endpoint: "ep", principal: "ann") == .allowed)
        guard case .limited(_, let limit) = table.admit(endpoint: "ep", principal: "ann") else {
            Issue.record("ann's third call should be refused")
            return
        }
        #expect(limit.key == .user)
        #expect(table.admit(endpoint: "ep", principal: "bob") == .allowed)
        // The endpoint's 3 calls are used up: bob is refused by the endpoint limit and keeps his token.
        guard case .limited(_, let endpointLimit) = table.admit(endpoint: "ep", principal: "bob") else {
            Issue.record("the endpoint limit should refuse")
            return
        }
        #expect(endpointLimit.key == .endpoint)
        clock.advance(20)  // one endpoint token back (3 per minute)
        #expect(table.admit(endpoint: "ep", principal: "bob") == .allowed)
    }

    @Test func unchangedLimitsKeepTheirBuckets() {
        let clock = FakeClock()
        let table = RateLimitTable(clock: clock.read)
        table.set("ep", [RateLimit(calls: 1, key: .endpoint)])
        #expect(table.admit(endpoint: "ep", principal: "a") == .allowed)
        table.set("ep", [RateLimit(calls: 1, key: .endpoint)])
        #expect(table.admit(endpoint: "ep", principal: "a") != .allowed)
        table.set("ep", [RateLimit(calls: 2, key: .endpoint)])
        #expect(table.admit(endpoint: "ep", principal: "a") == .allowed)
        table.set("ep", [])
        #expect(table.limits("ep").isEmpty && table.admit(endpoint: "ep", principal: "a") == .allowed)
    }

    @Test func concurrentCallersGetExactlyTheLimit() async {
        let clock = FakeClock()
        let table = RateLimitTable(clock: clock.read)
        table.set("ep", [RateLimit(calls: 500, key: .endpoint)])
        let allowed = await withTaskGroup(of: Int.self) { group in
            for t in 0..<8 {
                group.addTask { (0..<200).filter { _ in table.admit(endpoint: "ep", principal: "p\(t)") == .allowed }.count }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 500)
    }
}
