/// The serving runtime's work queue: everything submitted runs as a child task of ``run()``'s task
/// group, so worker start-ups, shadow copies and drains end with the server.
public final class ServingTaskQueue: ServingTaskRunner {
    public typealias Work = @Sendable () async -> Void
    private let stream: AsyncStream<Work>
    private let continuation: AsyncStream<Work>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Work.self)
    }

    public func submit(_ work: @escaping Work) {
        continuation.yield(work)
    }

    /// Runs submitted work until cancelled, then waits for (cancelled) children to finish.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await work in stream {
                group.addTask { await work() }
            }
        }
    }
}
