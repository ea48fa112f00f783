import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCore
import IngotIdentity
import IngotStorage
import Logging
import Testing

@testable import IngotServer

/// In-process tests of the HTTP surface shared by every module.
@Suite struct ServerTests {
    static func makeServices(maxBody: Int = 1024 * 1024) throws -> IngotServices {
        var config = IngotConfig()
        config.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-srv-\(UUID().uuidString)").path
        config.maxBodyBytes = maxBody
        return try IngotServices.open(config: config)
    }

    /// Services with authentication on and `users` created, each with a token (`admins` are administrators).
    static func securedServices(prefix: String, users: [String], admins: Set<String>) async throws -> (IngotServices, tokens: [String: String]) {
        var config = IngotConfig()
        config.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-\(prefix)-\(UUID().uuidString)").path
        config.authMode = .token
        let services = try IngotServices.open(config: config)
        var tokens: [String: String] = [:]
        for user in users {
            _ = try await services.identity.createPrincipal(name: user, kind: "user", displayName: nil, isAdmin: admins.contains(user), password: nil)
            tokens[user] = try await services.identity.createToken(for: user, lifetimeSeconds: nil, comment: nil).0
        }
        return (services, tokens)
    }

    /// Grants `levels` on a securable or object (`type` as stored: `uc:table`, `experiment`, …) to a user.
    static func grant(_ store: PermissionStore, _ type: String, _ id: String, to user: String, _ levels: [String]) async throws {
        try await store.changeGrants(
            objectType: type, objectID: id,
            add: levels.map { PermissionRecord(objectType: type, objectID: id, principal: user, kind: .user, level: $0) }, remove: [])
    }

    static func makeApp(_ services: IngotServices) -> some ApplicationProtocol {
        buildApplication(services: services, logger: Logger(label: "test"))
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] ?? [:]
    }

    @Test func healthReportsVersionSchemaAndStores() async throws {
        let services = try Self.makeServices()
        try await Self.makeApp(services).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let body = try Self.json(response.body)
                #expect(body["status"] as? String == "ok")
                #expect(body["version"] as? String == IngotVersion.current)
                #expect(body["schema_version"] as? String == IngotMigrations.all.last?.identifier)
                let stores = body["stores"] as? [String: Any]
                #expect((stores?["metadata"] as? [String: Any])?["status"] as? String == "ok")
                #expect((stores?["objects"] as? [String: Any])?["status"] as? String == "ok")
            }
        }
    }

    @Test func unknownAPIRouteIsJSON404WithRequestID() async throws {
        let services = try Self.makeServices()
        try await Self.makeApp(services).test(.router) { client in
            try await client.execute(uri: "/api/2.0/mlflow/nonexistent", method: .post) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
                let body = try Self.json(response.body)
                #expect(body["error_code"] as? String == "ENDPOINT_NOT_FOUND")
                #expect((body["message"] as? String)?.contains("/api/2.0/mlflow/nonexistent") == true)
            }
        }
    }

    @Test func clientRequestIDIsEchoedAndForgedOnesReplaced() async throws {
        let services = try Self.makeServices()
        let name = HTTPField.Name("X-Request-Id")!
        try await Self.makeApp(services).test(.router) { client in
            try await client.execute(uri: "/health", method: .get, headers: [name: "abc-123"]) { response in
                #expect(response.headers[name] == "abc-123")
            }
            try await client.execute(uri: "/health", method: .get, headers: [name: "bad id with spaces"]) { response in
                #expect(response.headers[name] != "bad id with spaces")
            }
        }
    }

    @Test func metricsExposePerRouteCountersAndHistograms() async throws {
        let services = try Self.makeServices()
        try await Self.makeApp(services).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("hb_requests{"))
                #expect(text.contains("http_route=\"/health\""))
                #expect(text.contains("http_server_request_duration_bucket"))
            }
        }
    }

    @Test func oversizedBodyIsRejectedWith413() async throws {
        let services = try Self.makeServices(maxBody: 2048)
        try await Self.makeApp(services).test(.router) { client in
            let body = ByteBuffer(bytes: [UInt8](repeating: 0x20, count: 4096))
            try await client.execute(uri: "/api/2.0/mlflow/runs/create", method: .post, body: body) { response in
                #expect(response.status == .contentTooLarge)
                let body = try Self.json(response.body)
                #expect(body["error_code"] as? String == "REQUEST_LIMIT_EXCEEDED")
            }
        }
    }

    @Test func authorizationHeaderIsIgnoredWhenAuthIsDisabled() async throws {
        let services = try Self.makeServices()
        try await Self.makeApp(services).test(.router) { client in
            try await client.execute(uri: "/health", method: .get, headers: [.authorization: "Bearer nonsense"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func adminPagesAreServedWithSPAFallback() async throws {
        let services = try Self.makeServices()
        try await Self.makeApp(services).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(String(buffer: response.body).lowercased().contains("<!doctype html>"))
            }
            try await client.execute(uri: "/ui/experiments/12", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            }
            try await client.execute(uri: "/ui/js/does-not-exist.js", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/ui/../Package.swift", method: .get) { response in
                #expect(response.status != .ok)
            }
        }
    }

    @Test func everyEmbeddedAssetIsServed() async throws {
        let assets = EmbeddedWebAssets()
        #expect(assets.paths.contains("/index.html"))
        let services = try Self.makeServices()
        try await Self.makeApp(services).test(.router) { client in
            for path in assets.paths {
                try await client.execute(uri: "/ui" + path, method: .get) { response in
                    #expect(response.status == .ok, "GET /ui\(path)")
                    #expect(response.body.readableBytes == assets.file(path)?.count)
                }
            }
        }
    }

    @Test func etagRevalidation() async throws {
        let services = try Self.makeServices()
        try await Self.makeApp(services).test(.router) { client in
            let etag = try await client.execute(uri: "/ui/index.html", method: .get) { response in
                response.headers[.eTag]
            }
            #expect(etag != nil)
            try await client.execute(uri: "/ui/index.html", method: .get, headers: [.ifNoneMatch: etag!]) { response in
                #expect(response.status == .notModified)
            }
        }
    }
}
