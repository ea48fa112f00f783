import ArgumentParser
import Foundation

/// `ingot jobs pause JOB`: stops a job's schedule from firing.
struct JobsPauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a job's schedule.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Job id or name.") var job: String

    func run() async throws { try await Self.setPause(job, paused: true, client) }

    /// Rewrites the schedule's pause_status through `jobs/update`.
    static func setPause(_ job: String, paused: Bool, _ client: ClientOptions) async throws {
        let api = try client.client()
        let id = try await JobsCommand.resolve(job, api)
        let current = try await api.call(.GET, JobsCommand.api + "/get", query: [("job_id", String(id))]) as? [String: Any] ?? [:]
        guard var schedule = (current["settings"] as? [String: Any])?["schedule"] as? [String: Any] else { throw CLIError("job \(id) has no schedule") }
        schedule["pause_status"] = paused ? "PAUSED" : "UNPAUSED"
        _ = try await api.call(.POST, JobsCommand.api + "/update", body: ["job_id": id, "new_settings": ["schedule": schedule]])
        print("job \(id) \(paused ? "paused" : "unpaused")")
    }
}
