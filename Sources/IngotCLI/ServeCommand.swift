import ArgumentParser
import Foundation
import Hummingbird
import IngotCore
import IngotServer
import Logging

/// `ingot serve`: every module in one process on the embedded defaults.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the Ingot server (REST APIs and admin pages).")

    @OptionGroup var server: ServerConfigOptions

    func run() async throws {
        let config = try server.loadConfig()
        StructuredLogHandler.bootstrap(format: config.logFormat, level: config.logLevel)
        let logger = Logger(label: "ingot")
        let services = try IngotServices.open(config: config, migrate: true)
        // A crash between a Delta commit and its Iceberg metadata is repaired before /health answers,
        // so after any restart both views of every table show the same version.
        for (table, reason) in await services.tables.syncAll() {
            logger.warning("table metadata sync failed", metadata: ["table": .string(table.description), "error": .string(reason)])
        }
        let app = buildApplication(services: services, logger: logger, server: try serverBuilder(services: services, logger: logger))
        logger.info(
            "starting",
            metadata: [
                "version": .string(IngotVersion.current), "address": .string("\(config.tlsEnabled ? "https" : "http")://\(config.host):\(config.port)"),
                "data_dir": .string(config.dataDirectoryURL.path),
                "schema_version": .string((try? services.metadata.appliedSchemaVersion()) ?? "none"),
            ])
        // runService stops gracefully on SIGTERM/SIGINT: in-flight requests finish first.
        try await app.runService()
        try services.close()
        logger.info("stopped")
    }
}

/// Options shared by commands that build a server configuration from file, environment and flags.
struct ServerConfigOptions: ParsableArguments {
    @Option(help: "YAML configuration file (default: none; also INGOT_CONFIG).")
    var config: String?
    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (default \(IngotConfig.defaultPort)).")
    var port: Int?
    @Option(name: .customLong("data-dir"), help: "Data directory (default ./ingot-data).")
    var dataDir: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?
    @Option(name: .customLong("log-format"), help: "json or logfmt.")
    var logFormat: String?
    @Option(name: .customLong("web-root"), help: "Serve the admin pages from this folder instead of the embedded copy (development).")
    var webRoot: String?

    func loadConfig() throws -> IngotConfig {
        var overrides: [String: String] = [:]
        if let host { overrides["server.host"] = host }
        if let port { overrides["server.port"] = String(port) }
        if let dataDir { overrides["data_dir"] = dataDir }
        if let logLevel { overrides["log.level"] = logLevel }
        if let logFormat { overrides["log.format"] = logFormat }
        if let webRoot { overrides["server.web_root"] = webRoot }
        return try ConfigLoader().load(file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
    }
}
