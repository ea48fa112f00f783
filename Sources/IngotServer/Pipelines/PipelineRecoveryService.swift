import IngotPipelines
import Logging
import ServiceLifecycle

/// At start-up: pipeline updates a stopped server left active are marked FAILED and continuous
/// pipelines that were running are started again; then it waits for shutdown.
struct PipelineRecoveryService: Service {
    let pipelines: PipelineService
    let logger = Logger(label: "ingot.pipelines")

    func run() async throws {
        do {
            let resumed = try await pipelines.recoverAtStartup()
            if !resumed.isEmpty { logger.info("restarted continuous pipeline updates", metadata: ["updates": "\(resumed.joined(separator: ","))"]) }
        } catch {
            logger.error("could not recover pipeline updates", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
    }
}
