import ArgumentParser
import Foundation

struct EndpointsCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a serving endpoint for a registered model version or alias.",
        discussion: "ingot endpoints create fraud --model fraud --alias champion --wait")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var entity: EntityOptions
    @Argument(help: "Endpoint name.") var name: String
    @Option(help: "Description.") var description: String?
    @Flag(help: "Wait until the endpoint is ready (or its update failed).") var wait = false
    @Option(help: "Seconds to wait with --wait.") var timeout: Double = 300

    func run() async throws {
        let c = try client.client()
        var body: [String: Any] = ["name": name, "config": try entity.config()]
        if let description { body["description"] = description }
        var ep = try await c.call(.POST, EndpointsCommand.api, body: body) as? [String: Any] ?? [:]
        if wait { ep = try await waitForEndpoint(c, name, timeout: timeout) }
        switch output.output {
        case .json: try printJSON(ep)
        case .table:
            let (ready, update) = EndpointsCommand.state(ep)
            print("endpoint \(name): \(ready), config \(update)")
        }
    }
}
