/// A loaded model that answers scoring requests. Native tree models implement it in-process; the
/// Python pyfunc worker pool implements it by forwarding to worker processes.
public protocol ModelPredictor: Sendable {
    /// The input column names the model expects, in order (empty when unknown).
    var inputNames: [String] { get }
    /// A short label for logs and metrics: "lightgbm-native", "xgboost-native", "python-pyfunc".
    var kind: String { get }
    func predict(_ frame: ScoringFrame) async throws -> Predictions
}

/// A native evaluator that also answers on the caller's thread, for the scoring fast lane: small
/// requests are scored where they were read, without hopping between threads.
public protocol SynchronousPredictor: ModelPredictor {
    func predictSync(_ frame: ScoringFrame) throws -> Predictions
}
