import Foundation
import Hummingbird
import IngotCore
import IngotServing
import IngotStorage
import IngotTracking
import Logging
import ServiceLifecycle
import Synchronization

/// `ingot models serve`: one registered model as a stand-alone scoring server with MLflow's routes
/// (`/ping`, `/health`, `/version`, `POST /invocations`), a drop-in for `mlflow models serve`.
/// The model is resolved in the local data directory's registry (`models:/name/3`, `models:/name@alias`).
public enum StandaloneScoringServer {
    /// Parses `models:/name/3` or `models:/name@alias`.
    public static func parse(modelURI: String) throws -> (name: String, version: Int?, alias: String?) {
        guard modelURI.hasPrefix("models:/") else {
            throw ServingError.invalid("model URI '\(modelURI)' must be models:/<name>/<version> or models:/<name>@<alias>")
        }
        let rest = String(modelURI.dropFirst("models:/".count))
        if let at = rest.lastIndex(of: "@"), !rest[..<at].contains("/") {
            let name = String(rest[..<at])
            let alias = String(rest[rest.index(after: at)...])
            guard !name.isEmpty, !alias.isEmpty else { throw ServingError.invalid("model URI '\(modelURI)' names no model or alias") }
            return (name, nil, alias)
        }
        guard let slash = rest.lastIndex(of: "/"), let v = Int(rest[rest.index(after: slash)...]), v > 0, slash > rest.startIndex else {
            throw ServingError.invalid("model URI '\(modelURI)' must be models:/<name>/<version> or models:/<name>@<alias>")
        }
        return (String(rest[..<slash]), v, nil)
    }

    /// Resolves the model in the local data directory's registry, then serves it until SIGTERM/SIGINT.
    public static func run(services: IngotServices, modelURI: String, host: String, port: Int, workers: Int, logger: Logger) async throws {
        let (name, version, alias) = try parse(modelURI: modelURI)
        let config = services.config
        let resolver = RegistryModelResolver(
            registry: services.registryService, runs: TrackingModelSourcesFactory.make(services.metadata), dataDirectory: config.dataDirectoryURL)
        let resolved = try await resolver.resolve(model: name, version: version, alias: alias)
        guard let source = resolved.artifactDirectory else {
            throw ServingError(
                .modelLoad, "the artifacts of \(name) version \(resolved.version) (\(resolved.artifactURI)) are not stored in this data directory")
        }
        let settings = IngotServices.servingSettings(config)
        let entityName = "standalone-\(ProcessInfo.processInfo.processIdentifier)"
        let dir = try ModelCache(root: settings.root).prepare(endpoint: "local", entity: entityName, version: resolved.version, source: source)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await serve(
            directory: dir, config: config, settings: settings, name: name, version: resolved.version, host: host, port: port, workers: workers,
            logger: logger)
    }

    /// Serves the MLflow model in `directory` (a downloaded or cached copy) until SIGTERM/SIGINT.
    public static func serve(
        directory dir: URL, config: IngotConfig, settings: ServingSettings, name: String, version: Int, host: String, port: Int, workers: Int,
        logger: Logger
    ) async throws {
        _ = IngotMetrics.registry
        let mlmodel = try (try? String(contentsOf: dir.appendingPathComponent("MLmodel"), encoding: .utf8)).map { try MLmodelFile(text: $0) }
        let queue = ServingTaskQueue()
        let loader = DefaultModelLoader(
            native: ServingNativeModels.loader, settings: settings, runner: queue, observer: ServingMetrics(), logger: logger)
        let entity = ServedEntity(
            name: "standalone", modelName: name, version: version, alias: nil, resolvedVersion: version, workloadSize: "Small",
            scaleToZero: false, minConcurrency: 1, maxConcurrency: max(1, workers), environment: [:], shadow: false)
        let model = ModelHolder()
        let router = Router(context: IngotRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: BodyLimitMiddleware(maxBodyBytes: config.maxBodyBytes))
        // Like MLflow's scoring server, /ping and /health answer 200 only once the model is loaded.
        router.get("/ping") { _, _ in Response(status: await model.model == nil ? .serviceUnavailable : .ok) }
        router.get("/health") { _, _ in Response(status: await model.model == nil ? .serviceUnavailable : .ok) }
        router.get("/version") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: IngotVersion.current))) }
        router.post("/invocations") { request, context in
            let body = try await InvocationsController.body(request, context)
            let scoring = try ScoringRequest.parse(body: body, contentType: request.headers[.contentType])
            let frame = try mlmodel?.signature?.conform(scoring.frame) ?? scoring.frame
            guard let m = await model.model else { throw ServingError(.notReady, "the model is still loading") }
            let out = try await m.predict(frame, params: scoring.params)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: out)))
        }
        let loaderService = LoadModelService(queue: queue, holder: model, logger: logger) {
            try await loader.load(ModelLoadRequest(endpoint: "standalone", entity: entity, directory: dir, mlmodel: mlmodel))
        }
        // Small requests to a native model are scored below the router (``ScoringFastLane``).
        let lane = ScoringFastLane(route: "/invocations", paths: .exact("/invocations"), booksRequests: false, logger: logger) { _, head, body, _ in
            guard let predictor = model.immediate.withLock({ $0 }),
                let scoring = try? ScoringRequest.parse(body: body, contentType: head.headerFields[.contentType]),
                let frame = try? mlmodel?.signature?.conform(scoring.frame) ?? scoring.frame,
                let predictions = try? predictor.predictSync(frame)
            else { return nil }
            return .init(status: .ok, headers: [.contentType: "application/json"], body: NativeLoadedModel.body(predictions))
        }
        let app = Application(
            router: router, server: .http1(configuration: .init(additionalChannelHandlers: [lane.handler()])),
            configuration: .init(address: .hostname(host, port: port), serverName: "ingot"), services: [loaderService], logger: logger
        )
        logger.info("serving model", metadata: ["model": "\(name)", "version": "\(version)", "address": "http://\(host):\(port)"])
        try await app.runService()
    }
}

enum TrackingModelSourcesFactory {
    static func make(_ metadata: MetadataStore) -> TrackingModelSources {
        TrackingModelSources(store: SQLiteTrackingStore(metadata: metadata))
    }
}

actor ModelHolder {
    var model: (any LoadedModel)?
    /// The model's native evaluator, readable without a hop (the scoring fast lane).
    nonisolated let immediate = Mutex<(any SynchronousPredictor)?>(nil)

    func set(_ m: (any LoadedModel)?) {
        model = m
        immediate.withLock { $0 = (m as? NativeLoadedModel)?.predictor as? any SynchronousPredictor }
    }
}

/// Loads the model before traffic and runs the serving work queue; stops the workers on shutdown.
struct LoadModelService: Service {
    let queue: ServingTaskQueue
    let holder: ModelHolder
    let logger: Logger
    let load: @Sendable () async throws -> any LoadedModel

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await cancelWhenGracefulShutdown { await queue.run() } }
            let m = try await load()
            await holder.set(m)
            logger.info("model loaded", metadata: ["kind": "\(m.kind)"])
            try? await gracefulShutdown()
            await m.shutdown()
        }
    }
}
