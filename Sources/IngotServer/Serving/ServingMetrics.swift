import Foundation
import IngotServing
import Metrics
import Synchronization

/// Serving metrics through swift-metrics (exported as Prometheus by `/metrics`), labelled by
/// endpoint and served entity: requests and errors by status, latency, queue depth, workers, cold starts.
struct ServingMetrics: ServingObserver {
    /// Metric handles per (endpoint, entity, status), made once: creating a swift-metrics handle
    /// goes through the factory (name sanitising, a registry lookup under a lock) and cost more
    /// than scoring a small request.
    private static let handles = Mutex<[RequestKey: RequestHandles]>([:])

    private struct RequestKey: Hashable {
        let endpoint: String
        let entity: String
        let status: Int
    }

    private struct RequestHandles: Sendable {
        let requests: Counter
        let errors: Counter?
        let duration: Timer
    }

    func request(endpoint: String, entity: String, status: Int, seconds: Double) {
        let key = RequestKey(endpoint: endpoint, entity: entity, status: status)
        let handles = Self.handles.withLock { cache in
            if let found = cache[key] { return found }
            let labels = [("endpoint", endpoint), ("entity", entity)]
            let made = RequestHandles(
                requests: Counter(label: "ingot_serving_requests_total", dimensions: labels + [("status", String(status))]),
                errors: status >= 400 ? Counter(label: "ingot_serving_errors_total", dimensions: labels) : nil,
                duration: Timer(label: "ingot_serving_request_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds))
            cache[key] = made
            return made
        }
        handles.requests.increment()
        handles.errors?.increment()
        handles.duration.recordNanoseconds(Int64(seconds * 1e9))
    }

    func queueDepth(endpoint: String, entity: String, depth: Int) {
        Gauge(label: "ingot_serving_queue_depth", dimensions: [("endpoint", endpoint), ("entity", entity)]).record(depth)
    }

    func workers(endpoint: String, entity: String, count: Int) {
        Gauge(label: "ingot_serving_workers", dimensions: [("endpoint", endpoint), ("entity", entity)]).record(count)
    }

    /// A scoring request refused by a rate limit (`key`: endpoint or user).
    static func rateLimited(endpoint: String, key: String) {
        Counter(label: "ingot_serving_rate_limited_total", dimensions: [("endpoint", endpoint), ("key", key)]).increment()
    }

    func coldStart(endpoint: String, entity: String, seconds: Double) {
        let labels = [("endpoint", endpoint), ("entity", entity)]
        Counter(label: "ingot_serving_cold_starts_total", dimensions: labels).increment()
        Timer(label: "ingot_serving_cold_start_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1e9))
    }
}
