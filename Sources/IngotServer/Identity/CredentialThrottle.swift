import Foundation
import Synchronization

/// Brute-force throttling of `Authorization` credentials per client address: after ``maxFailures``
/// rejected credentials (unknown, expired or deleted tokens, wrong Basic passwords) within ``window``
/// seconds, every request from that address that carries an `Authorization` header is answered 429
/// with `Retry-After` — without looking the credential up, so the answers stop telling a guess that
/// hits from one that misses. Valid credentials never wait: a success costs one dictionary lookup
/// and other addresses are unaffected. (Failed web sign-ins are also throttled per user name by the
/// identity module.)
final class CredentialThrottle: Sendable {
    let maxFailures: Int
    let window: TimeInterval
    private let failures = Mutex<[String: [TimeInterval]]>([:])

    init(maxFailures: Int = 20, window: TimeInterval = 60) {
        self.maxFailures = maxFailures
        self.window = window
    }

    /// Seconds the address must wait, or nil when it may try.
    func retryAfter(_ address: String, now: TimeInterval = Date().timeIntervalSinceReferenceDate) -> Int? {
        failures.withLock { all in
            guard var times = all[address] else { return nil }
            times.removeAll { now - $0 >= window }
            all[address] = times.isEmpty ? nil : times
            guard times.count >= maxFailures, let oldest = times.first else { return nil }
            return max(1, Int((oldest + window - now).rounded(.up)))
        }
    }

    func recordFailure(_ address: String, now: TimeInterval = Date().timeIntervalSinceReferenceDate) {
        failures.withLock { all in
            // Bounded memory under a flood of spoofed-looking addresses: forget the oldest state wholesale.
            if all.count > 100_000 { all.removeAll(keepingCapacity: true) }
            var times = all[address, default: []]
            times.removeAll { now - $0 >= window }
            times.append(now)
            if times.count > maxFailures { times.removeFirst(times.count - maxFailures) }
            all[address] = times
        }
    }
}
