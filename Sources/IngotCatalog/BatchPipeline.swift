import IngotLake

/// Runs a batch producer (file parsing) and its consumer (Parquet encoding) on two cores at once:
/// the producer fills a small bounded buffer from a child task while the caller consumes. Memory
/// stays bounded by `capacity` batches; an error on either side stops both.
enum BatchPipeline {
    static func run(
        capacity: Int = 2, produce: @escaping @Sendable (_ send: (RecordBatch) async throws -> Void) async throws -> Void,
        consume: (RecordBatch) async throws -> Void
    ) async throws {
        let channel = BatchChannel(capacity: capacity)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await produce { batch in try await channel.send(batch) }
                    await channel.finish(nil)
                } catch {
                    await channel.finish(error)
                    throw error
                }
            }
            do {
                while let batch = try await channel.receive() { try await consume(batch) }
                try await group.waitForAll()
            } catch {
                // Wakes a producer waiting for room so the group can finish.
                await channel.close()
                throw error
            }
        }
    }
}

/// A bounded single-producer/single-consumer queue of batches with back-pressure.
actor BatchChannel {
    struct Closed: Error {}
    private let capacity: Int
    private var buffer: [RecordBatch] = []
    private var finished = false
    private var failure: (any Error)?
    private var closed = false
    private var waitingReceiver: CheckedContinuation<Void, Never>?
    private var waitingSender: CheckedContinuation<Void, Never>?

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func send(_ batch: RecordBatch) async throws {
        while buffer.count >= capacity && !closed {
            await withCheckedContinuation { waitingSender = $0 }
        }
        if closed { throw Closed() }
        buffer.append(batch)
        waitingReceiver?.resume()
        waitingReceiver = nil
    }

    func finish(_ error: (any Error)?) {
        finished = true
        failure = error
        waitingReceiver?.resume()
        waitingReceiver = nil
    }

    func close() {
        closed = true
        buffer.removeAll()
        waitingSender?.resume()
        waitingSender = nil
    }

    func receive() async throws -> RecordBatch? {
        while buffer.isEmpty && !finished {
            await withCheckedContinuation { waitingReceiver = $0 }
        }
        if !buffer.isEmpty {
            let batch = buffer.removeFirst()
            waitingSender?.resume()
            waitingSender = nil
            return batch
        }
        if let failure { throw failure }
        return nil
    }
}
