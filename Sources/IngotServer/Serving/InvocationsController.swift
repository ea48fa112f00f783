import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import IngotCore
import IngotServing
import Logging
import NIOCore

/// Scoring: `POST /serving-endpoints/{name}/invocations` (MLflow's scoring formats, JSON or CSV;
/// the `served-model-name` header names the entity that answered) and the Open Inference Protocol
/// V2 (`/v2/health/*`, `/v2/models/{name}[/versions/{v}][/ready|/infer]`) where a model is an endpoint.
struct InvocationsController {
    let endpoints: EndpointService
    static let routingKeyHeader = HTTPField.Name("X-Ingot-Routing-Key")!
    static let servedModelHeader = HTTPField.Name("served-model-name")!

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.post("/serving-endpoints/:name/invocations") { request, context in
            let name = try context.parameters.require("name")
            if let refused = admit(name, context) { return refused }
            let body = try await Self.body(request, context)
            let scoring = try ScoringRequest.parse(body: body, contentType: request.headers[.contentType])
            let result = try await endpoints.invoke(
                name, scoring, routingKey: request.headers[Self.routingKeyHeader], requester: context.principal.name, requestID: context.id)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[Self.servedModelHeader] = result.entity
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: result.body)))
        }
        router.get("/v2/health/live") { _, _ in Self.json(.object([("live", .bool(true))])) }
        router.get("/v2/health/ready") { _, _ in Self.json(.object([("ready", .bool(true))])) }
        router.get("/v2/models/:name") { _, context in try await metadata(context, version: nil) }
        router.get("/v2/models/:name/versions/:version") { _, context in try await metadata(context, version: try Self.version(context)) }
        router.get("/v2/models/:name/ready") { _, context in try await ready(context, version: nil) }
        router.get("/v2/models/:name/versions/:version/ready") { _, context in try await ready(context, version: try Self.version(context)) }
        router.post("/v2/models/:name/infer") { request, context in try await infer(request, context, version: nil) }
        router.post("/v2/models/:name/versions/:version/infer") { request, context in
            try await infer(request, context, version: try Self.version(context))
        }
    }

    /// `POST /serving-endpoints/{name}/invocations` on the connection's thread when the endpoint's
    /// entities are loaded native models (``EndpointService/scoreImmediately``); the same answer,
    /// headers, inference-log record and stats as the route below. Only installed with auth off,
    /// so the caller is the local administrator.
    static func fastLane(endpoints: EndpointService, stats: ServingStats, logger: Logger) -> ScoringFastLane {
        ScoringFastLane(
            route: "/serving-endpoints/{name}/invocations", paths: .segment(prefix: "/serving-endpoints/", suffix: "/invocations"), logger: logger
        ) { name, head, body, requestID in
            let start = DispatchTime.now().uptimeNanoseconds
            let endpoint = String(name)
            let outcome = endpoints.scoreImmediately(
                endpoint, body: body, contentType: head.headerFields[.contentType], routingKey: head.headerFields[routingKeyHeader],
                requester: Principal.localAdmin.name, requestID: requestID)
            let answer: ScoringFastLane.Answer
            let entity: String?
            switch outcome {
            case nil: return nil
            case .answered(let result):
                let headers: HTTPFields = [.contentType: "application/json", servedModelHeader: result.entity]
                answer = .init(status: .ok, headers: headers, body: result.body)
                entity = result.entity
            case .failed(_, let error):
                let shaped = (error as? any IngotError).map { APIErrorResponse($0) } ?? APIErrorResponse(.internalError, "internal error (request id \(requestID))")
                answer = .init(status: shaped.status, headers: [.contentType: "application/json"], body: shaped.body)
                entity = nil  // as on the router's path, where an error response names no entity
            }
            // What ServingStatsMiddleware records on the router's path (the pages' live charts).
            stats.record(
                endpoint: endpoint, entity: entity, status: Int(answer.status.code), nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            return answer
        }
    }

    /// Counts the request against the endpoint's rate limits (in memory); a refusal is a 429 with
    /// `REQUEST_LIMIT_EXCEEDED` and `Retry-After` (whole seconds until a call is allowed again).
    func admit(_ name: String, _ context: IngotRequestContext) -> Response? {
        guard case .limited(let wait, let limit) = endpoints.rateLimits.admit(endpoint: name, principal: context.principal.name) else { return nil }
        ServingMetrics.rateLimited(endpoint: name, key: limit.key.rawValue)
        let period = limit.renewalPeriod
        let whom = limit.key == .user ? "for user '\(context.principal.name)' on endpoint '\(name)'" : "for endpoint '\(name)'"
        let message = "Exceeded the rate limit of \(limit.calls) calls per \(period) \(whom); retry after \(Int(wait.rounded(.up))) s"
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.retryAfter] = String(max(1, Int(wait.rounded(.up))))
        let body = "{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\(JSONText.quote(message))}"
        return Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Collects a scoring body up to the configured limit; a larger (chunked) body is a 413.
    static func body(_ request: Request, _ context: IngotRequestContext) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIErrorResponse(.requestLimitExceeded, "request body exceeds the limit of \(context.maxBodyBytes) bytes", status: .contentTooLarge)
        }
    }

    static func version(_ context: IngotRequestContext) throws -> Int {
        let v = try context.parameters.require("version")
        guard let n = Int(v), n > 0 else { throw ServingError.invalid("model version '\(v)' must be a positive number") }
        return n
    }

    static func json(_ value: ServingJSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
    }

    /// The entity a V2 model (endpoint, optionally one version) refers to.
    func entity(_ name: String, version: Int?) async throws -> (Deployment, EntityRuntime) {
        guard let dep = await endpoints.deployment(name) else {
            _ = try await endpoints.get(name)
            throw ServingError(.notReady, "Endpoint '\(name)' is not ready")
        }
        let routed = dep.config.routes.sorted { $0.percentage > $1.percentage }.compactMap { dep.entities[$0.entityName] }
        if let version {
            guard let e = routed.first(where: { $0.spec.resolvedVersion == version }) else {
                throw ServingError.notFound("Endpoint '\(name)' serves no version \(version)")
            }
            return (dep, e)
        }
        guard let e = routed.first else { throw ServingError(.notReady, "Endpoint '\(name)' has no entity taking traffic") }
        return (dep, e)
    }

    func metadata(_ context: IngotRequestContext, version: Int?) async throws -> Response {
        let name = try context.parameters.require("name")
        let (dep, e) = try await entity(name, version: version)
        let versions = Array(Set(dep.config.servedEntities.compactMap(\.resolvedVersion))).sorted().map { ServingJSON.string(String($0)) }
        let inputs: [ServingJSON] = (e.signature?.columns ?? []).map {
            .object([("name", .string($0.name)), ("datatype", .string($0.v2Datatype)), ("shape", .array([.int(-1)]))])
        }
        let kind = await e.kind ?? "mlflow"
        return Self.json(
            .object([
                ("name", .string(name)), ("versions", .array(versions)), ("platform", .string(kind)), ("inputs", .array(inputs)),
                ("outputs", .array([.object([("name", .string("predictions")), ("datatype", .string("FP64")), ("shape", .array([.int(-1)]))])])),
            ]))
    }

    func ready(_ context: IngotRequestContext, version: Int?) async throws -> Response {
        let name = try context.parameters.require("name")
        _ = try await endpoints.get(name)
        let isReady = (try? await entity(name, version: version)) != nil
        return Self.json(.object([("name", .string(name)), ("ready", .bool(isReady))]), status: isReady ? .ok : .serviceUnavailable)
    }

    func infer(_ request: Request, _ context: IngotRequestContext, version: Int?) async throws -> Response {
        let name = try context.parameters.require("name")
        if let refused = admit(name, context) { return refused }
        let body = try ServingJSON.parse(try await Self.body(request, context))
        let (frame, id, params) = try OpenInferenceV2.frame(body)
        let scoring = ScoringRequest(frame: frame, params: params, clientRequestID: id, format: .v2)
        let answered: (entity: String, version: Int?, body: String)
        if let version {
            let (_, e) = try await entity(name, version: version)
            let out = try await endpoints.score(entity: e, request: scoring, requester: context.principal.name, requestID: context.id, shadow: false)
            answered = (e.spec.name, version, out)
        } else {
            let r = try await endpoints.invoke(
                name, scoring, routingKey: request.headers[Self.routingKeyHeader], requester: context.principal.name, requestID: context.id)
            answered = (r.entity, r.version, r.body)
        }
        let predictions = try ServingJSON.parse(Array(answered.body.utf8))["predictions"] ?? .array([])
        var fields: [(String, ServingJSON)] = [("model_name", .string(name))]
        if let v = answered.version { fields.append(("model_version", .string(String(v)))) }
        fields.append(("id", .string(id ?? context.id)))
        fields.append(("outputs", .array(OpenInferenceV2.outputs(predictions))))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[Self.servedModelHeader] = answered.entity
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ServingJSON.object(fields).serialized)))
    }
}

/// Open Inference Protocol V2 tensors ↔ scoring frames.
enum OpenInferenceV2 {
    static func flatten(_ v: ServingJSON, into out: inout [ServingJSON]) {
        if let a = v.arrayValue { for x in a { flatten(x, into: &out) } } else { out.append(v) }
    }

    /// `{id, inputs: [{name, shape, datatype, data}], parameters}` → a frame: several inputs are
    /// named columns; one 2-D input is positional rows.
    static func frame(_ body: ServingJSON) throws -> (ScoringFrame, String?, ServingJSON?) {
        guard body.objectValue != nil, let inputs = body["inputs"]?.arrayValue, !inputs.isEmpty else {
            throw ServingError.badInput("An inference request needs a non-empty 'inputs' list")
        }
        var columns: [String] = []
        var tensors: [(shape: [Int], data: [ScoringValue])] = []
        for (k, input) in inputs.enumerated() {
            guard let name = input["name"]?.stringValue else { throw ServingError.badInput("inputs[\(k)].name is required") }
            guard let shapeList = input["shape"]?.arrayValue else { throw ServingError.badInput("inputs[\(k)].shape is required") }
            let shape = try shapeList.map { v -> Int in
                guard case .int(let i) = v, i >= 0 else { throw ServingError.badInput("inputs[\(k)].shape must be a list of non-negative integers") }
                return Int(i)
            }
            guard let data = input["data"] else { throw ServingError.badInput("inputs[\(k)].data is required") }
            var flat: [ServingJSON] = []
            flatten(data, into: &flat)
            var expected = 1
            for d in shape {
                let (product, overflow) = expected.multipliedReportingOverflow(by: d)
                guard !overflow, product <= 1 << 40 else { throw ServingError.badInput("inputs[\(k)].shape \(shape) is too large") }
                expected = product
            }
            guard flat.count == expected else {
                throw ServingError.badInput("inputs[\(k)] has \(flat.count) values but shape \(shape) needs \(expected)")
            }
            let values = try flat.map { v -> ScoringValue in
                guard let s = v.scoringValue else { throw ServingError.badInput("inputs[\(k)].data holds a non-scalar value") }
                return s
            }
            columns.append(name)
            tensors.append((shape, values))
        }
        let id = body["id"]?.stringValue
        let params = body["parameters"].flatMap { $0.objectValue == nil ? nil : $0 }
        if tensors.count == 1, tensors[0].shape.count == 2, tensors[0].shape[1] != 1 {
            let (shape, data) = tensors[0]
            let rows = (0..<shape[0]).map { r in Array(data[(r * shape[1])..<((r + 1) * shape[1])]) }
            return (ScoringFrame(columns: [], rows: rows), id, params)
        }
        let n = tensors[0].shape.first ?? 0
        for (k, t) in tensors.enumerated() where t.data.count != n {
            throw ServingError.badInput("inputs[\(k)] has \(t.data.count) rows; inputs[0] has \(n) (each input is one column)")
        }
        let rows = (0..<n).map { r in tensors.map { $0.data[r] } }
        return (ScoringFrame(columns: columns, rows: rows), id, params)
    }

    static func datatype(_ values: [ServingJSON]) -> String {
        if values.allSatisfy({ if case .bool = $0 { return true } else { return false } }) { return "BOOL" }
        if values.allSatisfy({ if case .int = $0 { return true } else { return false } }) { return "INT64" }
        if values.allSatisfy({
            switch $0 {
            case .int, .double, .null: return true
            default: return false
            }
        }) {
            return "FP64"
        }
        return "BYTES"
    }

    static func tensor(_ name: String, _ shape: [Int], _ data: [ServingJSON]) -> ServingJSON {
        .object([
            ("name", .string(name)), ("shape", .array(shape.map { .int(Int64($0)) })), ("datatype", .string(datatype(data))), ("data", .array(data)),
        ])
    }

    /// MLflow predictions → V2 outputs: a vector or matrix is one `predictions` tensor; records
    /// (a DataFrame result) become one tensor per column.
    static func outputs(_ predictions: ServingJSON) -> [ServingJSON] {
        let items = predictions.arrayValue ?? [predictions]
        if let first = items.first, let fields = first.objectValue {
            return fields.map { key, _ in tensor(key, [items.count], items.map { $0[key] ?? .null }) }
        }
        if let first = items.first?.arrayValue {
            var flat: [ServingJSON] = []
            for row in items { flatten(row, into: &flat) }
            return [tensor("predictions", [items.count, first.count], flat)]
        }
        if let fields = predictions.objectValue {
            return fields.map { key, v in
                let list = v.arrayValue ?? [v]
                return tensor(key, [list.count], list)
            }
        }
        return [tensor("predictions", [items.count], items)]
    }
}
