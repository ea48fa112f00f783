import Foundation
import IngotCore
import IngotServing
import IngotStorage
import Logging
import Testing

@testable import IngotServer

/// The endpoint runtime with a fake registry and a fake model: atomic config updates, failures
/// that keep the old config serving, conflicts, weighted / sticky / shadow routing, scale to zero.
@Suite struct ServingRuntimeTests {
    /// Versions 1…9 of any model exist; each answers `version * 10 + row sum` per row.
    struct FakeResolver: ModelVersionResolver {
        let root: URL
        let aliases: AliasBox

        func resolve(model: String, version: Int?, alias: String?) async throws -> ResolvedModel {
            guard model != "missing" else { throw ServingError.notFound("Registered Model with name=missing not found") }
            var v = version ?? 0
            if version == nil {
                guard let target = await aliases.get(alias ?? "") else { throw ServingError.notFound("alias \(alias ?? "") not found") }
                v = target
            }
            guard (1...9).contains(v) else { throw ServingError.notFound("version \(v) not found") }
            let dir = root.appendingPathComponent("\(model)-\(v)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(Self.mlmodel(version: v).utf8).write(to: dir.appendingPathComponent("MLmodel"))
            return ResolvedModel(version: v, artifactDirectory: dir, artifactURI: "mlflow-artifacts:/x/\(v)")
        }

        static func mlmodel(version: Int) -> String {
            """
            artifact_path: model
            flavors:
              python_function:
                loader_module: fake
                version: \(version)
            signature:
              inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "long",
                "name": "b", "required": true}]'
              outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
              params: null
            """
        }
    }

    actor AliasBox {
        var map: [String: Int] = [:]
        func get(_ a: String) -> Int? { map[a] }
        func set(_ a: String, _ v: Int) { map[a] = v }
    }

    final class Calls: @unchecked Sendable {
        let lock = NSLock()
        var byVersion: [Int: Int] = [:]
        var loads = 0
        func hit(_ v: Int) {
            lock.lock()
            byVersion[v, default: 0] += 1
            lock.unlock()
        }
        func load() {
            lock.lock()
            loads += 1
            lock.unlock()
        }
        func count(_ v: Int) -> Int {
            lock.lock()
            defer { lock.unlock() }
            return byVersion[v] ?? 0
        }
    }

    struct FakeModel: LoadedModel {
        let version: Int
        let calls: Calls
        var kind: String { "fake" }
        func predict(_ frame: ScoringFrame, params: ServingJSON?) async throws -> String {
            calls.hit(version)
            let values = frame.rows.map { row in Double(version * 10) + row.compactMap(\.numeric).reduce(0, +) }
            return ServingJSON.object([("predictions", Predictions.vector(values).jsonValue)]).serialized
        }
        func shutdown() async {}
    }

    /// Version 7 fails to load; version 8 takes a second.
    struct FakeLoader: ModelLoading {
        let calls: Calls
        func load(_ request: ModelLoadRequest) async throws -> any LoadedModel {
            calls.load()
            let v = request.entity.resolvedVersion ?? 0
            if v == 7 { throw ServingError(.modelLoad, "version 7 is broken") }
            if v == 8 { try await Task.sleep(for: .seconds(1)) }
            return FakeModel(version: v, calls: calls)
        }
    }

    struct Harness {
        let service: EndpointService
        let calls: Calls
        let aliases: AliasBox
    }

    static func withService(idle: Double = 300, aliasPoll: Double = 1, _ body: (Harness) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-serving-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let metadata = try MetadataStore(inMemoryWith: ServingModule.migrations)
        try metadata.migrate()
        var settings = ServingSettings(root: root.appendingPathComponent("serving"))
        settings.scaleToZeroIdle = idle
        settings.aliasPoll = aliasPoll
        let calls = Calls()
        let aliases = AliasBox()
        let service = EndpointService(
            store: EndpointStore(metadata: metadata), resolver: FakeResolver(root: root.appendingPathComponent("artifacts"), aliases: aliases),
            loader: FakeLoader(calls: calls), queue: ServingTaskQueue(), settings: settings, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await service.run() }
            try await body(Harness(service: service, calls: calls, aliases: aliases))
            group.cancelAll()
        }
    }

    static func entity(_ name: String, _ version: String, shadow: Bool? = nil) -> ServedEntityInput {
        ServedEntityInput(name: name, entity_name: "m", entity_version: version, shadow: shadow)
    }

    static func settle(_ s: EndpointService, _ name: String) async throws -> EndpointView {
        for _ in 0..<200 {
            let v = try await s.get(name)
            if v.record.configUpdate != .inProgress { return v }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("endpoint \(name) still updating")
        return try await s.get(name)
    }

    static let row = ScoringRequest(frame: ScoringFrame(columns: ["a", "b"], rows: [[.double(1.5), .int(2)]]), format: .dataframeSplit)

    @Test func createServesAndFailedUpdateKeepsOldConfig() async throws {
        try await Self.withService { h in
            let created = try await h.service.create(
                name: "ep", config: EndpointConfigInput(served_entities: [Self.entity("a", "1")]), description: nil, tags: [], creator: "me")
            #expect(created.record.configUpdate == .inProgress)
            let ready = try await Self.settle(h.service, "ep")
            #expect(ready.ready && ready.record.configUpdate == .notUpdating && ready.record.config?.entities.first?.resolvedVersion == 1)
            let r = try await h.service.invoke("ep", Self.row)
            #expect(r.entity == "a" && r.body == #"{"predictions":[13.5]}"#)

            // A broken version: UPDATE_FAILED, and version 1 still answers.
            _ = try await h.service.updateConfig("ep", EndpointConfigInput(served_entities: [Self.entity("b", "7")]))
            let failed = try await Self.settle(h.service, "ep")
            #expect(failed.record.configUpdate == .updateFailed && failed.ready)
            #expect(failed.record.updateMessage?.contains("version 7 is broken") == true)
            #expect(failed.pendingStatus["b"]?.state == .failed)
            #expect(try await h.service.invoke("ep", Self.row).entity == "a")

            // A slow version: IN_PROGRESS until loaded, a second PUT is refused, old config serves meanwhile.
            _ = try await h.service.updateConfig("ep", EndpointConfigInput(served_entities: [Self.entity("c", "8")]))
            await #expect(throws: ServingError.self) {
                _ = try await h.service.updateConfig("ep", EndpointConfigInput(served_entities: [Self.entity("d", "2")]))
            }
            #expect(try await h.service.invoke("ep", Self.row).entity == "a")
            let done = try await Self.settle(h.service, "ep")
            #expect(done.record.configUpdate == .notUpdating && done.record.configVersion == 3)
            #expect(try await h.service.invoke("ep", Self.row).body == #"{"predictions":[83.5]}"#)
        }
    }

    @Test func validationErrorsAreTyped() async throws {
        try await Self.withService { h in
            func code(_ config: EndpointConfigInput?, name: String = "ok") async -> ServingError.Kind? {
                do {
                    _ = try await h.service.create(name: name, config: config, description: nil, tags: [], creator: nil)
                    return nil
                } catch let e as ServingError { return e.kind } catch { return nil }
            }
            #expect(await code(EndpointConfigInput(served_entities: [Self.entity("a", "1")]), name: "bad name!") == .invalidConfig)
            #expect(await code(nil) == .invalidConfig)
            #expect(await code(EndpointConfigInput(served_entities: [])) == .invalidConfig)
            #expect(await code(EndpointConfigInput(served_entities: [ServedEntityInput(entity_name: "m")])) == .invalidConfig)
            #expect(await code(EndpointConfigInput(served_entities: [Self.entity("a", "x")])) == .invalidConfig)
            #expect(await code(EndpointConfigInput(served_entities: [ServedEntityInput(entity_name: "missing", entity_version: "1")])) == .notFound)
            let split = EndpointConfigInput(
                served_entities: [Self.entity("a", "1"), Self.entity("b", "2")],
                traffic_config: TrafficConfigInput(routes: [
                    .init(served_entity_name: "a", traffic_percentage: 60), .init(served_entity_name: "b", traffic_percentage: 30),
                ]))
            #expect(await code(split) == .invalidConfig)
            #expect(await code(EndpointConfigInput(served_entities: [Self.entity("a", "1"), Self.entity("b", "2")])) == .invalidConfig)
            #expect(await code(EndpointConfigInput(served_entities: [Self.entity("a", "1"), Self.entity("a", "2")])) == .invalidConfig)
            #expect(await code(EndpointConfigInput(served_entities: [Self.entity("a", "1", shadow: true)])) == .invalidConfig)
            #expect(await code(EndpointConfigInput(served_entities: [Self.entity("a", "1")])) == nil)
            #expect(await code(EndpointConfigInput(served_entities: [Self.entity("a", "1")])) == .alreadyExists)
            await #expect(throws: ServingError.self) { _ = try await h.service.get("nope") }
            await #expect(throws: ServingError.self) { _ = try await h.service.invoke("nope", Self.row) }
        }
    }

    @Test func weightedStickyAndShadowRouting() async throws {
        try await Self.withService { h in
            let config = EndpointConfigInput(
                served_entities: [Self.entity("a", "1"), Self.entity("b", "2"), Self.entity("s", "3", shadow: true)],
                traffic_config: TrafficConfigInput(routes: [
                    .init(served_entity_name: "a", traffic_percentage: 90), .init(served_entity_name: "b", traffic_percentage: 10),
                ]))
            _ = try await h.service.create(name: "split", config: config, description: nil, tags: [], creator: nil)
            #expect(try await Self.settle(h.service, "split").ready)
            let dep = try #require(await h.service.deployment("split"))
            var counts: [String: Int] = [:]
            for _ in 0..<10_000 { counts[dep.pick(routingKey: nil)!.spec.name, default: 0] += 1 }
            #expect(abs(Double(counts["a"] ?? 0) / 10_000 - 0.9) < 0.02, "\(counts)")
            #expect(counts["s"] == nil)
            // The same key always lands on the same entity; keys spread by the weights.
            var keyed: [String: Int] = [:]
            for k in 0..<2000 {
                let first = dep.pick(routingKey: "user-\(k)")!.spec.name
                #expect(dep.pick(routingKey: "user-\(k)")!.spec.name == first)
                keyed[first, default: 0] += 1
            }
            #expect(abs(Double(keyed["a"] ?? 0) / 2000 - 0.9) < 0.04, "\(keyed)")
            // Shadow copies reach version 3; answers come only from 1 or 2.
            for k in 0..<50 {
                let r = try await h.service.invoke("split", Self.row, routingKey: "k\(k)")
                #expect(r.entity != "s" && !r.body.contains("33.5"))
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(h.calls.count(3) == 50)
        }
    }

    @Test func aliasIsFollowedAndScaleToZeroReloads() async throws {
        try await Self.withService(idle: 1, aliasPoll: 1) { h in
            await h.aliases.set("champion", 1)
            let entity = ServedEntityInput(name: "champ", entity_name: "m", entity_version: "@champion", scale_to_zero_enabled: true)
            _ = try await h.service.create(
                name: "alias", config: EndpointConfigInput(served_entities: [entity]), description: nil, tags: [], creator: nil)
            #expect(try await Self.settle(h.service, "alias").ready)
            #expect(try await h.service.invoke("alias", Self.row).body.contains("13.5"))
            await h.aliases.set("champion", 2)
            var moved = false
            for _ in 0..<100 where !moved {
                try await Task.sleep(for: .milliseconds(100))
                moved = (try? await h.service.invoke("alias", Self.row).body.contains("23.5")) ?? false
            }
            #expect(moved)
            // Idle past the unload time: unloaded, then the next request reloads it (a cold start).
            let dep = try #require(await h.service.deployment("alias"))
            let runtime = try #require(dep.entities["champ"])
            var unloaded = false
            for _ in 0..<60 where !unloaded {
                try await Task.sleep(for: .milliseconds(100))
                unloaded = !(await runtime.isLoaded)
            }
            #expect(unloaded)
            #expect(try await h.service.invoke("alias", Self.row).body.contains("23.5"))
            #expect(runtime.stats.snapshot().coldStarts == 1)
        }
    }
}
