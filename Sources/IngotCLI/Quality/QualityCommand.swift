import ArgumentParser
import Foundation

/// `ingot quality show|refresh|monitor set`: data quality of tables on a running server.
struct QualityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality", abstract: "Show tables' data quality, refresh profiles, configure monitors.",
        subcommands: [Show.self, Refresh.self, Monitor.self])

    static func monitorPath(_ table: String) -> String { "/api/2.1/unity-catalog/tables/" + TablesCommand.path(table) + "/monitor" }

    static func number(_ v: Any?) -> String {
        guard let n = v as? NSNumber else { return "" }
        let d = n.doubleValue
        return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(format: "%.3f", d)
    }
}

extension QualityCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Score, health, latest profile and violations of a table.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String

        func run() async throws {
            let answer = try await client.client().call(.GET, "/api/2.0/ingot/quality/tables/" + TablesCommand.path(table)) as? [String: Any] ?? [:]
            if output.output == .json { return try printJSON(answer) }
            let latest = answer["latest"] as? [String: Any]
            let profile = latest?["profile"] as? [String: Any]
            print("\(answer["table_name"] as? String ?? table)  \(answer["health"] as? String ?? "UNKNOWN")  score \(QualityCommand.number(answer["score"]))"
                + ((answer["monitored"] as? Bool ?? false) ? "" : "  (no monitor)"))
            if let profile {
                print("version \(QualityCommand.number(profile["table_version"]))  rows \(QualityCommand.number(profile["row_count"]))  files \(QualityCommand.number(profile["num_files"]))")
                var columns = TextTable(["COLUMN", "TYPE", "NULL RATE", "DISTINCT~", "MIN", "MAX", "SOURCE"])
                for c in profile["columns"] as? [[String: Any]] ?? [] {
                    columns.add([
                        c["name"] as? String ?? "", c["type"] as? String ?? "", QualityCommand.number(c["null_rate"]), QualityCommand.number(c["distinct_count"]),
                        c["min"] as? String ?? "", c["max"] as? String ?? "", c["source"] as? String ?? "",
                    ])
                }
                print(columns.render())
            }
            let violations = latest?["violations"] as? [[String: Any]] ?? []
            if !violations.isEmpty {
                var rows = TextTable(["CHECK", "COLUMN", "ACTUAL", "LIMIT", "MESSAGE"])
                for v in violations {
                    rows.add([v["check"] as? String ?? "", v["column"] as? String ?? "", QualityCommand.number(v["actual"]), QualityCommand.number(v["limit"]),
                              v["message"] as? String ?? ""])
                }
                print(rows.render())
            }
        }
    }

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Profile a monitored table now and evaluate its thresholds.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String

        func run() async throws {
            let answer = try await client.client().call(.POST, QualityCommand.monitorPath(table) + "/refreshes") as? [String: Any] ?? [:]
            if output.output == .json { return try printJSON(answer) }
            print("refresh \(QualityCommand.number(answer["refresh_id"])): \(answer["state"] as? String ?? "")\((answer["message"] as? String).map { " — \($0)" } ?? "")")
            if answer["state"] as? String == "FAILED" { throw CLIError("refresh failed: \(answer["message"] as? String ?? "")") }
        }
    }

    struct Monitor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Configure table monitors.", subcommands: [SetCommand.self])
    }
}

extension QualityCommand.Monitor {
    /// Creates the monitor, or replaces its configuration when it exists.
    struct SetCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Create or replace a table's monitor (thresholds, schedule, webhook).",
            discussion: "The webhook secret is read from INGOT_QUALITY_WEBHOOK_SECRET, never from the command line.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String
        @Option(help: "Unhealthy below this many rows.") var minRowCount: Int64?
        @Option(help: "Unhealthy when the last commit is older than this.") var maxStalenessSeconds: Int64?
        @Option(help: "Unhealthy when the row count changes by more than this percent between profiles.") var maxRowCountChangePct: Double?
        @Option(parsing: .singleValue, help: "COLUMN=RATE (0–1; COLUMN may be *), repeatable.") var maxNullRate: [String] = []
        @Option(help: "Quartz cron schedule (e.g. '0 0 * * * ?').") var cron: String?
        @Option(help: "Time zone of the cron schedule.") var timezone: String = "UTC"
        @Option(help: "Refresh every N seconds.") var intervalSeconds: Int?
        @Option(help: "POST health changes here (signed with INGOT_QUALITY_WEBHOOK_SECRET when set).") var webhookUrl: String?
        @Flag(help: "Do not refresh after every commit.") var noRefreshOnCommit = false
        @Flag(help: "Skip distinct counts (no data scan when the Delta stats suffice).") var noDistinct = false

        func run() async throws {
            var thresholds: [String: Any] = [:]
            if let minRowCount { thresholds["min_row_count"] = minRowCount }
            if let maxStalenessSeconds { thresholds["max_staleness_seconds"] = maxStalenessSeconds }
            if let maxRowCountChangePct { thresholds["max_row_count_change_pct"] = maxRowCountChangePct }
            var rates: [String: Double] = [:]
            for item in maxNullRate {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let rate = Double(parts[1]) else { throw CLIError("--max-null-rate expects COLUMN=RATE, got '\(item)'") }
                rates[parts[0]] = rate
            }
            if !rates.isEmpty { thresholds["max_null_rate"] = rates }
            var body: [String: Any] = ["thresholds": thresholds, "refresh_on_commit": !noRefreshOnCommit, "compute_distinct": !noDistinct]
            if let cron { body["schedule"] = ["quartz_cron_expression": cron, "timezone_id": timezone] }
            if let intervalSeconds { body["schedule"] = ["interval_seconds": intervalSeconds] }
            if let webhookUrl {
                var hook: [String: Any] = ["url": webhookUrl]
                if let secret = ProcessInfo.processInfo.environment["INGOT_QUALITY_WEBHOOK_SECRET"], !secret.isEmpty { hook["secret"] = secret }
                body["notifications"] = ["on_unhealthy": hook]
            }
            let api = try client.client()
            let path = QualityCommand.monitorPath(table)
            let exists = (try? await api.call(.GET, path)) != nil
            let answer = try await api.call(exists ? .PUT : .POST, path, body: body) as? [String: Any] ?? [:]
            if output.output == .json { return try printJSON(answer) }
            print("\(exists ? "updated" : "created") monitor for \(answer["table_name"] as? String ?? table)")
        }
    }
}
