import Foundation
import HTTPTypes
import Hummingbird
import IngotCore
import IngotServing

/// Databricks' serving-endpoints API (`/api/2.0/serving-endpoints`): create, list, get, delete and
/// update config, answering the `ServingEndpointDetailed` shape.
struct ServingEndpointsController {
    let endpoints: EndpointService

    func addRoutes(to router: Router<IngotRequestContext>) {
        let group = router.group("/api/2.0/serving-endpoints")
        group.post("") { request, context in try await create(request, context) }
        group.get("") { _, _ in
            let views = try await endpoints.list()
            return try Self.json(["endpoints": views.map { Self.endpointJSON($0, detailed: false) }])
        }
        group.get(":name") { _, context in
            try Self.json(Self.endpointJSON(try await endpoints.get(try context.parameters.require("name")), detailed: true))
        }
        group.delete(":name") { _, context in
            try await endpoints.delete(try context.parameters.require("name"))
            return try Self.json([String: Any]())
        }
        group.put(":name/config") { request, context in
            let input = try await request.decode(as: EndpointConfigInput.self, context: context)
            let view = try await endpoints.updateConfig(try context.parameters.require("name"), input)
            return try Self.json(Self.endpointJSON(view, detailed: true))
        }
        // Databricks' (legacy) rate limits: replace the list, answer it.
        group.put(":name/rate-limits") { request, context in
            let body = try await request.decode(as: RateLimitsBody.self, context: context)
            let limits = try await endpoints.setRateLimits(try context.parameters.require("name"), body.rate_limits ?? [])
            return try Self.json(["rate_limits": Self.rateLimitsJSON(limits)])
        }
        // The newer AI gateway shape: only its rate limits are supported.
        group.put(":name/ai-gateway") { request, context in
            let body = try await request.decode(as: AIGatewayBody.self, context: context)
            let limits = try await endpoints.setRateLimits(try context.parameters.require("name"), try body.rateLimits() ?? [])
            return try Self.json(["rate_limits": Self.rateLimitsJSON(limits)])
        }
        group.get(":name/rate-limits") { _, context in
            let view = try await endpoints.get(try context.parameters.require("name"))
            return try Self.json(["rate_limits": Self.rateLimitsJSON(view.record.rateLimits)])
        }
    }

    struct RateLimitsBody: Decodable {
        let rate_limits: [RateLimitInput]?
    }

    /// Databricks' `ai_gateway` config; Ingot implements `rate_limits` and refuses the other parts.
    struct AIGatewayBody: Decodable {
        let rate_limits: [RateLimitInput]?
        let unsupported: [String]

        enum CodingKeys: String, CodingKey, CaseIterable {
            case rate_limits, guardrails, usage_tracking_config, inference_table_config, fallback_config
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            rate_limits = try c.decodeIfPresent([RateLimitInput].self, forKey: .rate_limits)
            unsupported = CodingKeys.allCases.filter { key in
                key != .rate_limits && c.contains(key) && (try? c.decodeNil(forKey: key)) == false
            }.map(\.rawValue)
        }

        func rateLimits() throws -> [RateLimitInput]? {
            guard unsupported.isEmpty else {
                throw ServingError.invalid("ai_gateway: only rate_limits is supported (not \(unsupported.joined(separator: ", ")))")
            }
            return rate_limits
        }
    }

    static func rateLimitsJSON(_ limits: [RateLimit]) -> [[String: Any]] {
        limits.map { ["calls": $0.calls, "key": $0.key.rawValue, "renewal_period": $0.renewalPeriod] }
    }

    struct CreateBody: Decodable {
        let name: String?
        let config: EndpointConfigInput?
        let description: String?
        let tags: [EndpointTag]?
        let rate_limits: [RateLimitInput]?
        let ai_gateway: AIGatewayBody?
    }

    func create(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = try await request.decode(as: CreateBody.self, context: context)
        let gatewayLimits = try body.ai_gateway?.rateLimits()
        if body.rate_limits != nil && gatewayLimits != nil { throw ServingError.invalid("give rate_limits or ai_gateway.rate_limits, not both") }
        let view = try await endpoints.create(
            name: body.name, config: body.config, description: body.description, tags: body.tags ?? [], creator: context.principal.name,
            rateLimits: body.rate_limits ?? gatewayLimits)
        return try Self.json(Self.endpointJSON(view, detailed: true))
    }

    static func json(_ value: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func entityJSON(_ e: ServedEntity, status: EntityStatus?, created: Int64, creator: String?) -> [String: Any] {
        var o: [String: Any] = [
            "name": e.name, "entity_name": e.modelName, "workload_size": e.workloadSize, "scale_to_zero_enabled": e.scaleToZero,
            "min_provisioned_concurrency": e.minConcurrency, "max_provisioned_concurrency": e.maxConcurrency, "creation_timestamp": created,
        ]
        if let v = e.version { o["entity_version"] = String(v) }
        if let a = e.alias {
            o["entity_version"] = "@" + a
            o["alias"] = a
        }
        if let r = e.resolvedVersion { o["resolved_version"] = String(r) }
        if !e.environment.isEmpty { o["environment_vars"] = e.environment }
        if e.shadow { o["shadow"] = true }
        if let creator { o["creator"] = creator }
        if let status { o["state"] = ["deployment": status.state.rawValue, "deployment_state_message": status.message] }
        return o
    }

    static func configJSON(_ c: EndpointConfig, version: Int, status: [String: EntityStatus], created: Int64, creator: String?) -> [String: Any] {
        let entities = c.entities.map { entityJSON($0, status: status[$0.name], created: created, creator: creator) }
        var legacy = entities
        for k in legacy.indices {
            legacy[k]["model_name"] = legacy[k]["entity_name"]
            legacy[k]["model_version"] = legacy[k]["entity_version"]
        }
        var out: [String: Any] = [
            "config_version": version, "served_entities": entities, "served_models": legacy,
            "traffic_config": [
                "routes": c.routes.map {
                    ["served_model_name": $0.entityName, "served_entity_name": $0.entityName, "traffic_percentage": $0.percentage]
                }
            ],
        ]
        if let a = c.autoCapture {
            out["auto_capture_config"] = [
                "catalog_name": a.catalog, "schema_name": a.schema, "table_name_prefix": a.tablePrefix, "enabled": a.enabled,
                "state": ["payload_table": ["name": a.payloadTable]],
            ]
        }
        return out
    }

    static func endpointJSON(_ v: EndpointView, detailed: Bool) -> [String: Any] {
        let r = v.record
        var o: [String: Any] = [
            "name": r.name, "id": r.id, "creation_timestamp": r.creationTimestamp, "last_updated_timestamp": r.lastUpdatedTimestamp,
            "state": ["ready": v.ready ? "READY" : "NOT_READY", "config_update": r.configUpdate.rawValue],
            "tags": r.tags.map { t -> [String: Any] in t.value.map { ["key": t.key, "value": $0] } ?? ["key": t.key] },
        ]
        if let c = r.creator { o["creator"] = c }
        if let d = r.description { o["description"] = d }
        if let m = r.updateMessage {
            o["state"] = ["ready": v.ready ? "READY" : "NOT_READY", "config_update": r.configUpdate.rawValue, "config_update_message": m]
        }
        if let c = r.config {
            var cfg = configJSON(c, version: r.configVersion, status: v.entityStatus, created: r.creationTimestamp, creator: r.creator)
            // Ingot extension: live per-entity statistics of the serving config.
            if detailed, var entities = cfg["served_entities"] as? [[String: Any]] {
                for k in entities.indices {
                    guard let name = entities[k]["name"] as? String, let st = v.entityStats[name] else { continue }
                    entities[k]["stats"] = [
                        "requests": st.requests, "errors": st.errors, "p50_ms": st.p50 * 1000, "p99_ms": st.p99 * 1000, "cold_starts": st.coldStarts,
                    ]
                }
                cfg["served_entities"] = entities
            }
            if !detailed {
                cfg["served_entities"] = (cfg["served_entities"] as? [[String: Any]])?.map {
                    $0.filter { ["name", "entity_name", "entity_version", "alias", "resolved_version", "state"].contains($0.key) }
                }
            }
            o["config"] = cfg
        }
        if !r.rateLimits.isEmpty { o["rate_limits"] = rateLimitsJSON(r.rateLimits) }
        if detailed, let rollouts = v.rollouts {
            // Ingot extension: the latest rollout (running or finished) and all of them, newest first.
            if let latest = rollouts.first { o["rollout"] = RolloutJSON.rollout(latest) }
            o["rollout_history"] = rollouts.map(RolloutJSON.rollout)
        }
        if detailed, let p = r.pendingConfig {
            var pending = configJSON(
                p, version: r.pendingVersion ?? r.configVersion + 1, status: v.pendingStatus, created: r.lastUpdatedTimestamp, creator: r.creator)
            pending["start_time"] = r.lastUpdatedTimestamp
            o["pending_config"] = pending
        }
        return o
    }
}
