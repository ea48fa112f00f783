import ArgumentParser
import Foundation

/// `ingot sql "SELECT …"`: runs one statement on a running server through the statement-execution
/// API, waiting for it (Ctrl-C cancels it on the server) and fetching every result chunk.
struct SQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sql", abstract: "Run a SQL statement on the server.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var client: ClientOptions
    @Argument(help: "The statement (Spark SQL dialect; see docs/sql.md).") var statement: String
    @Option(name: .customLong("output"), help: "table (default), json or csv.") var output: Format = .table
    @Option(help: "Catalog for one- and two-part names.") var catalog = "main"
    @Option(help: "Schema for one-part names.") var schema = "default"
    @Option(help: "Stop after this many rows.") var limit: Int?

    func run() async throws {
        let api = try client.client()
        var body: [String: Any] = ["statement": statement, "catalog": catalog, "schema": schema, "wait_timeout": "50s", "on_wait_timeout": "CONTINUE"]
        if let limit { body["row_limit"] = limit }
        var answer = try await api.call(.POST, "/api/2.0/sql/statements", body: body) as? [String: Any] ?? [:]
        guard let id = answer["statement_id"] as? String else { throw CLIError("the server did not return a statement id") }
        let interrupt = CancelOnInterrupt(api: api, id: id)
        defer { interrupt.disarm() }
        while let state = (answer["status"] as? [String: Any])?["state"] as? String, state == "PENDING" || state == "RUNNING" {
            try await Task.sleep(nanoseconds: 200_000_000)
            answer = try await api.call(.GET, "/api/2.0/sql/statements/\(id)") as? [String: Any] ?? [:]
        }
        let status = answer["status"] as? [String: Any] ?? [:]
        let state = status["state"] as? String ?? "?"
        guard state == "SUCCEEDED" else {
            let error = status["error"] as? [String: Any]
            throw CLIError("\(state): \(error?["message"] as? String ?? "the statement did not succeed")")
        }
        let manifest = answer["manifest"] as? [String: Any] ?? [:]
        let columnInfo = (manifest["schema"] as? [String: Any])?["columns"] as? [[String: Any]] ?? []
        let columns = columnInfo.map { $0["name"] as? String ?? "" }
        let types = columnInfo.map { $0["type_name"] as? String ?? "STRING" }
        var result = answer["result"] as? [String: Any] ?? [:]
        var rows = result["data_array"] as? [[Any]] ?? []
        while let next = result["next_chunk_index"] as? Int {
            result = try await api.call(.GET, "/api/2.0/sql/statements/\(id)/result/chunks/\(next)") as? [String: Any] ?? [:]
            rows += result["data_array"] as? [[Any]] ?? []
        }
        let values: [[String?]] = rows.map { $0.map { $0 is NSNull ? nil : "\($0)" } }
        switch output {
        case .json:
            try printJSON(values.map { row in Dictionary(uniqueKeysWithValues: zip(columns, zip(row, types).map { Self.typed($0, $1) })) })
        case .csv:
            print(columns.map(Self.csvField).joined(separator: ","))
            for row in values { print(row.map { $0.map(Self.csvField) ?? "" }.joined(separator: ",")) }
        case .table:
            var table = TextTable(columns)
            for row in values { table.add(row.map { $0 ?? "NULL" }) }
            if !columns.isEmpty { print(table.render()) }
            let truncated = manifest["truncated"] as? Bool ?? false
            FileHandle.standardError.write(Data("\(values.count) row\(values.count == 1 ? "" : "s")\(truncated ? " (truncated)" : "")\n".utf8))
        }
    }

    /// A JSON_ARRAY string as a typed JSON value (numbers and booleans unquoted).
    static func typed(_ text: String?, _ type: String) -> Any {
        guard let text else { return NSNull() }
        switch type {
        case "LONG", "INT", "SHORT", "BYTE": return Int64(text).map { $0 as Any } ?? text
        case "DOUBLE", "FLOAT": return Double(text).flatMap { $0.isFinite ? $0 as Any : nil } ?? text
        case "BOOLEAN": return text == "true"
        default: return text
        }
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

/// Cancels the server-side statement when the user presses Ctrl-C while waiting.
final class CancelOnInterrupt: @unchecked Sendable {
    private let source: DispatchSourceSignal

    init(api: IngotClient, id: String) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            let done = DispatchSemaphore(value: 0)
            Task {
                _ = try? await api.call(.POST, "/api/2.0/sql/statements/\(id)/cancel")
                done.signal()
            }
            _ = done.wait(timeout: .now() + 5)
            FileHandle.standardError.write(Data("cancelled\n".utf8))
            exit(130)
        }
        source.resume()
    }

    func disarm() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
