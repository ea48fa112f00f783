import ArgumentParser
import Foundation

/// `ingot users list|create|delete` (admins), through the SCIM API.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage users (admins only).", subcommands: [List.self, Create.self, Delete.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let result = try await client.client().call(.GET, "/api/2.0/preview/scim/v2/Users") as? [String: Any] ?? [:]
            let users = result["Resources"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(users)
            case .table:
                var table = TextTable(["ID", "USER", "ADMIN", "GROUPS"])
                for user in users {
                    let groups = (user["groups"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
                    let admin = (user["entitlements"] as? [[String: Any]] ?? []).contains { $0["value"] as? String == "admin" }
                    table.add([user["id"] as? String ?? "", user["userName"] as? String ?? "", admin ? "yes" : "", groups.joined(separator: ",")])
                }
                print(table.render())
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (password from INGOT_NEW_USER_PASSWORD, if set).")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument var name: String
        @Flag(help: "Make the user an admin.")
        var admin = false

        func run() async throws {
            var body: [String: Any] = ["userName": name]
            if admin { body["entitlements"] = [["value": "admin"]] }
            if let password = ProcessInfo.processInfo.environment["INGOT_NEW_USER_PASSWORD"], !password.isEmpty {
                body["password"] = password
            }
            let user = try await client.client().call(.POST, "/api/2.0/preview/scim/v2/Users", body: body) as? [String: Any] ?? [:]
            switch output.output {
            case .json: try printJSON(user)
            case .table: print("created user \(user["userName"] as? String ?? name) (id \(user["id"] as? String ?? "?"))")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user by id.")
        @OptionGroup var client: ClientOptions
        @Argument var id: String

        func run() async throws {
            _ = try await client.client().call(.DELETE, "/api/2.0/preview/scim/v2/Users/\(id)")
        }
    }
}
