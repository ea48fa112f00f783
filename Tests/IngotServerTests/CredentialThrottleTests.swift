import Foundation
import Testing

@testable import IngotServer

/// Brute-force throttling of rejected credentials per client address, and the page tokens of
/// filtered lists.
@Suite struct CredentialThrottleTests {
    @Test func anAddressIsThrottledAfterTooManyFailuresUntilTheWindowPasses() {
        let throttle = CredentialThrottle(maxFailures: 3, window: 60)
        let t0: TimeInterval = 1_000
        for i in 0..<2 { throttle.recordFailure("10.0.0.1", now: t0 + Double(i)) }
        #expect(throttle.retryAfter("10.0.0.1", now: t0 + 2) == nil)
        throttle.recordFailure("10.0.0.1", now: t0 + 2)
        // Blocked until the oldest of the last three failures leaves the window.
        #expect(throttle.retryAfter("10.0.0.1", now: t0 + 3) == 57)
        #expect(throttle.retryAfter("10.0.0.2", now: t0 + 3) == nil)
        #expect(throttle.retryAfter("10.0.0.1", now: t0 + 59) == 1)
        #expect(throttle.retryAfter("10.0.0.1", now: t0 + 60) == nil)
    }

    @Test func filteredPageTokensRoundTripAndForeignTokensPassThrough() {
        let position = FilteredPages.Position(token: "abc/+=", skip: 7)
        let token = FilteredPages.encode(position)
        #expect(token.hasPrefix(FilteredPages.tokenPrefix) && !token.contains("/") && !token.contains("+"))
        #expect(FilteredPages.decode(token) == position)
        #expect(FilteredPages.decode(FilteredPages.encode(.init(token: nil, skip: 2))) == .init(token: nil, skip: 2))
        #expect(FilteredPages.decode("40") == .init(token: "40", skip: 0))
        #expect(FilteredPages.decode(nil) == .init(token: nil, skip: 0))
    }
}
