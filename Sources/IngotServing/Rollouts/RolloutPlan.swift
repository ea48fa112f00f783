/// How traffic moves to the new entity.
public enum RolloutStrategy: String, Codable, Sendable {
    /// The given percentages in order (e.g. 10, 50, 100).
    case canary
    /// `step_count` equal steps (4 → 25, 50, 75, 100).
    case linear
    /// One step: 100% at once (still baked and watched, with the old entity loaded for rollback).
    case allAtOnce = "all_at_once"
}

/// When a step fails: absolute limits on the new entity and limits relative to the baseline.
public struct RolloutThresholds: Codable, Sendable, Equatable {
    /// Requests the new entity must have answered in a step before it is judged.
    public var min_requests: Int
    /// Highest error rate (0…1) of the new entity.
    public var max_error_rate: Double?
    /// Highest p99 latency of the new entity, in milliseconds.
    public var max_p99_ms: Double?
    /// Trips when the new entity's error rate exceeds the baseline's by more than this (0…1).
    public var max_error_rate_increase: Double?
    /// Trips when the new entity's p99 exceeds the baseline's times this…
    public var max_p99_ratio: Double?
    /// …and by more than this many milliseconds (sub-millisecond jitter never trips the ratio).
    public var p99_slack_ms: Double

    public init(
        min_requests: Int = 10, max_error_rate: Double? = 0.1, max_p99_ms: Double? = nil, max_error_rate_increase: Double? = 0.05,
        max_p99_ratio: Double? = 2.0, p99_slack_ms: Double = 1.0
    ) {
        self.min_requests = min_requests
        self.max_error_rate = max_error_rate
        self.max_p99_ms = max_p99_ms
        self.max_error_rate_increase = max_error_rate_increase
        self.max_p99_ratio = max_p99_ratio
        self.p99_slack_ms = p99_slack_ms
    }
}

/// `POST /api/2.0/ingot/serving-endpoints/{name}/rollout`: the new entity and how to move to it.
/// Thresholds left out take the defaults of ``RolloutThresholds``.
public struct RolloutInput: Codable, Sendable {
    /// The new entity (Databricks' served entity shape; `entity_name` defaults to the baseline's model).
    public var served_entity: ServedEntityInput?
    public var strategy: String?
    /// Canary percentages, increasing, ending at 100 (100 is appended when missing).
    public var steps: [Int]?
    /// Linear: the number of equal steps.
    public var step_count: Int?
    public var bake_seconds: Double?
    /// Longest a step waits for `min_requests` before the rollout rolls back (default 10 × bake).
    public var max_bake_seconds: Double?
    public var min_requests: Int?
    public var max_error_rate: Double?
    public var max_p99_ms: Double?
    public var max_error_rate_increase: Double?
    public var max_p99_ratio: Double?
    public var p99_slack_ms: Double?

    public init(served_entity: ServedEntityInput?, strategy: String? = nil, steps: [Int]? = nil, bake_seconds: Double? = nil) {
        self.served_entity = served_entity
        self.strategy = strategy
        self.steps = steps
        self.bake_seconds = bake_seconds
    }
}

/// A validated rollout: the traffic percentage of each step, bake times and thresholds.
public struct RolloutPlan: Codable, Sendable, Equatable {
    public var strategy: RolloutStrategy
    public var steps: [Int]
    public var bakeSeconds: Double
    public var maxBakeSeconds: Double
    public var thresholds: RolloutThresholds

    public init(strategy: RolloutStrategy, steps: [Int], bakeSeconds: Double, maxBakeSeconds: Double, thresholds: RolloutThresholds) {
        self.strategy = strategy
        self.steps = steps
        self.bakeSeconds = bakeSeconds
        self.maxBakeSeconds = maxBakeSeconds
        self.thresholds = thresholds
    }

    /// Validates everything but the entity.
    public static func validate(_ input: RolloutInput) throws -> RolloutPlan {
        let strategyText = input.strategy ?? "canary"
        guard let strategy = RolloutStrategy(rawValue: strategyText) else {
            throw ServingError.invalid("strategy '\(strategyText)' must be canary, linear or all_at_once")
        }
        var steps: [Int]
        switch strategy {
        case .canary:
            if input.step_count != nil { throw ServingError.invalid("step_count is for the linear strategy; give canary steps as 'steps'") }
            steps = input.steps ?? [10, 50, 100]
            guard !steps.isEmpty, steps.allSatisfy({ (1...100).contains($0) }), zip(steps, steps.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw ServingError.invalid("steps \(steps) must be increasing traffic percentages from 1 to 100")
            }
            if steps.last != 100 { steps.append(100) }
        case .linear:
            if input.steps != nil { throw ServingError.invalid("the linear strategy takes step_count, not steps") }
            let n = input.step_count ?? 4
            guard (1...100).contains(n) else { throw ServingError.invalid("step_count must be from 1 to 100") }
            steps = (1...n).map { Int((Double($0) * 100 / Double(n)).rounded()) }
        case .allAtOnce:
            if input.steps != nil || input.step_count != nil { throw ServingError.invalid("all_at_once takes no steps") }
            steps = [100]
        }
        let bake = input.bake_seconds ?? 60
        guard bake >= 0, bake <= 86_400 else { throw ServingError.invalid("bake_seconds must be from 0 to 86400") }
        let maxBake = input.max_bake_seconds ?? max(bake * 10, 10)
        guard maxBake >= bake, maxBake <= 864_000 else { throw ServingError.invalid("max_bake_seconds must be at least bake_seconds") }
        var t = RolloutThresholds()
        if let v = input.min_requests {
            guard v >= 1 else { throw ServingError.invalid("min_requests must be at least 1") }
            t.min_requests = v
        }
        func rate(_ v: Double?, _ name: String) throws -> Double? {
            guard let v else { return nil }
            guard (0...1).contains(v) else { throw ServingError.invalid("\(name) must be a fraction from 0 to 1") }
            return v
        }
        func positive(_ v: Double?, _ name: String) throws -> Double? {
            guard let v else { return nil }
            guard v > 0, v.isFinite else { throw ServingError.invalid("\(name) must be a positive number") }
            return v
        }
        if let v = try rate(input.max_error_rate, "max_error_rate") { t.max_error_rate = v }
        if let v = try positive(input.max_p99_ms, "max_p99_ms") { t.max_p99_ms = v }
        if let v = try rate(input.max_error_rate_increase, "max_error_rate_increase") { t.max_error_rate_increase = v }
        if let v = try positive(input.max_p99_ratio, "max_p99_ratio") { t.max_p99_ratio = v }
        if let v = input.p99_slack_ms {
            guard v >= 0, v.isFinite else { throw ServingError.invalid("p99_slack_ms must be 0 or more") }
            t.p99_slack_ms = v
        }
        return RolloutPlan(strategy: strategy, steps: steps, bakeSeconds: bake, maxBakeSeconds: maxBake, thresholds: t)
    }
}
