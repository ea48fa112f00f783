import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCatalog
import IngotCore
import IngotIdentity
import Testing

@testable import IngotServer

/// With authentication on, the creator of a volume owns it: `owner` in the answer and an `OWNER` grant
/// row that gives READ/WRITE VOLUME and MANAGE without any other grant on the volume, follows a rename
/// and an owner change, and goes with the volume.
@Suite struct VolumeOwnershipTests {
    typealias JSON = [String: Any]
    static let uc = "/api/2.1/unity-catalog"
    static let tokens = RegistryRoutesTests.TokenBox()

    static func call(_ client: some TestClientProtocol, as user: String, _ method: HTTPRequest.Method, _ path: String, _ body: JSON? = nil,
                     expect status: HTTPResponse.Status = .ok) async throws -> JSON
    {
        let buffer = body.map { ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: $0)) }
        let headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(Self.tokens.value[user] ?? user)"]
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            let json = (try? ServerTests.json(response.body)) ?? [:]
            #expect(response.status == status, "\(user) \(method) \(path): \(json)")
            return json
        }
    }

    static func upload(_ client: some TestClientProtocol, as user: String, _ path: String, _ text: String) async throws -> HTTPResponse.Status {
        let headers: HTTPFields = [.contentType: "application/octet-stream", .authorization: "Bearer \(Self.tokens.value[user] ?? user)"]
        return try await client.execute(uri: "/api/2.0/fs/files" + path, method: .put, headers: headers, body: ByteBuffer(string: text)) { $0.status }
    }

    @Test func theCreatorOwnsAVolume() async throws {
        let (services, tokens) = try await ServerTests.securedServices(prefix: "volown", users: ["root", "ana", "bob"], admins: ["root"])
        Self.tokens.set(tokens)
        let grants = services.authorizer.store
        func grant(_ type: String, _ id: String, _ user: String, _ levels: [String]) async throws {
            try await ServerTests.grant(grants, type, id, to: user, levels)
        }
        // Ana may create volumes in main.default; bob may only use the catalog and schema.
        try await grant("uc:catalog", "main", "ana", ["USE CATALOG"])
        try await grant("uc:schema", "main.default", "ana", ["USE SCHEMA", "CREATE VOLUME"])
        try await grant("uc:catalog", "main", "bob", ["USE CATALOG"])
        try await grant("uc:schema", "main.default", "bob", ["USE SCHEMA"])

        try await ServerTests.makeApp(services).test(.router) { client in
            let created = try await Self.call(client, as: "ana", .post, "\(Self.uc)/volumes",
                                              ["catalog_name": "main", "schema_name": "default", "name": "Landing", "volume_type": "MANAGED"])
            #expect(created["owner"] as? String == "ana")
            let rows = try await grants.rows(objectType: "uc:volume", objectID: "main.default.landing")
            #expect(rows.map { "\($0.principal):\($0.level)" } == ["ana:OWNER"])
            // The owner reads, writes and manages the volume with no grant on it.
            let got = try await Self.call(client, as: "ana", .get, "\(Self.uc)/volumes/main.default.landing")
            #expect(got["owner"] as? String == "ana" && got["created_by"] as? String == "ana")
            #expect(try await Self.upload(client, as: "ana", "/Volumes/main/default/landing/a.txt", "hello").code / 100 == 2)
            _ = try await Self.call(client, as: "ana", .patch, "\(Self.uc)/volumes/main.default.landing", ["comment": "raw files"])
            // Bob, without a grant on it, can do none of that.
            _ = try await Self.call(client, as: "bob", .get, "\(Self.uc)/volumes/main.default.landing", expect: .forbidden)
            #expect(try await Self.upload(client, as: "bob", "/Volumes/main/default/landing/b.txt", "x") == .forbidden)
            // Bob cannot take the volume over; ana hands it to him, and the OWNER row moves.
            _ = try await Self.call(client, as: "bob", .patch, "\(Self.uc)/volumes/main.default.landing", ["owner": "bob"], expect: .forbidden)
            let handed = try await Self.call(client, as: "ana", .patch, "\(Self.uc)/volumes/main.default.landing", ["owner": "bob"])
            #expect(handed["owner"] as? String == "bob")
            _ = try await Self.call(client, as: "ana", .get, "\(Self.uc)/volumes/main.default.landing", expect: .forbidden)
            // The new owner renames it; ownership follows the name.
            let renamed = try await Self.call(client, as: "bob", .patch, "\(Self.uc)/volumes/main.default.landing", ["new_name": "raw"])
            #expect(renamed["full_name"] as? String == "main.default.raw" && renamed["owner"] as? String == "bob")
            #expect(try await grants.rows(objectType: "uc:volume", objectID: "main.default.landing").isEmpty)
            #expect(try await grants.rows(objectType: "uc:volume", objectID: "main.default.raw").map { "\($0.principal):\($0.level)" } == ["bob:OWNER"])
            #expect(try await Self.upload(client, as: "bob", "/Volumes/main/default/raw/b.txt", "x").code / 100 == 2)
            // Deleting it drops its grants: a volume created again under the name starts clean.
            _ = try await Self.call(client, as: "bob", .delete, "\(Self.uc)/volumes/main.default.raw")
            #expect(try await grants.rows(objectType: "uc:volume", objectID: "main.default.raw").isEmpty)
        }
    }
}
