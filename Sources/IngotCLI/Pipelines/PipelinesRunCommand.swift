import ArgumentParser
import Foundation

struct PipelinesRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Create or update the pipeline from a folder (or name a known one), run an update and wait for it.",
        discussion: "Progress (datasets done/total, rows/s) goes to stderr. Exits non-zero unless the update COMPLETED. A continuous pipeline's update runs until `ingot pipelines stop`.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The pipeline folder, or the name/id of a pipeline the server knows.") var target: String
    @Flag(name: .long, help: "Truncate streaming tables, reset checkpoints and recompute everything.") var fullRefresh = false
    @Flag(name: .long, help: "Return once the update is queued.") var noWait = false
    @Flag(name: .long, help: "No progress on stderr.") var quiet = false

    func run() async throws {
        let api = try client.client()
        let pipelineID = try await PipelinesCommand.resolve(target, api)
        let started = try await api.call(.POST, "\(PipelinesCommand.api)/\(pipelineID)/updates", body: ["full_refresh": fullRefresh]) as? [String: Any] ?? [:]
        guard let updateID = started["update_id"] as? String else { throw CLIError("the server did not return an update_id") }
        if noWait {
            if output.output == .json { try printJSON(["pipeline_id": pipelineID, "update_id": updateID]) } else { print("update \(updateID) queued") }
            return
        }
        let update = try await Self.wait(api, pipelineID: pipelineID, updateID: updateID, progress: !quiet)
        let state = update["state"] as? String ?? ""
        switch output.output {
        case .json: try printJSON(update)
        case .table:
            print("update \(updateID): \(state)")
            print(Self.datasetTable(update).render())
            if let e = update["error"] as? String { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }
        }
        if state != "COMPLETED" { throw ExitCode(1) }
    }

    /// Polls the update until it ends, writing its progress to stderr (a rewritten line on a
    /// terminal, a line per change otherwise).
    static func wait(_ api: IngotClient, pipelineID: String, updateID: String, progress: Bool) async throws -> [String: Any] {
        let tty = isatty(2) != 0
        var last = ""
        while true {
            let answer = try await api.call(.GET, "\(PipelinesCommand.api)/\(pipelineID)/updates/\(updateID)") as? [String: Any] ?? [:]
            let update = answer["update"] as? [String: Any] ?? [:]
            let state = update["state"] as? String ?? ""
            if progress {
                let line = progressLine(update)
                if line != last {
                    FileHandle.standardError.write(Data((tty ? "\r\u{1b}[K" + line : line + "\n").utf8))
                    last = line
                }
            }
            if PipelinesCommand.terminal.contains(state) {
                if progress, tty { FileHandle.standardError.write(Data("\n".utf8)) }
                return update
            }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
    }

    static func progressLine(_ update: [String: Any]) -> String {
        let state = update["state"] as? String ?? ""
        guard let p = update["progress"] as? [String: Any] else {
            let datasets = update["datasets"] as? [[String: Any]] ?? []
            let rows = datasets.reduce(Int64(0)) { $0 + ((($1["output_records"]) as? NSNumber)?.int64Value ?? 0) }
            return "\(state): \(datasets.filter { ($0["state"] as? String) == "COMPLETED" }.count) datasets done, \(rows) rows"
        }
        func n(_ k: String) -> Int64 { (p[k] as? NSNumber)?.int64Value ?? 0 }
        let seconds = max(Double(n("elapsed_ms")) / 1000, 0.001)
        var line = "\(state): \(n("datasets_done"))/\(n("datasets_total")) datasets, \(n("output_records")) rows, \(Int(Double(n("output_records")) / seconds)) rows/s"
        if n("micro_batches") > 0 { line += ", micro-batch \(n("micro_batches"))" }
        if let running = p["datasets_running"] as? [String], !running.isEmpty { line += " (running: \(running.joined(separator: ", ")))" }
        return line
    }

    static func datasetTable(_ update: [String: Any]) -> TextTable {
        var t = TextTable(["DATASET", "TYPE", "STATE", "FILES", "INPUT", "OUTPUT", "DROPPED", "EXPECTATIONS (passed/failed)"])
        for d in update["datasets"] as? [[String: Any]] ?? [] {
            func n(_ k: String) -> String { (d[k] as? NSNumber)?.stringValue ?? "" }
            let exps = (d["expectations"] as? [[String: Any]] ?? []).map {
                "\($0["name"] as? String ?? "")[\($0["action"] as? String ?? "")] \(($0["passed_records"] as? NSNumber)?.stringValue ?? "0")/\(($0["failed_records"] as? NSNumber)?.stringValue ?? "0")"
            }
            t.add([d["name"] as? String ?? "", d["type"] as? String ?? "", d["state"] as? String ?? "", n("input_files"), n("input_records"),
                   n("output_records"), n("dropped_records"), exps.joined(separator: ", ")])
        }
        return t
    }
}
