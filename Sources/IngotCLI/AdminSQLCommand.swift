import ArgumentParser
import Foundation
import IngotLake

/// `ingot admin sql`: runs SQL statements offline against a warehouse directory
/// (`<warehouse>/<catalog>/<schema>/<table>/`) with the embedded engine. Used by the interop tests.
struct AdminSQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql", abstract: "Run SQL offline against a warehouse directory (embedded engine).", shouldDisplay: false)

    @Option(help: "The warehouse directory (tables at <warehouse>/<catalog>/<schema>/<table>/).") var warehouse: String?
    @Option(help: "A data directory; its warehouse/ folder is used.") var root: String?
    @Option(help: "Current catalog for one- and two-part names.") var catalog: String = "main"
    @Option(help: "Current schema for one-part names.") var schema: String = "default"
    @Option(name: .customLong("output"), help: "Output format: table (default) or json (one JSON object per statement, one per line).")
    var output: OutputOptions.Format = .table
    @Option(name: .customLong("max-rows"), help: "Rows printed per statement in table output.") var maxRows: Int = 1000
    @Argument(help: "Statements, one per argument.") var statements: [String]

    func run() async throws {
        let dir: String
        if let warehouse { dir = warehouse } else if let root { dir = (root as NSString).appendingPathComponent("warehouse") } else {
            throw CLIError("give --warehouse or --root")
        }
        let engine = try SQLEngine(resolver: try DirectoryTableResolver(warehouse: URL(fileURLWithPath: dir)),
                                   options: SQLEngineOptions(catalog: catalog, schema: schema))
        for sql in statements {
            switch output {
            case .json: try await runJSON(engine, sql)
            case .table: try await runTable(engine, sql)
            }
        }
    }

    static func header(_ schema: Schema) -> String {
        var out = "{\"columns\": ["
        for (i, f) in schema.fields.enumerated() {
            if i > 0 { out += ", " }
            out += "{\"name\": "
            ValueFormatting.appendJSONString(f.name, to: &out)
            out += ", \"type\": "
            ValueFormatting.appendJSONString(SQLEngine.sparkTypeName(f.type), to: &out)
            out += "}"
        }
        return out + "], \"rows\": ["
    }

    /// Streams `{"columns": […], "rows": [[…], …], "rowCount": n, …}` on one line.
    private func runJSON(_ engine: SQLEngine, _ sql: String) async throws {
        final class State: @unchecked Sendable {
            var started = false
            var first = true
        }
        let state = State()
        let out = FileHandle.standardOutput
        let exec = try await engine.execute(sql) { b in
            var s = ""
            if !state.started {
                s += AdminSQLCommand.header(b.schema)
                state.started = true
            }
            for r in 0..<b.numRows {
                if !state.first { s += ", " }
                state.first = false
                s += "["
                for (k, c) in b.columns.enumerated() {
                    if k > 0 { s += ", " }
                    ValueFormatting.appendJSON(c, r, to: &s)
                }
                s += "]"
            }
            out.write(Data(s.utf8))
        }
        var tail = state.started ? "" : AdminSQLCommand.header(exec.schema)
        tail += "], \"rowCount\": \(exec.rowCount), \"kind\": \"\(exec.kind.rawValue)\""
        if let a = exec.affectedRows { tail += ", \"affectedRows\": \(a)" }
        if let v = exec.tableVersion { tail += ", \"version\": \(v)" }
        tail += ", \"scan\": {\"batches\": \(exec.scanStats.batches), \"rows\": \(exec.scanStats.rows), \"scans\": \(exec.scanStats.scans)}"
        tail += "}\n"
        out.write(Data(tail.utf8))
    }

    private func runTable(_ engine: SQLEngine, _ sql: String) async throws {
        let result = try await engine.query(sql, maxRows: maxRows)
        if !result.schema.fields.isEmpty {
            var table = TextTable(result.schema.fields.map(\.name))
            for row in result.textRows { table.add(row) }
            print(table.render())
            print("(\(result.rowCount) row\(result.rowCount == 1 ? "" : "s")\(result.truncated ? ", truncated" : ""))")
            if let v = result.execution.tableVersion { print("(version \(v))") }
        } else {
            var line = result.execution.message ?? "ok"
            if let v = result.execution.tableVersion { line += " (version \(v))" }
            print(line)
        }
    }
}
