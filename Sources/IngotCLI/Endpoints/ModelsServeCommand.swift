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
                With --tracking-uri (or MLFLOW_TRACKING_URI when no --data-dir is given) the model is resolved and its files \
                downloaded through that server's REST API, as `mlflow models serve` does; otherwise it is resolved in the registry \
                of the local data directory (--data-dir or the config's data_dir; a running `ingot serve` may share it). \
                Python-flavored models run in pyfunc workers started with serving.python.
                """)
        @Option(name: [.customShort("m"), .customLong("model-uri")], help: "models:/<name>/<version> or models:/<name>@<alias>.")
        var modelURI: String
        @Option(name: [.customShort("p"), .long], help: "Port (default 5000, as mlflow).") var port: Int = 5000
        @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
        @Option(name: [.customShort("w"), .long], help: "Maximum worker processes for Python models.") var workers: Int = 1
        @Option(name: .customLong("data-dir"), help: "Data directory holding the registry and artifacts.") var dataDir: String?
        @Option(help: "YAML configuration file (default: none; also INGOT_CONFIG).") var config: String?
        @Option(name: .customLong("tracking-uri"), help: "Ingot or MLflow server to fetch the model from (default $MLFLOW_TRACKING_URI).")
        var trackingURI: String?
        @Option(name: .customLong("env-manager"), help: "Accepted for compatibility with mlflow; the configured interpreter is used.")
        var envManager: String?

        func run() async throws {
            var overrides: [String: String] = [:]
            if let dataDir { overrides["data_dir"] = dataDir }
            let config = try ConfigLoader().load(file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
            StructuredLogHandler.bootstrap(format: config.logFormat, level: config.logLevel)
            let logger = Logger(label: "ingot.models.serve")
            let env = ProcessInfo.processInfo.environment
            let remote = trackingURI ?? (dataDir == nil ? env["MLFLOW_TRACKING_URI"].flatMap { $0.hasPrefix("http") ? $0 : nil } : nil)
            if let remote {
                let (name, version, alias) = try StandaloneScoringServer.parse(modelURI: modelURI)
                let base = remote.hasSuffix("/") ? String(remote.dropLast()) : remote
                let client = IngotClient(baseURL: base, token: env["MLFLOW_TRACKING_TOKEN"] ?? env["INGOT_TOKEN"])
                let download = ModelDownload(client: client)
                let (number, uri) = try await download.resolve(name: name, version: version, alias: alias)
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-models-serve-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: root) }
                try await download.download(artifactURI: uri, to: root.appendingPathComponent("model"))
                var settings = IngotServices.servingSettings(config)
                settings.root = root
                try await StandaloneScoringServer.serve(
                    directory: root.appendingPathComponent("model"), config: config, settings: settings, name: name, version: number, host: host,
                    port: port, workers: workers, logger: logger)
                return
            }
            let services = try IngotServices.open(config: config, migrate: false)
            try await StandaloneScoringServer.run(services: services, modelURI: modelURI, host: host, port: port, workers: workers, logger: logger)
            try services.close()
        }
    }
}
