import Foundation
import Logging
import Synchronization

/// The status of one served entity as the API reports it.
public struct EntityStatus: Sendable, Equatable {
    public var state: DeploymentState
    public var message: String
}

/// An endpoint record joined with its live state, for the API to render.
public struct EndpointView: Sendable {
    public var record: EndpointRecord
    public var ready: Bool
    public var entityStatus: [String: EntityStatus]
    public var pendingStatus: [String: EntityStatus]
    /// Live statistics of the serving config's entities (Ingot extension, for pages and rollouts).
    public var entityStats: [String: EntityStats.Snapshot] = [:]
    /// The endpoint's rollouts, newest first (filled in by ``EndpointService/get(_:)``; nil elsewhere).
    public var rollouts: [RolloutRecord]?
}

/// What answered an invocation.
public struct InvocationResult: Sendable {
    public var entity: String
    public var version: Int?
    /// The response body `{"predictions": ...}`.
    public var body: String
}

/// Databricks-style serving endpoints: create, get, list, delete, update config; invocation with
/// weighted, sticky and shadow routing. Config updates are atomic: the new config's entities are
/// loaded (reusing unchanged ones) and only then swapped in; a failure leaves the old config
/// serving (UPDATE_FAILED). Aliases are re-resolved periodically and redeployed when they move.
public actor EndpointService {
    public nonisolated let store: EndpointStore
    public nonisolated let rolloutStore: RolloutStore
    /// Per-endpoint rate limits, checked on every scoring request without touching the database.
    public nonisolated let rateLimits: RateLimitTable
    let resolver: any ModelVersionResolver
    let loader: any ModelLoading
    let queue: ServingTaskQueue
    let settings: ServingSettings
    let cache: ModelCache
    let observer: any ServingObserver
    let logSink: any InferenceLogSink
    let logger: Logger

    var deployments: [String: Deployment] = [:] {
        didSet { published.withLock { $0 = deployments } }
    }
    /// The same deployments, readable without a hop onto the actor (``scoreImmediately``).
    nonisolated let published = Mutex<[String: Deployment]>([:])
    let shadowBudget = InFlightBudget(limit: 256)
    var pendingStatus: [String: [String: EntityStatus]] = [:]
    /// Rollouts this process is driving, by endpoint (updated on every tick), and requests to them.
    var activeRollouts: [String: RolloutRecord] = [:]
    var rolloutControls: [String: RolloutControl] = [:]
    private var aliasAttempts: [String: String] = [:]

    public init(
        store: EndpointStore, resolver: any ModelVersionResolver, loader: any ModelLoading, queue: ServingTaskQueue, settings: ServingSettings,
        observer: any ServingObserver = NoServingObserver(), logSink: any InferenceLogSink = NoInferenceLog(), logger: Logger,
        rateLimits: RateLimitTable = RateLimitTable()
    ) {
        self.store = store
        self.rolloutStore = RolloutStore(writer: store.writer)
        self.rateLimits = rateLimits
        self.resolver = resolver
        self.loader = loader
        self.queue = queue
        self.settings = settings
        self.cache = ModelCache(root: settings.root)
        self.observer = observer
        self.logSink = logSink
        self.logger = logger
    }

    // MARK: - API

    public func create(
        name: String?, config: EndpointConfigInput?, description: String?, tags: [EndpointTag], creator: String?, rateLimits: [RateLimitInput]? = nil
    ) async throws -> EndpointView {
        let name = try EndpointValidation.name(name)
        let capture = try EndpointValidation.autoCapture(config?.auto_capture_config, endpoint: name)
        let limits = try RateLimit.validate(rateLimits)
        var resolved = try await resolve(try EndpointValidation.config(config))
        resolved.autoCapture = capture
        let record = try await store.insert(name: name, creator: creator, description: description, tags: tags, pending: resolved, rateLimits: limits)
        self.rateLimits.set(name, limits)
        startDeploy(name: name, version: record.pendingVersion ?? 1, config: resolved)
        return view(record)
    }

    public func get(_ name: String) async throws -> EndpointView {
        var v = view(try await store.get(name))
        v.rollouts = try await rollouts(name)
        return v
    }

    /// Replaces an endpoint's rate limits (`PUT …/rate-limits`); they apply to the next request.
    public func setRateLimits(_ name: String, _ input: [RateLimitInput]?) async throws -> [RateLimit] {
        let limits = try RateLimit.validate(input)
        let record = try await store.setRateLimits(name, limits)
        rateLimits.set(name, record.rateLimits)
        return record.rateLimits
    }

    public func list() async throws -> [EndpointView] {
        try await store.list().map(view)
    }

    public func delete(_ name: String) async throws {
        try await store.delete(name)
        pendingStatus[name] = nil
        activeRollouts[name] = nil
        rolloutControls[name] = nil
        rateLimits.set(name, [])
        aliasAttempts[name] = nil
        // The cached copies go now (running workers keep what they loaded), so a new endpoint of the
        // same name never races a late cleanup.
        cache.remove(endpoint: name)
        if let old = deployments.removeValue(forKey: name) {
            queue.submit {
                for e in old.entities.values { await e.shutdown() }
            }
        }
    }

    /// Starts a config update (refused while one is in progress) and returns the endpoint at once.
    public func updateConfig(_ name: String, _ input: EndpointConfigInput?) async throws -> EndpointView {
        let record = try await store.get(name)
        if record.configUpdate == .inProgress {
            throw ServingError(.updateInProgress, "Endpoint '\(name)' is already updating its config; wait for the update to finish")
        }
        // An update that leaves out auto_capture_config keeps the endpoint's inference table.
        let capture =
            try input?.auto_capture_config.map { try EndpointValidation.autoCapture($0, endpoint: name) } ?? (record.config ?? record.pendingConfig)?.autoCapture
        var config = try await resolve(try EndpointValidation.config(input))
        config.autoCapture = capture
        let version = try await store.beginUpdate(name, pending: config)
        aliasAttempts[name] = nil
        startDeploy(name: name, version: version, config: config)
        return view(try await store.get(name))
    }

    /// The deployment serving an endpoint's traffic, if any.
    public func deployment(_ name: String) -> Deployment? { deployments[name] }

    /// Scores a request on the endpoint: picks the entity (sticky for a routing key), answers with
    /// its predictions, sends shadow copies, and records stats and the inference log.
    public nonisolated func invoke(
        _ endpoint: String, _ request: ScoringRequest, routingKey: String? = nil, requester: String? = nil, requestID: String = UUID().uuidString
    ) async throws -> InvocationResult {
        guard let dep = await deployment(endpoint) else {
            if try await store.find(endpoint) == nil { throw ServingError.notFound("Endpoint with name '\(endpoint)' does not exist") }
            throw ServingError(.notReady, "Endpoint '\(endpoint)' is not ready: no config has finished loading yet")
        }
        guard let entity = dep.pick(routingKey: routingKey ?? request.clientRequestID) else {
            throw ServingError(.notReady, "Endpoint '\(endpoint)' has no entity taking traffic")
        }
        for shadow in dep.shadows {
            // Shadow copies never hold up or pile up behind the answered request: past the budget they are dropped.
            guard shadowBudget.take() else {
                observer.request(endpoint: endpoint, entity: shadow.spec.name, status: 429, seconds: 0)
                continue
            }
            queue.submit { [self] in
                _ = try? await score(entity: shadow, request: request, requester: requester, requestID: requestID, shadow: true)
                shadowBudget.give()
            }
        }
        let body = try await score(entity: entity, request: request, requester: requester, requestID: requestID, shadow: false)
        return InvocationResult(entity: entity.spec.name, version: entity.spec.resolvedVersion, body: body)
    }

    public nonisolated func score(entity: EntityRuntime, request: ScoringRequest, requester: String?, requestID: String, shadow: Bool) async throws
        -> String
    {
        let start = Date()
        do {
            let out = try await entity.predict(request)
            record(entity: entity, request: request, requester: requester, requestID: requestID, shadow: shadow, start: start, outcome: .success(out))
            return out
        } catch {
            record(entity: entity, request: request, requester: requester, requestID: requestID, shadow: shadow, start: start, outcome: .failure(error))
            throw error
        }
    }

    /// Books one scored request: the entity's stats (which rollouts judge), the metrics, the
    /// inference log and, for a shadow copy, the debug log.
    nonisolated func record(
        entity: EntityRuntime, request: ScoringRequest, requester: String?, requestID: String, shadow: Bool, start: Date,
        outcome: Result<String, any Error>
    ) {
        let seconds = -start.timeIntervalSinceNow
        var status = 200
        var body: String?
        var failure: String?
        var modelFailed = false
        switch outcome {
        case .success(let out): body = out
        case .failure(let error):
            status = Self.status(of: error)
            modelFailed = (error as? ServingError)?.kind == .predictionFailed
            failure = "\(error)"
        }
        entity.stats.record(seconds: seconds, ok: status < 500 && status != 429 && !modelFailed)
        observer.request(endpoint: entity.endpoint, entity: entity.spec.name, status: status, seconds: seconds)
        logSink.record(
            InferenceRecord(
                requestID: requestID, clientRequestID: request.clientRequestID, endpoint: entity.endpoint, entity: entity.spec.name,
                entityVersion: entity.spec.resolvedVersion, timestampMillis: Int64(start.timeIntervalSince1970 * 1000), statusCode: status,
                durationMillis: seconds * 1000, request: request, response: body, error: failure, shadow: shadow, requester: requester))
        if shadow {
            // Shadow answers are never returned: they go to the inference log sink and, at debug level, the log.
            logger.debug(
                "shadow answer",
                metadata: [
                    "endpoint": "\(entity.endpoint)", "entity": "\(entity.spec.name)", "status": "\(status)", "request_id": "\(requestID)",
                    "answer": "\(String((body ?? failure ?? "").prefix(512)))",
                ])
        }
    }

    /// The HTTP status an error will be answered with (for stats and the inference log).
    public static func status(of error: any Error) -> Int {
        guard let e = error as? ServingError else { return 500 }
        switch e.kind {
        case .badInput, .schemaMismatch, .invalidConfig, .alreadyExists, .predictionFailed: return 400
        case .notFound: return 404
        case .updateInProgress: return 409
        case .overloaded: return 429
        case .notReady, .timeout, .workerFailed: return 503
        case .modelLoad: return 500
        }
    }

    // MARK: - Runtime

    /// Runs the serving runtime: restores deployed endpoints, runs the work queue, unloads idle
    /// scale-to-zero entities and follows aliases. Returns when cancelled, after stopping every worker.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.queue.run() }
            group.addTask { await self.recover() }
            group.addTask { await self.housekeeping() }
        }
        for dep in deployments.values {
            for e in dep.entities.values { await e.shutdown() }
        }
        deployments.removeAll()
    }

    private func recover() async {
        await rollBackInterruptedRollouts()
        guard let records = try? await store.list() else { return }
        for r in records { rateLimits.set(r.name, r.rateLimits) }
        // Endpoints created or updated since start are already being deployed.
        for r in records where pendingStatus[r.name] == nil && deployments[r.name] == nil {
            if let config = r.config {
                let name = r.name
                queue.submit { [self] in await deploy(name: name, version: r.configVersion, config: config, promote: false) }
            }
            if r.configUpdate == .inProgress, let pending = r.pendingConfig, let v = r.pendingVersion {
                startDeploy(name: r.name, version: v, config: pending)
            }
        }
    }

    private func housekeeping() async {
        var tick = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if Task.isCancelled { return }
            tick += 1
            let now = Date()
            for dep in deployments.values {
                for e in dep.entities.values { await e.unloadIfIdle(now: now) }
            }
            if tick % max(1, Int(settings.aliasPoll)) == 0 { await followAliases() }
        }
    }

    /// Redeploys endpoints whose served aliases now point at other versions.
    private func followAliases() async {
        guard let records = try? await store.list() else { return }
        for r in records where r.configUpdate != .inProgress {
            guard let config = r.config, config.entities.contains(where: { $0.alias != nil }) else { continue }
            guard let moved = try? await resolve(config), moved != config else { continue }
            let key = moved.entities.map { "\($0.name)=\($0.resolvedVersion ?? 0)" }.joined(separator: ",")
            if aliasAttempts[r.name] == key { continue }
            aliasAttempts[r.name] = key
            logger.info("served alias moved; redeploying", metadata: ["endpoint": "\(r.name)", "versions": "\(key)"])
            guard let version = try? await store.beginUpdate(r.name, pending: moved) else { continue }
            startDeploy(name: r.name, version: version, config: moved)
        }
    }

    /// Pins every entity to a version: the one named, or the alias's current target.
    func resolve(_ config: EndpointConfig) async throws -> EndpointConfig {
        var out = config
        for k in out.entities.indices {
            let e = out.entities[k]
            let r = try await resolver.resolve(model: e.modelName, version: e.version, alias: e.alias)
            out.entities[k].resolvedVersion = r.version
        }
        return out
    }

    private func startDeploy(name: String, version: Int, config: EndpointConfig) {
        pendingStatus[name] = Dictionary(
            uniqueKeysWithValues: config.entities.map {
                ($0.name, EntityStatus(state: .creating, message: "Waiting to load version \($0.resolvedVersion ?? 0)"))
            })
        queue.submit { [self] in await deploy(name: name, version: version, config: config, promote: true) }
    }

    func setPending(_ name: String, _ entity: String, _ status: EntityStatus, promote: Bool) {
        guard promote else { return }
        pendingStatus[name, default: [:]][entity] = status
    }

    private func deploy(name: String, version: Int, config: EndpointConfig, promote: Bool) async {
        if !promote, deployments[name] != nil { return }
        let old = deployments[name]
        var built: [String: EntityRuntime] = [:]
        var reused = Set<String>()
        for entity in config.entities {
            if let o = old?.entities[entity.name], o.spec.loadKey == entity.loadKey {
                built[entity.name] = o
                reused.insert(entity.name)
                setPending(name, entity.name, EntityStatus(state: .ready, message: "Served entity is ready (unchanged)"), promote: promote)
                continue
            }
            setPending(name, entity.name, EntityStatus(state: .creating, message: "Loading version \(entity.resolvedVersion ?? 0)"), promote: promote)
            do {
                built[entity.name] = try await buildEntity(endpoint: name, entity)
                setPending(name, entity.name, EntityStatus(state: .ready, message: "Served entity is ready"), promote: promote)
            } catch {
                let message =
                    "Served entity '\(entity.name)' (\(entity.modelName) version \(entity.resolvedVersion ?? 0)) failed to load: \((error as? ServingError)?.message ?? "\(error)")"
                logger.error("served entity failed to load", metadata: ["endpoint": "\(name)", "entity": "\(entity.name)", "error": "\(error)"])
                setPending(name, entity.name, EntityStatus(state: .failed, message: message), promote: promote)
                for (n, rt) in built where !reused.contains(n) { await rt.shutdown() }
                if promote { try? await store.fail(name, version: version, message: message) }
                return
            }
        }
        // The endpoint may have been deleted or updated again while loading.
        let current = try? await store.find(name)
        guard let current, promote ? current.pendingVersion == version : current.configVersion == version else {
            for (n, rt) in built where !reused.contains(n) { await rt.shutdown() }
            return
        }
        deployments[name] = Deployment(endpoint: name, version: version, config: config, entities: built)
        if promote {
            try? await store.promote(name, version: version, config: config)
            pendingStatus[name] = nil
        }
        logger.info("endpoint config serving", metadata: ["endpoint": "\(name)", "config_version": "\(version)"])
        if let old {
            let retired = old.entities.filter { built[$0.key] !== $0.value }.map(\.value)
            let inUse = Set(built.values.map(\.directory.path))
            if !retired.isEmpty {
                queue.submit {
                    for e in retired {
                        await e.shutdown()
                        // Versions no longer served leave the cache.
                        if !inUse.contains(e.directory.path) { try? FileManager.default.removeItem(at: e.directory) }
                    }
                }
            }
        }
    }

    func buildEntity(endpoint: String, _ entity: ServedEntity) async throws -> EntityRuntime {
        let resolved = try await resolver.resolve(model: entity.modelName, version: entity.resolvedVersion ?? entity.version, alias: nil)
        guard let source = resolved.artifactDirectory else {
            throw ServingError(.modelLoad, "the artifacts of version \(resolved.version) (\(resolved.artifactURI)) are not stored on this server")
        }
        let dir = try cache.prepare(endpoint: endpoint, entity: entity.name, version: resolved.version, source: source)
        let mlmodelText = try? String(contentsOf: dir.appendingPathComponent("MLmodel"), encoding: .utf8)
        let mlmodel = try mlmodelText.map { try MLmodelFile(text: $0) }
        let request = ModelLoadRequest(endpoint: endpoint, entity: entity, directory: dir, mlmodel: mlmodel)
        let loader = self.loader
        let runtime = EntityRuntime(
            endpoint: endpoint, spec: entity, directory: dir, signature: mlmodel?.signature, observer: observer, idleUnload: settings.scaleToZeroIdle,
            load: { try await loader.load(request) })
        try await runtime.warm()
        return runtime
    }

    func view(_ record: EndpointRecord) -> EndpointView {
        let dep = deployments[record.name]
        var status: [String: EntityStatus] = [:]
        for e in record.config?.entities ?? [] {
            if dep?.entities[e.name] != nil {
                status[e.name] = EntityStatus(state: .ready, message: "Served entity is ready")
            } else {
                status[e.name] = EntityStatus(state: .creating, message: "Served entity is loading")
            }
        }
        var view = EndpointView(
            record: record, ready: dep != nil, entityStatus: status,
            pendingStatus: record.pendingConfig == nil ? [:] : pendingStatus[record.name] ?? [:])
        for (name, runtime) in dep?.entities ?? [:] { view.entityStats[name] = runtime.stats.snapshot() }
        return view
    }
}

/// A counter of work in flight with a ceiling (shadow copies).
final class InFlightBudget: @unchecked Sendable {
    private let lock = NSLock()
    private var inFlight = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func take() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    func give() {
        lock.lock()
        inFlight -= 1
        lock.unlock()
    }
}
