import ArgumentParser
import Foundation

struct PipelinesCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Register the pipeline of a folder (or point the known pipeline of that name at it) without running it.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The pipeline folder (pipeline.yaml + *.sql), readable by the server.") var directory: String

    func run() async throws {
        guard PipelinesCommand.isDirectory(directory) else { throw PipelinesCommand.fail("\(directory) is not a directory") }
        let (id, created) = try await PipelinesCommand.register(directory, try client.client())
        switch output.output {
        case .json: try printJSON(["pipeline_id": id, "created": created])
        case .table: print("pipeline \(id) \(created ? "created" : "updated")")
        }
    }
}
