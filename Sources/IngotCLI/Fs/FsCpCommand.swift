import ArgumentParser
import Foundation

/// `ingot fs cp [-r] [--overwrite] SRC DST`: local → volume or volume → local; files stream in both
/// directions with a progress line for large ones. A directory needs `-r` and is copied by contents.
struct FsCpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files between local paths and volume paths (dbfs:/Volumes/...).")
    @Argument(help: "Source: a local path or dbfs:/Volumes/...") var source: String
    @Argument(help: "Destination: a local path or dbfs:/Volumes/...") var destination: String
    @Flag(name: [.customShort("r"), .long], help: "Copy a directory and everything in it.") var recursive = false
    @Flag(help: "Replace files that already exist at the destination.") var overwrite = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.client()
        switch (RemotePath(source), RemotePath(destination)) {
        case (nil, let remote?): try await upload(local: source, remote: remote, api)
        case (let remote?, nil): try await download(remote: remote, local: destination, api)
        case (.some, .some): throw CLIError("copying from one volume path to another is not supported; copy to a local path first")
        case (nil, nil): throw CLIError("one of the paths must be a volume path (dbfs:/Volumes/<catalog>/<schema>/<volume>/...)")
        }
    }

    func upload(local: String, remote: RemotePath, _ api: IngotClient) async throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: local, isDirectory: &isDir) else { throw CLIError("\(local) does not exist") }
        if isDir.boolValue {
            guard recursive else { throw CLIError("\(local) is a directory: use -r to copy it") }
            try await api.send(.PUT, IngotClient.directoriesAPI, remote)
            let names = try FileManager.default.contentsOfDirectory(atPath: local).sorted()
            for name in names { try await upload(local: local + "/" + name, remote: remote.child(name), api) }
            return
        }
        var target = remote
        if destination.hasSuffix("/") { target = remote.child((local as NSString).lastPathComponent) }
        else if case .directory = try await api.kind(remote) { target = remote.child((local as NSString).lastPathComponent) }
        if !overwrite, case .file = try await api.kind(target) {
            throw CLIError("ALREADY_EXISTS: dbfs:\(target.path) already exists: use --overwrite to replace it")
        }
        try await api.put(local: local, remote: target, overwrite: overwrite, progress: Progress(target.name))
    }

    func download(remote: RemotePath, local: String, _ api: IngotClient) async throws {
        switch try await api.kind(remote) {
        case .missing: throw CLIError("NOT_FOUND: dbfs:\(remote.path) does not exist")
        case .directory:
            guard recursive else { throw CLIError("dbfs:\(remote.path) is a directory: use -r to copy it") }
            try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
            for e in try await api.entries(remote) {
                guard let name = e["name"] as? String else { continue }
                try await download(remote: remote.child(name), local: local + "/" + name, api)
            }
        case .file:
            var target = local
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: local, isDirectory: &isDir), isDir.boolValue { target = local + "/" + remote.name }
            if !overwrite, FileManager.default.fileExists(atPath: target) { throw CLIError("\(target) already exists: use --overwrite to replace it") }
            try await api.get(remote: remote, local: target, progress: Progress(remote.name))
        }
    }
}
