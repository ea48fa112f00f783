import ArgumentParser
import Foundation

struct PipelinesLineageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage", abstract: "What each dataset of an update (default: the latest) read — tables and files — and wrote.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Pipeline name or id.") var pipeline: String
    @Option(name: .customLong("update"), help: "The update (default: the latest that ran a dataset).") var updateID: String?

    func run() async throws {
        let answer = try await client.client().call(
            .GET, "/api/2.0/ingot/pipelines/\(PipelinesCommand.path(pipeline))/lineage", query: updateID.map { [("update_id", $0)] } ?? []) as? [String: Any] ?? [:]
        switch output.output {
        case .json: try printJSON(answer)
        case .table:
            var t = TextTable(["DATASET", "WROTE", "READ TABLES", "READ FILES"])
            for d in answer["datasets"] as? [[String: Any]] ?? [] {
                let target = d["target"] as? [String: Any]
                let tables = (d["upstream_tables"] as? [[String: Any]] ?? []).map { "\($0["name"] as? String ?? "")@\(($0["version"] as? NSNumber)?.stringValue ?? "?")" }
                t.add([d["dataset"] as? String ?? "", target.map { "\($0["name"] as? String ?? "")@\(($0["version"] as? NSNumber)?.stringValue ?? "?")" } ?? "",
                       tables.joined(separator: ", "), String((d["source_files"] as? [Any])?.count ?? 0)])
            }
            print(t.render())
        }
    }
}
