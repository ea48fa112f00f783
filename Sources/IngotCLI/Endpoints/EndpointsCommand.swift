import ArgumentParser
import Foundation

/// `ingot endpoints …`: model serving endpoints on a running server (Databricks' serving-endpoints API).
struct EndpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoints", abstract: "Model serving endpoints: create, inspect, update, delete, query and roll out.",
        subcommands: [
            EndpointsList.self, EndpointsGet.self, EndpointsCreate.self, EndpointsUpdate.self, EndpointsDelete.self, EndpointsQuery.self,
            EndpointsRollout.self,
        ])

    static let api = "/api/2.0/serving-endpoints"

    /// One line per served entity: `name=model@version (STATE)`.
    static func entities(_ endpoint: [String: Any]) -> String {
        let config = endpoint["config"] as? [String: Any] ?? endpoint["pending_config"] as? [String: Any] ?? [:]
        let routes = (config["traffic_config"] as? [String: Any])?["routes"] as? [[String: Any]] ?? []
        return (config["served_entities"] as? [[String: Any]] ?? []).map { e in
            let name = e["name"] as? String ?? ""
            let pct = routes.first(where: { $0["served_entity_name"] as? String == name })?["traffic_percentage"] as? Int
            let version = e["entity_version"] as? String ?? ""
            let resolved = e["resolved_version"] as? String
            let shown = version.hasPrefix("@") ? "\(version)=v\(resolved ?? "?")" : "v\(version)"
            return "\(name)=\(e["entity_name"] as? String ?? "")/\(shown)"
                + (pct.map { " \($0)%" } ?? ((e["shadow"] as? Bool) == true ? " shadow" : ""))
        }.joined(separator: ", ")
    }

    static func state(_ endpoint: [String: Any]) -> (String, String) {
        let s = endpoint["state"] as? [String: Any] ?? [:]
        return (s["ready"] as? String ?? "", s["config_update"] as? String ?? "")
    }
}

/// Flags that describe one served entity, shared by `create` and `update`; `--config FILE` gives
/// a whole config (served_entities + traffic_config) as JSON instead.
struct EntityOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "A JSON file with the whole config {served_entities, traffic_config} ('-' reads stdin).")
    var configFile: String?
    @Option(help: "Registered model to serve.") var model: String?
    @Option(help: "Model version to serve.") var version: String?
    @Option(help: "Registry alias to serve (re-resolved when it moves).") var alias: String?
    @Option(name: .customLong("entity-name"), help: "Served entity name (default <model>-<version>).") var entityName: String?
    @Option(name: .customLong("workload-size"), help: "Small, Medium or Large.") var workloadSize: String?
    @Flag(name: .customLong("scale-to-zero"), help: "Unload when idle; reload on the next request.") var scaleToZero = false
    @Option(name: .customLong("min-concurrency"), help: "Minimum worker processes.") var minConcurrency: Int?
    @Option(name: .customLong("max-concurrency"), help: "Maximum worker processes.") var maxConcurrency: Int?
    @Option(name: .customLong("env"), help: "Environment variable for the model's workers, KEY=VALUE (repeatable).") var env: [String] = []

    func config() throws -> [String: Any] {
        if let configFile {
            let data: Data
            if configFile == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let d = FileManager.default.contents(atPath: configFile) else { throw CLIError("cannot read \(configFile)") }
                data = d
            }
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CLIError("\(configFile) is not a JSON object")
            }
            return object
        }
        guard let model else { throw CLIError("give --model with --version or --alias, or --config FILE") }
        var entity: [String: Any] = ["entity_name": model]
        if let version { entity["entity_version"] = version }
        if let alias { entity["alias"] = alias }
        if let entityName { entity["name"] = entityName }
        if let workloadSize { entity["workload_size"] = workloadSize }
        if scaleToZero { entity["scale_to_zero_enabled"] = true }
        if let minConcurrency { entity["min_provisioned_concurrency"] = minConcurrency }
        if let maxConcurrency { entity["max_provisioned_concurrency"] = maxConcurrency }
        if !env.isEmpty {
            var vars: [String: String] = [:]
            for kv in env {
                guard let eq = kv.firstIndex(of: "=") else { throw CLIError("--env expects KEY=VALUE, got '\(kv)'") }
                vars[String(kv[..<eq])] = String(kv[kv.index(after: eq)...])
            }
            entity["environment_vars"] = vars
        }
        return ["served_entities": [entity]]
    }
}

/// Waits until an endpoint's config update finishes.
func waitForEndpoint(_ client: IngotClient, _ name: String, timeout: Double) async throws -> [String: Any] {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        let ep = try await client.call(.GET, "\(EndpointsCommand.api)/\(name)") as? [String: Any] ?? [:]
        let (_, update) = EndpointsCommand.state(ep)
        if update != "IN_PROGRESS" {
            if update == "UPDATE_FAILED" {
                throw CLIError("update failed: \((ep["state"] as? [String: Any])?["config_update_message"] as? String ?? "see the endpoint's state")")
            }
            return ep
        }
        if Date() > deadline { throw CLIError("endpoint \(name) is still updating after \(Int(timeout)) s") }
        try await Task.sleep(for: .milliseconds(500))
    }
}
