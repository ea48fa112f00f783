import ArgumentParser
import Foundation
import IngotPipelines

/// `ingot pipelines create|validate|run|list|runs|events|stop|lineage`: declarative pipelines
/// defined in folders, through the pipelines API.
struct PipelinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines", abstract: "Validate, create, run and stop declarative (DLT-style) pipelines.",
        subcommands: [PipelinesCreateCommand.self, PipelinesValidateCommand.self, PipelinesRunCommand.self, PipelinesListCommand.self,
                      PipelinesRunsCommand.self, PipelinesEventsCommand.self, PipelinesStopCommand.self, PipelinesLineageCommand.self])

    static let api = "/api/2.0/pipelines"

    static func path(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(1)
    }

    /// Loads a pipeline folder, reporting its errors as the CLI does.
    static func load(_ directory: String) throws -> PipelineDefinition {
        do { return try PipelineDefinition.load(directory: URL(fileURLWithPath: directory)) } catch let e as PipelineError { throw fail(e.message) }
    }

    /// Creates the pipeline of a folder, or points the known pipeline of that name at it. Returns its id.
    static func register(_ directory: String, _ api: IngotClient) async throws -> (id: String, created: Bool) {
        let def = try load(directory)
        let body: [String: Any] = ["name": def.settings.name, "root_path": def.directory.path]
        let list = try await api.call(.GET, Self.api) as? [String: Any] ?? [:]
        let known = (list["statuses"] as? [[String: Any]] ?? []).first { ($0["name"] as? String) == def.settings.name }
        if let id = known?["pipeline_id"] as? String {
            _ = try await api.call(.PUT, Self.api + "/" + id, body: body)
            return (id, false)
        }
        let created = try await api.call(.POST, Self.api, body: body) as? [String: Any] ?? [:]
        guard let id = created["pipeline_id"] as? String else { throw CLIError("the server did not return a pipeline_id") }
        return (id, true)
    }

    /// A folder is created or updated; anything else names a pipeline the server knows.
    static func resolve(_ target: String, _ api: IngotClient) async throws -> String {
        if isDirectory(target) { return try await register(target, api).id }
        let p = try await api.call(.GET, Self.api + "/" + path(target)) as? [String: Any] ?? [:]
        guard let id = p["pipeline_id"] as? String else { throw CLIError("no pipeline \(target)") }
        return id
    }

    static let terminal: Set<String> = ["COMPLETED", "FAILED", "CANCELED"]
}
