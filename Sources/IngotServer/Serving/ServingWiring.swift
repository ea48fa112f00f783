import Foundation
import IngotCore
import IngotRegistry
import IngotServing
import IngotStorage
import IngotTracking
import Logging

extension IngotServices {
    /// The serving settings from the `serving.*` configuration keys.
    public static func servingSettings(_ config: IngotConfig) -> ServingSettings {
        var s = ServingSettings(root: config.dataDirectoryURL.appendingPathComponent("serving"))
        s.python = config.servingPython
        s.requestTimeout = config.servingRequestTimeoutSeconds
        s.maxQueue = config.servingMaxQueue
        s.scaleToZeroIdle = config.servingScaleToZeroIdleSeconds
        s.workerStartTimeout = config.servingWorkerStartTimeoutSeconds
        s.aliasPoll = config.servingAliasPollSeconds
        return s
    }

    /// Builds the endpoint service, wired to the registry (model versions) and tracking (run artifacts).
    static func makeEndpoints(
        config: IngotConfig, metadata: MetadataStore, logSink: any InferenceLogSink = NoInferenceLog(), registry: RegistryService
    ) -> EndpointService {
        let settings = servingSettings(config)
        let queue = ServingTaskQueue()
        let logger = Logger(label: "ingot.serving")
        let observer = ServingMetrics()
        let loader = DefaultModelLoader(native: ServingNativeModels.loader, settings: settings, runner: queue, observer: observer, logger: logger)
        let resolver = RegistryModelResolver(
            registry: registry, runs: TrackingModelSources(store: SQLiteTrackingStore(metadata: metadata)), dataDirectory: config.dataDirectoryURL)
        return EndpointService(
            store: EndpointStore(metadata: metadata), resolver: resolver, loader: loader, queue: queue, settings: settings, observer: observer,
            logSink: logSink, logger: logger)
    }
}

/// The native evaluators (LightGBM text models, XGBoost JSON/UBJSON) offered to the model loader
/// before the Python fallback.
enum ServingNativeModels {
    static let loader: DefaultModelLoader.NativeLoader? = { directory in
        switch NativeModelLoader.load(directory: directory) {
        case .loaded(let predictor): .loaded(predictor)
        case .unsupported(let reason): .unsupported(reason: reason)
        }
    }
}
