import IngotStorage
import Logging
import ServiceLifecycle

/// Runs the metadata database's WAL checkpoints off the request path: every `interval` a PASSIVE
/// checkpoint on its own connection, and a last one at shutdown. Without it SQLite checkpoints inside
/// whichever commit crosses the threshold, which is where log-batch's p99 spikes came from.
struct MetadataCheckpointService: Service {
    let metadata: MetadataStore
    var interval: Duration = .milliseconds(250)
    let logger = Logger(label: "ingot.storage.checkpoint")

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await checkpoint()
            }
        } onGracefulShutdown: {}
        await checkpoint()
    }

    private func checkpoint() async {
        do {
            try await metadata.checkpoint()
        } catch {
            logger.warning("metadata checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}
