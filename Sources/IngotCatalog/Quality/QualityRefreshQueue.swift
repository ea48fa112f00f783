import Foundation

/// Refresh requests waiting for a worker. Bursts coalesce: a table already waiting is not queued
/// twice, and a table being refreshed is held back until its refresh ends (then refreshed once more,
/// so a commit that landed mid-refresh is seen). Workers take jobs with ``next()``.
public actor QualityRefreshQueue: TableCommitListener {
    public struct Job: Sendable, Equatable {
        public let table: TableName
        public let trigger: String
    }

    private var pending: [String: Job] = [:]
    private var order: [String] = []
    private var inFlight: Set<String> = []
    private var waiters: [CheckedContinuation<Job?, Never>] = []
    private var finished = false
    /// Requests that were merged into one already waiting (for tests and metrics).
    public private(set) var coalesced = 0

    public init() {}

    public func tableCommitted(_ name: TableName) async { enqueue(name, trigger: "COMMIT") }

    public func enqueue(_ table: TableName, trigger: String) {
        let key = table.description
        if pending[key] != nil {
            coalesced += 1
            return
        }
        pending[key] = Job(table: table, trigger: trigger)
        order.append(key)
        dispatch()
    }

    /// The next job, waiting for one; nil once the queue is finished.
    public func next() async -> Job? {
        if let job = take() { return job }
        if finished { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// A worker finished `job`: the table may be refreshed again.
    public func done(_ job: Job) {
        inFlight.remove(job.table.description)
        dispatch()
    }

    public func finish() {
        finished = true
        let w = waiters
        waiters.removeAll()
        for c in w { c.resume(returning: nil) }
    }

    public var waiting: Int { pending.count }

    private func take() -> Job? {
        guard let index = order.firstIndex(where: { !inFlight.contains($0) }) else { return nil }
        let key = order.remove(at: index)
        inFlight.insert(key)
        return pending.removeValue(forKey: key)
    }

    private func dispatch() {
        while !waiters.isEmpty, let job = take() { waiters.removeFirst().resume(returning: job) }
    }
}
