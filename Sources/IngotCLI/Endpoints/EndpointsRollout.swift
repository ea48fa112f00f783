import ArgumentParser
import Foundation

/// `ingot endpoints rollout …`: move an endpoint's traffic to a new version in watched steps.
/// `ingot endpoints rollout NAME --version 3 …` is `rollout start`.
struct EndpointsRollout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout", abstract: "Roll out a new model version in canary or linear steps with automatic rollback.",
        discussion: """
            ingot endpoints rollout fraud --version 3 --strategy canary --steps 10,50,100 --bake 30s --wait
            ingot endpoints rollout status fraud
            ingot endpoints rollout cancel fraud
            """,
        subcommands: [EndpointsRolloutStart.self, EndpointsRolloutStatus.self, EndpointsRolloutCancel.self, EndpointsRolloutPromote.self],
        defaultSubcommand: EndpointsRolloutStart.self)

    static func path(_ name: String) -> String { "/api/2.0/ingot/serving-endpoints/\(name)/rollout" }

    /// One line: state, strategy, target, step and traffic, and the reason once finished.
    static func summary(_ r: [String: Any]) -> String {
        let steps = r["steps"] as? [[String: Any]] ?? []
        let k = r["current_step"] as? Int ?? 0
        var line = "rollout \(r["state"] as? String ?? "?") \(r["strategy"] as? String ?? "") "
            + "\(r["baseline_entity"] as? String ?? "") → \(r["target_entity"] as? String ?? ""): "
            + "step \(min(k + 1, max(steps.count, 1)))/\(steps.count), \(r["traffic_percentage"] as? Int ?? 0)% on the new entity"
        if let reason = r["reason"] as? String { line += " (\(reason))" }
        return line
    }

    /// One line per step: traffic, state, observed counts and the decision.
    static func stepLine(_ s: [String: Any]) -> String {
        var line = "  step \((s["step"] as? Int ?? 0) + 1): \(s["traffic_percentage"] as? Int ?? 0)% \(s["state"] as? String ?? "")"
        if let n = s["requests"] as? Int {
            line += "  new: \(n) requests, \(s["errors"] as? Int ?? 0) errors, p99 \(s["p99_ms"] as? Double ?? 0) ms"
        }
        if let n = s["baseline_requests"] as? Int {
            line += "  old: \(n) requests, \(s["baseline_errors"] as? Int ?? 0) errors, p99 \(s["baseline_p99_ms"] as? Double ?? 0) ms"
        }
        if let d = s["decision"] as? String { line += "  → \(d)" }
        return line
    }

    static func printRollout(_ r: [String: Any]) {
        print(summary(r))
        for s in r["steps"] as? [[String: Any]] ?? [] { print(stepLine(s)) }
    }

    /// Polls the rollout until it ends, printing each change of state or step (to stderr when the
    /// final answer is JSON); throws when it did not succeed.
    static func wait(_ client: IngotClient, _ name: String, id: String?, timeout: Double, progressToStderr: Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while true {
            let answer = try await client.call(.GET, path(name)) as? [String: Any] ?? [:]
            let r = answer["rollout"] as? [String: Any] ?? [:]
            if let id, r["id"] as? String != id { throw CLIError("rollout \(id) of \(name) is no longer the latest") }
            let k = r["current_step"] as? Int ?? 0
            let state = r["state"] as? String ?? ""
            let key = "\(state)/\(k)"
            if key != last {
                last = key
                let steps = r["steps"] as? [[String: Any]] ?? []
                var line = summary(r)
                if state != "BAKING", state != "LOADING" {
                    line = steps.map(stepLine).joined(separator: "\n") + (steps.isEmpty ? "" : "\n") + line
                }
                if progressToStderr { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
            }
            switch state {
            case "SUCCEEDED": return r
            case "ROLLED_BACK", "CANCELED", "FAILED":
                if !progressToStderr { throw ExitCode(1) }
                return r
            default: break
            }
            if Date() > deadline { throw CLIError("rollout of \(name) still \(state) after \(Int(timeout)) s (it keeps running on the server)") }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}

/// Durations as `30s`, `2m`, `500ms`, `1h` or plain seconds.
func parseDuration(_ text: String) throws -> Double {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        if let v = Double(text.dropLast(suffix.count)), v >= 0 { return v * scale }
    }
    guard let v = Double(text), v >= 0 else { throw CLIError("'\(text)' is not a duration (e.g. 30s, 2m, 500ms)") }
    return v
}
