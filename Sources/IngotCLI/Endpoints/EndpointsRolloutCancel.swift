import ArgumentParser
import Foundation

struct EndpointsRolloutCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel the running rollout: all traffic returns to the old entity.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Endpoint name.") var name: String

    func run() async throws {
        let answer = try await client.client().call(.POST, EndpointsRollout.path(name) + "/cancel", body: [String: Any]()) as? [String: Any] ?? [:]
        let r = answer["rollout"] as? [String: Any] ?? [:]
        switch output.output {
        case .json: try printJSON(r)
        case .table: print(EndpointsRollout.summary(r))
        }
    }
}
