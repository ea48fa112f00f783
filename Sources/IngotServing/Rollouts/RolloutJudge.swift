/// What one entity did during a window: requests answered, errors (5xx, 429, failed predictions)
/// and the p99 latency of the window's requests.
public struct StatsWindow: Sendable, Equatable, Codable {
    public var requests: Int
    public var errors: Int
    public var p99Seconds: Double

    public init(requests: Int, errors: Int, p99Seconds: Double) {
        self.requests = requests
        self.errors = errors
        self.p99Seconds = p99Seconds
    }

    public var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }
    public var p99Millis: Double { p99Seconds * 1000 }
}

/// The verdict on a step so far.
public enum RolloutVerdict: Sendable, Equatable {
    /// Every threshold holds on at least `min_requests` requests.
    case healthy
    /// Not enough requests yet to judge.
    case waiting(String)
    /// A threshold tripped: roll back.
    case tripped(String)
}

/// The decision rules of a rollout step, free of clocks and I/O.
public enum RolloutJudge {
    /// Judges the new entity's window against the absolute thresholds and, when the baseline has
    /// answered at least `min_requests` requests itself, against the baseline.
    public static func judge(candidate: StatsWindow, baseline: StatsWindow?, thresholds t: RolloutThresholds) -> RolloutVerdict {
        guard candidate.requests >= t.min_requests else {
            return .waiting("\(candidate.requests) of \(t.min_requests) requests needed to judge")
        }
        let rate = candidate.errorRate
        if let max = t.max_error_rate, rate > max {
            return .tripped("error rate \(percent(rate)) (\(candidate.errors)/\(candidate.requests)) exceeds max_error_rate \(percent(max))")
        }
        if let max = t.max_p99_ms, candidate.p99Millis > max {
            return .tripped("p99 latency \(ms(candidate.p99Millis)) exceeds max_p99_ms \(ms(max))")
        }
        if let base = baseline, base.requests >= t.min_requests {
            if let increase = t.max_error_rate_increase, rate > base.errorRate + increase {
                return .tripped(
                    "error rate \(percent(rate)) exceeds the baseline's \(percent(base.errorRate)) by more than \(percent(increase))")
            }
            if let ratio = t.max_p99_ratio, candidate.p99Millis > base.p99Millis * ratio,
                candidate.p99Millis - base.p99Millis > t.p99_slack_ms
            {
                return .tripped("p99 latency \(ms(candidate.p99Millis)) exceeds \(ratio)× the baseline's \(ms(base.p99Millis))")
            }
        }
        return .healthy
    }

    static func percent(_ v: Double) -> String {
        let p = (v * 1000).rounded() / 10
        return "\(p)%"
    }

    static func ms(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return "\(r) ms"
    }
}
