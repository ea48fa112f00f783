import Foundation

/// Databricks run life-cycle states.
public enum LifeCycleState: String, Codable, Sendable {
    case queued = "QUEUED", pending = "PENDING", running = "RUNNING", terminating = "TERMINATING", terminated = "TERMINATED"
    case skipped = "SKIPPED", internalError = "INTERNAL_ERROR", blocked = "BLOCKED", waitingForRetry = "WAITING_FOR_RETRY"

    /// Whether a run or task in this state has finished.
    public var isFinal: Bool { self == .terminated || self == .skipped || self == .internalError }
}

/// Databricks run and task result states.
public enum ResultState: String, Codable, Sendable {
    case success = "SUCCESS", failed = "FAILED", timedOut = "TIMEDOUT", canceled = "CANCELED", upstreamFailed = "UPSTREAM_FAILED"
    case upstreamCanceled = "UPSTREAM_CANCELED", excluded = "EXCLUDED", successWithFailures = "SUCCESS_WITH_FAILURES", maximumConcurrentRunsReached = "MAXIMUM_CONCURRENT_RUNS_REACHED"
    case disabled = "DISABLED"

    /// Counts as a success for run_if and run results.
    public var succeeded: Bool { self == .success || self == .excluded || self == .successWithFailures }
    /// Counts as a failure for run_if (Databricks: failed, timed out, or not run because upstream failed).
    public var failedLike: Bool { self == .failed || self == .timedOut || self == .upstreamFailed }
}

/// A stored job.
public struct JobRecord: Sendable, Equatable {
    public let jobID: Int64
    public var settings: JobSettings
    public let creator: String
    public let createdTime: Int64
    public var updatedTime: Int64
    /// Schedules fire only for times after this instant (creation, schedule change or unpause).
    public var scheduleAnchor: Int64
}

/// One attempt of a task (the first run or a retry).
public struct TaskAttempt: Codable, Sendable, Equatable {
    public var attemptNumber: Int
    public var startTime: Int64
    public var endTime: Int64?
    public var resultState: String?
    public var message: String?
}

/// One entry of a run's repair history (the original run is entry 0).
public struct RepairEntry: Codable, Sendable, Equatable {
    public var id: Int64?
    public var type: String
    public var startTime: Int64
    public var endTime: Int64?
    public var taskRunIds: [Int64]
    public var lifeCycleState: String?
    public var resultState: String?
}

/// A task's run within a job run.
public struct TaskRunRecord: Sendable, Equatable {
    public var taskRunID: Int64
    public let runID: Int64
    public let taskKey: String
    public var lifeCycleState: LifeCycleState
    public var resultState: ResultState?
    public var stateMessage: String
    public var attemptNumber: Int
    public var startTime: Int64?
    public var endTime: Int64?
    public var attempts: [TaskAttempt]
    public var output: String?
    public var logPath: String?
}

/// A job run (or a one-time submitted run) with its task runs.
public struct JobRunRecord: Sendable, Equatable {
    public let runID: Int64
    public let jobID: Int64?
    public let runName: String
    public let runType: String
    public let trigger: String
    public let scheduledTime: Int64?
    public let settings: JobSettings
    public var parameters: [String: String]
    public var lifeCycleState: LifeCycleState
    public var resultState: ResultState?
    public var stateMessage: String
    public let startTime: Int64
    public var endTime: Int64?
    public let creator: String
    public var repairHistory: [RepairEntry]
    public var tasks: [TaskRunRecord]

    public func task(_ key: String) -> TaskRunRecord? { tasks.first { $0.taskKey == key } }
}
