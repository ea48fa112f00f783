import IngotTracking
import Logging
import ServiceLifecycle

/// Brings run searches' copy of the latest metrics up to date in the background (every
/// `interval`, a few runs per transaction), so the sync a search does first is usually empty.
struct SearchMetricsSyncService: Service {
    let store: SQLiteTrackingStore
    var interval: Duration = .seconds(1)
    let logger = Logger(label: "ingot.tracking.search-sync")

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                try? await Task.sleep(for: interval)
                do {
                    try await store.syncSearchMetrics()
                } catch {
                    logger.warning("search metrics sync failed", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {}
    }
}
