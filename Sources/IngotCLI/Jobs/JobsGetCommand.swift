import ArgumentParser
import Foundation

/// `ingot jobs get JOB`: a job's settings.
struct JobsGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a job's settings (JSON).")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Job id or name.") var job: String

    func run() async throws {
        let api = try client.client()
        let id = try await JobsCommand.resolve(job, api)
        try printJSON(try await api.call(.GET, JobsCommand.api + "/get", query: [("job_id", String(id))]) ?? [:])
    }
}
