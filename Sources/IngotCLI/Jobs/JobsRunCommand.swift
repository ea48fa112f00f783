import ArgumentParser
import Foundation

/// `ingot jobs run JOB`: run-now, then live task progress until the run ends; exits non-zero unless it succeeded.
struct JobsRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a job now and follow its tasks (exit 1 unless the run succeeds).")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Job id or name.") var job: String
    @Option(name: .customLong("param"), help: "A job parameter, NAME=VALUE (repeatable).") var params: [String] = []
    @Flag(name: .long, help: "Return once the run is started.") var noWait = false
    @Flag(name: .long, help: "No live progress on stderr.") var quiet = false

    func run() async throws {
        let api = try client.client()
        let id = try await JobsCommand.resolve(job, api)
        var parameters: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw CLIError("--param expects NAME=VALUE, got '\(p)'") }
            parameters[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        let started = try await api.call(.POST, JobsCommand.api + "/run-now", body: ["job_id": id, "job_parameters": parameters]) as? [String: Any] ?? [:]
        guard let runID = (started["run_id"] as? NSNumber)?.int64Value else { throw CLIError("the server did not return a run_id") }
        if noWait {
            if output.output == .json { try printJSON(["job_id": id, "run_id": runID]) } else { print("run \(runID) started") }
            return
        }
        let run = try await Self.follow(runID, api, quiet: output.output == .json, progress: !quiet)
        if output.output == .json { try printJSON(run) } else { Self.summary(run) }
        let result = (run["state"] as? [String: Any])?["result_state"] as? String
        if result != "SUCCESS" { throw ExitCode(1) }
    }

    /// Polls the run, printing each task's state changes (stdout, unless `quiet`), and a live progress
    /// line on stderr (unless `progress` is false): tasks done/total, the running tasks and, for a
    /// running pipeline task, its update's datasets done/total and rows/s. A rewritten line on a
    /// terminal, a line per change otherwise.
    static func follow(_ runID: Int64, _ api: IngotClient, quiet: Bool, progress: Bool = true) async throws -> [String: Any] {
        var seen: [String: String] = [:]
        if !quiet { print("run \(runID):") }
        let tty = isatty(2) != 0
        var lastLine = ""
        while true {
            let run = try await api.call(.GET, JobsCommand.api + "/runs/get", query: [("run_id", String(runID))]) as? [String: Any] ?? [:]
            let tasks = run["tasks"] as? [[String: Any]] ?? []
            if progress {
                let line = await progressLine(run, tasks, api)
                if line != lastLine {
                    FileHandle.standardError.write(Data((tty ? "\r\u{1b}[K" + line : line + "\n").utf8))
                    lastLine = line
                }
            }
            if !quiet {
                for t in tasks {
                    let key = t["task_key"] as? String ?? ""
                    let attempt = (t["attempt_number"] as? NSNumber)?.intValue ?? 0
                    let state = JobsCommand.state(t) + (attempt > 0 ? " (attempt \(attempt))" : "")
                    if seen[key] != state {
                        seen[key] = state
                        let done = tasks.filter { (($0["state"] as? [String: Any])?["life_cycle_state"] as? String).map { ["TERMINATED", "SKIPPED", "INTERNAL_ERROR"].contains($0) } ?? false }.count
                        print("  [\(done)/\(tasks.count)] \(key): \(state)")
                    }
                }
            }
            let life = (run["state"] as? [String: Any])?["life_cycle_state"] as? String ?? ""
            if ["TERMINATED", "SKIPPED", "INTERNAL_ERROR"].contains(life) {
                if progress, tty { FileHandle.standardError.write(Data("\n".utf8)) }
                return run
            }
            try await Task.sleep(nanoseconds: 300_000_000)
        }
    }

    static let ended: Set<String> = ["TERMINATED", "SKIPPED", "INTERNAL_ERROR"]

    /// `[done/total tasks] running: key (pipeline 2/3 datasets, 1200 rows/s)`.
    static func progressLine(_ run: [String: Any], _ tasks: [[String: Any]], _ api: IngotClient) async -> String {
        func life(_ t: [String: Any]) -> String { (t["state"] as? [String: Any])?["life_cycle_state"] as? String ?? "" }
        let done = tasks.filter { ended.contains(life($0)) }.count
        var parts: [String] = []
        for t in tasks where life(t) == "RUNNING" {
            var part = t["task_key"] as? String ?? ""
            if let pid = (t["pipeline_task"] as? [String: Any])?["pipeline_id"] as? String,
                let list = try? await api.call(.GET, "\(PipelinesCommand.api)/\(pid)/updates") as? [String: Any],
                let u = (list["updates"] as? [[String: Any]])?.first(where: { !PipelinesCommand.terminal.contains($0["state"] as? String ?? "") }),
                let uid = u["update_id"] as? String,
                let got = (try? await api.call(.GET, "\(PipelinesCommand.api)/\(pid)/updates/\(uid)")) as? [String: Any],
                let update = got["update"] as? [String: Any]
            {
                part += " (pipeline " + PipelinesRunCommand.progressLine(update) + ")"
            }
            parts.append(part)
        }
        let state = (run["state"] as? [String: Any])?["life_cycle_state"] as? String ?? ""
        return "\(state): \(done)/\(tasks.count) tasks done" + (parts.isEmpty ? "" : ", running: " + parts.joined(separator: "; "))
    }

    static func summary(_ run: [String: Any]) {
        var t = TextTable(["TASK", "STATE", "ATTEMPT", "DURATION", "MESSAGE"])
        for task in run["tasks"] as? [[String: Any]] ?? [] {
            t.add([task["task_key"] as? String ?? "", JobsCommand.state(task), (task["attempt_number"] as? NSNumber)?.stringValue ?? "0",
                   JobsCommand.duration(task["run_duration"]), (task["state"] as? [String: Any])?["state_message"] as? String ?? ""])
        }
        print(t.render())
        let s = run["state"] as? [String: Any] ?? [:]
        let message = s["state_message"] as? String ?? ""
        print("run \((run["run_id"] as? NSNumber)?.stringValue ?? ""): \(JobsCommand.state(run)) in \(JobsCommand.duration(run["run_duration"]))\(message.isEmpty ? "" : " — " + message)")
    }
}
