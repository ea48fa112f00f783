import Foundation
import Logging

/// A model ready to answer requests: a native evaluator or a pool of Python workers.
public protocol LoadedModel: Sendable {
    /// "lightgbm-native", "xgboost-native", "python-pyfunc".
    var kind: String { get }
    /// Answers one request with the full response body `{"predictions": ...}` (JSON text).
    func predict(_ frame: ScoringFrame, params: ServingJSON?) async throws -> String
    /// Stops taking work, waits for in-flight requests, releases resources.
    func shutdown() async
}

/// What a loader needs to know about the entity it loads.
public struct ModelLoadRequest: Sendable {
    public var endpoint: String
    public var entity: ServedEntity
    public var directory: URL
    public var mlmodel: MLmodelFile?

    public init(endpoint: String, entity: ServedEntity, directory: URL, mlmodel: MLmodelFile?) {
        self.endpoint = endpoint
        self.entity = entity
        self.directory = directory
        self.mlmodel = mlmodel
    }
}

/// Turns a cached model directory into a ``LoadedModel``.
public protocol ModelLoading: Sendable {
    func load(_ request: ModelLoadRequest) async throws -> any LoadedModel
}

/// The outcome of trying a native evaluator on a model directory.
public enum NativeLoadOutcome: Sendable {
    case loaded(any ModelPredictor)
    case unsupported(reason: String)
}

/// A ``ModelPredictor`` (native evaluator) adapted to ``LoadedModel``.
public struct NativeLoadedModel: LoadedModel {
    public let predictor: any ModelPredictor
    public var kind: String { predictor.kind }

    public init(predictor: any ModelPredictor) { self.predictor = predictor }

    public func predict(_ frame: ScoringFrame, params: ServingJSON?) async throws -> String {
        Self.body(try await predictor.predict(frame))
    }

    /// The response body for predictions: `{"predictions": ...}`.
    public static func body(_ predictions: Predictions) -> String {
        ServingJSON.object([("predictions", predictions.jsonValue)]).serialized
    }

    public func shutdown() async {}
}

/// Tries the native evaluators first and falls back to Python pyfunc workers, logging why.
public struct DefaultModelLoader: ModelLoading {
    public typealias NativeLoader = @Sendable (URL) -> NativeLoadOutcome
    let native: NativeLoader?
    let settings: ServingSettings
    let runner: any ServingTaskRunner
    let observer: any ServingObserver
    let logger: Logger

    public init(native: NativeLoader?, settings: ServingSettings, runner: any ServingTaskRunner, observer: any ServingObserver, logger: Logger) {
        self.native = native
        self.settings = settings
        self.runner = runner
        self.observer = observer
        self.logger = logger
    }

    public func load(_ request: ModelLoadRequest) async throws -> any LoadedModel {
        var reason = "no native evaluator is built in"
        if let native {
            switch native(request.directory) {
            case .loaded(let predictor):
                logger.info(
                    "serving entity natively",
                    metadata: ["endpoint": "\(request.endpoint)", "entity": "\(request.entity.name)", "kind": "\(predictor.kind)"])
                return NativeLoadedModel(predictor: predictor)
            case .unsupported(let why):
                reason = why
            }
        }
        logger.info(
            "serving entity through Python pyfunc workers",
            metadata: ["endpoint": "\(request.endpoint)", "entity": "\(request.entity.name)", "reason": "\(reason)"])
        let pool = PythonWorkerPool(
            label: "\(request.endpoint)/\(request.entity.name)", endpoint: request.endpoint, entity: request.entity.name,
            modelDirectory: request.directory,
            minWorkers: max(1, request.entity.minConcurrency), maxWorkers: request.entity.maxConcurrency, environment: request.entity.environment,
            settings: settings, runner: runner, observer: observer, logger: logger)
        try await pool.start()
        return pool
    }
}
