import Foundation
import IngotPipelines
import Logging
import ServiceLifecycle

/// At start-up: pipeline updates a stopped server left active are marked FAILED and continuous
/// pipelines that were running are started again; then, until shutdown, the pipelines' `schedule`s
/// are acted on: it sleeps until the next fire time (re-reading the pipelines at least every
/// `pollSeconds` to notice new or changed schedules) and starts the updates that are due
/// (PipelineSchedule.swift: never twice for one scheduled time).
struct PipelineRecoveryService: Service {
    let pipelines: PipelineService
    var pollSeconds: Double = 1
    let logger = Logger(label: "ingot.pipelines")

    func run() async throws {
        do {
            let resumed = try await pipelines.recoverAtStartup()
            if !resumed.isEmpty { logger.info("restarted continuous pipeline updates", metadata: ["updates": "\(resumed.joined(separator: ","))"]) }
        } catch {
            logger.error("could not recover pipeline updates", metadata: ["error": "\(error)"])
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    for u in try await pipelines.scheduleDue(now: Date()) {
                        logger.info("scheduled pipeline update", metadata: ["pipeline_id": "\(u.pipelineID)", "update_id": "\(u.id)"])
                    }
                } catch {
                    logger.error("pipeline scheduling failed", metadata: ["error": "\(error)"])
                }
                let now = Date()
                var wake = now.addingTimeInterval(pollSeconds)
                if let next = try? await pipelines.nextScheduled(after: now), next < wake { wake = next }
                try await Task.sleep(nanoseconds: UInt64(max(0.005, wake.timeIntervalSince(Date()) + 0.002) * 1_000_000_000))
            }
        }
    }
}

/// Pipeline notification webhooks over the server's HTTP client (as registry webhooks).
struct PipelineWebhookHTTPTransport: PipelineWebhookTransport {
    func post(url: String, body: [UInt8], timeoutSeconds: Int) async throws -> Int {
        try await HTTPWebhookTransport().post(url: url, headers: [("Content-Type", "application/json"), ("User-Agent", "ingot-pipelines")], body: body,
                                              timeoutSeconds: timeoutSeconds).status
    }
}
