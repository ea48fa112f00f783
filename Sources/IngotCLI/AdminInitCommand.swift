import ArgumentParser
import Foundation
import IngotIdentity
import IngotServer

/// `ingot admin init`: creates the first administrator in a data directory (offline) and prints a
/// one-time access token, so a server with `auth.mode: token` can be used from the first minute.
struct AdminInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the first admin user and print a one-time access token.")

    @OptionGroup var server: ServerConfigOptions
    @Option(help: "Name of the admin user.")
    var user: String = "admin"
    @Flag(help: "Also set a password (read from INGOT_ADMIN_PASSWORD) for HTTP Basic and web login.")
    var withPassword = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let config = try server.loadConfig()
        var password: String?
        if withPassword {
            guard let value = ProcessInfo.processInfo.environment["INGOT_ADMIN_PASSWORD"], !value.isEmpty else {
                throw CLIError("--with-password needs the password in INGOT_ADMIN_PASSWORD")
            }
            password = value
        }
        let services = try IngotServices.open(config: config, migrate: true)
        let (user, token) = try await services.identity.bootstrapAdmin(name: user, password: password)
        try services.close()
        switch output.output {
        case .json:
            try printJSON(["user": user.name, "token": token, "data_dir": config.dataDirectoryURL.path])
        case .table:
            print("Created admin user '\(user.name)' in \(config.dataDirectoryURL.path).")
            print("Access token (shown once; store it safely):")
            print(token)
        }
    }
}
