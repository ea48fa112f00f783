import ArgumentParser
import Foundation

/// `ingot fs rm [-r] dbfs:/Volumes/...`: a file, an empty directory, or with `-r` a whole tree.
struct FsRmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a file or directory from a volume.")
    @Argument(help: "A volume path: dbfs:/Volumes/<catalog>/<schema>/<volume>/path.") var path: String
    @Flag(name: [.customShort("r"), .long], help: "Remove a directory and everything in it.") var recursive = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let remote = try FsCommand.remote(path)
        let api = try client.client()
        switch try await api.kind(remote) {
        case .file: try await api.send(.DELETE, IngotClient.filesAPI, remote)
        case .directory:
            if recursive { try await Self.removeTree(remote, api) } else { try await api.send(.DELETE, IngotClient.directoriesAPI, remote) }
        case .missing: throw CLIError("NOT_FOUND: dbfs:\(remote.path) does not exist")
        }
    }

    static func removeTree(_ dir: RemotePath, _ api: IngotClient) async throws {
        for e in try await api.entries(dir) {
            guard let name = e["name"] as? String else { continue }
            if e["is_directory"] as? Bool ?? false {
                try await removeTree(dir.child(name), api)
            } else {
                try await api.send(.DELETE, IngotClient.filesAPI, dir.child(name))
            }
        }
        try await api.send(.DELETE, IngotClient.directoriesAPI, dir)
    }
}
