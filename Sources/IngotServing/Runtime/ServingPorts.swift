import Foundation

/// A registry model version resolved for serving.
public struct ResolvedModel: Sendable, Equatable {
    public var version: Int
    /// The model's artifact directory on local disk (inside the data directory), when local.
    public var artifactDirectory: URL?
    /// The version's artifact URI (for messages and remote stores).
    public var artifactURI: String

    public init(version: Int, artifactDirectory: URL?, artifactURI: String) {
        self.version = version
        self.artifactDirectory = artifactDirectory
        self.artifactURI = artifactURI
    }
}

/// How serving reaches the registry: (model, version | alias) → version number and artifacts.
/// Declared here (the consumer), implemented by the composition root over the registry.
public protocol ModelVersionResolver: Sendable {
    /// Throws ``ServingError`` (`notFound` / `invalid`) when the model, version or alias does not exist.
    func resolve(model: String, version: Int?, alias: String?) async throws -> ResolvedModel
}

/// Receives per-request and per-entity facts for metrics (the server maps them to Prometheus).
public protocol ServingObserver: Sendable {
    func request(endpoint: String, entity: String, status: Int, seconds: Double)
    func queueDepth(endpoint: String, entity: String, depth: Int)
    func workers(endpoint: String, entity: String, count: Int)
    func coldStart(endpoint: String, entity: String, seconds: Double)
}

public struct NoServingObserver: ServingObserver {
    public init() {}
    public func request(endpoint: String, entity: String, status: Int, seconds: Double) {}
    public func queueDepth(endpoint: String, entity: String, depth: Int) {}
    public func workers(endpoint: String, entity: String, count: Int) {}
    public func coldStart(endpoint: String, entity: String, seconds: Double) {}
}

/// One answered (or failed) request, for inference tables and shadow logging.
public struct InferenceRecord: Sendable {
    public var requestID: String
    public var clientRequestID: String?
    public var endpoint: String
    public var entity: String
    public var entityVersion: Int?
    public var timestampMillis: Int64
    public var statusCode: Int
    public var durationMillis: Double
    public var request: ScoringRequest
    /// The response body (JSON text) when the request succeeded.
    public var response: String?
    public var error: String?
    public var shadow: Bool
    public var requester: String?
}

/// Called after every request (and every shadow copy). Must return at once: implementations buffer
/// and write elsewhere (the inference-table writer), dropping with a counter when behind.
public protocol InferenceLogSink: Sendable {
    func record(_ record: InferenceRecord)
}

public struct NoInferenceLog: InferenceLogSink {
    public init() {}
    public func record(_ record: InferenceRecord) {}
}

/// Where the serving runtime runs background work (worker start-ups, shadow copies, drains): the
/// runtime's own task group, so all of it ends with the server.
public protocol ServingTaskRunner: Sendable {
    func submit(_ work: @escaping @Sendable () async -> Void)
}

/// Settings for serving, from the `serving.*` configuration keys.
public struct ServingSettings: Sendable {
    /// The Python interpreter for pyfunc workers (`serving.python`).
    public var python = "python3"
    /// Longest a request may wait for and run on a worker (`serving.request_timeout_seconds`).
    public var requestTimeout: Double = 30
    /// Requests that may wait for a busy entity before it answers 429 (`serving.max_queue`).
    public var maxQueue = 64
    /// Idle time after which a scale-to-zero entity unloads (`serving.scale_to_zero_idle_seconds`).
    public var scaleToZeroIdle: Double = 300
    /// How long a worker may take to load its model (`serving.worker_start_timeout_seconds`).
    public var workerStartTimeout: Double = 120
    /// Idle time after which workers above the minimum stop.
    public var scaleDownIdle: Double = 30
    /// How often aliases are re-resolved (`serving.alias_poll_seconds`).
    public var aliasPoll: Double = 5
    /// `<data dir>/serving`.
    public var root: URL

    public init(root: URL) { self.root = root }
}

/// Counters and latency samples of one served entity, readable by a rollout controller.
public final class EntityStats: @unchecked Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var requests: Int
        public var errors: Int
        public var p50: Double
        public var p99: Double
        public var coldStarts: Int
    }

    private let lock = NSLock()
    private var requests = 0
    private var errors = 0
    private var coldStarts = 0
    private var samples: [Double] = []
    private var next = 0
    static let capacity = 2048

    public init() {}

    public func record(seconds: Double, ok: Bool) {
        lock.lock()
        defer { lock.unlock() }
        requests += 1
        if !ok { errors += 1 }
        if samples.count < Self.capacity { samples.append(seconds) } else { samples[next] = seconds }
        next = (next + 1) % Self.capacity
    }

    public func recordColdStart() {
        lock.lock()
        coldStarts += 1
        lock.unlock()
    }

    /// A point in the request sequence, to measure a window from.
    public struct Mark: Sendable, Equatable {
        public var requests: Int
        public var errors: Int
    }

    public func mark() -> Mark {
        lock.lock()
        defer { lock.unlock() }
        return Mark(requests: requests, errors: errors)
    }

    /// Requests, errors and p99 since `mark` (the p99 over the window's samples still in the ring).
    public func window(since mark: Mark) -> StatsWindow {
        lock.lock()
        let n = requests - mark.requests
        let e = errors - mark.errors
        let from = max(mark.requests, requests - samples.count)
        var window: [Double] = []
        window.reserveCapacity(max(0, requests - from))
        if from < requests {
            for i in from..<requests { window.append(samples[i % Self.capacity]) }
        }
        lock.unlock()
        window.sort()
        let p99 = window.isEmpty ? 0 : window[min(window.count - 1, Int(Double(window.count) * 0.99))]
        return StatsWindow(requests: n, errors: e, p99Seconds: p99)
    }

    public func snapshot() -> Snapshot {
        lock.lock()
        let s = samples.sorted()
        let r = Snapshot(requests: requests, errors: errors, p50: 0, p99: 0, coldStarts: coldStarts)
        lock.unlock()
        func q(_ p: Double) -> Double { s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count) * p))] }
        var out = r
        out.p50 = q(0.5)
        out.p99 = q(0.99)
        return out
    }
}
