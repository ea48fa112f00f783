import ArgumentParser
import Foundation

struct PipelinesListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List pipelines.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let answer = try await client.client().call(.GET, PipelinesCommand.api) as? [String: Any] ?? [:]
        let statuses = answer["statuses"] as? [[String: Any]] ?? []
        switch output.output {
        case .json: try printJSON(statuses)
        case .table:
            var t = TextTable(["ID", "NAME", "STATE", "LAST UPDATE"])
            for s in statuses {
                let last = (s["latest_updates"] as? [[String: Any]])?.first
                t.add([s["pipeline_id"] as? String ?? "", s["name"] as? String ?? "", s["state"] as? String ?? "",
                       last.map { "\($0["state"] as? String ?? "") \($0["creation_time"] as? String ?? "")" } ?? ""])
            }
            print(t.render())
        }
    }
}
