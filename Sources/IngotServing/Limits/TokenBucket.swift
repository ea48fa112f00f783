/// A token bucket: holds at most `capacity` tokens, refilled continuously at `capacity / period`
/// per second; a request takes one. Starts full, so `calls` requests in a burst pass and the next
/// waits for the refill. Times are seconds on a monotonic clock.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    public private(set) var updated: Double

    public init(capacity: Int, now: Double) {
        tokens = Double(capacity)
        updated = now
    }

    mutating func refill(now: Double, capacity: Int, period: Double) {
        let elapsed = max(0, now - updated)
        tokens = min(Double(capacity), tokens + elapsed * Double(capacity) / period)
        updated = max(updated, now)
    }

    /// Takes a token: nil when granted, else the seconds until one is available.
    public mutating func take(now: Double, capacity: Int, period: Double) -> Double? {
        refill(now: now, capacity: capacity, period: period)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) * period / Double(capacity)
    }

    /// Gives back a token taken for a request another limit refused.
    mutating func refund(capacity: Int) { tokens = min(Double(capacity), tokens + 1) }

    /// Whether the bucket has refilled completely (an idle caller's bucket can be forgotten).
    func isFull(now: Double, capacity: Int, period: Double) -> Bool {
        tokens + max(0, now - updated) * Double(capacity) / period >= Double(capacity)
    }
}
