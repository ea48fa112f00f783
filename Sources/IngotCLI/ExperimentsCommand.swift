import ArgumentParser
import Foundation

/// `ingot experiments list|create|delete`: MLflow experiments on a running server.
struct ExperimentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments", abstract: "List, create and delete MLflow experiments.",
        subcommands: [List.self, Create.self, Delete.self])
}

extension ExperimentsCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List experiments.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Search filter, e.g. \"name LIKE 'prod%'\".") var filter: String?
        @Flag(help: "Include deleted experiments.") var all = false
        @Option(help: "Maximum number of experiments.") var limit = 1000

        func run() async throws {
            let api = try client.client()
            var body: [String: Any] = ["max_results": limit, "view_type": all ? "ALL" : "ACTIVE_ONLY"]
            if let filter { body["filter"] = filter }
            let answer = try await api.call(.POST, "/api/2.0/mlflow/experiments/search", body: body) as? [String: Any] ?? [:]
            let experiments = answer["experiments"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(experiments)
            case .table:
                var table = TextTable(["ID", "NAME", "STAGE", "ARTIFACT LOCATION"])
                for e in experiments {
                    table.add([
                        e["experiment_id"] as? String ?? "", e["name"] as? String ?? "", e["lifecycle_stage"] as? String ?? "",
                        e["artifact_location"] as? String ?? "",
                    ])
                }
                print(table.render())
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an experiment.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Experiment name.") var name: String
        @Option(help: "Artifact location (default mlflow-artifacts:/<id>).") var artifactLocation: String?

        func run() async throws {
            var body: [String: Any] = ["name": name]
            if let artifactLocation { body["artifact_location"] = artifactLocation }
            let answer = try await client.client().call(.POST, "/api/2.0/mlflow/experiments/create", body: body) as? [String: Any] ?? [:]
            switch output.output {
            case .json: try printJSON(answer)
            case .table: print(answer["experiment_id"] as? String ?? "")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an experiment (by ID or name).")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Experiment ID or name.") var experiment: String

        func run() async throws {
            let api = try client.client()
            let id = try await resolveExperimentID(api, experiment)
            _ = try await api.call(.POST, "/api/2.0/mlflow/experiments/delete", body: ["experiment_id": id])
            switch output.output {
            case .json: try printJSON(["experiment_id": id, "lifecycle_stage": "deleted"])
            case .table: print("deleted experiment \(id)")
            }
        }
    }
}

/// An experiment ID from an ID or a name.
func resolveExperimentID(_ api: IngotClient, _ idOrName: String) async throws -> String {
    if Int(idOrName) != nil { return idOrName }
    let answer = try await api.call(.GET, "/api/2.0/mlflow/experiments/get-by-name", query: [("experiment_name", idOrName)]) as? [String: Any]
    guard let experiment = answer?["experiment"] as? [String: Any], let id = experiment["experiment_id"] as? String else {
        throw CLIError("experiment '\(idOrName)' not found")
    }
    return id
}
