import ArgumentParser
import Foundation

struct EndpointsUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Replace an endpoint's config (atomic: the old config serves until the new one is loaded).",
        discussion: "ingot endpoints update fraud --config split.json --wait")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var entity: EntityOptions
    @Argument(help: "Endpoint name.") var name: String
    @Flag(help: "Wait until the new config carries all traffic (or the update failed).") var wait = false
    @Option(help: "Seconds to wait with --wait.") var timeout: Double = 300

    func run() async throws {
        let c = try client.client()
        var ep = try await c.call(.PUT, "\(EndpointsCommand.api)/\(name)/config", body: try entity.config()) as? [String: Any] ?? [:]
        if wait { ep = try await waitForEndpoint(c, name, timeout: timeout) }
        switch output.output {
        case .json: try printJSON(ep)
        case .table:
            let (ready, update) = EndpointsCommand.state(ep)
            print("endpoint \(name): \(ready), config \(update)")
        }
    }
}
