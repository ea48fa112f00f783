import ArgumentParser
import Foundation

/// `ingot jobs delete JOB`: deletes a job and its runs (active runs are canceled).
struct JobsDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a job (its active runs are canceled).")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Job id or name.") var job: String

    func run() async throws {
        let api = try client.client()
        let id = try await JobsCommand.resolve(job, api)
        _ = try await api.call(.POST, JobsCommand.api + "/delete", body: ["job_id": id])
        print("deleted job \(id)")
    }
}
