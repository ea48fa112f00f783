import Foundation
import GRDB
import IngotCore

extension SQLiteRegistryStore: WebhookStore {
    static func webhook(_ row: Row) -> RegistryWebhook {
        RegistryWebhook(
            id: row["webhook_id"], creation_timestamp: row["creation_time"], last_updated_timestamp: row["last_updated_time"],
            description: row["description"], events: decodeList(row["events"]),
            http_url_spec: .init(
                url: row["url"], enable_ssl_verification: row["enable_ssl_verification"], secret: row["secret"], authorization: row["authorization"]),
            model_name: row["model_name"], status: row["status"])
    }

    static func delivery(_ row: Row) -> WebhookDelivery {
        WebhookDelivery(
            id: row["delivery_id"], webhook_id: row["webhook_id"], event: row["event"], payload: row["payload"], status: row["status"],
            attempts: row["attempts"], next_attempt_timestamp: row["next_attempt_time"], last_status_code: row["last_status_code"],
            last_error: row["last_error"], creation_timestamp: row["creation_time"], last_attempt_timestamp: row["last_attempt_time"])
    }

    static func fetchWebhook(_ db: Database, id: String) throws -> RegistryWebhook {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM registry_webhooks WHERE webhook_id = ?", arguments: [id]) else {
            throw RegistryError.notFound("Webhook with ID \(id) not found.")
        }
        return webhook(row)
    }

    public func createWebhook(_ webhook: RegistryWebhook) async throws -> RegistryWebhook {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO registry_webhooks (webhook_id, model_name, events, status, description, url, secret, authorization,
                        enable_ssl_verification, creation_time, last_updated_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    webhook.id, webhook.model_name, Self.encodeList(webhook.events), webhook.status, webhook.description, webhook.http_url_spec.url,
                    webhook.http_url_spec.secret, webhook.http_url_spec.authorization, webhook.http_url_spec.enable_ssl_verification ?? true,
                    webhook.creation_timestamp, webhook.last_updated_timestamp,
                ])
            return try Self.fetchWebhook(db, id: webhook.id)
        }
    }

    public func getWebhook(id: String) async throws -> RegistryWebhook {
        try await writer.read { db in try Self.fetchWebhook(db, id: id) }
    }

    public func listWebhooks(modelName: String?, events: [String]) async throws -> [RegistryWebhook] {
        try await writer.read { db in
            let rows: [Row]
            if let modelName {
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM registry_webhooks WHERE model_name = ? ORDER BY creation_time, webhook_id", arguments: [modelName])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM registry_webhooks ORDER BY creation_time, webhook_id")
            }
            return rows.map(Self.webhook).filter { hook in events.isEmpty || !Set(hook.events).isDisjoint(with: events) }
        }
    }

    public func updateWebhook(_ webhook: RegistryWebhook) async throws -> RegistryWebhook {
        try await writer.write { db in
            _ = try Self.fetchWebhook(db, id: webhook.id)
            try db.execute(
                sql: """
                    UPDATE registry_webhooks SET events = ?, status = ?, description = ?, url = ?, secret = ?, authorization = ?,
                        enable_ssl_verification = ?, last_updated_time = ? WHERE webhook_id = ?
                    """,
                arguments: [
                    Self.encodeList(webhook.events), webhook.status, webhook.description, webhook.http_url_spec.url, webhook.http_url_spec.secret,
                    webhook.http_url_spec.authorization, webhook.http_url_spec.enable_ssl_verification ?? true, Clock.nowMillis(), webhook.id,
                ])
            return try Self.fetchWebhook(db, id: webhook.id)
        }
    }

    public func deleteWebhook(id: String) async throws {
        try await writer.write { db in
            _ = try Self.fetchWebhook(db, id: id)
            try db.execute(sql: "DELETE FROM registry_webhooks WHERE webhook_id = ?", arguments: [id])
        }
    }

    public func enqueue(_ events: [RegistryEvent]) async throws -> Int {
        if events.isEmpty { return 0 }
        return try await writer.write { db in
            let hooks = try Row.fetchAll(db, sql: "SELECT * FROM registry_webhooks WHERE status = 'ACTIVE'").map(Self.webhook)
            var count = 0
            let now = Clock.nowMillis()
            for event in events {
                for hook in hooks where hook.events.contains(event.event) && (hook.model_name == nil || hook.model_name == event.model_name) {
                    try Self.insertDelivery(db, WebhookDelivery(
                        id: IDGenerator.hex32(), webhook_id: hook.id, event: event.event, payload: WebhookPayload.json(event, webhookID: hook.id),
                        status: "PENDING", attempts: 0, next_attempt_timestamp: now, last_status_code: nil, last_error: nil, creation_timestamp: now,
                        last_attempt_timestamp: nil))
                    count += 1
                }
            }
            return count
        }
    }

    static func insertDelivery(_ db: Database, _ d: WebhookDelivery) throws {
        try db.execute(
            sql: """
                INSERT INTO registry_webhook_deliveries (delivery_id, webhook_id, event, payload, status, attempts, next_attempt_time,
                    last_status_code, last_error, creation_time, last_attempt_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                d.id, d.webhook_id, d.event, d.payload, d.status, d.attempts, d.next_attempt_timestamp, d.last_status_code, d.last_error,
                d.creation_timestamp, d.last_attempt_timestamp,
            ])
    }

    public func recordDelivery(_ delivery: WebhookDelivery) async throws {
        try await writer.write { db in try Self.insertDelivery(db, delivery) }
    }

    public func dueDeliveries(now: Int64, limit: Int) async throws -> [WebhookDelivery] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM registry_webhook_deliveries WHERE status = 'PENDING' AND next_attempt_time <= ? ORDER BY next_attempt_time, creation_time LIMIT ?",
                arguments: [now, limit]
            ).map(Self.delivery)
        }
    }

    public func updateDelivery(_ d: WebhookDelivery) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE registry_webhook_deliveries SET status = ?, attempts = ?, next_attempt_time = ?, last_status_code = ?, last_error = ?,
                        last_attempt_time = ? WHERE delivery_id = ?
                    """, arguments: [d.status, d.attempts, d.next_attempt_timestamp, d.last_status_code, d.last_error, d.last_attempt_timestamp, d.id])
        }
    }

    public func deliveries(webhookID: String?, limit: Int) async throws -> [WebhookDelivery] {
        try await writer.read { db in
            if let webhookID {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM registry_webhook_deliveries WHERE webhook_id = ? ORDER BY creation_time DESC, rowid DESC LIMIT ?",
                    arguments: [webhookID, limit]
                ).map(Self.delivery)
            }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM registry_webhook_deliveries ORDER BY creation_time DESC, rowid DESC LIMIT ?", arguments: [limit]
            ).map(Self.delivery)
        }
    }
}

/// The JSON body sent to a webhook: the event's fields plus `webhook_id`.
enum WebhookPayload {
    struct Body: Encodable {
        let event: RegistryEvent
        let webhookID: String
        enum Keys: String, CodingKey { case webhook_id }
        func encode(to encoder: any Encoder) throws {
            try event.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(webhookID, forKey: .webhook_id)
        }
    }

    static func json(_ event: RegistryEvent, webhookID: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(Body(event: event, webhookID: webhookID)), as: UTF8.self)) ?? "{}"
    }
}
