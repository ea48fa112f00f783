import Foundation
import IngotCore
import Logging

/// Registry webhooks: management (Databricks' registry-webhooks API), event fan-out into a
/// durable delivery queue, and the delivery loop that signs, posts and retries with backoff.
///
/// Events are queued in the metadata database, so deliveries survive a restart; ``run()`` is the
/// long-running delivery loop the server owns as a service (it returns when its task is cancelled).
public struct WebhookDispatcher: RegistryEventSink {
    public let store: any WebhookStore
    let registry: any RegistryStore
    let transport: any WebhookTransport
    public let retry: WebhookRetryPolicy
    let pollInterval: Duration
    let timeoutSeconds: Int
    let logger: Logger

    public init(
        store: any WebhookStore, registry: any RegistryStore, transport: any WebhookTransport, retry: WebhookRetryPolicy = .init(),
        pollInterval: Duration = .milliseconds(200), timeoutSeconds: Int = 10, logger: Logger = Logger(label: "ingot.registry.webhooks")
    ) {
        self.store = store
        self.registry = registry
        self.transport = transport
        self.retry = retry
        self.pollInterval = pollInterval
        self.timeoutSeconds = timeoutSeconds
        self.logger = logger
    }

    // MARK: - Events

    public func publish(_ events: [RegistryEvent]) async {
        do {
            try await store.enqueue(events)
        } catch {
            logger.error("cannot queue webhook deliveries", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Delivery loop

    /// Delivers due deliveries until the task is cancelled.
    public func run() async throws {
        while !Task.isCancelled {
            let worked = (try? await deliverDue()) ?? 0
            if worked == 0 {
                do { try await Task.sleep(for: pollInterval) } catch { return }
            }
        }
    }

    /// One pass: attempts every delivery that is due. Returns how many were attempted.
    @discardableResult
    public func deliverDue(now: Int64 = Clock.nowMillis()) async throws -> Int {
        let due = try await store.dueDeliveries(now: now, limit: 32)
        for delivery in due {
            if Task.isCancelled { break }
            try await attempt(delivery, now: now)
        }
        return due.count
    }

    func attempt(_ original: WebhookDelivery, now: Int64) async throws {
        var d = original
        d.attempts += 1
        d.last_attempt_timestamp = now
        guard let hook = try? await store.getWebhook(id: d.webhook_id), hook.status == "ACTIVE" else {
            d.status = "FAILED"
            d.last_error = "webhook deleted or not ACTIVE"
            try await store.updateDelivery(d)
            return
        }
        do {
            let (status, _) = try await send(hook: hook, delivery: d)
            d.last_status_code = status
            d.last_error = (200..<300).contains(status) ? nil : "HTTP \(status)"
        } catch {
            d.last_status_code = nil
            d.last_error = "\(error)"
        }
        if d.last_error == nil {
            d.status = "DELIVERED"
        } else if d.attempts >= retry.maxAttempts {
            d.status = "FAILED"
            logger.warning("webhook delivery failed", metadata: ["webhook": "\(hook.id)", "delivery": "\(d.id)", "error": "\(d.last_error ?? "")"])
        } else {
            d.next_attempt_timestamp = now + retry.delay(afterAttempt: d.attempts)
        }
        try await store.updateDelivery(d)
    }

    func send(hook: RegistryWebhook, delivery: WebhookDelivery) async throws -> (status: Int, body: String) {
        let body = Array(delivery.payload.utf8)
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"), ("User-Agent", "Ingot-Webhooks"), ("X-Ingot-Event", delivery.event),
            ("X-Ingot-Delivery", delivery.id), ("X-Ingot-Attempt", String(delivery.attempts)),
        ]
        if let secret = hook.http_url_spec.secret, !secret.isEmpty {
            headers.append((WebhookSignature.header, WebhookSignature.sign(body, secret: secret)))
        }
        if let auth = hook.http_url_spec.authorization, !auth.isEmpty { headers.append(("Authorization", auth)) }
        return try await transport.post(url: hook.http_url_spec.url, headers: headers, body: body, timeoutSeconds: timeoutSeconds)
    }

    // MARK: - Management

    func validate(events: [String], status: String?, url: String?) throws {
        if events.isEmpty { throw RegistryError.invalidParameter("Missing value for required parameter 'events'.") }
        for event in events where !RegistryEvent.allEvents.contains(event) {
            throw RegistryError.invalidParameter("Invalid event '\(event)'. Valid events are \(RegistryEvent.allEvents.joined(separator: ", "))")
        }
        if let status, !RegistryWebhook.statuses.contains(status) {
            throw RegistryError.invalidParameter("Invalid status '\(status)'. Valid values are ACTIVE, TEST_MODE, DISABLED")
        }
        if let url {
            guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme), parsed.host != nil
            else { throw RegistryError.invalidParameter("Invalid webhook URL '\(url)': expected http(s)://host/path") }
        }
    }

    /// Registry-wide webhooks (no model) see every model's events: administrators only, as in Databricks.
    func authorize(modelName: String?, actor: Principal) throws {
        if modelName == nil && !actor.isAdmin {
            throw RegistryError.permissionDenied("Only an administrator can manage registry-wide webhooks")
        }
    }

    public func create(
        modelName: String?, events: [String], description: String?, status: String?, spec: RegistryWebhook.HTTPURLSpec?,
        actor: Principal = .localAdmin
    ) async throws -> RegistryWebhook {
        try authorize(modelName: modelName?.nilIfEmpty, actor: actor)
        guard let spec else { throw RegistryError.invalidParameter("Missing value for required parameter 'http_url_spec'.") }
        try validate(events: events, status: status, url: spec.url)
        if let modelName = modelName?.nilIfEmpty {
            if events.contains("REGISTERED_MODEL_CREATED") {
                throw RegistryError.invalidParameter("REGISTERED_MODEL_CREATED can only be used by a registry-wide webhook (no model_name)")
            }
            _ = try await registry.getRegisteredModel(name: modelName)
        }
        let now = Clock.nowMillis()
        let hook = RegistryWebhook(
            id: IDGenerator.hex32(), creation_timestamp: now, last_updated_timestamp: now, description: description, events: events,
            http_url_spec: spec, model_name: modelName?.nilIfEmpty, status: status ?? "ACTIVE")
        return try await store.createWebhook(hook).redacted
    }

    public func update(
        id: String?, events: [String]?, description: String?, status: String?, spec: RegistryWebhook.HTTPURLSpec?,
        actor: Principal = .localAdmin
    ) async throws -> RegistryWebhook {
        guard let id = id?.nilIfEmpty else { throw RegistryError.missing("id") }
        var hook = try await store.getWebhook(id: id)
        try authorize(modelName: hook.model_name, actor: actor)
        if let events, !events.isEmpty { hook.events = events }
        if let description { hook.description = description }
        if let status { hook.status = status }
        if let spec {
            hook.http_url_spec.url = spec.url
            if let v = spec.enable_ssl_verification { hook.http_url_spec.enable_ssl_verification = v }
            if let s = spec.secret { hook.http_url_spec.secret = s }
            if let a = spec.authorization { hook.http_url_spec.authorization = a }
        }
        try validate(events: hook.events, status: hook.status, url: hook.http_url_spec.url)
        return try await store.updateWebhook(hook).redacted
    }

    public func list(modelName: String?, events: [String]) async throws -> [RegistryWebhook] {
        try await store.listWebhooks(modelName: modelName?.nilIfEmpty, events: events).map(\.redacted)
    }

    public func delete(id: String?, actor: Principal = .localAdmin) async throws {
        guard let id = id?.nilIfEmpty else { throw RegistryError.missing("id") }
        try authorize(modelName: try await store.getWebhook(id: id).model_name, actor: actor)
        try await store.deleteWebhook(id: id)
    }

    /// Sends one test event now (whatever the webhook's status) and records it in the delivery log.
    public func test(id: String?, event: String?, actor: Principal = .localAdmin) async throws -> (status: Int, body: String) {
        guard let id = id?.nilIfEmpty else { throw RegistryError.missing("id") }
        let hook = try await store.getWebhook(id: id)
        try authorize(modelName: hook.model_name, actor: actor)
        let eventName = event?.nilIfEmpty ?? hook.events.first ?? "MODEL_VERSION_CREATED"
        let now = Clock.nowMillis()
        let payloadEvent = RegistryEvent(
            event: eventName, timestamp: now, modelName: hook.model_name ?? "Test Model", version: "1", toStage: "Production",
            fromStage: "None", text: "Ingot webhook test")
        var delivery = WebhookDelivery(
            id: IDGenerator.hex32(), webhook_id: id, event: eventName, payload: WebhookPayload.json(payloadEvent, webhookID: id), status: "PENDING",
            attempts: 1, next_attempt_timestamp: now, last_status_code: nil, last_error: nil, creation_timestamp: now, last_attempt_timestamp: now)
        do {
            let result = try await send(hook: hook, delivery: delivery)
            delivery.last_status_code = result.status
            delivery.status = (200..<300).contains(result.status) ? "DELIVERED" : "FAILED"
            delivery.last_error = delivery.status == "FAILED" ? "HTTP \(result.status)" : nil
            try await store.recordDelivery(delivery)
            return result
        } catch {
            delivery.status = "FAILED"
            delivery.last_error = "\(error)"
            try await store.recordDelivery(delivery)
            throw RegistryError.invalidParameter("Webhook test delivery to \(hook.http_url_spec.url) failed: \(error)")
        }
    }

    public func deliveries(webhookID: String?, limit: Int) async throws -> [WebhookDelivery] {
        try await store.deliveries(webhookID: webhookID?.nilIfEmpty, limit: max(1, min(limit, 1000)))
    }
}
