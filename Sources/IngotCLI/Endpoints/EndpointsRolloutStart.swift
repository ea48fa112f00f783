import ArgumentParser
import Foundation

struct EndpointsRolloutStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a rollout from the entity serving 100% to a new version.",
        discussion: "ingot endpoints rollout fraud --version 3 --steps 10,50,100 --bake 30s --max-error-rate 0.02 --wait")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Endpoint name.") var name: String
    @Option(help: "Registered model of the new entity (default: the current entity's).") var model: String?
    @Option(name: [.customLong("version"), .customLong("model-version")], help: "Model version to roll out.") var version: String?
    @Option(help: "Registry alias to roll out instead of a version.") var alias: String?
    @Option(name: .customLong("entity-name"), help: "Name of the new served entity (default <model>-<version>).") var entityName: String?
    @Option(help: "canary (--steps), linear (--step-count) or all_at_once.") var strategy: String = "canary"
    @Option(help: "Canary traffic percentages, comma-separated (default 10,50,100).") var steps: String?
    @Option(name: .customLong("step-count"), help: "Linear: number of equal steps (default 4).") var stepCount: Int?
    @Option(help: "Bake time per step, e.g. 30s or 2m (default 60s).") var bake: String?
    @Option(name: .customLong("max-bake"), help: "Longest a step waits for --min-requests before rolling back (default 10 × bake).")
    var maxBake: String?
    @Option(name: .customLong("min-requests"), help: "Requests the new entity must answer in a step before it is judged (default 10).")
    var minRequests: Int?
    @Option(name: .customLong("max-error-rate"), help: "Highest error rate of the new entity, 0-1 (default 0.1).") var maxErrorRate: Double?
    @Option(name: .customLong("max-p99-ms"), help: "Highest p99 latency of the new entity in ms.") var maxP99: Double?
    @Option(name: .customLong("max-error-rate-increase"), help: "Highest error rate above the old entity's, 0-1 (default 0.05).")
    var maxErrorRateIncrease: Double?
    @Option(name: .customLong("max-p99-ratio"), help: "Highest p99 as a multiple of the old entity's (default 2).") var maxP99Ratio: Double?
    @Flag(help: "Follow the rollout until it ends; exit 1 if it was rolled back.") var wait = false
    @Option(help: "Seconds to wait with --wait.") var timeout: Double = 3600

    func run() async throws {
        var entity: [String: Any] = [:]
        if let model { entity["entity_name"] = model }
        if let version { entity["entity_version"] = version }
        if let alias { entity["alias"] = alias }
        if let entityName { entity["name"] = entityName }
        guard version != nil || alias != nil else { throw CLIError("give --version or --alias for the new entity") }
        var body: [String: Any] = ["served_entity": entity, "strategy": strategy]
        if let steps {
            let list = steps.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard list.allSatisfy({ $0 != nil }) else { throw CLIError("--steps expects percentages such as 10,50,100") }
            body["steps"] = list.compactMap { $0 }
        }
        if let stepCount { body["step_count"] = stepCount }
        if let bake { body["bake_seconds"] = try parseDuration(bake) }
        if let maxBake { body["max_bake_seconds"] = try parseDuration(maxBake) }
        if let minRequests { body["min_requests"] = minRequests }
        if let maxErrorRate { body["max_error_rate"] = maxErrorRate }
        if let maxP99 { body["max_p99_ms"] = maxP99 }
        if let maxErrorRateIncrease { body["max_error_rate_increase"] = maxErrorRateIncrease }
        if let maxP99Ratio { body["max_p99_ratio"] = maxP99Ratio }
        let c = try client.client()
        let answer = try await c.call(.POST, EndpointsRollout.path(name), body: body) as? [String: Any] ?? [:]
        var r = answer["rollout"] as? [String: Any] ?? [:]
        if wait {
            r = try await EndpointsRollout.wait(c, name, id: r["id"] as? String, timeout: timeout, progressToStderr: output.output == .json)
        }
        switch output.output {
        case .json:
            try printJSON(r)
            if wait, r["state"] as? String != "SUCCEEDED" { throw ExitCode(1) }
        case .table: if !wait { print(EndpointsRollout.summary(r)) }
        }
    }
}
