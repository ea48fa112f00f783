import ArgumentParser
import Foundation

/// `ingot jobs list`: every job with its schedule and task count.
struct JobsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let api = try client.client()
        var jobs: [[String: Any]] = []
        var token: String?
        repeat {
            var query = [("limit", "100"), ("expand_tasks", "true")]
            if let token { query.append(("page_token", token)) }
            let answer = try await api.call(.GET, JobsCommand.api + "/list", query: query) as? [String: Any] ?? [:]
            jobs += answer["jobs"] as? [[String: Any]] ?? []
            token = answer["next_page_token"] as? String
        } while token != nil
        switch output.output {
        case .json: try printJSON(jobs)
        case .table:
            var t = TextTable(["JOB ID", "NAME", "TASKS", "SCHEDULE", "TIME ZONE", "PAUSED", "CREATED"])
            for j in jobs {
                let s = j["settings"] as? [String: Any] ?? [:]
                let sched = s["schedule"] as? [String: Any]
                t.add([(j["job_id"] as? NSNumber)?.stringValue ?? "", s["name"] as? String ?? "", String((s["tasks"] as? [Any])?.count ?? 0),
                       sched?["quartz_cron_expression"] as? String ?? "", sched?["timezone_id"] as? String ?? "",
                       sched.map { ($0["pause_status"] as? String) == "PAUSED" ? "yes" : "no" } ?? "", JobsCommand.time(j["created_time"])])
            }
            print(t.render())
        }
    }
}
