import ArgumentParser
import Foundation

/// `ingot tokens create|list|delete`: the caller's personal access tokens.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Manage your personal access tokens.",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token (printed once).")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Lifetime in seconds (default: no expiry).")
        var lifetime: Int64?
        @Option(help: "What the token is for.")
        var comment: String?

        func run() async throws {
            var body: [String: Any] = [:]
            if let lifetime { body["lifetime_seconds"] = lifetime }
            if let comment { body["comment"] = comment }
            let result = try await client.client().call(.POST, "/api/2.0/token/create", body: body) as? [String: Any] ?? [:]
            switch output.output {
            case .json: try printJSON(result)
            case .table: print(result["token_value"] as? String ?? "")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your tokens.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let result = try await client.client().call(.GET, "/api/2.0/token/list") as? [String: Any] ?? [:]
            let infos = result["token_infos"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(infos)
            case .table:
                var table = TextTable(["TOKEN ID", "CREATED", "EXPIRES", "COMMENT"])
                for info in infos {
                    let expiry = (info["expiry_time"] as? Int64 ?? -1)
                    table.add([
                        info["token_id"] as? String ?? "", Self.date(info["creation_time"]),
                        expiry < 0 ? "never" : Self.date(expiry), info["comment"] as? String ?? "",
                    ])
                }
                print(table.render())
            }
        }

        static func date(_ value: Any?) -> String {
            guard let ms = (value as? NSNumber)?.doubleValue else { return "" }
            return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: ms / 1000))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a token by id.")
        @OptionGroup var client: ClientOptions
        @Argument var tokenID: String

        func run() async throws {
            _ = try await client.client().call(.POST, "/api/2.0/token/delete", body: ["token_id": tokenID])
        }
    }
}
