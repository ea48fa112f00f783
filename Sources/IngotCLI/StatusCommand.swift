import ArgumentParser
import Foundation

/// `ingot status`: asks a running server for its health.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a running server's health.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let api = try client.client()
        guard let health = try await api.call(.GET, "/health") as? [String: Any] else {
            throw CLIError("the server's /health answer is not a JSON object")
        }
        switch output.output {
        case .json:
            try printJSON(health)
        case .table:
            print("server   \(api.baseURL)")
            print("status   \(health["status"] ?? "?")")
            print("version  \(health["version"] ?? "?")")
            print("schema   \(health["schema_version"] ?? "?")")
            print("data dir \(health["data_dir"] ?? "?")")
            if let uptime = health["uptime_seconds"] as? Double { print("uptime   \(String(format: "%.0f", uptime)) s") }
            if let stores = health["stores"] as? [String: Any] {
                for (name, value) in stores.sorted(by: { $0.key < $1.key }) {
                    let store = value as? [String: Any] ?? [:]
                    print("store    \(name): \(store["status"] ?? "?") (\(store["backend"] ?? "?"))")
                }
            }
        }
        if (health["status"] as? String) != "ok" { throw ExitCode(2) }
    }
}
