import ArgumentParser
import Foundation
import IngotCore
import IngotServer
import Logging

extension ModelsCommand {
    /// `ingot models serve -m models:/name@alias --port P`: a drop-in for `mlflow models serve`.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve", abstract: "Serve one registered model with MLflow's scoring routes (/invocations, /ping, /health, /version).",
            discussion: """
                The model is resolved in the registry of the local data directory (--data-dir or the config's data_dir; a running \
                `ingot serve` may share it). Python-flavored models run in pyfunc workers started with serving.python.
                """)
        @Option(name: [.customShort("m"), .customLong("model-uri")], help: "models:/<name>/<version> or models:/<name>@<alias>.")
        var modelURI: String
        @Option(name: [.customShort("p"), .long], help: "Port (default 5000, as mlflow).") var port: Int = 5000
        @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
        @Option(name: [.customShort("w"), .long], help: "Maximum worker processes for Python models.") var workers: Int = 1
        @Option(name: .customLong("data-dir"), help: "Data directory holding the registry and artifacts.") var dataDir: String?
        @Option(help: "YAML configuration file (default: none; also INGOT_CONFIG).") var config: String?
        @Option(name: .customLong("env-manager"), help: "Accepted for compatibility with mlflow; the configured interpreter is used.")
        var envManager: String?

        func run() async throws {
            var overrides: [String: String] = [:]
            if let dataDir { overrides["data_dir"] = dataDir }
            let config = try ConfigLoader().load(file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
            StructuredLogHandler.bootstrap(format: config.logFormat, level: config.logLevel)
            let logger = Logger(label: "ingot.models.serve")
            let services = try IngotServices.open(config: config, migrate: false)
            try await StandaloneScoringServer.run(services: services, modelURI: modelURI, host: host, port: port, workers: workers, logger: logger)
            try services.close()
        }
    }
}
