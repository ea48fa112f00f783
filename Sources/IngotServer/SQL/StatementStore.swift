import Foundation
import IngotCore
import IngotLake

/// The statements of `/api/2.0/sql/statements`: their state, the engine running them (to cancel)
/// and their results, rendered once as JSON_ARRAY chunks. Shared by request handlers and the
/// runner, hence an actor. Finished statements are kept for an hour (at most `capacity`), as the
/// Databricks API keeps results fetchable for a while after they finish.
actor StatementStore {
    enum State: String, Sendable { case pending = "PENDING", running = "RUNNING", succeeded = "SUCCEEDED", failed = "FAILED", canceled = "CANCELED", closed = "CLOSED" }

    struct Column: Sendable, Encodable {
        let name: String
        let type_text: String
        let type_name: String
        let position: Int
        let type_precision: Int?
        let type_scale: Int?
    }

    struct Result: Sendable {
        var columns: [Column]
        /// Rows as JSON_ARRAY values (strings or null), split into chunks of ``StatementStore/chunkRows``.
        var chunks: [[[String?]]]
        var totalRows: Int
        var truncated: Bool
        var affectedRows: Int64?
    }

    struct Entry: Sendable {
        let id: String
        let statement: String
        let principal: String
        let submittedAt: Date
        var state: State
        var finishedAt: Date?
        var errorCode: String?
        var errorMessage: String?
        var result: Result?
        var engine: (any SQLEngineProtocol)?
        var cancelRequested = false
    }

    static let chunkRows = 10_000
    static let retention: TimeInterval = 3600
    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var order: [String] = []

    init(capacity: Int = 500) { self.capacity = capacity }

    func add(id: String, statement: String, principal: String) {
        entries[id] = Entry(id: id, statement: statement, principal: principal, submittedAt: Date(), state: .pending)
        order.append(id)
        evict()
    }

    func entry(_ id: String) -> Entry? { entries[id] }

    /// Marks the statement running with its engine; false when it was cancelled while pending.
    func start(_ id: String, engine: any SQLEngineProtocol) -> Bool {
        guard var entry = entries[id], entry.state == .pending, !entry.cancelRequested else { return false }
        entry.state = .running
        entry.engine = engine
        entries[id] = entry
        return true
    }

    func finish(_ id: String, result: Result) {
        guard var entry = entries[id], entry.state == .running || entry.state == .pending else { return }
        entry.state = entry.cancelRequested ? .canceled : .succeeded
        entry.result = entry.cancelRequested ? nil : result
        entry.finishedAt = Date()
        entry.engine = nil
        entries[id] = entry
    }

    func fail(_ id: String, code: String, message: String) {
        guard var entry = entries[id], entry.state == .running || entry.state == .pending else { return }
        entry.state = entry.cancelRequested || code == "CANCELLED" ? .canceled : .failed
        entry.errorCode = code
        entry.errorMessage = message
        entry.finishedAt = Date()
        entry.engine = nil
        entries[id] = entry
    }

    /// Requests cancellation: a pending statement never starts, a running one is interrupted.
    func cancel(_ id: String) -> Bool {
        guard var entry = entries[id] else { return false }
        switch entry.state {
        case .pending:
            entry.cancelRequested = true
            entry.state = .canceled
            entry.finishedAt = Date()
        case .running:
            entry.cancelRequested = true
            entry.engine?.cancel()
        default:
            break
        }
        entries[id] = entry
        return true
    }

    /// Recent statements, newest first (query history).
    func recent(limit: Int, principal: String?) -> [Entry] {
        order.reversed().lazy.compactMap { self.entries[$0] }.filter { principal == nil || $0.principal == principal }.prefix(limit).map { $0 }
    }

    private func evict() {
        let cutoff = Date().addingTimeInterval(-Self.retention)
        while let first = order.first, order.count > capacity || (entries[first]?.finishedAt.map { $0 < cutoff } ?? false) {
            order.removeFirst()
            entries[first] = nil
        }
    }
}
