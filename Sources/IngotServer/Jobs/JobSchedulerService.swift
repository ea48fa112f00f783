import Foundation
import IngotCore
import IngotPipelines
import Logging
import ServiceLifecycle

/// The job scheduler inside `ingot serve`: at start-up marks runs interrupted by a stopped server,
/// then sleeps until the next fire time across unpaused jobs (re-reading jobs at least every
/// `pollSeconds` to notice new or changed schedules) and creates the runs that are due.
struct JobSchedulerService: Service {
    let jobs: JobService
    var pollSeconds: Double = 1
    let logger = Logger(label: "ingot.jobs.scheduler")

    func run() async throws {
        do {
            let n = try await jobs.recoverInterruptedRuns()
            if n > 0 { logger.warning("marked runs interrupted by a server stop as INTERNAL_ERROR", metadata: ["runs": "\(n)"]) }
        } catch {
            logger.error("could not recover interrupted job runs", metadata: ["error": "\(error)"])
        }
        // On graceful shutdown the loop ends; task processes are then stopped (not left running past the
        // server) and their runs recorded as interrupted.
        defer { logger.debug("job scheduler stopped") }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    for run in try await jobs.scheduleDue(now: Date()) {
                        logger.info("scheduled job run", metadata: ["job_id": "\(run.jobID ?? 0)", "run_id": "\(run.runID)", "state": "\(run.lifeCycleState.rawValue)"])
                    }
                } catch {
                    logger.error("job scheduling failed", metadata: ["error": "\(error)"])
                }
                let now = Date()
                var wake = now.addingTimeInterval(pollSeconds)
                if let next = try? await jobs.nextDue(after: now), next < wake { wake = next }
                let delay = max(0.005, wake.timeIntervalSince(Date()) + 0.002)
                try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
            }
        }
        await jobs.runner.shutdown(timeout: jobs.runner.environment.killGraceSeconds + 2)
    }
}

extension IngotServices {
    /// What job task processes see: the server URL (a wildcard listen address is reached on loopback),
    /// the server's own `INGOT_TOKEN` if it has one, the configured interpreter and the data directory.
    static func jobEnvironment(_ config: IngotConfig) -> JobEnvironment {
        let host = ["0.0.0.0", "::", ""].contains(config.host) ? "127.0.0.1" : config.host
        let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(config.port)"
        let token = ProcessInfo.processInfo.environment["INGOT_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return JobEnvironment(serverURL: url, token: token, python: config.jobsPython, dataDirectory: config.dataDirectoryURL,
                              maxParallelTasks: config.jobsMaxParallelTasks)
    }
}
