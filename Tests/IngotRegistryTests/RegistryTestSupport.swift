import IngotCore
import IngotStorage

@testable import IngotRegistry

/// A fake tracking side: one run with a dataset input and one logged model from that run.
struct FakeSources: ModelSourceResolver, RunLineageProvider {
    static let runID = "0123456789abcdef0123456789abcdef"
    static let modelID = "m-0123456789abcdef0123456789abcdef"

    func run(id: String) async throws -> SourceRun? {
        id == Self.runID ? SourceRun(runID: id, experimentID: "1", artifactURI: "mlflow-artifacts:/1/\(id)/artifacts") : nil
    }

    func loggedModel(id: String) async throws -> SourceLoggedModel? {
        id == Self.modelID
            ? SourceLoggedModel(modelID: id, experimentID: "1", artifactLocation: "mlflow-artifacts:/1/models/\(id)/artifacts", sourceRunID: Self.runID)
            : nil
    }

    func datasetInputs(runID: String) async throws -> [LineageDataset] {
        runID == Self.runID ? [LineageDataset(name: "iris", digest: "abc123", source_type: "code", source: "{}", context: "training")] : []
    }
}

/// Collects published events.
actor EventRecorder: RegistryEventSink {
    var events: [RegistryEvent] = []
    nonisolated func publish(_ events: [RegistryEvent]) async { await append(events) }
    func append(_ more: [RegistryEvent]) { events += more }
}

enum Fixture {
    static let alice = Principal(name: "alice")
    static let bob = Principal(name: "bob")
    static let carol = Principal(name: "carol")
    static let admin = Principal(name: "root", isAdmin: true)

    static func service(events: any RegistryEventSink = NoRegistryEvents()) throws -> RegistryService {
        let metadata = try MetadataStore(inMemoryWith: RegistryModule.migrations)
        try metadata.migrate()
        return RegistryService(store: SQLiteRegistryStore(metadata: metadata), sources: FakeSources(), lineage: FakeSources(), events: events)
    }

    /// A model with `count` versions registered from the fake run.
    @discardableResult
    static func model(_ service: RegistryService, _ name: String, versions count: Int = 1) async throws -> [ModelVersion] {
        _ = try await service.createRegisteredModel(name: name, tags: [], description: nil, actor: alice)
        var out: [ModelVersion] = []
        for _ in 0..<count {
            out.append(
                try await service.createModelVersion(
                    name: name, source: "runs:/\(FakeSources.runID)/model", runID: FakeSources.runID, modelID: nil, runLink: nil, description: nil,
                    tags: [], actor: alice))
        }
        return out
    }
}
