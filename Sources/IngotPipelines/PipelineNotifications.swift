import Foundation
import IngotCore

/// One entry of Databricks' pipeline `notifications`: who hears about which alerts. Ingot adds
/// `webhook_urls` (each receives a JSON POST); e-mail is not configured in Ingot, so an e-mail
/// recipient's alert is recorded in the event log as not sent.
///
/// Alerts: `on-update-success` (the update COMPLETED), `on-update-failure` and
/// `on-update-fatal-failure` (it FAILED — Ingot does not retry updates, so every failure is fatal;
/// a rule listing either gets one notification), `on-flow-failure` (a dataset failed; one per
/// dataset). A CANCELED update notifies nobody.
public struct PipelineNotificationRule: Sendable, Equatable, Codable {
    public var emailRecipients: [String]
    public var webhookURLs: [String]
    public var alerts: [String]

    public static let knownAlerts = ["on-update-success", "on-update-failure", "on-update-fatal-failure", "on-flow-failure"]

    public init(emailRecipients: [String] = [], webhookURLs: [String] = [], alerts: [String]) {
        self.emailRecipients = emailRecipients
        self.webhookURLs = webhookURLs
        self.alerts = alerts
    }

    static func parse(_ value: Any, file: String) throws -> [PipelineNotificationRule] {
        guard let list = value as? [Any] else { throw PipelineError("\(file): 'notifications' must be a list of {email_recipients, webhook_urls, alerts}") }
        return try list.enumerated().map { i, item in
            let at = "notifications[\(i)]"
            guard let m = item as? [String: Any] else { throw PipelineError("\(file): '\(at)' must be a mapping of email_recipients, webhook_urls, alerts") }
            for k in m.keys where !["email_recipients", "webhook_urls", "webhook_url", "alerts"].contains(k) {
                throw PipelineError("\(file): unknown setting '\(at).\(k)'")
            }
            func strings(_ key: String) throws -> [String] {
                guard let v = m[key] else { return [] }
                if let s = v as? String { return [s] }
                guard let l = v as? [Any] else { throw PipelineError("\(file): '\(at).\(key)' must be a list of strings") }
                return l.map { "\($0)" }
            }
            let rule = PipelineNotificationRule(emailRecipients: try strings("email_recipients"), webhookURLs: try strings("webhook_urls") + strings("webhook_url"),
                                                alerts: try strings("alerts"))
            guard !rule.alerts.isEmpty else { throw PipelineError("\(file): '\(at).alerts' is required (\(knownAlerts.joined(separator: ", ")))") }
            for a in rule.alerts where !knownAlerts.contains(a) {
                throw PipelineError("\(file): '\(at).alerts': unknown alert '\(a)' (known: \(knownAlerts.joined(separator: ", ")))")
            }
            for u in rule.webhookURLs {
                guard let c = URLComponents(string: u), ["http", "https"].contains(c.scheme?.lowercased() ?? ""), c.host?.isEmpty == false else {
                    throw PipelineError("\(file): '\(at).webhook_urls': not an http(s) URL: '\(u)'")
                }
            }
            return rule
        }
    }

    /// The alert this rule reports for an event (nil: not subscribed).
    func alert(for event: String) -> String? {
        switch event {
        case "on-update-failure":
            if alerts.contains("on-update-fatal-failure") { return "on-update-fatal-failure" }
            return alerts.contains("on-update-failure") ? "on-update-failure" : nil
        default:
            return alerts.contains(event) ? event : nil
        }
    }
}

/// Posts a webhook body; returns the HTTP status. The server implements it with its HTTP client.
public protocol PipelineWebhookTransport: Sendable {
    func post(url: String, body: [UInt8], timeoutSeconds: Int) async throws -> Int
}

/// Sends the notifications of ended updates, off the update's path: each delivery runs in its own
/// task, retried with exponential backoff until a 2xx answer or `attempts` tries; each outcome is an
/// event in the pipeline's event log (`event_type` `notification`). Deliveries in flight are not
/// kept across a server restart.
public final class PipelineNotifier: @unchecked Sendable {
    let transport: any PipelineWebhookTransport
    let attempts: Int
    let backoffMillis: Int64
    let timeoutSeconds: Int
    private let lock = NSLock()
    private var inFlight: [UUID: Task<Void, Never>] = [:]

    public init(transport: any PipelineWebhookTransport, attempts: Int = 5, backoffMillis: Int64 = 1000, timeoutSeconds: Int = 10) {
        self.transport = transport
        self.attempts = max(1, attempts)
        self.backoffMillis = backoffMillis
        self.timeoutSeconds = timeoutSeconds
    }

    /// Waits for the deliveries started so far (tests).
    public func drain() async {
        while true {
            let tasks = lock.withLock { Array(inFlight.values) }
            if tasks.isEmpty { return }
            for t in tasks { await t.value }
        }
    }

    /// Called when an update ends: works out the alerts and starts their deliveries.
    public func updateEnded(pipeline p: PipelineRecord, updateID: String, store: PipelineStore) {
        guard let rules = p.settings.notificationRules, !rules.isEmpty else { return }
        spawn {
            guard let u = try? await store.update(updateID) else { return }
            var events: [(alert: String, dataset: String?, error: String?)] = []
            switch u.state {
            case "COMPLETED": events.append(("on-update-success", nil, nil))
            case "FAILED":
                events.append(("on-update-failure", nil, u.error))
                for m in (try? await store.metrics(updateID)) ?? [] where m.state == "FAILED" {
                    let err = (try? await store.events(pipelineID: p.id, updateID: updateID, limit: 200))?.first { $0.dataset == m.dataset && $0.level == "ERROR" }?.error
                    events.append(("on-flow-failure", m.dataset, err ?? u.error))
                }
            default: return
            }
            for (event, dataset, error) in events {
                for rule in rules {
                    guard let alert = rule.alert(for: event) else { continue }
                    var body: [String: Any] = ["alert": alert, "pipeline_id": p.id, "pipeline_name": p.name, "update_id": u.id, "state": u.state,
                                               "timestamp": Clock.nowMillis()]
                    if let dataset { body["dataset"] = dataset }
                    if let error { body["error"] = error }
                    let data = [UInt8]((try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data())
                    for url in rule.webhookURLs { self.spawn { await self.deliver(url: url, body: data, alert: alert, p, u.id, store) } }
                    for email in rule.emailRecipients {
                        try? await store.log(PipelineEvent(
                            id: IDGenerator.uuid(), pipelineID: p.id, updateID: u.id, timestamp: Clock.nowMillis(), level: "WARN", eventType: "notification",
                            dataset: dataset, message: "Notification \(alert) to \(email) not sent: e-mail is not configured.",
                            details: Self.details(["alert": alert, "email": email, "status": "NOT_CONFIGURED"]), error: nil))
                    }
                }
            }
        }
    }

    static func details(_ d: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: ["notification": d], options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }

    func deliver(url: String, body: [UInt8], alert: String, _ p: PipelineRecord, _ updateID: String, _ store: PipelineStore) async {
        var last = ""
        for attempt in 1...attempts {
            do {
                let status = try await transport.post(url: url, body: body, timeoutSeconds: timeoutSeconds)
                if (200..<300).contains(status) {
                    try? await store.log(PipelineEvent(
                        id: IDGenerator.uuid(), pipelineID: p.id, updateID: updateID, timestamp: Clock.nowMillis(), level: "INFO", eventType: "notification",
                        dataset: nil, message: "Notification \(alert) delivered to \(url) (attempt \(attempt)).",
                        details: Self.details(["alert": alert, "url": url, "status": "DELIVERED", "attempts": attempt, "http_status": status]), error: nil))
                    return
                }
                last = "HTTP \(status)"
            } catch {
                last = "\(error)"
            }
            if attempt < attempts { try? await Task.sleep(nanoseconds: UInt64(backoffMillis << (attempt - 1)) * 1_000_000) }
        }
        try? await store.log(PipelineEvent(
            id: IDGenerator.uuid(), pipelineID: p.id, updateID: updateID, timestamp: Clock.nowMillis(), level: "WARN", eventType: "notification",
            dataset: nil, message: "Notification \(alert) to \(url) failed after \(attempts) attempts: \(last)",
            details: Self.details(["alert": alert, "url": url, "status": "FAILED", "attempts": attempts]), error: last))
    }

    private func spawn(_ body: @escaping @Sendable () async -> Void) {
        let id = UUID()
        lock.withLock {
            inFlight[id] = Task.detached { [weak self] in
                await body()
                _ = self?.lock.withLock { self?.inFlight.removeValue(forKey: id) }
            }
        }
    }
}
