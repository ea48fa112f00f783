import Foundation
import IngotLake

/// The engine seam: what runs a pipeline's SQL datasets.
///
/// A pipeline's `engine` setting (pipeline.yaml) names an implementation registered in a
/// ``PipelineEngineRegistry``; without it the embedded engine (`embedded`: Spark-dialect SQL on
/// SQLite over the lake tables) runs them. The runner asks the engine for one session per dataset
/// (and per AUTO CDC flow), over a resolver that sees the namespace plus the staging tables that
/// stand in for `STREAM(…)` / `read_files(…)` sources, and runs the dataset's statements on it —
/// expectation counts, the sample of a failing record, `CREATE TABLE … AS` / `INSERT INTO` /
/// `INSERT OVERWRITE`. Table commits go through the resolver, so another engine writes the same
/// Delta tables.
public protocol PipelineEngine: Sendable {
    /// The name the `engine` setting uses.
    var name: String { get }
    /// A session for one dataset's statements (they run one at a time; `cancel()` interrupts one).
    func session(resolver: any TableResolver, options: SQLEngineOptions) throws -> any SQLEngineProtocol
}

/// The default engine: Ingot's embedded SQL engine.
public struct EmbeddedPipelineEngine: PipelineEngine {
    public static let name = "embedded"
    public var name: String { Self.name }
    public init() {}
    public func session(resolver: any TableResolver, options: SQLEngineOptions) throws -> any SQLEngineProtocol {
        try SQLEngine(resolver: resolver, options: options)
    }
}

/// The engines a server (or `ingot pipelines validate`) knows, by name (case-insensitive).
public struct PipelineEngineRegistry: Sendable {
    private var engines: [String: any PipelineEngine]

    public init(_ engines: [any PipelineEngine] = [EmbeddedPipelineEngine()]) {
        self.engines = [:]
        for e in engines { register(e) }
    }

    /// The engines every build has: the embedded one.
    public static let standard = PipelineEngineRegistry()

    /// Adds (or replaces) an engine under its name.
    public mutating func register(_ engine: any PipelineEngine) { engines[engine.name.lowercased()] = engine }

    /// Known engine names, sorted.
    public var names: [String] { engines.keys.sorted() }

    /// The engine the settings select (`engine` unset or empty: the embedded one).
    public func engine(for settings: PipelineSettings, file: String = "pipeline.yaml") throws -> any PipelineEngine {
        let wanted = settings.engine?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let name = wanted.isEmpty ? EmbeddedPipelineEngine.name : wanted
        guard let e = engines[name] else {
            throw PipelineError("\(file): setting 'engine': unknown engine '\(settings.engine ?? "")' (known engines: \(names.joined(separator: ", ")))")
        }
        return e
    }

    /// Throws (naming the setting and the known engines) unless the settings' engine is registered.
    public func validate(_ settings: PipelineSettings, file: String = "pipeline.yaml") throws {
        _ = try engine(for: settings, file: file)
    }
}
