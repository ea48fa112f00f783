import Foundation
import IngotCore
import IngotServing
import IngotStorage
import Logging
import Testing

@testable import IngotServer

/// The rollout driver on the endpoint runtime, with the fake registry of ``ServingRuntimeTests``:
/// version 6's predictions fail, every other version answers. A failing version is rolled back
/// while requests flow; a good one reaches 100% with the old entity retired; a process that stops
/// mid-rollout leaves it to be rolled back by the next one.
@Suite struct ServingRolloutTests {
    struct FailingModel: LoadedModel {
        var kind: String { "fake" }
        func predict(_ frame: ScoringFrame, params: ServingJSON?) async throws -> String {
            throw ServingError(.predictionFailed, "Encountered an unexpected error while evaluating the model: broken")
        }
        func shutdown() async {}
    }

    struct Loader: ModelLoading {
        let calls: ServingRuntimeTests.Calls
        func load(_ request: ModelLoadRequest) async throws -> any LoadedModel {
            let v = request.entity.resolvedVersion ?? 0
            if v == 6 { return FailingModel() }
            return ServingRuntimeTests.FakeModel(version: v, calls: calls)
        }
    }

    static func service(_ metadata: MetadataStore, root: URL) -> EndpointService {
        EndpointService(
            store: EndpointStore(metadata: metadata),
            resolver: ServingRuntimeTests.FakeResolver(root: root.appendingPathComponent("artifacts"), aliases: ServingRuntimeTests.AliasBox()),
            loader: Loader(calls: ServingRuntimeTests.Calls()), queue: ServingTaskQueue(),
            settings: ServingSettings(root: root.appendingPathComponent("serving")), logger: Logger(label: "test"))
    }

    /// Runs `body` with a running service and a background load of requests.
    static func withRunning(_ service: EndpointService, load endpoint: String?, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await service.run() }
            if let endpoint {
                group.addTask {
                    while !Task.isCancelled {
                        _ = try? await service.invoke(endpoint, ServingRuntimeTests.row)
                        try? await Task.sleep(for: .milliseconds(2))
                    }
                }
            }
            try await body()
            group.cancelAll()
        }
    }

    static func finished(_ s: EndpointService, _ name: String, timeout: Double = 20) async throws -> RolloutRecord {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let r = try await s.rollouts(name).first, !r.state.isActive { return r }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServingError(.timeout, "rollout of \(name) did not finish")
    }

    static func input(_ version: String, steps: [Int] = [20, 50, 100], bake: Double = 0.4) -> RolloutInput {
        var i = RolloutInput(served_entity: ServedEntityInput(entity_version: version), strategy: "canary", steps: steps, bake_seconds: bake)
        i.min_requests = 5
        i.max_p99_ratio = 1000
        return i
    }

    @Test func failingVersionRollsBackAndGoodVersionTakesOver() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-rollout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let metadata = try MetadataStore(inMemoryWith: ServingModule.migrations)
        try metadata.migrate()
        let s = Self.service(metadata, root: root)
        try await Self.withRunning(s, load: "ep") {
            _ = try await s.create(
                name: "ep", config: EndpointConfigInput(served_entities: [ServingRuntimeTests.entity("old", "1")]), description: nil, tags: [],
                creator: "me")
            _ = try await ServingRuntimeTests.settle(s, "ep")

            let started = try await s.startRollout("ep", Self.input("6"), creator: "me")
            #expect(started.state == .loading && started.steps.map(\.trafficPercentage) == [20, 50, 100])
            await #expect(throws: ServingError.self) { _ = try await s.startRollout("ep", Self.input("2"), creator: "me") }
            let bad = try await Self.finished(s, "ep")
            #expect(bad.state == .rolledBack)
            #expect(bad.reason?.contains("error rate") == true)
            #expect(bad.steps.map(\.state) == [.failed, .skipped, .skipped])
            #expect((bad.steps[0].candidate?.requests ?? 0) >= 5 && bad.steps[0].candidate?.errors == bad.steps[0].candidate?.requests)
            let afterBad = try await s.get("ep")
            #expect(afterBad.record.configUpdate == .updateFailed && afterBad.record.pendingConfig == nil)
            #expect(afterBad.record.config?.routes == [TrafficRoute(entityName: "old", percentage: 100)])
            #expect(await s.deployment("ep")?.entities.keys.sorted() == ["old"])
            for _ in 0..<20 { #expect(try await s.invoke("ep", ServingRuntimeTests.row).entity == "old") }

            _ = try await s.startRollout("ep", Self.input("2"), creator: "me")
            let good = try await Self.finished(s, "ep")
            #expect(good.state == .succeeded && good.trafficPercentage == 100)
            #expect(good.steps.map(\.state) == [.passed, .passed, .passed])
            #expect(good.steps.allSatisfy { ($0.candidate?.requests ?? 0) >= 5 && $0.candidate?.errors == 0 })
            let afterGood = try await s.get("ep")
            #expect(afterGood.record.configUpdate == .notUpdating && afterGood.record.configVersion == 2)
            #expect(afterGood.record.config?.entities.map(\.name) == ["m-2"])
            #expect(await s.deployment("ep")?.entities.keys.sorted() == ["m-2"])
            #expect(try await s.invoke("ep", ServingRuntimeTests.row).body == #"{"predictions":[23.5]}"#)
            #expect(afterGood.rollouts?.map(\.state) == [.succeeded, .rolledBack])
        }
    }

    @Test func tooLittleTrafficRollsBackAndCancelAndPromote() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-rollout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let metadata = try MetadataStore(inMemoryWith: ServingModule.migrations)
        try metadata.migrate()
        let s = Self.service(metadata, root: root)
        try await Self.withRunning(s, load: nil) {
            _ = try await s.create(
                name: "quiet", config: EndpointConfigInput(served_entities: [ServingRuntimeTests.entity("old", "1")]), description: nil,
                tags: [], creator: nil)
            _ = try await ServingRuntimeTests.settle(s, "quiet")
            var input = Self.input("2", steps: [50], bake: 0.1)
            input.max_bake_seconds = 0.5
            _ = try await s.startRollout("quiet", input, creator: nil)
            let starved = try await Self.finished(s, "quiet")
            #expect(starved.state == .rolledBack && starved.reason?.contains("too little traffic") == true)

            _ = try await s.startRollout("quiet", Self.input("3", bake: 60), creator: nil)
            while try await s.rollouts("quiet").first?.state != .baking { try await Task.sleep(for: .milliseconds(10)) }
            let canceled = try await s.controlRollout("quiet", .cancel)
            #expect(canceled.state == .canceled && canceled.steps[0].state == .aborted)
            #expect(try await s.get("quiet").record.configUpdate == .updateCanceled)

            _ = try await s.startRollout("quiet", Self.input("4", bake: 60), creator: nil)
            while try await s.rollouts("quiet").first?.state != .baking { try await Task.sleep(for: .milliseconds(10)) }
            let promoted = try await s.controlRollout("quiet", .promote)
            #expect(promoted.state == .succeeded && promoted.steps.map(\.state) == [.passed, .skipped, .skipped])
            #expect(try await s.invoke("quiet", ServingRuntimeTests.row).entity == "m-4")
            await #expect(throws: ServingError.self) { _ = try await s.controlRollout("quiet", .cancel) }
        }
    }

    @Test func aRolloutInterruptedByAStopIsRolledBackAtTheNextStart() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-rollout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let metadata = try MetadataStore(inMemoryWith: ServingModule.migrations)
        try metadata.migrate()
        let first = Self.service(metadata, root: root)
        try await Self.withRunning(first, load: nil) {
            _ = try await first.create(
                name: "ep", config: EndpointConfigInput(served_entities: [ServingRuntimeTests.entity("old", "1")]), description: nil, tags: [],
                creator: nil)
            _ = try await ServingRuntimeTests.settle(first, "ep")
            _ = try await first.startRollout("ep", Self.input("2", bake: 60), creator: nil)
            while try await first.rollouts("ep").first?.state != .baking { try await Task.sleep(for: .milliseconds(10)) }
        }
        let second = Self.service(metadata, root: root)
        try await Self.withRunning(second, load: nil) {
            let r = try await Self.finished(second, "ep")
            #expect(r.state == .rolledBack && r.reason?.contains("restarted during step 1 (20%)") == true)
            #expect(r.steps.map(\.state) == [.aborted, .skipped, .skipped])
            let v = try await ServingRuntimeTests.settle(second, "ep")
            #expect(v.record.configUpdate == .updateFailed && v.record.config?.routes == [TrafficRoute(entityName: "old", percentage: 100)])
            for _ in 0..<100 where await second.deployment("ep") == nil { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await second.invoke("ep", ServingRuntimeTests.row).entity == "old")
        }
    }
}
