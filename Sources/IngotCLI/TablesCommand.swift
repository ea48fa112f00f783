import ArgumentParser
import Foundation

/// `ingot tables list|describe|history|preview|ingest|drop`: tables on a running server.
struct TablesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tables", abstract: "List, inspect and load lakehouse tables.",
        subcommands: [List.self, Describe.self, History.self, Preview.self, Ingest.self, Register.self, Optimize.self, Vacuum.self, Drop.self])

    static func path(_ fullName: String) -> String {
        fullName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? fullName
    }
}

extension TablesCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tables of a schema.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Schema as catalog.schema (default main.default).") var schema: String = "main.default"

        func run() async throws {
            let parts = schema.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { throw CLIError("'\(schema)' is not catalog.schema") }
            let answer = try await client.client().call(.GET, "/api/2.1/unity-catalog/tables", query: [("catalog_name", parts[0]), ("schema_name", parts[1])])
            let tables = (answer as? [String: Any])?["tables"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(tables)
            case .table:
                var table = TextTable(["NAME", "TYPE", "FORMAT", "VERSION", "LOCATION"])
                for t in tables {
                    table.add([
                        t["full_name"] as? String ?? "", t["table_type"] as? String ?? "", t["data_source_format"] as? String ?? "",
                        (t["delta_version"] as? NSNumber)?.stringValue ?? "", t["storage_location"] as? String ?? "",
                    ])
                }
                print(table.render())
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a table's columns and storage.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String

        func run() async throws {
            let answer = try await client.client().call(.GET, "/api/2.1/unity-catalog/tables/" + TablesCommand.path(table)) as? [String: Any] ?? [:]
            switch output.output {
            case .json: try printJSON(answer)
            case .table:
                print("\(answer["full_name"] as? String ?? table)  \(answer["table_type"] as? String ?? "")  version \((answer["delta_version"] as? NSNumber)?.stringValue ?? "?")")
                print("location: \(answer["storage_location"] as? String ?? "")")
                var columns = TextTable(["#", "COLUMN", "TYPE", "NULLABLE", "PARTITION"])
                for c in answer["columns"] as? [[String: Any]] ?? [] {
                    columns.add([
                        (c["position"] as? NSNumber)?.stringValue ?? "", c["name"] as? String ?? "", c["type_text"] as? String ?? "",
                        (c["nullable"] as? Bool ?? true) ? "yes" : "no", (c["partition_index"] as? NSNumber)?.stringValue ?? "",
                    ])
                }
                print(columns.render())
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a table's versions, newest first.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String

        func run() async throws {
            let answer = try await client.client().call(.GET, "/api/2.0/ingot/tables/" + TablesCommand.path(table) + "/history") as? [String: Any] ?? [:]
            let history = answer["history"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(history)
            case .table:
                var rows = TextTable(["VERSION", "TIMESTAMP", "OPERATION", "METRICS"])
                for h in history {
                    let ms = (h["timestamp"] as? NSNumber)?.doubleValue ?? 0
                    let metrics = (h["operationMetrics"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    rows.add([
                        (h["version"] as? NSNumber)?.stringValue ?? "", ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: ms / 1000)),
                        h["operation"] as? String ?? "", metrics.joined(separator: " "),
                    ])
                }
                print(rows.render())
            }
        }
    }

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the first rows of a table (optionally at a version).")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String
        @Option(name: .short, help: "Number of rows.") var n = 20
        @Option(help: "Version to read.") var version: Int64?
        @Option(help: "Read the version current at this time (ISO-8601 or epoch ms).") var timestamp: String?

        func run() async throws {
            var query = [("limit", String(n))]
            if let version { query.append(("version", String(version))) }
            if let timestamp { query.append(("timestamp", timestamp)) }
            let answer = try await client.client().call(.GET, "/api/2.0/ingot/tables/" + TablesCommand.path(table) + "/preview", query: query) as? [String: Any] ?? [:]
            let columns = (answer["columns"] as? [[String: Any]] ?? []).map { $0["name"] as? String ?? "" }
            let rows = answer["rows"] as? [[Any]] ?? []
            switch output.output {
            case .json:
                try printJSON(rows.map { row in Dictionary(uniqueKeysWithValues: zip(columns, row)) })
            case .table:
                var text = TextTable(columns)
                for row in rows { text.add(row.map { $0 is NSNull ? "null" : "\($0)" }) }
                print(text.render())
            }
        }
    }

    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a CSV, JSON-lines or Parquet file into a table as one commit (creating the table if needed).")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The file to load.") var file: String
        @Argument(help: "Table as catalog.schema.table.") var table: String
        @Option(help: "csv, jsonl or parquet (default: from the file extension).") var format: String?
        @Option(help: "append or overwrite.") var mode = "append"
        @Flag(help: "No progress bar.") var quiet = false

        func run() async throws {
            guard ["append", "overwrite"].contains(mode) else { throw CLIError("--mode must be append or overwrite") }
            guard FileManager.default.fileExists(atPath: file) else { throw CLIError("\(file): no such file") }
            var query = [("mode", mode), ("filename", (file as NSString).lastPathComponent)]
            if let format { query.append(("format", format)) }
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? 0
            let bar = ProgressReporter(total: size, enabled: !quiet && size > 8 << 20)
            let answer = try await client.client().upload(.POST, "/api/2.0/ingot/tables/" + TablesCommand.path(table) + "/ingest", query: query, file: file) {
                bar.update($0)
            } as? [String: Any] ?? [:]
            bar.finish()
            switch output.output {
            case .json: try printJSON(answer)
            case .table:
                let created = answer["created"] as? Bool ?? false
                print("\(created ? "created" : "wrote") \(answer["full_name"] as? String ?? table) version \((answer["version"] as? NSNumber)?.stringValue ?? "?")")
            }
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Adopt a Delta table already under the data directory (written by delta-rs, Spark, …) as an external table.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String
        @Argument(help: "The table's location: a path inside the server's data directory (or a file:// URI).") var location: String
        @Option(help: "Comment.") var comment: String?

        func run() async throws {
            let parts = table.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { throw CLIError("'\(table)' is not catalog.schema.table") }
            var body: [String: Any] = [
                "catalog_name": parts[0], "schema_name": parts[1], "name": parts[2], "table_type": "EXTERNAL", "data_source_format": "DELTA",
                "storage_location": location,
            ]
            if let comment { body["comment"] = comment }
            let answer = try await client.client().call(.POST, "/api/2.1/unity-catalog/tables", body: body) as? [String: Any] ?? [:]
            switch output.output {
            case .json: try printJSON(answer)
            case .table: print("registered \(answer["full_name"] as? String ?? table) at version \((answer["delta_version"] as? NSNumber)?.stringValue ?? "?")")
            }
        }
    }

    struct Optimize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compact a table's small files.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String
        @Option(help: "Target file size in bytes (default 128 MiB).") var targetSize: Int64?

        func run() async throws {
            var body: [String: Any] = [:]
            if let targetSize { body["target_file_size"] = targetSize }
            let answer = try await client.client().call(.POST, "/api/2.0/ingot/tables/" + TablesCommand.path(table) + "/optimize", body: body) as? [String: Any] ?? [:]
            switch output.output {
            case .json: try printJSON(answer)
            case .table:
                let metrics = (answer["metrics"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                let committed = answer["committed"] as? Bool ?? false
                print(committed ? "optimized \(table): version \((answer["version"] as? NSNumber)?.stringValue ?? "?") \(metrics.joined(separator: " "))" : "nothing to compact in \(table)")
            }
        }
    }

    struct Vacuum: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete data files no retained version needs.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String
        @Option(help: "Keep files needed by versions of the last N hours (default 168).") var retentionHours: Double?
        @Flag(help: "List what would be deleted without deleting.") var dryRun = false
        @Flag(help: "Allow a retention below 168 hours.") var force = false

        func run() async throws {
            var body: [String: Any] = ["dry_run": dryRun, "force": force]
            if let retentionHours { body["retention_hours"] = retentionHours }
            let answer = try await client.client().call(.POST, "/api/2.0/ingot/tables/" + TablesCommand.path(table) + "/vacuum", body: body) as? [String: Any] ?? [:]
            switch output.output {
            case .json: try printJSON(answer)
            case .table:
                let files = answer["files"] as? [String] ?? []
                for f in files { print(f) }
                print("\(dryRun ? "would delete" : "deleted") \(files.count) file\(files.count == 1 ? "" : "s")")
            }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop a table (a managed table's files are deleted).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Table as catalog.schema.table.") var table: String

        func run() async throws {
            _ = try await client.client().call(.DELETE, "/api/2.1/unity-catalog/tables/" + TablesCommand.path(table))
            print("dropped \(table)")
        }
    }
}

/// A thread-safe wrapper of ``ProgressBar`` for callbacks from upload tasks.
final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private var bar: ProgressBar

    init(total: Int64, enabled: Bool) { bar = ProgressBar(total: total, enabled: enabled) }

    func update(_ done: Int64) { lock.withLock { bar.update(done, rows: -1) } }
    func finish() { lock.withLock { bar.finish() } }
}
