import ArgumentParser
import Foundation

/// `ingot volumes get main.default.landing`.
struct VolumesGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a volume.")
    @Argument(help: "The volume's full name: catalog.schema.volume.") var name: String
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        _ = try VolumesCommand.parts(name)
        let v = try await client.client().call(.GET, VolumesCommand.api + "/" + name) as? [String: Any] ?? [:]
        try VolumesCommand.printVolume(v, json: output.output == .json)
    }
}
