import ArgumentParser
import Foundation

/// `ingot volumes delete main.default.landing`: a managed volume's files go with it.
struct VolumesDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a volume (a managed volume's files are deleted; an external one's are kept).")
    @Argument(help: "The volume's full name: catalog.schema.volume.") var name: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        _ = try VolumesCommand.parts(name)
        _ = try await client.client().call(.DELETE, VolumesCommand.api + "/" + name)
        print("Deleted volume \(name)")
    }
}
