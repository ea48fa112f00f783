import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Live per-endpoint request statistics for the admin pages' charts: a middleware records every
/// scoring request (`/serving-endpoints/{name}/invocations`, `/v2/models/{name}/infer`) into
/// per-second buckets kept in memory for ``ServingStats/retentionSeconds``, and
/// `GET /api/2.0/ingot/serving-endpoints/{name}/stats` answers request and error counts with exact
/// p50/p99 latencies per interval, for the endpoint and for each served entity (the
/// `served-model-name` header). Prometheus (`/metrics`) stays the export for monitoring systems;
/// its fixed histogram buckets are too coarse for sub-millisecond latencies.
struct ServingStatsController {
    let stats: ServingStats

    /// Adds the recording middleware and the stats route to `router`, sharing one store (the scoring
    /// fast lane records into the same). Hummingbird wraps a route in the middleware added before
    /// it, so this runs before the scoring routes are added.
    static func install(on router: Router<IngotRequestContext>, stats: ServingStats) {
        router.add(middleware: ServingStatsMiddleware(stats: stats))
        ServingStatsController(stats: stats).addRoutes(to: router)
    }

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.get("/api/2.0/ingot/serving-endpoints/:name/stats") { request, context in
            let name = try context.parameters.require("name")
            let query = request.uri.queryParameters
            let seconds = min(ServingStats.retentionSeconds, max(10, query.get("seconds", as: Int.self) ?? 300))
            let step = min(60, max(1, query.get("step", as: Int.self) ?? 5))
            let body = try JSONSerialization.data(
                withJSONObject: stats.report(endpoint: name, seconds: seconds, step: step), options: [.sortedKeys])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}

/// Records scoring requests into ``ServingStats``; every other request passes straight through.
struct ServingStatsMiddleware: RouterMiddleware {
    typealias Context = IngotRequestContext
    let stats: ServingStats
    static let servedModelName = HTTPField.Name("served-model-name")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let endpoint = Self.scoringEndpoint(request.uri.path) else {
            return try await next(request, context)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let response = try await next(request, context)
            stats.record(
                endpoint: endpoint, entity: response.headers[Self.servedModelName], status: Int(response.status.code),
                nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            stats.record(endpoint: endpoint, entity: nil, status: Int(status), nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            throw error
        }
    }

    /// The endpoint name of a scoring path, or nil for any other path.
    static func scoringEndpoint(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if parts.count == 3, parts[0] == "serving-endpoints", parts[2] == "invocations" {
            return String(parts[1]).removingPercentEncoding ?? String(parts[1])
        }
        if parts.count >= 4, parts[0] == "v2", parts[1] == "models", parts.last == "infer" {
            return String(parts[2]).removingPercentEncoding ?? String(parts[2])
        }
        return nil
    }
}

/// In-memory per-second request counts and latency samples per endpoint and served entity.
final class ServingStats: Sendable {
    /// How far back the store reaches.
    static let retentionSeconds = 900
    /// Latency samples kept per entity and second (further requests are counted, sampled by stride).
    static let samplesPerSecond = 2048
    /// Entity key for requests that failed before an entity answered.
    static let unrouted = ""

    struct Second {
        var second: Int64
        var requests = 0
        var errors = 0
        var samples: [Float] = []
    }

    /// One ring of seconds per entity of one endpoint.
    struct EndpointSeries {
        var entities: [String: [Second]] = [:]
    }

    private let state = Mutex([String: EndpointSeries]())

    func record(endpoint: String, entity: String?, status: Int, nanoseconds: UInt64) {
        let now = Int64(Date().timeIntervalSince1970)
        let millis = Float(Double(nanoseconds) / 1e6)
        let isError = status >= 400
        // An unknown endpoint's 404 is not recorded, so stray names cannot grow the store.
        if status == 404 { return }
        // Mutated in place through the defaulted subscripts: no copy of a ring per request.
        state.withLock { all in
            all[endpoint, default: EndpointSeries()].entities[entity ?? Self.unrouted, default: []]
                .record(second: now, millis: millis, isError: isError)
        }
    }

    /// The last `seconds` in intervals of `step` seconds: `{"endpoint", "now", "step_seconds",
    /// "total": [point], "entities": {name: [point]}}`, a point being `{"t" (ms, interval start),
    /// "requests", "errors", "p50_ms", "p99_ms"}`. Intervals without requests are left out.
    func report(endpoint: String, seconds: Int, step: Int) -> [String: Any] {
        let now = Int64(Date().timeIntervalSince1970)
        let from = now - Int64(seconds) + 1 - (now - Int64(seconds) + 1) % Int64(step)
        let series = state.withLock { $0[endpoint] } ?? EndpointSeries()
        var total: [Int64: Second] = [:]
        var entities: [String: Any] = [:]
        for (name, ring) in series.entities {
            var buckets: [Int64: Second] = [:]
            for s in ring where s.second >= from {
                let t = s.second - s.second % Int64(step)
                buckets[t, default: Second(second: t)].merge(s)
                total[t, default: Second(second: t)].merge(s)
            }
            if !name.isEmpty { entities[name] = Self.points(buckets) }
        }
        return [
            "endpoint": endpoint, "now": now * 1000, "step_seconds": step, "window_seconds": seconds,
            "total": Self.points(total), "entities": entities,
        ]
    }

    static func points(_ buckets: [Int64: Second]) -> [[String: Any]] {
        buckets.keys.sorted().map { t in
            let b = buckets[t]!
            var p: [String: Any] = ["t": t * 1000, "requests": b.requests, "errors": b.errors]
            let sorted = b.samples.sorted()
            if !sorted.isEmpty {
                p["p50_ms"] = Double(percentile(sorted, 0.50))
                p["p99_ms"] = Double(percentile(sorted, 0.99))
            }
            return p
        }
    }

    static func percentile(_ sorted: [Float], _ q: Double) -> Float {
        sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count - 1)).rounded())))]
    }
}

extension [ServingStats.Second] {
    /// Counts one request in the bucket of `second`, dropping buckets older than the retention.
    mutating func record(second now: Int64, millis: Float, isError: Bool) {
        if last?.second != now {
            append(ServingStats.Second(second: now))
            if let first, first.second < now - Int64(ServingStats.retentionSeconds) {
                removeAll { $0.second < now - Int64(ServingStats.retentionSeconds) }
            }
        }
        let k = count - 1
        self[k].requests += 1
        if isError { self[k].errors += 1 }
        if self[k].samples.count < ServingStats.samplesPerSecond {
            self[k].samples.append(millis)
        } else {
            self[k].samples[self[k].requests % ServingStats.samplesPerSecond] = millis
        }
    }
}

extension ServingStats.Second {
    mutating func merge(_ other: ServingStats.Second) {
        requests += other.requests
        errors += other.errors
        samples.append(contentsOf: other.samples)
    }
}
