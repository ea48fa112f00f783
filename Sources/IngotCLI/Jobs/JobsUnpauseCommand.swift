import ArgumentParser
import Foundation

/// `ingot jobs unpause JOB`: resumes a job's schedule (from the next fire time; missed times are not run).
struct JobsUnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Resume a job's schedule from its next fire time.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Job id or name.") var job: String

    func run() async throws { try await JobsPauseCommand.setPause(job, paused: false, client) }
}
