import Foundation
import IngotServing
import Metrics

/// Serving metrics through swift-metrics (exported as Prometheus by `/metrics`), labelled by
/// endpoint and served entity: requests and errors by status, latency, queue depth, workers, cold starts.
struct ServingMetrics: ServingObserver {
    func request(endpoint: String, entity: String, status: Int, seconds: Double) {
        let labels = [("endpoint", endpoint), ("entity", entity)]
        Counter(label: "ingot_serving_requests_total", dimensions: labels + [("status", String(status))]).increment()
        if status >= 400 { Counter(label: "ingot_serving_errors_total", dimensions: labels).increment() }
        Timer(label: "ingot_serving_request_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1e9))
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
