import ArgumentParser
import Foundation

struct EndpointsRolloutStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show an endpoint's latest rollout with its steps (and --history, the earlier ones).")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Endpoint name.") var name: String
    @Flag(help: "Also list earlier rollouts.") var history = false

    func run() async throws {
        let answer = try await client.client().call(.GET, EndpointsRollout.path(name)) as? [String: Any] ?? [:]
        switch output.output {
        case .json: try printJSON(history ? answer : answer["rollout"] ?? [:])
        case .table:
            EndpointsRollout.printRollout(answer["rollout"] as? [String: Any] ?? [:])
            if history {
                for r in (answer["rollout_history"] as? [[String: Any]] ?? []).dropFirst() { print(EndpointsRollout.summary(r)) }
            }
        }
    }
}
