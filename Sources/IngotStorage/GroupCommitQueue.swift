import GRDB
import Synchronization

/// Commits concurrent small writes of one kind together. The first caller to arrive while no
/// commit is running leads: it takes every request queued so far into one transaction, each in
/// its own savepoint (one request's error fails that request only), and hands the lead to the
/// next waiter when it is done. Callers are answered only after the transaction commits, so an
/// acknowledged write is exactly as durable as with one transaction each.
///
/// Why: under concurrent load every commit rewrites the same hot b-tree pages (a metric-key
/// index, the run's rows) into the WAL; one commit for N requests writes them once, and the
/// writer spends its time on rows instead of on commits. A lone caller leads at once, so
/// there is no added latency without contention.
public final class GroupCommitQueue<Item: Sendable>: Sendable {
    public typealias Apply = @Sendable (Database, Item) throws -> Void

    private enum Signal: Sendable {
        case done(Result<Void, any Error>)
        case lead
    }

    private struct Waiter: Sendable {
        let id: UInt64
        let item: Item
        let continuation: CheckedContinuation<Signal, Never>
    }

    private struct State: Sendable {
        /// Invariant: while `leading`, the leader's own waiter is `pending.first` until it takes a group.
        var pending: [Waiter] = []
        var leading = false
        var nextID: UInt64 = 0
    }

    private let writer: any DatabaseWriter
    private let apply: Apply
    private let maxItemsPerCommit: Int
    private let state = Mutex(State())

    /// - Parameter maxItemsPerCommit: bounds one transaction, so a leader under a flood of
    ///   requests still answers its group within a bounded time.
    public init(writer: any DatabaseWriter, maxItemsPerCommit: Int = 32, apply: @escaping Apply) {
        self.writer = writer
        self.apply = apply
        self.maxItemsPerCommit = max(1, maxItemsPerCommit)
    }

    /// Applies `item` in a transaction shared with whatever else is queued; returns once committed.
    public func submit(_ item: Item) async throws {
        let id = state.withLock { s -> UInt64 in
            defer { s.nextID &+= 1 }
            return s.nextID
        }
        let signal: Signal = await withCheckedContinuation { continuation in
            let lead = state.withLock { s -> Bool in
                s.pending.append(Waiter(id: id, item: item, continuation: continuation))
                if s.leading { return false }
                s.leading = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        switch signal {
        case .done(let result):
            try result.get()
        case .lead:
            try await lead(id)
        }
    }

    /// Requests waiting for a leader to take them (for tests).
    var queuedCount: Int { state.withLock { $0.pending.count } }

    /// Whether a commit is being led now (for tests).
    var isLeading: Bool { state.withLock { $0.leading } }

    private func lead(_ myID: UInt64) async throws {
        let group = state.withLock { s -> [Waiter] in
            let count = min(s.pending.count, maxItemsPerCommit)
            let group = Array(s.pending.prefix(count))
            s.pending.removeFirst(count)
            return group
        }
        precondition(group.first?.id == myID, "group commit leader is not at the head of its group")
        let apply = self.apply
        let items = group.map(\.item)
        let results: [Result<Void, any Error>]
        do {
            results = try await writer.write { db in
                items.map { item in
                    Result {
                        try db.inSavepoint {
                            try apply(db, item)
                            return .commit
                        }
                    }
                }
            }
        } catch {
            if Task.isCancelled {
                // The leader's own task was cancelled and the transaction rolled back: the others'
                // requests were not, so they go back to the head of the queue untouched.
                let next = state.withLock { s -> Waiter? in
                    s.pending.insert(contentsOf: group.dropFirst(), at: 0)
                    if s.pending.isEmpty {
                        s.leading = false
                        return nil
                    }
                    return s.pending.first
                }
                next?.continuation.resume(returning: .lead)
                throw error
            }
            results = Array(repeating: .failure(error), count: group.count)
        }
        let next = state.withLock { s -> Waiter? in
            if s.pending.isEmpty {
                s.leading = false
                return nil
            }
            return s.pending.first
        }
        next?.continuation.resume(returning: .lead)
        for (waiter, result) in zip(group, results).dropFirst() {
            waiter.continuation.resume(returning: .done(result))
        }
        try results[0].get()
    }
}
