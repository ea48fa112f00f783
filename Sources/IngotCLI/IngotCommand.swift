import ArgumentParser
import IngotCore

/// The root `ingot` command. Nouns group verbs (`ingot runs list`); offline commands (serve,
/// migrate, version, parquet) work on local files, the rest are clients of a running server.
public struct IngotCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ingot",
        abstract: "Ingot — a self-hosted data and ML platform in one binary.",
        discussion: """
            Start the platform with `ingot serve` and open http://127.0.0.1:\(IngotConfig.defaultPort).
            Commands that act on data talk to a running server (--server / INGOT_SERVER).
            """,
        version: IngotVersion.current,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, VersionCommand.self, StatusCommand.self,
            CompletionCommand.self, AdminCommand.self, ExperimentsCommand.self, RunsCommand.self, ArtifactsCommand.self, ParquetCommand.self,
            ModelsCommand.self, EndpointsCommand.self, SQLCommand.self, TablesCommand.self, QualityCommand.self, PipelinesCommand.self, JobsCommand.self, UsersCommand.self, TokensCommand.self, AuditCommand.self,
            BackupCommand.self, RestoreCommand.self,
            VolumesCommand.self, FsCommand.self,
            LineageCommand.self,
        ])

    public init() {}
}

extension IngotCommand {
    /// Parses the process arguments and runs the chosen command, async or not. (Called from the
    /// executable's `main.swift`; argument-parser's own `main()` picks its synchronous overload there.)
    public static func runMain(_ arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
