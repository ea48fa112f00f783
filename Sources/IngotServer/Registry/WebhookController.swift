import Foundation
import Hummingbird
import IngotCore
import IngotRegistry

/// Databricks' registry webhooks (`/api/2.0/mlflow/registry-webhooks/*`) and Ingot's delivery
/// log (`/api/2.0/ingot/registry/webhooks/deliveries`).
struct WebhookController {
    let webhooks: WebhookDispatcher

    func addRoutes(to router: Router<IngotRequestContext>) {
        let w = RegistryController.wrap
        for prefix in ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] {
            let g = router.group(RouterPath(prefix))
            g.post("registry-webhooks/create", use: w(create))
            g.get("registry-webhooks/list", use: w(list))
            g.patch("registry-webhooks/update", use: w(update))
            g.delete("registry-webhooks/delete", use: w(delete))
            g.post("registry-webhooks/test", use: w(test))
        }
        router.get("/api/2.0/ingot/registry/webhooks/deliveries", use: w(deliveries))
    }

    struct WebhookBody: Encodable { let webhook: RegistryWebhook }
    struct WebhooksBody: Encodable {
        let webhooks: [RegistryWebhook]
        let next_page_token: String?
    }
    struct TestBody: Encodable {
        struct Result: Encodable {
            let status_code: Int
            let body: String
        }
        let webhook: Result
    }
    struct DeliveriesBody: Encodable { let deliveries: [WebhookDelivery] }

    static func spec(_ p: MLflowParams) throws -> RegistryWebhook.HTTPURLSpec? {
        guard let s = try p.object("http_url_spec") else { return nil }
        return RegistryWebhook.HTTPURLSpec(
            url: try s.string("url") ?? "", enable_ssl_verification: try s.bool("enable_ssl_verification"), secret: try s.string("secret"),
            authorization: try s.string("authorization"))
    }

    func create(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        if try p.object("job_spec") != nil { throw RegistryError.invalidParameter("job_spec webhooks are not supported; use http_url_spec") }
        let hook = try await webhooks.create(
            modelName: try p.string("model_name"), events: try p.strings("events"), description: try p.string("description"),
            status: try p.string("status"), spec: try Self.spec(p), actor: c.principal)
        return try TrackingJSON.response(WebhookBody(webhook: hook))
    }

    func list(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let hooks = try await webhooks.list(modelName: try p.string("model_name"), events: try p.strings("events"))
        return try TrackingJSON.response(WebhooksBody(webhooks: hooks, next_page_token: nil))
    }

    func update(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let events = try p.strings("events")
        let hook = try await webhooks.update(
            id: try p.string("id"), events: events.isEmpty ? nil : events, description: try p.string("description"), status: try p.string("status"),
            spec: try Self.spec(p), actor: c.principal)
        return try TrackingJSON.response(WebhookBody(webhook: hook))
    }

    func delete(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await webhooks.delete(id: try p.string("id"), actor: c.principal)
        return TrackingJSON.empty()
    }

    func test(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let (status, body) = try await webhooks.test(id: try p.string("id"), event: try p.string("event"), actor: c.principal)
        return try TrackingJSON.response(TestBody(webhook: .init(status_code: status, body: body)))
    }

    func deliveries(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let list = try await webhooks.deliveries(webhookID: try p.string("id"), limit: try p.int("max_results") ?? 100)
        return try TrackingJSON.response(DeliveriesBody(deliveries: list))
    }
}
