import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCore
import Logging
import Testing

@testable import IngotServer

/// Sign-in through the router: the cookie authenticates, mutations need the CSRF header, and
/// sign-out ends the session.
@Suite struct SessionRoutesTests {
    @Test func cookieSessionWithCSRF() async throws {
        var config = IngotConfig()
        config.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-sess-\(UUID().uuidString)").path
        config.authMode = .token
        let services = try IngotServices.open(config: config)
        _ = try await services.identity.createPrincipal(name: "ana", kind: "user", displayName: nil, isAdmin: false, password: "pw-ana-123")
        let app = buildApplication(services: services, logger: Logger(label: "test"))
        let csrf = HTTPField.Name("X-CSRF-Token")!
        try await app.test(.router) { client in
            let (cookie, token) = try await client.execute(
                uri: "/api/2.0/ingot/login", method: .post, body: ByteBuffer(string: #"{"username":"ana","password":"pw-ana-123"}"#)
            ) { response in
                #expect(response.status == .ok)
                let setCookie = try #require(response.headers[.setCookie])
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && !setCookie.contains("Secure"))
                let body = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                let id = String(setCookie.split(separator: ";")[0].dropFirst("ingot_session=".count))
                return (id, try #require(body?["csrf_token"] as? String))
            }
            let create = ByteBuffer(string: #"{"name":"e1"}"#)
            try await client.execute(uri: "/api/2.0/ingot/me", method: .get, headers: [.cookie: "ingot_session=\(cookie)"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, headers: [.cookie: "ingot_session=\(cookie)"], body: create) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/api/2.0/mlflow/experiments/create", method: .post, headers: [.cookie: "ingot_session=\(cookie)", csrf: token], body: create
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/2.0/ingot/logout", method: .post, headers: [.cookie: "ingot_session=\(cookie)", csrf: token]) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/api/2.0/ingot/me", method: .get, headers: [.cookie: "ingot_session=\(cookie)"]) {
                #expect($0.status == .unauthorized)
            }
        }
        try services.close()
    }
}
