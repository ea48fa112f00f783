import ArgumentParser
import Foundation

/// `ingot volumes create main.default.landing [--storage-location /data/raw] [--comment ...]`.
struct VolumesCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a managed volume, or an external one over a local directory (--storage-location).")
    @Argument(help: "The volume's full name: catalog.schema.volume.") var name: String
    @Option(help: "An absolute local directory for an EXTERNAL volume (must lie under an external location when auth is on).")
    var storageLocation: String?
    @Option(help: "A comment.") var comment: String?
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let p = try VolumesCommand.parts(name)
        var body: [String: Any] = ["catalog_name": p[0], "schema_name": p[1], "name": p[2], "volume_type": storageLocation == nil ? "MANAGED" : "EXTERNAL"]
        if let storageLocation {
            let absolute = storageLocation.hasPrefix("/") || storageLocation.hasPrefix("file:")
                ? storageLocation : FileManager.default.currentDirectoryPath + "/" + storageLocation
            body["storage_location"] = absolute
        }
        if let comment { body["comment"] = comment }
        let v = try await client.client().call(.POST, VolumesCommand.api, body: body) as? [String: Any] ?? [:]
        try VolumesCommand.printVolume(v, json: output.output == .json)
    }
}
