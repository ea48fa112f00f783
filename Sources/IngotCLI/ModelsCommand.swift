import ArgumentParser
import Foundation

/// `ingot models …`: the model registry on a running server (MLflow's registry API plus
/// Ingot's approval workflow).
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Registered models: list, inspect, version, alias, and approve requests.",
        subcommands: [List.self, Get.self, Create.self, Delete.self, Versions.self, Alias.self, Requests.self, Serve.self])

    static let api = "/api/2.0/mlflow"

    /// Quotes a value for a registry search filter.
    static func quote(_ value: String) -> String { "'" + value.replacingOccurrences(of: "'", with: "''") + "'" }

    static func date(_ millis: Any?) -> String {
        guard let ms = (millis as? NSNumber)?.doubleValue else { return "" }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: ms / 1000))
    }

    static func aliases(_ model: [String: Any]) -> String {
        (model["aliases"] as? [[String: Any]] ?? []).map { "\($0["alias"] ?? "")=v\($0["version"] ?? "")" }.joined(separator: ",")
    }

    static func versionsTable(_ versions: [[String: Any]]) -> String {
        var table = TextTable(["VERSION", "STAGE", "STATUS", "ALIASES", "RUN", "CREATED", "SOURCE"])
        for v in versions {
            table.add([
                v["version"] as? String ?? "", v["current_stage"] as? String ?? "", v["status"] as? String ?? "",
                (v["aliases"] as? [String] ?? []).joined(separator: ","), v["run_id"] as? String ?? "", date(v["creation_timestamp"]),
                v["source"] as? String ?? "",
            ])
        }
        return table.render()
    }
}

extension ModelsCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered models.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Search filter, e.g. \"name LIKE 'fraud%'\" or \"tags.team = 'ml'\".") var filter: String?
        @Option(help: "Maximum number of models (at most 1000).") var limit = 100

        func run() async throws {
            var query = [("max_results", String(limit))]
            if let filter { query.append(("filter", filter)) }
            let answer = try await client.client().call(.GET, "\(ModelsCommand.api)/registered-models/search", query: query) as? [String: Any] ?? [:]
            let models = answer["registered_models"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(models)
            case .table:
                var table = TextTable(["NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"])
                for m in models {
                    let latest = (m["latest_versions"] as? [[String: Any]] ?? []).compactMap { Int($0["version"] as? String ?? "") }.max()
                    table.add([
                        m["name"] as? String ?? "", latest.map(String.init) ?? "", ModelsCommand.aliases(m), ModelsCommand.date(m["last_updated_timestamp"]),
                        (m["description"] as? String ?? "").replacingOccurrences(of: "\n", with: " "),
                    ])
                }
                print(table.render())
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a registered model.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Model name.") var name: String

        func run() async throws {
            let answer = try await client.client().call(.GET, "\(ModelsCommand.api)/registered-models/get", query: [("name", name)]) as? [String: Any] ?? [:]
            let model = answer["registered_model"] as? [String: Any] ?? [:]
            switch output.output {
            case .json: try printJSON(model)
            case .table:
                print("name         \(model["name"] ?? "")")
                print("description  \(model["description"] ?? "")")
                print("created      \(ModelsCommand.date(model["creation_timestamp"]))")
                print("updated      \(ModelsCommand.date(model["last_updated_timestamp"]))")
                print("aliases      \(ModelsCommand.aliases(model))")
                let tags = (model["tags"] as? [[String: Any]] ?? []).map { "\($0["key"] ?? "")=\($0["value"] ?? "")" }
                print("tags         \(tags.joined(separator: ", "))")
                print("")
                print(ModelsCommand.versionsTable(model["latest_versions"] as? [[String: Any]] ?? []))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a registered model.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Model name.") var name: String
        @Option(help: "Description.") var description: String?
        @Option(name: .customLong("tag"), help: "A tag KEY=VALUE (repeatable).") var tags: [String] = []

        func run() async throws {
            var body: [String: Any] = ["name": name]
            if let description { body["description"] = description }
            body["tags"] = try tags.map { tag -> [String: String] in
                guard let eq = tag.firstIndex(of: "=") else { throw CLIError("--tag expects KEY=VALUE, got '\(tag)'") }
                return ["key": String(tag[..<eq]), "value": String(tag[tag.index(after: eq)...])]
            }
            let answer = try await client.client().call(.POST, "\(ModelsCommand.api)/registered-models/create", body: body) as? [String: Any] ?? [:]
            switch output.output {
            case .json: try printJSON(answer["registered_model"] ?? [:])
            case .table: print("created model \(name)")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a registered model and all its versions.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Model name.") var name: String

        func run() async throws {
            _ = try await client.client().call(.DELETE, "\(ModelsCommand.api)/registered-models/delete", body: ["name": name])
            print("deleted model \(name)")
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a model's versions, newest first.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Model name.") var name: String

        func run() async throws {
            let query = [("filter", "name = \(ModelsCommand.quote(name))"), ("order_by", "version_number DESC")]
            let answer = try await client.client().call(.GET, "\(ModelsCommand.api)/model-versions/search", query: query) as? [String: Any] ?? [:]
            let versions = answer["model_versions"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(versions)
            case .table: print(ModelsCommand.versionsTable(versions))
            }
        }
    }

    struct Alias: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Point an alias at a version (or delete it with --delete).",
            discussion: "If the model's approval policy protects the alias, use --request to ask for approval instead.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Alias, e.g. champion.") var alias: String
        @Argument(help: "Version number.") var version: String?
        @Flag(help: "Delete the alias instead.") var delete = false
        @Flag(help: "Create an approval request instead of setting the alias directly.") var request = false
        @Option(help: "Comment for the request.") var comment: String?

        func run() async throws {
            let api = try client.client()
            if delete {
                _ = try await api.call(.DELETE, "\(ModelsCommand.api)/registered-models/alias", body: ["name": name, "alias": alias])
                print("deleted alias \(alias) of \(name)")
                return
            }
            guard let version else { throw CLIError("missing VERSION (or use --delete)") }
            if request {
                var body: [String: Any] = ["name": name, "version": version, "alias": alias]
                if let comment { body["comment"] = comment }
                let answer = try await api.call(.POST, "\(ModelsCommand.api)/transition-requests/create", body: body) as? [String: Any] ?? [:]
                let req = answer["request"] as? [String: Any] ?? [:]
                switch output.output {
                case .json: try printJSON(req)
                case .table: print("requested alias \(alias) -> \(name) v\(version): request \(req["id"] ?? "")")
                }
                return
            }
            _ = try await api.call(.POST, "\(ModelsCommand.api)/registered-models/alias", body: ["name": name, "alias": alias, "version": version])
            switch output.output {
            case .json: try printJSON(["name": name, "alias": alias, "version": version])
            case .table: print("\(name)@\(alias) -> version \(version)")
            }
        }
    }
}

extension ModelsCommand {
    /// `ingot models requests list|approve|reject|cancel`: the approval workflow.
    struct Requests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Transition and alias requests awaiting approval.", subcommands: [List.self, Approve.self, Reject.self, Cancel.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List pending requests (of one model, or all).")
            @OptionGroup var client: ClientOptions
            @OptionGroup var output: OutputOptions
            @Argument(help: "Model name (default: every model).") var name: String?
            @Option(help: "Only this version.") var version: String?
            @Flag(help: "Include approved, rejected and cancelled requests.") var all = false

            func run() async throws {
                var query: [(String, String)] = []
                if let name { query.append(("name", name)) }
                if let version { query.append(("version", version)) }
                if all { query.append(("include_closed", "true")) }
                let answer = try await client.client().call(.GET, "\(ModelsCommand.api)/transition-requests/list", query: query) as? [String: Any] ?? [:]
                let requests = answer["requests"] as? [[String: Any]] ?? []
                switch output.output {
                case .json: try printJSON(requests)
                case .table:
                    var table = TextTable(["ID", "MODEL", "VERSION", "TARGET", "STATUS", "REQUESTER", "APPROVALS", "CREATED", "COMMENT"])
                    for r in requests {
                        let target = (r["alias"] as? String).map { "alias \($0)" } ?? "stage \(r["to_stage"] as? String ?? "")"
                        table.add([
                            r["id"] as? String ?? "", r["name"] as? String ?? "", r["version"] as? String ?? "", target, r["status"] as? String ?? "",
                            r["user_id"] as? String ?? "", (r["approvals"] as? [String] ?? []).joined(separator: ","),
                            ModelsCommand.date(r["creation_timestamp"]), r["comment"] as? String ?? "",
                        ])
                    }
                    print(table.render())
                }
            }
        }

        struct Decision: ParsableArguments {
            @OptionGroup var client: ClientOptions
            @OptionGroup var output: OutputOptions
            @Argument(help: "Request ID (from `ingot models requests list`).") var id: String
            @Option(help: "Comment recorded with the decision.") var comment: String?

            func decide(_ verb: String, method: HTTPMethodName = .post) async throws {
                var body: [String: Any] = ["id": id]
                if let comment { body["comment"] = comment }
                let answer =
                    try await client.client().call(
                        method == .post ? .POST : .DELETE, "\(ModelsCommand.api)/transition-requests/\(verb)", body: body) as? [String: Any] ?? [:]
                switch output.output {
                case .json: try printJSON(answer)
                case .table:
                    let req = answer["request"] as? [String: Any] ?? [:]
                    print("request \(id): \(req["status"] ?? "?")")
                }
            }
        }

        enum HTTPMethodName { case post, delete }

        struct Approve: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Approve a request (applied once the policy's approvals are in).")
            @OptionGroup var decision: Decision
            func run() async throws { try await decision.decide("approve") }
        }

        struct Reject: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Reject a request.")
            @OptionGroup var decision: Decision
            func run() async throws { try await decision.decide("reject") }
        }

        struct Cancel: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Cancel your own request.")
            @OptionGroup var decision: Decision
            func run() async throws { try await decision.decide("delete", method: .delete) }
        }
    }
}
