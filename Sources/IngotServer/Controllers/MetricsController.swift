import Hummingbird
import Metrics
import Prometheus

/// Prometheus exposition of every swift-metrics metric in the process: request counts and
/// latency histograms per route (from Hummingbird's `MetricsMiddleware`) plus module metrics.
struct MetricsController {
    let registry: PrometheusCollectorRegistry

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.get("/metrics") { _, _ in
            let bytes = self.registry.emitToBuffer()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}

/// The process-wide metrics backend. swift-metrics allows one bootstrap per process, so every
/// application built in the process (tests build many) shares this registry.
public enum IngotMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { label, dimensions in
            (sanitize(label), dimensions.map { (sanitize($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Prometheus names allow `[a-zA-Z0-9_:]`; swift-metrics labels often contain dots.
    static func sanitize(_ name: String) -> String {
        func allowed(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x3A
        }
        if name.utf8.allSatisfy(allowed) { return name }
        return String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") ? $0 : "_" })
    }
}
