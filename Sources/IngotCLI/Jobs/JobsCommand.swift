import ArgumentParser
import Foundation

/// `ingot jobs create|list|get|run|runs|repair|pause|unpause|delete`: scheduled DAGs of tasks
/// through the Jobs 2.2 API.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Create, run, schedule and repair jobs (DAGs of tasks).",
        subcommands: [JobsCreateCommand.self, JobsListCommand.self, JobsGetCommand.self, JobsRunCommand.self, JobsRunsCommand.self,
                      JobsRepairCommand.self, JobsPauseCommand.self, JobsUnpauseCommand.self, JobsDeleteCommand.self])

    static let api = "/api/2.2/jobs"

    /// A job id, or the name of exactly one job.
    static func resolve(_ job: String, _ client: IngotClient) async throws -> Int64 {
        if let id = Int64(job) { return id }
        let answer = try await client.call(.GET, api + "/list", query: [("name", job), ("limit", "100")]) as? [String: Any] ?? [:]
        let ids = (answer["jobs"] as? [[String: Any]] ?? []).compactMap { ($0["job_id"] as? NSNumber)?.int64Value }
        guard let id = ids.first else { throw CLIError("no job named '\(job)'") }
        guard ids.count == 1 else { throw CLIError("\(ids.count) jobs are named '\(job)'; use the job id") }
        return id
    }

    static func time(_ ms: Any?) -> String {
        guard let n = (ms as? NSNumber)?.int64Value, n > 0 else { return "" }
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: Double(n) / 1000))
    }

    static func duration(_ ms: Any?) -> String {
        guard let n = (ms as? NSNumber)?.doubleValue else { return "" }
        return n < 60_000 ? String(format: "%.1fs", n / 1000) : String(format: "%.1fm", n / 60_000)
    }

    /// "TERMINATED SUCCESS", "RUNNING", "SKIPPED UPSTREAM_FAILED"...
    static func state(_ o: [String: Any]) -> String {
        let s = o["state"] as? [String: Any] ?? [:]
        return [s["life_cycle_state"] as? String, s["result_state"] as? String].compactMap { $0 }.joined(separator: " ")
    }
}
