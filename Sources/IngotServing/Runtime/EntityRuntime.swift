import Foundation
import Logging
import Synchronization

/// Per-entity deployment states (Databricks' `served_entities[].state.deployment`).
public enum DeploymentState: String, Sendable {
    case creating = "DEPLOYMENT_CREATING"
    case ready = "DEPLOYMENT_READY"
    case failed = "DEPLOYMENT_FAILED"
    case aborted = "DEPLOYMENT_ABORTED"
}

/// One served entity while deployed: its model (loaded, or unloaded when scaled to zero), the
/// signature requests are checked against, and its statistics.
public actor EntityRuntime {
    public nonisolated let endpoint: String
    public nonisolated let spec: ServedEntity
    public nonisolated let directory: URL
    public nonisolated let signature: ModelSignature?
    public nonisolated let stats = EntityStats()
    let load: @Sendable () async throws -> any LoadedModel
    let observer: any ServingObserver
    let idleUnload: Double

    private var model: (any LoadedModel)?
    private var loading: [CheckedContinuation<any LoadedModel, any Error>] = []
    private var isLoading = false
    private var inFlight = 0
    private var lastUsed = Date()
    private(set) var lastColdStartSeconds: Double?
    /// The native evaluator, for scoring on the caller's thread (``EndpointService/scoreImmediately``):
    /// set while loaded for entities that never unload for idleness (not scale-to-zero), whose
    /// in-flight count and last use therefore need no tracking.
    private nonisolated let immediate = Mutex<(any SynchronousPredictor)?>(nil)
    public private(set) var kind: String?

    init(
        endpoint: String, spec: ServedEntity, directory: URL, signature: ModelSignature?, observer: any ServingObserver, idleUnload: Double,
        load: @escaping @Sendable () async throws -> any LoadedModel
    ) {
        self.endpoint = endpoint
        self.spec = spec
        self.directory = directory
        self.signature = signature
        self.observer = observer
        self.idleUnload = idleUnload
        self.load = load
    }

    /// Loads the model now (deployment: the config only takes traffic once this succeeds).
    func warm() async throws {
        let m = try await load()
        model = m
        kind = m.kind
        lastUsed = Date()
        if !spec.scaleToZero, let native = (m as? NativeLoadedModel)?.predictor as? any SynchronousPredictor {
            immediate.withLock { $0 = native }
        }
    }

    /// The native evaluator when requests may be scored synchronously (see `immediate`).
    public nonisolated var immediatePredictor: (any SynchronousPredictor)? { immediate.withLock { $0 } }

    public var isLoaded: Bool { model != nil }

    /// The state reported by the API: scaled-to-zero entities are still ready.
    public var stateMessage: String {
        if model != nil { return "Served entity is ready (\(kind ?? "model"))" }
        return spec.scaleToZero ? "Served entity is scaled to zero; the next request loads it" : "Served entity is not loaded"
    }

    private func acquire() async throws -> any LoadedModel {
        let m = try await loaded()
        inFlight += 1
        lastUsed = Date()
        return m
    }

    private func loaded() async throws -> any LoadedModel {
        if let model { return model }
        if isLoading {
            return try await withCheckedThrowingContinuation { loading.append($0) }
        }
        isLoading = true
        let t0 = Date()
        do {
            let m = try await load()
            model = m
            kind = m.kind
            let seconds = -t0.timeIntervalSinceNow
            lastColdStartSeconds = seconds
            stats.recordColdStart()
            observer.coldStart(endpoint: endpoint, entity: spec.name, seconds: seconds)
            isLoading = false
            for c in loading { c.resume(returning: m) }
            loading.removeAll()
            return m
        } catch {
            isLoading = false
            for c in loading { c.resume(throwing: error) }
            loading.removeAll()
            throw error
        }
    }

    private func release() {
        inFlight -= 1
        lastUsed = Date()
    }

    /// Scores a request: checks it against the signature, loads the model if scaled to zero, predicts.
    /// - Returns: the response body `{"predictions": ...}`.
    public nonisolated func predict(_ request: ScoringRequest) async throws -> String {
        // Conversion and prediction run off the actor, so concurrent requests proceed in parallel.
        let frame = try signature?.conform(request.frame) ?? request.frame
        let m = try await acquire()
        do {
            let out = try await m.predict(frame, params: request.params)
            await release()
            return out
        } catch {
            await release()
            throw error
        }
    }

    /// Unloads a scale-to-zero entity that has been idle long enough.
    func unloadIfIdle(now: Date) async {
        guard spec.scaleToZero, let m = model, inFlight == 0, !isLoading, now.timeIntervalSince(lastUsed) >= idleUnload else { return }
        model = nil
        await m.shutdown()
    }

    /// Drains and releases the model (config change or endpoint deletion).
    func shutdown() async {
        immediate.withLock { $0 = nil }
        let m = model
        model = nil
        await m?.shutdown()
    }

    /// The Python worker pool, when this entity runs on Python workers.
    public var pool: PythonWorkerPool? { model as? PythonWorkerPool }
}
