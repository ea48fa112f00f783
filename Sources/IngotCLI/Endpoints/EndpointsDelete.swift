import ArgumentParser

struct EndpointsDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a serving endpoint (its workers stop).")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Endpoint name.") var name: String

    func run() async throws {
        _ = try await client.client().call(.DELETE, "\(EndpointsCommand.api)/\(name)")
        print("deleted endpoint \(name)")
    }
}
