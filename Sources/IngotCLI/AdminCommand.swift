import ArgumentParser

/// `ingot admin …`: local maintenance tools that work on files, not through the server.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Local maintenance tools.",
        subcommands: [AdminInitCommand.self, WriteProbeCommand.self, AdminTableCommand.self, AdminSQLCommand.self])
}
