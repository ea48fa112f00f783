import ArgumentParser
import Foundation

struct PipelinesEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Print a pipeline's event log, newest first.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Pipeline name or id.") var pipeline: String
    @Option(help: "Most events to show.") var limit = 100
    @Option(name: .customLong("update"), help: "Only the events of this update.") var updateID: String?

    func run() async throws {
        var query = [("max_results", String(limit))]
        if let updateID { query.append(("update_id", updateID)) }
        let answer = try await client.client().call(.GET, "\(PipelinesCommand.api)/\(PipelinesCommand.path(pipeline))/events", query: query) as? [String: Any] ?? [:]
        let events = answer["events"] as? [[String: Any]] ?? []
        switch output.output {
        case .json: try printJSON(events)
        case .table:
            var t = TextTable(["TIMESTAMP", "LEVEL", "TYPE", "DATASET", "MESSAGE"])
            for e in events {
                let origin = e["origin"] as? [String: Any] ?? [:]
                t.add([e["timestamp"] as? String ?? "", e["level"] as? String ?? "", e["event_type"] as? String ?? "", origin["dataset_name"] as? String ?? "", e["message"] as? String ?? ""])
            }
            print(t.render())
        }
    }
}
