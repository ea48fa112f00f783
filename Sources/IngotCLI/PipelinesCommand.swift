import ArgumentParser
import Foundation
import IngotPipelines

/// `ingot pipelines validate|run|list|updates|events`: declarative pipelines defined in folders.
struct PipelinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines", abstract: "Validate and run declarative (DLT-style) pipelines.",
        subcommands: [Validate.self, Run.self, List.self, Updates.self, Events.self])

    static func path(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s }
}

extension PipelinesCommand {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a pipeline folder (settings, SQL, references, cycles) without running it; no server needed.")
        @OptionGroup var output: OutputOptions
        @Argument(help: "The pipeline folder (pipeline.yaml + *.sql).") var directory: String

        func run() async throws {
            let def: PipelineDefinition
            do {
                def = try PipelineDefinition.load(directory: URL(fileURLWithPath: directory))
            } catch let e as PipelineError {
                FileHandle.standardError.write(Data("error: \(e.message)\n".utf8))
                throw ExitCode(1)
            }
            let rows: [[String: Any]] = def.datasets.map { d in
                ["name": d.name, "type": d.kind.rawValue, "location": d.location, "depends_on": def.dependencies[d.name.lowercased()] ?? [],
                 "expectations": d.expectations.map { ["name": $0.name, "action": $0.action.rawValue, "condition": $0.condition] }]
            }
            switch output.output {
            case .json:
                try printJSON(["name": def.settings.name, "catalog": def.settings.catalog, "schema": def.settings.schema, "datasets": rows,
                               "external_tables": def.externalTables.map { $0.joined(separator: ".") }])
            case .table:
                print("pipeline \(def.settings.name) → \(def.settings.catalog).\(def.settings.schema): \(def.datasets.count) datasets, valid")
                var t = TextTable(["#", "DATASET", "TYPE", "DEPENDS ON", "EXPECTATIONS", "DEFINED AT"])
                for (i, d) in def.datasets.enumerated() {
                    t.add([String(i + 1), d.name, d.kind.rawValue, (def.dependencies[d.name.lowercased()] ?? []).joined(separator: ","),
                           d.expectations.map { "\($0.name):\($0.action.rawValue)" }.joined(separator: ","), d.location])
                }
                print(t.render())
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or update the pipeline from a folder (or name a known one), run an update and wait for it.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The pipeline folder, or the name/id of a pipeline the server knows.") var target: String
        @Flag(name: .long, help: "Truncate streaming tables, reset checkpoints and recompute everything.") var fullRefresh = false
        @Flag(name: .long, help: "Return once the update is queued.") var noWait = false

        func run() async throws {
            let api = try client.client()
            var isDir: ObjCBool = false
            let pipelineID: String
            if FileManager.default.fileExists(atPath: target, isDirectory: &isDir), isDir.boolValue {
                let def: PipelineDefinition
                do { def = try PipelineDefinition.load(directory: URL(fileURLWithPath: target)) } catch let e as PipelineError {
                    FileHandle.standardError.write(Data("error: \(e.message)\n".utf8))
                    throw ExitCode(1)
                }
                let body: [String: Any] = ["name": def.settings.name, "root_path": def.directory.path]
                let list = try await api.call(.GET, "/api/2.0/pipelines") as? [String: Any] ?? [:]
                let known = (list["statuses"] as? [[String: Any]] ?? []).first { ($0["name"] as? String) == def.settings.name }
                if let id = known?["pipeline_id"] as? String {
                    _ = try await api.call(.PUT, "/api/2.0/pipelines/" + id, body: body)
                    pipelineID = id
                } else {
                    let created = try await api.call(.POST, "/api/2.0/pipelines", body: body) as? [String: Any] ?? [:]
                    guard let id = created["pipeline_id"] as? String else { throw CLIError("the server did not return a pipeline_id") }
                    pipelineID = id
                }
            } else {
                let p = try await api.call(.GET, "/api/2.0/pipelines/" + PipelinesCommand.path(target)) as? [String: Any] ?? [:]
                guard let id = p["pipeline_id"] as? String else { throw CLIError("no pipeline \(target)") }
                pipelineID = id
            }
            let started = try await api.call(.POST, "/api/2.0/pipelines/\(pipelineID)/updates", body: ["full_refresh": fullRefresh]) as? [String: Any] ?? [:]
            guard let updateID = started["update_id"] as? String else { throw CLIError("the server did not return an update_id") }
            if noWait {
                if output.output == .json { try printJSON(["pipeline_id": pipelineID, "update_id": updateID]) } else { print("update \(updateID) queued") }
                return
            }
            var update: [String: Any] = [:]
            while true {
                let answer = try await api.call(.GET, "/api/2.0/pipelines/\(pipelineID)/updates/\(updateID)") as? [String: Any] ?? [:]
                update = answer["update"] as? [String: Any] ?? [:]
                let state = update["state"] as? String ?? ""
                if ["COMPLETED", "FAILED", "CANCELED"].contains(state) { break }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            let state = update["state"] as? String ?? ""
            switch output.output {
            case .json: try printJSON(update)
            case .table:
                print("update \(updateID): \(state)")
                var t = TextTable(["DATASET", "TYPE", "STATE", "FILES", "INPUT", "OUTPUT", "DROPPED", "EXPECTATIONS (passed/failed)"])
                for d in update["datasets"] as? [[String: Any]] ?? [] {
                    func n(_ k: String) -> String { (d[k] as? NSNumber)?.stringValue ?? "" }
                    let exps = (d["expectations"] as? [[String: Any]] ?? []).map {
                        "\($0["name"] as? String ?? "")[\($0["action"] as? String ?? "")] \(($0["passed_records"] as? NSNumber)?.stringValue ?? "0")/\(($0["failed_records"] as? NSNumber)?.stringValue ?? "0")"
                    }
                    t.add([d["name"] as? String ?? "", d["type"] as? String ?? "", d["state"] as? String ?? "", n("input_files"), n("input_records"),
                           n("output_records"), n("dropped_records"), exps.joined(separator: ", ")])
                }
                print(t.render())
                if let e = update["error"] as? String { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }
            }
            if state != "COMPLETED" { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List pipelines.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let answer = try await client.client().call(.GET, "/api/2.0/pipelines") as? [String: Any] ?? [:]
            let statuses = answer["statuses"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(statuses)
            case .table:
                var t = TextTable(["ID", "NAME", "STATE", "LAST UPDATE"])
                for s in statuses {
                    let last = (s["latest_updates"] as? [[String: Any]])?.first
                    t.add([s["pipeline_id"] as? String ?? "", s["name"] as? String ?? "", s["state"] as? String ?? "",
                           last.map { "\($0["state"] as? String ?? "") \($0["creation_time"] as? String ?? "")" } ?? ""])
                }
                print(t.render())
            }
        }
    }

    struct Updates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a pipeline's updates, newest first.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Pipeline name or id.") var pipeline: String

        func run() async throws {
            let answer = try await client.client().call(.GET, "/api/2.0/pipelines/\(PipelinesCommand.path(pipeline))/updates") as? [String: Any] ?? [:]
            let updates = answer["updates"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(updates)
            case .table:
                var t = TextTable(["UPDATE", "STATE", "FULL REFRESH", "DATASETS", "ERROR"])
                for u in updates {
                    t.add([u["update_id"] as? String ?? "", u["state"] as? String ?? "", (u["full_refresh"] as? Bool ?? false) ? "yes" : "no",
                           String((u["datasets"] as? [Any])?.count ?? 0), u["error"] as? String ?? ""])
                }
                print(t.render())
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a pipeline's event log, newest first.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Pipeline name or id.") var pipeline: String
        @Option(help: "Most events to show.") var limit = 100

        func run() async throws {
            let answer = try await client.client().call(.GET, "/api/2.0/pipelines/\(PipelinesCommand.path(pipeline))/events", query: [("max_results", String(limit))]) as? [String: Any] ?? [:]
            let events = answer["events"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(events)
            case .table:
                var t = TextTable(["TIMESTAMP", "LEVEL", "TYPE", "DATASET", "MESSAGE"])
                for e in events {
                    let origin = e["origin"] as? [String: Any] ?? [:]
                    t.add([e["timestamp"] as? String ?? "", e["level"] as? String ?? "", e["event_type"] as? String ?? "", origin["dataset_name"] as? String ?? "", e["message"] as? String ?? ""])
                }
                print(t.render())
            }
        }
    }
}
