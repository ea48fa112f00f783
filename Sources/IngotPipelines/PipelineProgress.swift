import IngotCore

/// Live progress of the updates running in this process (for `ingot pipelines run` and the web UI):
/// datasets done of the total in the current pass, those running, rows written, micro-batches.
public actor PipelineProgress {
    public struct Snapshot: Sendable, Equatable {
        public var total: Int
        public var done: Int = 0
        public var running: [String] = []
        public var outputRecords: Int64 = 0
        public var microBatches: Int = 0
        public var startedAt: Int64
    }

    var updates: [String: Snapshot] = [:]

    public init() {}

    public func start(_ update: String, total: Int) {
        updates[update] = Snapshot(total: total, startedAt: Clock.nowMillis())
    }

    public func started(_ update: String, dataset: String) {
        updates[update]?.running.append(dataset)
    }

    public func done(_ update: String, dataset: String, rows: Int64) {
        guard var s = updates[update] else { return }
        s.running.removeAll { $0 == dataset }
        s.done += 1
        s.outputRecords += rows
        updates[update] = s
    }

    /// A continuous micro-batch begins: the pass count restarts.
    public func newBatch(_ update: String) {
        updates[update]?.microBatches += 1
        updates[update]?.done = 0
    }

    public func finish(_ update: String) { updates[update] = nil }

    public func snapshot(_ update: String) -> Snapshot? { updates[update] }
}
