import Crypto
import Foundation

/// A registry webhook in the shape of Databricks' registry webhooks
/// (`/api/2.0/mlflow/registry-webhooks/*`). The secret is never echoed back.
public struct RegistryWebhook: Codable, Sendable, Equatable {
    public struct HTTPURLSpec: Codable, Sendable, Equatable {
        public var url: String
        public var enable_ssl_verification: Bool?
        /// Write-only: used to sign payloads; omitted from answers.
        public var secret: String?
        /// Write-only: sent as the `Authorization` header; omitted from answers.
        public var authorization: String?

        public init(url: String, enable_ssl_verification: Bool? = true, secret: String? = nil, authorization: String? = nil) {
            self.url = url
            self.enable_ssl_verification = enable_ssl_verification
            self.secret = secret
            self.authorization = authorization
        }
    }

    public var id: String
    public var creation_timestamp: Int64
    public var last_updated_timestamp: Int64
    public var description: String?
    public var events: [String]
    public var http_url_spec: HTTPURLSpec
    /// Nil: every model (a registry-wide webhook).
    public var model_name: String?
    /// ACTIVE, TEST_MODE (fires only through the test endpoint) or DISABLED.
    public var status: String

    /// The webhook as answered to clients: secret and authorization removed.
    public var redacted: RegistryWebhook {
        var copy = self
        copy.http_url_spec.secret = nil
        copy.http_url_spec.authorization = nil
        return copy
    }

    public static let statuses = ["ACTIVE", "TEST_MODE", "DISABLED"]
}

/// One attempt-tracked delivery of an event to a webhook: the delivery log.
public struct WebhookDelivery: Codable, Sendable, Equatable {
    public var id: String
    public var webhook_id: String
    public var event: String
    public var payload: String
    /// PENDING (will be tried or retried), DELIVERED, or FAILED (gave up).
    public var status: String
    public var attempts: Int
    public var next_attempt_timestamp: Int64
    public var last_status_code: Int?
    public var last_error: String?
    public var creation_timestamp: Int64
    public var last_attempt_timestamp: Int64?
}

/// Persistence for webhooks and their delivery log.
public protocol WebhookStore: Sendable {
    func createWebhook(_ webhook: RegistryWebhook) async throws -> RegistryWebhook
    func getWebhook(id: String) async throws -> RegistryWebhook
    func listWebhooks(modelName: String?, events: [String]) async throws -> [RegistryWebhook]
    func updateWebhook(_ webhook: RegistryWebhook) async throws -> RegistryWebhook
    func deleteWebhook(id: String) async throws
    /// Queues one delivery per ACTIVE webhook subscribed to each event; returns how many were queued.
    @discardableResult func enqueue(_ events: [RegistryEvent]) async throws -> Int
    /// Records a delivery made outside the queue (the test endpoint).
    func recordDelivery(_ delivery: WebhookDelivery) async throws
    func dueDeliveries(now: Int64, limit: Int) async throws -> [WebhookDelivery]
    func updateDelivery(_ delivery: WebhookDelivery) async throws
    func deliveries(webhookID: String?, limit: Int) async throws -> [WebhookDelivery]
}

/// When to retry a failed delivery: exponential backoff from `initialDelay`, at most `maxAttempts` tries.
public struct WebhookRetryPolicy: Sendable {
    public var maxAttempts: Int
    public var initialDelayMillis: Int64
    public var maxDelayMillis: Int64

    public init(maxAttempts: Int = 6, initialDelayMillis: Int64 = 1000, maxDelayMillis: Int64 = 300_000) {
        self.maxAttempts = maxAttempts
        self.initialDelayMillis = initialDelayMillis
        self.maxDelayMillis = maxDelayMillis
    }

    /// The delay after the `attempts`-th failed attempt (1-based): 1×, 2×, 4×, … the initial delay.
    public func delay(afterAttempt attempts: Int) -> Int64 {
        let factor = Int64(1) << Int64(min(max(attempts - 1, 0), 30))
        return min(maxDelayMillis, initialDelayMillis * factor)
    }
}

/// HMAC-SHA256 signatures of payloads, sent as `X-Databricks-Signature` (hex) like Databricks does.
public enum WebhookSignature {
    public static let header = "X-Databricks-Signature"

    public static func sign(_ body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// Sends one HTTP POST. The server supplies the implementation.
public protocol WebhookTransport: Sendable {
    /// Posts `body` to `url`; returns the status code and (a prefix of) the response body.
    func post(url: String, headers: [(String, String)], body: [UInt8], timeoutSeconds: Int) async throws -> (status: Int, body: String)
}
