import ArgumentParser
import Foundation

struct EndpointsGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a serving endpoint: state, served entities, traffic.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Endpoint name.") var name: String

    func run() async throws {
        let ep = try await client.client().call(.GET, "\(EndpointsCommand.api)/\(name)") as? [String: Any] ?? [:]
        switch output.output {
        case .json: try printJSON(ep)
        case .table:
            let (ready, update) = EndpointsCommand.state(ep)
            print("name:     \(ep["name"] as? String ?? "")")
            print("state:    \(ready), config \(update)")
            if let m = (ep["state"] as? [String: Any])?["config_update_message"] as? String { print("message:  \(m)") }
            if let limits = ep["rate_limits"] as? [[String: Any]], !limits.isEmpty {
                let text = limits.map { "\($0["calls"] ?? "")/\($0["renewal_period"] ?? "minute") per \($0["key"] ?? "endpoint")" }
                print("limits:   \(text.joined(separator: ", "))")
            }
            if let rollout = ep["rollout"] as? [String: Any] { print(EndpointsRollout.summary(rollout)) }
            for (title, key) in [("serving", "config"), ("pending", "pending_config")] {
                guard let config = ep[key] as? [String: Any] else { continue }
                print("\(title) (config \(config["config_version"] ?? "")):")
                var table = TextTable(["ENTITY", "MODEL", "VERSION", "TRAFFIC", "STATE", "MESSAGE"])
                let routes = (config["traffic_config"] as? [String: Any])?["routes"] as? [[String: Any]] ?? []
                for e in config["served_entities"] as? [[String: Any]] ?? [] {
                    let n = e["name"] as? String ?? ""
                    let pct = routes.first(where: { $0["served_entity_name"] as? String == n })?["traffic_percentage"] as? Int
                    let state = e["state"] as? [String: Any] ?? [:]
                    table.add([
                        n, e["entity_name"] as? String ?? "",
                        (e["entity_version"] as? String ?? "") + ((e["alias"] != nil) ? " (v\(e["resolved_version"] ?? ""))" : ""),
                        (e["shadow"] as? Bool) == true ? "shadow" : "\(pct ?? 0)%", state["deployment"] as? String ?? "",
                        state["deployment_state_message"] as? String ?? "",
                    ])
                }
                print(table.render())
            }
        }
    }
}
