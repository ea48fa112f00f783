import ArgumentParser
import Foundation

/// `ingot fs ls|cp|rm|mkdir`: files in volumes through the Files API, with dbfs-style paths
/// (`dbfs:/Volumes/<catalog>/<schema>/<volume>/dir/file`); `cp` copies between local and volume paths.
struct FsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fs", abstract: "List, copy, remove and create files and directories in volumes (dbfs:/Volumes/...).",
        subcommands: [FsLsCommand.self, FsCpCommand.self, FsRmCommand.self, FsMkdirCommand.self])

    static func remote(_ raw: String) throws -> RemotePath {
        guard let path = RemotePath(raw) else { throw CLIError("'\(raw)' is not a volume path: expected dbfs:/Volumes/<catalog>/<schema>/<volume>/...") }
        return path
    }
}
