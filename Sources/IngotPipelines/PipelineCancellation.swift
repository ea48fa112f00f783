import Foundation
import IngotLake

/// How a stop reaches the datasets of an update.
///
/// The update's task is cancelled (structured concurrency: `PipelineService.stop` cancels it); its
/// cancellation handler cancels this token, which interrupts the SQL statements in flight
/// (`sqlite3_interrupt`) and is checked at the runner's safe points: before a dataset starts, before
/// each statement, between source files while staging. The datasets' own work runs in a task that
/// is not itself cancelled, because a cancelled task makes every metadata-store write throw
/// (GRDB's `CancellationError`): a Delta commit in flight must be able to finish registering its
/// version and folding its checkpoint, so a dataset either commits whole or not at all.
public final class PipelineCancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var engines: [ObjectIdentifier: any SQLEngineProtocol] = [:]

    public init() {}

    /// The token of the update the current task works for.
    @TaskLocal public static var current: PipelineCancelToken?

    public var isCancelled: Bool { lock.withLock { cancelled } }

    public func cancel() {
        let running = lock.withLock { () -> [any SQLEngineProtocol] in
            cancelled = true
            return Array(engines.values)
        }
        for e in running { e.cancel() }
    }

    /// Throws `CancellationError` once the update is being stopped.
    public func check() throws {
        if isCancelled { throw CancellationError() }
    }

    /// Runs a statement on `engine`, interrupting it if the update is stopped meanwhile.
    public func run<T>(_ engine: any SQLEngineProtocol, _ body: () async throws -> T) async throws -> T {
        let id = ObjectIdentifier(engine)
        try lock.withLock {
            if cancelled { throw CancellationError() }
            engines[id] = engine
        }
        defer { lock.withLock { _ = engines.removeValue(forKey: id) } }
        do {
            return try await body()
        } catch {
            if isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// Sleeps up to `millis`, returning early (throwing) when the update is stopped.
    public func sleep(millis: Int64) async throws {
        var left = millis
        while left > 0 {
            try check()
            let step = min(left, 100)
            try? await Task.sleep(nanoseconds: UInt64(step) * 1_000_000)
            left -= step
        }
        try check()
    }
}

extension PipelineRunner {
    /// Runs one statement of a dataset under the update's cancel token (when there is one).
    func sql(_ engine: any SQLEngineProtocol, _ text: String) async throws -> SQLResult {
        guard let token = PipelineCancelToken.current else { return try await engine.query(text) }
        return try await token.run(engine) { try await engine.query(text) }
    }

    /// A safe point: throws when the update is being stopped.
    func checkStopped() throws {
        try PipelineCancelToken.current?.check()
    }
}
