import Foundation
import Testing

@testable import IngotCore

@Suite struct ConfigLoaderTests {
    func writeTemp(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaultsWithoutAnyFile() throws {
        let config = try ConfigLoader().load(file: nil, environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == IngotConfig.defaultPort)
        #expect(config.dataDir == "./ingot-data")
        #expect(config.logFormat == .json)
        #expect(config.authMode == .none)
    }

    @Test func precedenceFlagsOverEnvironmentOverFile() throws {
        let file = try writeTemp("server:\n  port: 9000\n  host: 0.0.0.0\ndata_dir: /srv/file\nlog:\n  level: debug\nauth:\n  mode: token\n")
        let fromFile = try ConfigLoader().load(file: file, environment: [:])
        #expect(fromFile.port == 9000 && fromFile.host == "0.0.0.0" && fromFile.dataDir == "/srv/file" && fromFile.logLevel == .debug)

        let env = ["INGOT_SERVER_PORT": "9100", "INGOT_DATA_DIR": "/srv/env"]
        let fromEnv = try ConfigLoader().load(file: file, environment: env)
        #expect(fromEnv.port == 9100 && fromEnv.dataDir == "/srv/env" && fromEnv.host == "0.0.0.0")

        let fromFlags = try ConfigLoader().load(file: file, environment: env, overrides: ["server.port": "9200"])
        #expect(fromFlags.port == 9200 && fromFlags.dataDir == "/srv/env")
    }

    @Test func configFileNamedByEnvironment() throws {
        let file = try writeTemp("server:\n  port: 9300\n")
        let config = try ConfigLoader().load(file: nil, environment: ["INGOT_CONFIG": file])
        #expect(config.port == 9300)
    }

    @Test func unknownKeyIsRejectedWithItsPath() throws {
        let file = try writeTemp("server:\n  prot: 9000\n")
        #expect {
            try ConfigLoader().load(file: file, environment: [:])
        } throws: { error in
            "\(error)".contains("unknown key 'server.prot'")
        }
    }

    @Test(arguments: [
        ("server:\n  port: seventy\n", "server.port"),
        ("server:\n  port: 70000\n", "server.port"),
        ("log:\n  format: xml\n", "log.format"),
        ("storage:\n  metadata:\n    backend: oracle\n", "storage.metadata.backend"),
        ("server:\n  host: [a, b]\n", "server.host"),
        ("auth:\n  mode: ldap\n", "auth.mode"),
        ("auth:\n  allow_unauthenticated_remote: maybe\n", "auth.allow_unauthenticated_remote"),
    ])
    func badValuesNameTheKey(yaml: String, key: String) throws {
        let file = try writeTemp(yaml)
        #expect {
            try ConfigLoader().load(file: file, environment: [:])
        } throws: { error in
            "\(error)".contains(key)
        }
    }

    @Test func unauthenticatedNetworkListenerIsRefused() throws {
        #expect {
            try ConfigLoader().load(file: nil, environment: [:], overrides: ["server.host": "0.0.0.0"])
        } throws: { error in
            "\(error)".contains("auth.mode")
        }
        let forced = try ConfigLoader().load(
            file: nil, environment: ["INGOT_AUTH_ALLOW_UNAUTHENTICATED_REMOTE": "true"], overrides: ["server.host": "0.0.0.0"])
        #expect(forced.allowUnauthenticatedRemote)
        let withAuth = try ConfigLoader().load(file: nil, environment: ["INGOT_AUTH_MODE": "token"], overrides: ["server.host": "0.0.0.0"])
        #expect(withAuth.authMode == .token)
    }

    @Test func badEnvironmentValueNamesTheVariable() {
        #expect {
            try ConfigLoader().load(file: nil, environment: ["INGOT_SERVER_PORT": "x"])
        } throws: { error in
            "\(error)".contains("INGOT_SERVER_PORT")
        }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: ConfigError.self) {
            try ConfigLoader().load(file: "/nonexistent/ingot.yaml", environment: [:])
        }
    }

    @Test func nullValuesKeepDefaults() throws {
        let file = try writeTemp("server:\n  host: ~\n  port:\nlog:\n  level: warning\n")
        let config = try ConfigLoader().load(file: file, environment: [:])
        #expect(config.host == "127.0.0.1" && config.port == IngotConfig.defaultPort && config.logLevel == .warning)
    }

    @Test func shippedConfigFileParses() throws {
        // The documented default config must always load and match the built-in defaults.
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = try ConfigLoader().load(file: repo.appendingPathComponent("config/ingot.yaml").path, environment: [:])
        #expect(config == IngotConfig())
    }

    @Test func logLinesAreStructured() {
        let json = StructuredLogHandler.json([("msg", "a \"quoted\"\nline"), ("k", "v")])
        #expect(json == #"{"msg":"a \"quoted\"\nline","k":"v"}"#)
        let logfmt = StructuredLogHandler.logfmt([("msg", "two words"), ("k", "v")])
        #expect(logfmt == #"msg="two words" k=v"#)
    }
}
