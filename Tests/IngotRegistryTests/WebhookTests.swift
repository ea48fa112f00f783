import Crypto
import Foundation
import IngotCore
import IngotStorage
import Testing

@testable import IngotRegistry

/// A transport that answers from a script of status codes and records what it was sent.
actor ScriptedTransport: WebhookTransport {
    var script: [Int]
    var sent: [(url: String, headers: [String: String], body: String)] = []

    init(_ script: [Int]) { self.script = script }

    nonisolated func post(url: String, headers: [(String, String)], body: [UInt8], timeoutSeconds: Int) async throws -> (status: Int, body: String) {
        try await record(url: url, headers: headers, body: body)
    }

    func record(url: String, headers: [(String, String)], body: [UInt8]) throws -> (status: Int, body: String) {
        sent.append((url, Dictionary(headers, uniquingKeysWith: { $1 }), String(decoding: body, as: UTF8.self)))
        let status = script.isEmpty ? 200 : script.removeFirst()
        if status == 0 { throw RegistryError.internalFailure("connection refused") }
        return (status, "ok")
    }
}

@Suite struct WebhookTests {
    static func setUp(_ script: [Int]) async throws -> (RegistryService, WebhookDispatcher, ScriptedTransport) {
        let metadata = try MetadataStore(inMemoryWith: RegistryModule.migrations)
        try metadata.migrate()
        let store = SQLiteRegistryStore(metadata: metadata)
        let transport = ScriptedTransport(script)
        let dispatcher = WebhookDispatcher(
            store: store, registry: store, transport: transport, retry: WebhookRetryPolicy(maxAttempts: 3, initialDelayMillis: 1000))
        let service = RegistryService(store: store, sources: FakeSources(), lineage: FakeSources(), events: dispatcher)
        return (service, dispatcher, transport)
    }

    @Test func signedDeliveryWithRetriesAndBackoff() async throws {
        let (service, dispatcher, transport) = try await Self.setUp([500, 0, 200])
        _ = try await service.createRegisteredModel(name: "m", tags: [], description: nil, actor: Fixture.alice)
        let hook = try await dispatcher.create(
            modelName: "m", events: ["MODEL_VERSION_CREATED"], description: nil, status: nil,
            spec: .init(url: "http://127.0.0.1:9/hook", secret: "s3cret"))
        #expect(hook.http_url_spec.secret == nil)
        _ = try await service.createModelVersion(
            name: "m", source: "s3://b/m", runID: nil, modelID: nil, runLink: nil, description: nil, tags: [], actor: Fixture.alice)
        let t0 = Clock.nowMillis()
        #expect(try await dispatcher.deliverDue(now: t0) == 1)
        // Not due again until the backoff has passed: 1 s, then 2 s.
        #expect(try await dispatcher.deliverDue(now: t0 + 10) == 0)
        #expect(try await dispatcher.deliverDue(now: t0 + 1500) == 1)
        #expect(try await dispatcher.deliverDue(now: t0 + 2500) == 0)
        #expect(try await dispatcher.deliverDue(now: t0 + 5000) == 1)
        let log = try await dispatcher.deliveries(webhookID: hook.id, limit: 10)
        #expect(log.count == 1 && log[0].status == "DELIVERED" && log[0].attempts == 3 && log[0].last_status_code == 200)
        let sent = await transport.sent
        #expect(sent.count == 3)
        let body = sent[2].body
        #expect(body.contains("\"event\":\"MODEL_VERSION_CREATED\"") && body.contains("\"webhook_id\":\"\(hook.id)\""))
        let expected = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array("s3cret".utf8)))
            .map { String(format: "%02x", $0) }.joined()
        #expect(sent[2].headers["X-Databricks-Signature"] == expected)
        #expect(sent[2].headers["X-Ingot-Attempt"] == "3")
    }

    @Test func givesUpAfterMaxAttemptsAndRespectsStatusAndModel() async throws {
        let (service, dispatcher, transport) = try await Self.setUp([503, 503, 503])
        try await Fixture.model(service, "a", versions: 0)
        try await Fixture.model(service, "b", versions: 0)
        let hook = try await dispatcher.create(
            modelName: "a", events: ["MODEL_VERSION_CREATED"], description: nil, status: nil, spec: .init(url: "http://127.0.0.1:9/"))
        _ = try await dispatcher.create(
            modelName: nil, events: ["COMMENT_CREATED"], description: nil, status: "TEST_MODE", spec: .init(url: "http://127.0.0.1:9/"))
        _ = try await service.createModelVersion(
            name: "b", source: "s3://x", runID: nil, modelID: nil, runLink: nil, description: nil, tags: [], actor: Fixture.alice)
        let v = try await service.createModelVersion(
            name: "a", source: "s3://x", runID: nil, modelID: nil, runLink: nil, description: nil, tags: [], actor: Fixture.alice)
        _ = try await service.createComment(name: "a", version: v.version, comment: "hi", actor: Fixture.alice)
        var now = Clock.nowMillis()
        for _ in 0..<5 {
            try await dispatcher.deliverDue(now: now)
            now += 10_000
        }
        let log = try await dispatcher.deliveries(webhookID: nil, limit: 10)
        #expect(log.count == 1 && log[0].webhook_id == hook.id && log[0].status == "FAILED" && log[0].attempts == 3)
        #expect(await transport.sent.count == 3)
        await #expect(throws: RegistryError.self) {
            _ = try await dispatcher.create(modelName: nil, events: ["NOPE"], description: nil, status: nil, spec: .init(url: "http://x/"))
        }
        await #expect(throws: RegistryError.self) {
            _ = try await dispatcher.create(modelName: nil, events: ["COMMENT_CREATED"], description: nil, status: nil, spec: .init(url: "ftp://x/"))
        }
    }

    @Test func backoffDoubles() {
        let p = WebhookRetryPolicy(maxAttempts: 10, initialDelayMillis: 500, maxDelayMillis: 3000)
        #expect((1...5).map(p.delay(afterAttempt:)) == [500, 1000, 2000, 3000, 3000])
    }
}
