import ArgumentParser
import Foundation

/// `ingot jobs repair RUN_ID`: re-runs a run's failed tasks and their dependents, then follows it.
struct JobsRepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repair", abstract: "Re-run a run's failed tasks and their dependents (exit 1 unless it then succeeds).")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The run id.") var runID: Int64
    @Option(name: .customLong("task"), help: "Re-run this task (and its dependents) instead of the failed ones (repeatable).") var tasks: [String] = []
    @Flag(name: .long, help: "Return once the repair is started.") var noWait = false

    func run() async throws {
        let api = try client.client()
        var body: [String: Any] = ["run_id": runID]
        if tasks.isEmpty { body["rerun_all_failed_tasks"] = true } else { body["rerun_tasks"] = tasks }
        let answer = try await api.call(.POST, JobsCommand.api + "/runs/repair", body: body) as? [String: Any] ?? [:]
        let repairID = (answer["repair_id"] as? NSNumber)?.stringValue ?? ""
        if noWait {
            if output.output == .json { try printJSON(["run_id": runID, "repair_id": repairID]) } else { print("repair \(repairID) of run \(runID) started") }
            return
        }
        let run = try await JobsRunCommand.follow(runID, api, quiet: output.output == .json)
        if output.output == .json { try printJSON(run) } else { JobsRunCommand.summary(run) }
        if (run["state"] as? [String: Any])?["result_state"] as? String != "SUCCESS" { throw ExitCode(1) }
    }
}
