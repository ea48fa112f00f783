import ArgumentParser
import Foundation

struct EndpointsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List serving endpoints.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let answer = try await client.client().call(.GET, EndpointsCommand.api) as? [String: Any] ?? [:]
        let endpoints = answer["endpoints"] as? [[String: Any]] ?? []
        switch output.output {
        case .json: try printJSON(endpoints)
        case .table:
            var table = TextTable(["NAME", "READY", "UPDATE", "ENTITIES"])
            for e in endpoints {
                let (ready, update) = EndpointsCommand.state(e)
                table.add([e["name"] as? String ?? "", ready, update, EndpointsCommand.entities(e)])
            }
            print(table.render())
        }
    }
}
