import ArgumentParser
import Foundation

/// `ingot fs mkdir dbfs:/Volumes/main/default/landing/a/b` (parents are created).
struct FsMkdirCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mkdir", abstract: "Create a directory (and its parents) in a volume.")
    @Argument(help: "A volume path: dbfs:/Volumes/<catalog>/<schema>/<volume>/dir.") var path: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.client().send(.PUT, IngotClient.directoriesAPI, try FsCommand.remote(path))
    }
}
