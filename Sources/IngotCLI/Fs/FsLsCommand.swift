import ArgumentParser
import Foundation

/// `ingot fs ls dbfs:/Volumes/main/default/landing/dir`.
struct FsLsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a directory of a volume.")
    @Argument(help: "A volume path: dbfs:/Volumes/<catalog>/<schema>/<volume>/[dir].") var path: String
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let remote = try FsCommand.remote(path)
        let api = try client.client()
        var entries: [[String: Any]]
        if case .file(let size) = try await api.kind(remote) {
            entries = [["path": remote.path, "name": remote.name, "is_directory": false, "file_size": size]]
        } else {
            entries = try await api.entries(remote)
        }
        switch output.output {
        case .json: try printJSON(entries)
        case .table:
            var t = TextTable(["NAME", "SIZE", "MODIFIED"])
            for e in entries {
                let dir = e["is_directory"] as? Bool ?? false
                let modified = (e["last_modified"] as? NSNumber).map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0.doubleValue / 1000)) } ?? ""
                t.add([(e["name"] as? String ?? "") + (dir ? "/" : ""), dir ? "" : "\((e["file_size"] as? NSNumber)?.int64Value ?? 0)", modified])
            }
            print(t.render())
        }
    }
}
