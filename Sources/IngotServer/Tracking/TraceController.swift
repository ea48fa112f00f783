import Foundation
import Hummingbird
import IngotCore
import IngotTracking

/// MLflow 3 traces: `/api/3.0/mlflow/traces...` (start, get, search, delete), tag edits and
/// run links under both API versions, and a `/v1/traces` OTLP answer that makes the client
/// fall back to uploading span data as the `traces.json` artifact.
struct TraceController {
    let service: TrackingService
    var store: any TrackingStore { service.store }

    func addRoutes(to router: Router<IngotRequestContext>) {
        let w = TrackingController.wrap
        for prefix in ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"] {
            let g = router.group(RouterPath(prefix + "/traces"))
            g.post(use: w(start))
            g.post("search", use: w(search))
            g.get("search", use: w(search))
            g.post("batchGetInfos", use: w(batchGetInfos))
            g.get(":trace_id") { _, context in try await self.get(try Self.traceID(context)) }
        }
        for prefix in ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow", "/api/3.0/mlflow", "/ajax-api/3.0/mlflow"] {
            let g = router.group(RouterPath(prefix + "/traces"))
            g.post("delete-traces", use: w(delete))
            g.post("link-to-run", use: w(link))
            g.patch(":trace_id/tags") { request, context in
                let p = try await MLflowParams.read(request, context: context)
                try await self.store.setTraceTag(id: try Self.traceID(context), key: try p.required("key"), value: try p.string("value") ?? "")
                return TrackingJSON.empty()
            }
            g.delete(":trace_id/tags") { request, context in
                let p = try await MLflowParams.read(request, context: context)
                try await self.store.setTraceTag(id: try Self.traceID(context), key: try p.required("key"), value: nil)
                return TrackingJSON.empty()
            }
        }
        router.post("/v1/traces") { _, _ -> Response in
            throw APIErrorResponse(.notImplemented, "REST OTLP span logging is not supported by this server; span data is logged as trace artifacts.")
        }
    }

    static func traceID(_ context: IngotRequestContext) throws -> String {
        guard let id = context.parameters.get("trace_id"), !id.isEmpty else { throw TrackingErrorFactory.missing("trace_id") }
        return id
    }

    // MARK: - Conversions between the client's TraceInfoV3 JSON and stored records

    static func record(from info: [String: JSONValue]) throws -> TraceRecord {
        let p = MLflowParams(fields: info)
        let traceID = try p.required("trace_id")
        var experimentID = "0"
        if let location = try p.object("trace_location"), let experiment = try location.object("mlflow_experiment") {
            experimentID = try experiment.string("experiment_id") ?? "0"
        }
        let requestTime = try parseTimestamp(try p.string("request_time"))
        let duration = try parseDuration(try p.string("execution_duration"))
        var tags: [KeyValue] = []
        if case .object(let map)? = info["tags"] {
            for (k, v) in map { if case .string(let s) = v { tags.append(KeyValue(key: k, value: s)) } }
        }
        var stored = info
        stored["tags"] = nil
        let data = try JSONEncoder().encode(JSONValue.object(stored))
        return TraceRecord(
            traceID: traceID, experimentID: experimentID, requestTime: requestTime, executionDuration: duration,
            state: try p.string("state") ?? "STATE_UNSPECIFIED", infoJSON: String(decoding: data, as: UTF8.self), tags: tags)
    }

    static func info(_ record: TraceRecord) throws -> JSONValue {
        guard case .object(var object) = try JSONDecoder().decode(JSONValue.self, from: Data(record.infoJSON.utf8)) else {
            throw TrackingError.internalFailure("stored trace info is not an object")
        }
        object["trace_id"] = .string(record.traceID)
        object["tags"] = .object(Dictionary(record.tags.map { ($0.key, JSONValue.string($0.value)) }, uniquingKeysWith: { _, b in b }))
        return .object(object)
    }

    /// RFC 3339 (`2025-01-02T03:04:05.678Z`) or epoch milliseconds to epoch milliseconds.
    static func parseTimestamp(_ text: String?) throws -> Int64 {
        guard let text, !text.isEmpty else { return Clock.nowMillis() }
        if let ms = Int64(text) { return ms }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        // Fractions longer than milliseconds: trim them.
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let fraction = text[text.index(after: dot)..<zone].prefix(3)
            let trimmed = String(text[..<dot]) + "." + fraction + String(text[zone...])
            if let date = formatter.date(from: trimmed) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        throw TrackingError.invalidParameter("Invalid timestamp '\(text)'")
    }

    /// Protobuf Duration JSON (`1.5s`) to milliseconds.
    static func parseDuration(_ text: String?) throws -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        let number = text.hasSuffix("s") ? String(text.dropLast()) : text
        guard let seconds = Double(number) else { throw TrackingError.invalidParameter("Invalid duration '\(text)'") }
        return Int64((seconds * 1000).rounded())
    }

    // MARK: - Handlers

    struct TraceResponse: Encodable {
        struct Trace: Encodable { let trace_info: JSONValue }
        let trace: Trace
    }
    struct TracesPage: Encodable {
        let traces: [JSONValue]
        let next_page_token: String?
    }

    func start(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        guard let trace = try p.object("trace"), case .object(let info)? = trace.fields["trace_info"] else {
            throw TrackingErrorFactory.missing("trace.trace_info")
        }
        let stored = try await store.startTrace(try Self.record(from: info))
        return try TrackingJSON.response(TraceResponse(trace: .init(trace_info: try Self.info(stored))))
    }

    func get(_ id: String) async throws -> Response {
        let record: TraceRecord
        do {
            record = try await store.getTrace(id: id)
        } catch TrackingError.notFound {
            throw TrackingError.notFound("Trace with ID '\(id)' not found.")
        }
        return try TrackingJSON.response(TraceResponse(trace: .init(trace_info: try Self.info(record))))
    }

    func search(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        var experimentIDs = try p.strings("experiment_ids")
        for location in try p.objects("locations") {
            if let experiment = try location.object("mlflow_experiment"), let id = try experiment.string("experiment_id") { experimentIDs.append(id) }
        }
        let maxResults = try service.checkMaxResults(try p.int("max_results"), default: 100)
        let page = try await store.searchTraces(
            experimentIDs: experimentIDs, filter: try p.string("filter"), orderBy: try p.strings("order_by"), maxResults: maxResults,
            pageToken: try p.string("page_token"))
        return try TrackingJSON.response(TracesPage(traces: try page.items.map(Self.info), next_page_token: page.nextPageToken))
    }

    struct InfosResponse: Encodable { let traces: [JSONValue] }

    func batchGetInfos(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        var infos: [JSONValue] = []
        for id in try p.strings("trace_ids") {
            if let record = try? await store.getTrace(id: id) { infos.append(try Self.info(record)) }
        }
        return try TrackingJSON.response(InfosResponse(traces: infos))
    }

    struct DeleteResponse: Encodable { let traces_deleted: Int }

    func delete(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let count = try await store.deleteTraces(
            experimentID: try p.required("experiment_id"), traceIDs: try p.strings("request_ids") + (try p.strings("trace_ids")),
            maxTimestamp: try p.int64("max_timestamp_millis"), maxTraces: try p.int("max_traces"))
        return try TrackingJSON.response(DeleteResponse(traces_deleted: count))
    }

    func link(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await store.linkTraces(try p.strings("trace_ids"), toRun: try p.runID())
        return TrackingJSON.empty()
    }
}
