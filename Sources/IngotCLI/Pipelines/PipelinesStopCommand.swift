import ArgumentParser
import Foundation

struct PipelinesStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a pipeline's running update (it ends CANCELED, every table at a committed version) and wait for it.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Pipeline name or id.") var pipeline: String
    @Flag(name: .long, help: "Return once the stop is requested.") var noWait = false

    func run() async throws {
        let api = try client.client()
        let p = try await api.call(.GET, "\(PipelinesCommand.api)/\(PipelinesCommand.path(pipeline))") as? [String: Any] ?? [:]
        guard let id = p["pipeline_id"] as? String else { throw CLIError("no pipeline \(pipeline)") }
        let active = (p["latest_updates"] as? [[String: Any]] ?? []).first { !PipelinesCommand.terminal.contains($0["state"] as? String ?? "") }
        _ = try await api.call(.POST, "\(PipelinesCommand.api)/\(id)/stop", body: [String: Any]())
        guard let updateID = active?["update_id"] as? String else {
            if output.output == .json { try printJSON(["pipeline_id": id]) } else { print("pipeline \(pipeline) has no running update") }
            return
        }
        var update: [String: Any] = ["update_id": updateID, "state": "STOPPING"]
        if !noWait { update = try await PipelinesRunCommand.wait(api, pipelineID: id, updateID: updateID, progress: false) }
        switch output.output {
        case .json: try printJSON(update)
        case .table: print("update \(updateID): \(update["state"] as? String ?? "")")
        }
    }
}
