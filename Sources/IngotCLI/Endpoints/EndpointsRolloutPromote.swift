import ArgumentParser
import Foundation

struct EndpointsRolloutPromote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote", abstract: "Skip the running rollout's remaining steps: the new entity takes 100% now.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Endpoint name.") var name: String

    func run() async throws {
        let answer = try await client.client().call(.POST, EndpointsRollout.path(name) + "/promote", body: [String: Any]()) as? [String: Any] ?? [:]
        let r = answer["rollout"] as? [String: Any] ?? [:]
        switch output.output {
        case .json: try printJSON(r)
        case .table: print(EndpointsRollout.summary(r))
        }
    }
}
