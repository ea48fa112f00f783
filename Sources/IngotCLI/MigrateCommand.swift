import ArgumentParser
import IngotCore
import IngotServer
import IngotStorage

/// `ingot migrate`: upgrade a data directory's metadata schema explicitly (serve also does it on start).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending metadata schema migrations to a data directory.")

    @OptionGroup var server: ServerConfigOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let config = try server.loadConfig()
        let services = try IngotServices.open(config: config, migrate: false)
        let pending = try services.metadata.pendingMigrations()
        try services.metadata.migrate()
        let schema = try services.metadata.appliedSchemaVersion() ?? "none"
        try services.close()
        switch output.output {
        case .json:
            try printJSON(["data_dir": config.dataDirectoryURL.path, "applied": pending, "schema_version": schema] as [String: any Sendable])
        case .table:
            if pending.isEmpty {
                print("Schema is up to date (\(schema)) in \(config.dataDirectoryURL.path)")
            } else {
                for id in pending { print("applied \(id)") }
                print("Schema is now \(schema) in \(config.dataDirectoryURL.path)")
            }
        }
    }
}
