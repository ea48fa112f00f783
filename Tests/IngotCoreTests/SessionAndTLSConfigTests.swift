import Foundation
import Testing

@testable import IngotCore

@Suite struct SessionAndTLSConfigTests {
    @Test func sessionDurationsAcceptUnits() throws {
        let config = try ConfigLoader().load(
            file: nil, environment: ["INGOT_AUTH_SESSION_TTL": "8h", "INGOT_AUTH_SESSION_IDLE_TIMEOUT": "900"])
        #expect(config.sessionTTLSeconds == 8 * 3600 && config.sessionIdleSeconds == 900)
        #expect(try duration("7d", "k") == 7 * 86_400 && duration("90m", "k") == 5400 && duration("30s", "k") == 30)
        for bad in ["", "0", "-5m", "12x", "h", "400d"] {
            #expect(throws: ConfigError.self) { try duration(bad, "auth.session_ttl") }
        }
        #expect {
            try ConfigLoader().load(file: nil, environment: ["INGOT_AUTH_SESSION_TTL": "soon"])
        } throws: { ($0 as? ConfigError)?.message.contains("auth.session_ttl") == true }
    }

    @Test func tlsNeedsBothReadableFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path
        let key = dir.appendingPathComponent("key.pem").path
        #expect {
            try ConfigLoader().load(file: nil, environment: ["INGOT_TLS_CERTIFICATE": cert])
        } throws: { ($0 as? ConfigError)?.message.contains("tls.key is not") == true }
        #expect {
            try ConfigLoader().load(file: nil, environment: ["INGOT_TLS_CERTIFICATE": cert, "INGOT_TLS_KEY": key])
        } throws: { ($0 as? ConfigError)?.message == "tls.certificate: cannot read '\(cert)' (missing or not readable)" }
        try "x".write(toFile: cert, atomically: true, encoding: .utf8)
        try "x".write(toFile: key, atomically: true, encoding: .utf8)
        let config = try ConfigLoader().load(file: nil, environment: ["INGOT_TLS_CERTIFICATE": cert, "INGOT_TLS_KEY": key])
        #expect(config.tlsEnabled && !IngotConfig().tlsEnabled)
    }
}
