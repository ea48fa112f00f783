import ArgumentParser
import Foundation
import IngotPipelines

/// `ingot jobs create FILE`: creates a job from a YAML or JSON settings file.
struct JobsCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a job from a YAML or JSON file (Databricks job settings).")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The job settings file (.yaml, .yml or .json).") var file: String
    @Flag(name: .long, help: "If a job with the same name exists, replace its settings instead of creating another.") var replace = false

    func run() async throws {
        let settings: [String: Any]
        do { settings = try JobSettingsFile.load(file) } catch let e as JobError { throw CLIError(e.message) }
        let api = try client.client()
        if replace, let name = settings["name"] as? String, let id = try? await JobsCommand.resolve(name, api) {
            _ = try await api.call(.POST, JobsCommand.api + "/reset", body: ["job_id": id, "new_settings": settings])
            if output.output == .json { try printJSON(["job_id": id]) } else { print("updated job \(id) (\(name))") }
            return
        }
        let answer = try await api.call(.POST, JobsCommand.api + "/create", body: settings) as? [String: Any] ?? [:]
        guard let id = answer["job_id"] else { throw CLIError("the server did not return a job_id") }
        if output.output == .json { try printJSON(["job_id": id]) } else { print("created job \(id)") }
    }
}
