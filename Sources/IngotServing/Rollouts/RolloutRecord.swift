/// A rollout's state. LOADING and BAKING are active; the others are final.
public enum RolloutState: String, Codable, Sendable {
    /// The new entity is loading (the old one serves everything).
    case loading = "LOADING"
    /// A step's traffic split serves and is being watched.
    case baking = "BAKING"
    /// Every step passed (or it was promoted): the new entity serves 100%, the old one is gone.
    case succeeded = "SUCCEEDED"
    /// A threshold tripped (or the server restarted mid-rollout): the old entity serves 100% again.
    case rolledBack = "ROLLED_BACK"
    /// Canceled by a user: the old entity serves 100% again.
    case canceled = "CANCELED"
    /// The new entity failed to load; the old one never stopped serving 100%.
    case failed = "FAILED"

    public var isActive: Bool { self == .loading || self == .baking }
}

/// One step of a rollout as recorded: its split, when it ran, what each entity did, the decision.
public struct RolloutStep: Sendable, Equatable {
    public enum State: String, Sendable {
        case pending = "PENDING", baking = "BAKING", passed = "PASSED", failed = "FAILED", skipped = "SKIPPED", aborted = "ABORTED"
    }

    public var step: Int
    public var trafficPercentage: Int
    public var state: State
    public var startTime: Int64?
    public var endTime: Int64?
    /// The new entity's requests, errors and p99 during the step.
    public var candidate: StatsWindow?
    /// The baseline's during the step (or since the rollout began, when the step gave it too few).
    public var baseline: StatsWindow?
    public var decision: String?

    public init(step: Int, trafficPercentage: Int, state: State = .pending) {
        self.step = step
        self.trafficPercentage = trafficPercentage
        self.state = state
    }
}

/// A rollout as stored (`serving_rollouts` and `serving_rollout_steps`).
public struct RolloutRecord: Sendable, Equatable {
    public var id: String
    public var endpoint: String
    public var state: RolloutState
    public var plan: RolloutPlan
    /// The entity serving 100% when the rollout began, and the config to return to.
    public var baselineEntity: String
    public var baselineConfig: EndpointConfig
    public var target: ServedEntity
    /// The endpoint's pending config version (the final config) this rollout promotes or abandons.
    public var pendingVersion: Int
    public var currentStep: Int
    /// The new entity's share of traffic now.
    public var trafficPercentage: Int
    public var reason: String?
    public var creator: String?
    public var startTime: Int64
    public var endTime: Int64?
    public var lastUpdatedTime: Int64
    public var steps: [RolloutStep]
}
