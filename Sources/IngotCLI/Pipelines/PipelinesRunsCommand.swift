import ArgumentParser
import Foundation

struct PipelinesRunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List a pipeline's updates (runs), newest first.", aliases: ["updates"])
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Pipeline name or id.") var pipeline: String

    func run() async throws {
        let answer = try await client.client().call(.GET, "\(PipelinesCommand.api)/\(PipelinesCommand.path(pipeline))/updates") as? [String: Any] ?? [:]
        let updates = answer["updates"] as? [[String: Any]] ?? []
        switch output.output {
        case .json: try printJSON(updates)
        case .table:
            var t = TextTable(["UPDATE", "STATE", "FULL REFRESH", "DATASETS", "ROWS", "ERROR"])
            for u in updates {
                let datasets = u["datasets"] as? [[String: Any]] ?? []
                let rows = datasets.reduce(Int64(0)) { $0 + (($1["output_records"] as? NSNumber)?.int64Value ?? 0) }
                t.add([u["update_id"] as? String ?? "", u["state"] as? String ?? "", (u["full_refresh"] as? Bool ?? false) ? "yes" : "no",
                       String(datasets.count), String(rows), u["error"] as? String ?? ""])
            }
            print(t.render())
        }
    }
}
