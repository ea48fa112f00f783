import ArgumentParser
import Foundation

/// `ingot jobs runs JOB`: a job's run history, newest first.
struct JobsRunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List a job's runs, newest first.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Job id or name.") var job: String
    @Option(name: .long, help: "How many runs to show.") var limit = 25

    func run() async throws {
        let api = try client.client()
        let id = try await JobsCommand.resolve(job, api)
        let answer = try await api.call(.GET, JobsCommand.api + "/runs/list", query: [("job_id", String(id)), ("limit", String(limit)), ("expand_tasks", "true")])
            as? [String: Any] ?? [:]
        let runs = answer["runs"] as? [[String: Any]] ?? []
        switch output.output {
        case .json: try printJSON(runs)
        case .table:
            var t = TextTable(["RUN ID", "TRIGGER", "STATE", "STARTED", "SCHEDULED FOR", "DURATION", "TASKS", "REPAIRS"])
            for r in runs {
                let tasks = r["tasks"] as? [[String: Any]] ?? []
                let ok = tasks.filter { (($0["state"] as? [String: Any])?["result_state"] as? String) == "SUCCESS" }.count
                t.add([(r["run_id"] as? NSNumber)?.stringValue ?? "", r["trigger"] as? String ?? "", JobsCommand.state(r), JobsCommand.time(r["start_time"]),
                       JobsCommand.time(r["scheduled_time"]), JobsCommand.duration(r["run_duration"]), "\(ok)/\(tasks.count) ok",
                       String(max(0, (r["repair_history"] as? [Any])?.count ?? 1) - 1)])
            }
            print(t.render())
        }
    }
}
