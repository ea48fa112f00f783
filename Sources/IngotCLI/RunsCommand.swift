import ArgumentParser
import Foundation

/// `ingot runs list|get`: MLflow runs on a running server.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "Search and show MLflow runs.", subcommands: [List.self, Get.self])
}

extension RunsCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the runs of an experiment.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Experiment name or ID.") var experiment: String
        @Option(help: "Search filter, e.g. \"metrics.acc > 0.9 AND params.model = 'cnn'\".") var filter: String?
        @Option(name: .customLong("order-by"), help: "Order, e.g. \"metrics.acc DESC\" (repeatable).") var orderBy: [String] = []
        @Option(help: "Maximum number of runs.") var limit = 100

        func run() async throws {
            let api = try client.client()
            let id = try await resolveExperimentID(api, experiment)
            var body: [String: Any] = ["experiment_ids": [id], "max_results": limit, "order_by": orderBy]
            if let filter { body["filter"] = filter }
            let answer = try await api.call(.POST, "/api/2.0/mlflow/runs/search", body: body) as? [String: Any] ?? [:]
            let runs = answer["runs"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(runs)
            case .table:
                let metricKeys = Set(runs.flatMap { (($0["data"] as? [String: Any])?["metrics"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String } })
                    .sorted().prefix(6)
                var table = TextTable(["RUN ID", "NAME", "STATUS", "START"] + metricKeys)
                for run in runs {
                    let info = run["info"] as? [String: Any] ?? [:]
                    let metrics = ((run["data"] as? [String: Any])?["metrics"] as? [[String: Any]] ?? [])
                    var values: [String: String] = [:]
                    for m in metrics { if let k = m["key"] as? String { values[k] = formatValue(m["value"]) } }
                    table.add(
                        [info["run_id"] as? String ?? "", info["run_name"] as? String ?? "", info["status"] as? String ?? "", formatTime(info["start_time"])]
                            + metricKeys.map { values[$0] ?? "" })
                }
                print(table.render())
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run: info, params, metrics and tags.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Run ID.") var runID: String

        func run() async throws {
            let answer = try await client.client().call(.GET, "/api/2.0/mlflow/runs/get", query: [("run_id", runID)]) as? [String: Any] ?? [:]
            guard let run = answer["run"] as? [String: Any] else { throw CLIError("the server's answer has no run") }
            switch output.output {
            case .json: try printJSON(run)
            case .table:
                let info = run["info"] as? [String: Any] ?? [:]
                for key in ["run_id", "run_name", "experiment_id", "status", "user_id", "artifact_uri", "lifecycle_stage"] {
                    print("\(key.padding(toLength: 16, withPad: " ", startingAt: 0))\(info[key].map { "\($0)" } ?? "")")
                }
                print("start_time      \(formatTime(info["start_time"]))")
                print("end_time        \(formatTime(info["end_time"]))")
                let data = run["data"] as? [String: Any] ?? [:]
                for (title, field) in [("PARAM", "params"), ("METRIC", "metrics"), ("TAG", "tags")] {
                    let items = data[field] as? [[String: Any]] ?? []
                    guard !items.isEmpty else { continue }
                    print("")
                    var table = TextTable([title, "VALUE"] + (field == "metrics" ? ["STEP"] : []))
                    for item in items {
                        table.add(
                            [item["key"] as? String ?? "", formatValue(item["value"])] + (field == "metrics" ? [formatValue(item["step"])] : []))
                    }
                    print(table.render())
                }
            }
        }
    }
}

func formatValue(_ value: Any?) -> String {
    switch value {
    case let s as String: s
    case let n as NSNumber: n.stringValue
    case nil: ""
    default: "\(value!)"
    }
}

func formatTime(_ value: Any?) -> String {
    guard let ms = (value as? NSNumber)?.doubleValue else { return "" }
    let formatter = ISO8601DateFormatter()
    return formatter.string(from: Date(timeIntervalSince1970: ms / 1000))
}
