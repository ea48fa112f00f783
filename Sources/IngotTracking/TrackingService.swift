import Foundation
import IngotCore
import IngotStorage

/// The tracking domain's entry point for every adapter (REST, UI, CLI through REST): validates
/// requests with MLflow's limits and messages, then calls the store.
public struct TrackingService: Sendable {
    public let store: any TrackingStore
    public let artifacts: ArtifactRepository

    public static let maxMetricsPerBatch = 1000
    public static let maxParamsTagsPerBatch = 100
    public static let maxEntitiesPerBatch = 1000
    public static let maxParamValueLength = 6000
    public static let maxTagValueLength = 8000
    public static let maxKeyLength = 250
    public static let maxExperimentNameLength = 500
    public static let maxResultsLimit = 50000

    public init(store: any TrackingStore, objects: any ObjectStore) {
        self.store = store
        self.artifacts = ArtifactRepository(objects: objects)
    }

    // MARK: - Experiments

    public func createExperiment(name: String?, artifactLocation: String?, tags: [KeyValue]) async throws -> String {
        guard let name, !name.isEmpty else { throw TrackingError.invalidParameter("Invalid experiment name: ''") }
        guard name.count <= Self.maxExperimentNameLength else {
            throw TrackingError.invalidParameter("Experiment name exceeds the maximum length of \(Self.maxExperimentNameLength) characters")
        }
        for tag in tags { try Self.validateKey(tag.key, what: "Tag key") }
        return try await store.createExperiment(name: name, artifactLocation: artifactLocation, tags: tags)
    }

    public func checkMaxResults(_ value: Int?, default defaultValue: Int, limit: Int = TrackingService.maxResultsLimit) throws -> Int {
        guard let value else { return defaultValue }
        guard value > 0 else {
            throw TrackingError.invalidParameter("Invalid value \(value) for parameter 'max_results' supplied. It must be a positive integer")
        }
        guard value <= limit else {
            throw TrackingError.invalidParameter(
                "Invalid value \(value) for parameter 'max_results' supplied. It must be at most \(limit)")
        }
        return value
    }

    // MARK: - Runs

    /// Validates a log-batch request against MLflow's limits, then logs it in one transaction.
    public func logBatch(runID: String, metrics: [Metric], params: [KeyValue], tags: [KeyValue]) async throws {
        try Self.validateBatchLimit("metrics", Self.maxMetricsPerBatch, metrics.count)
        try Self.validateBatchLimit("params", Self.maxParamsTagsPerBatch, params.count)
        try Self.validateBatchLimit("tags", Self.maxParamsTagsPerBatch, tags.count)
        try Self.validateBatchLimit("metrics, params, and tags", Self.maxEntitiesPerBatch, metrics.count + params.count + tags.count)
        // Paths are built only for the error message: a thousand interpolations per request add up.
        for (i, metric) in metrics.enumerated() where !Self.isPlainKey(metric.key) { try Self.validateMetric(metric, path: "metrics[\(i)]") }
        for (i, param) in params.enumerated() { try Self.validateParam(param, path: "params[\(i)]") }
        for (i, tag) in tags.enumerated() { try Self.validateTag(tag, path: "tags[\(i)]") }
        try await store.logBatch(runID: runID, metrics: metrics, params: params, tags: tags)
    }

    public func logMetric(runID: String, metric: Metric) async throws {
        try Self.validateMetric(metric, path: "")
        try await store.logBatch(runID: runID, metrics: [metric], params: [], tags: [])
    }

    public func logParam(runID: String, param: KeyValue) async throws {
        try Self.validateParam(param, path: "")
        try await store.logBatch(runID: runID, metrics: [], params: [param], tags: [])
    }

    public func setTag(runID: String, tag: KeyValue) async throws {
        try Self.validateTag(tag, path: "")
        try await store.logBatch(runID: runID, metrics: [], params: [], tags: [tag])
    }

    static func validateBatchLimit(_ entity: String, _ limit: Int, _ count: Int) throws {
        if count > limit {
            throw TrackingError.invalidParameter(
                "A batch logging request can contain at most \(limit) \(entity). Got \(count) \(entity). Please split up \(entity) across multiple requests and try again."
            )
        }
    }

    static func field(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// A key that certainly passes ``validateKey``: non-empty, short in bytes (so in characters), no
    /// leading '/', no "..". Checked on UTF-8 bytes without counting grapheme clusters.
    static func isPlainKey(_ key: String) -> Bool {
        let bytes = key.utf8
        guard !bytes.isEmpty, bytes.count <= maxKeyLength, bytes.first != UInt8(ascii: "/") else { return false }
        var previousDot = false
        for byte in bytes {
            let dot = byte == UInt8(ascii: ".")
            if dot && previousDot { return false }
            previousDot = dot
        }
        return true
    }

    static func validateKey(_ key: String, what: String, path: String = "key") throws {
        if key.isEmpty {
            throw TrackingError.invalidParameter("Invalid value \"\" for parameter '\(path)' supplied: \(what) cannot be empty.")
        }
        if key.count > maxKeyLength {
            throw TrackingError.invalidParameter("\(what) '\(key.prefix(250))' had length \(key.count), which exceeded length limit of \(maxKeyLength)")
        }
        if key.hasPrefix("/") || key.contains("..") && key.split(separator: "/").contains("..") {
            throw TrackingError.invalidParameter("Invalid value \"\(key)\" for parameter '\(path)' supplied: \(what) may not contain '..' or start with '/'.")
        }
    }

    static func validateMetric(_ metric: Metric, path: String) throws {
        try validateKey(metric.key, what: "Metric name", path: field(path, "key"))
    }

    static func validateParam(_ param: KeyValue, path: String) throws {
        try validateKey(param.key, what: "Param key", path: field(path, "key"))
        if param.value.count > maxParamValueLength {
            throw TrackingError.invalidParameter(
                "Param value '\(param.value.prefix(100))...' had length \(param.value.count), which exceeded length limit of \(maxParamValueLength)")
        }
    }

    static func validateTag(_ tag: KeyValue, path: String) throws {
        try validateKey(tag.key, what: "Tag key", path: field(path, "key"))
        if tag.value.count > maxTagValueLength {
            throw TrackingError.invalidParameter(
                "'\(field(path, "value"))' had length \(tag.value.count), which exceeded length limit of \(maxTagValueLength)")
        }
    }
}
