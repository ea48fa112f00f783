import IngotCore
import Testing

@testable import IngotRegistry

@Suite struct RegistryStoreTests {
    @Test func createGetAndDuplicate() async throws {
        let s = try Fixture.service()
        let m = try await s.createRegisteredModel(name: "m1", tags: [.init(key: "team", value: "a")], description: "d", actor: Fixture.alice)
        #expect(m.name == "m1" && m.description == "d" && m.tags == [.init(key: "team", value: "a")])
        await #expect(throws: RegistryError.alreadyExists("Registered Model (name=m1) already exists.")) {
            _ = try await s.createRegisteredModel(name: "m1", tags: [], description: nil, actor: Fixture.alice)
        }
        await #expect(throws: RegistryError.modelNotFound("nope")) { _ = try await s.getRegisteredModel(name: "nope") }
        await #expect(throws: RegistryError.self) { _ = try await s.createRegisteredModel(name: "a/b", tags: [], description: nil, actor: Fixture.alice) }
    }

    @Test func versionsNumberLatestAndNeverReuse() async throws {
        let s = try Fixture.service()
        let vs = try await Fixture.model(s, "m", versions: 3)
        #expect(vs.map(\.version) == ["1", "2", "3"])
        #expect(vs[0].status == "READY" && vs[0].current_stage == "None" && vs[0].run_id == FakeSources.runID)
        _ = try await s.transitionStage(name: "m", version: "2", stage: "production", archiveExisting: false, actor: Fixture.alice)
        var model = try await s.getRegisteredModel(name: "m")
        #expect(model.latest_versions.map { "\($0.version):\($0.current_stage)" } == ["2:Production", "3:None"])
        let prod = try await s.getLatestVersions(name: "m", stages: ["Production"])
        #expect(prod.map(\.version) == ["2"])
        try await s.deleteModelVersion(name: "m", version: "3")
        await #expect(throws: RegistryError.versionNotFound("m", 3)) { _ = try await s.getModelVersion(name: "m", version: "3") }
        let v4 = try await s.createModelVersion(
            name: "m", source: "runs:/\(FakeSources.runID)/model", runID: FakeSources.runID, modelID: nil, runLink: nil, description: nil,
            tags: [], actor: Fixture.alice)
        #expect(v4.version == "4")
        model = try await s.getRegisteredModel(name: "m")
        #expect(model.latest_versions.map(\.version) == ["2", "4"])
    }

    @Test func archiveExistingMovesOthers() async throws {
        let s = try Fixture.service()
        try await Fixture.model(s, "m", versions: 2)
        _ = try await s.transitionStage(name: "m", version: "1", stage: "Staging", archiveExisting: false, actor: Fixture.alice)
        _ = try await s.transitionStage(name: "m", version: "2", stage: "Staging", archiveExisting: true, actor: Fixture.alice)
        #expect(try await s.getModelVersion(name: "m", version: "1").current_stage == "Archived")
        await #expect(throws: RegistryError.self) {
            _ = try await s.transitionStage(name: "m", version: "1", stage: "None", archiveExisting: true, actor: Fixture.alice)
        }
        await #expect(throws: RegistryError.self) {
            _ = try await s.transitionStage(name: "m", version: "1", stage: "Prod", archiveExisting: false, actor: Fixture.alice)
        }
    }

    @Test func aliasesTagsAndRename() async throws {
        let s = try Fixture.service()
        try await Fixture.model(s, "m", versions: 2)
        try await s.setAlias(name: "m", alias: "champion", version: "1", actor: Fixture.alice)
        try await s.setAlias(name: "m", alias: "champion", version: "2", actor: Fixture.alice)
        #expect(try await s.getModelVersion(name: "m", alias: "champion").version == "2")
        #expect(try await s.getModelVersion(name: "m", alias: "latest").version == "2")
        await #expect(throws: RegistryError.self) { try await s.setAlias(name: "m", alias: "v3", version: "1", actor: Fixture.alice) }
        await #expect(throws: RegistryError.self) { try await s.setAlias(name: "m", alias: "latest", version: "1", actor: Fixture.alice) }
        await #expect(throws: RegistryError.self) { try await s.setAlias(name: "m", alias: "x", version: "9", actor: Fixture.alice) }
        try await s.setModelVersionTag(name: "m", version: "2", key: "k", value: "v")
        try await s.setRegisteredModelTag(name: "m", key: "owner", value: "me")
        let renamed = try await s.renameRegisteredModel(name: "m", newName: "m2")
        #expect(renamed.aliases == [.init(alias: "champion", version: "2")])
        #expect(renamed.tags == [.init(key: "owner", value: "me")])
        let v2 = try await s.getModelVersion(name: "m2", version: "2")
        #expect(v2.name == "m2" && v2.aliases == ["champion"] && v2.tags == [.init(key: "k", value: "v")])
        try await s.deleteModelVersion(name: "m2", version: "2")
        #expect(try await s.getRegisteredModel(name: "m2").aliases.isEmpty)
        try await s.deleteRegisteredModel(name: "m2")
        await #expect(throws: RegistryError.self) { _ = try await s.getModelVersion(name: "m2", version: "1") }
    }

    @Test func searchModelsWithFilterOrderAndPaging() async throws {
        let s = try Fixture.service()
        for name in ["alpha", "beta", "Gamma", "delta"] {
            _ = try await s.createRegisteredModel(
                name: name, tags: [.init(key: "team", value: name.count == 5 ? "five" : "other")], description: nil, actor: Fixture.alice)
        }
        _ = try await s.createRegisteredModel(
            name: "p", tags: [.init(key: "mlflow.prompt.is_prompt", value: "true")], description: nil, actor: Fixture.alice)
        var page = try await s.searchRegisteredModels(filter: nil, orderBy: [], maxResults: nil, pageToken: nil)
        #expect(page.items.map(\.name) == ["Gamma", "alpha", "beta", "delta"])
        page = try await s.searchRegisteredModels(filter: "name LIKE '%a'", orderBy: [], maxResults: nil, pageToken: nil)
        #expect(page.items.map(\.name) == ["Gamma", "alpha", "beta", "delta"])
        page = try await s.searchRegisteredModels(
            filter: "name = 'alpha' AND tag.`mlflow.prompt.is_prompt` != 'true'", orderBy: [], maxResults: nil, pageToken: nil)
        #expect(page.items.map(\.name) == ["alpha"])
        page = try await s.searchRegisteredModels(filter: "tags.`mlflow.prompt.is_prompt` = 'true'", orderBy: [], maxResults: nil, pageToken: nil)
        #expect(page.items.map(\.name) == ["p"])
        page = try await s.searchRegisteredModels(filter: "name LIKE 'g%'", orderBy: [], maxResults: nil, pageToken: nil)
        #expect(page.items.isEmpty)
        page = try await s.searchRegisteredModels(filter: "name ILIKE 'g%'", orderBy: [], maxResults: nil, pageToken: nil)
        #expect(page.items.map(\.name) == ["Gamma"])
        page = try await s.searchRegisteredModels(filter: "tags.team = 'five' AND name != 'alpha'", orderBy: ["name DESC"], maxResults: nil, pageToken: nil)
        #expect(page.items.map(\.name) == ["delta", "Gamma"])
        page = try await s.searchRegisteredModels(filter: nil, orderBy: ["name"], maxResults: 3, pageToken: nil)
        #expect(page.items.count == 3 && page.nextPageToken != nil)
        page = try await s.searchRegisteredModels(filter: nil, orderBy: ["name"], maxResults: 3, pageToken: page.nextPageToken)
        #expect(page.items.map(\.name) == ["delta"] && page.nextPageToken == nil)
        await #expect(throws: RegistryError.self) { _ = try await s.searchRegisteredModels(filter: "run_id = 'x'", orderBy: [], maxResults: nil, pageToken: nil) }
        await #expect(throws: RegistryError.self) { _ = try await s.searchRegisteredModels(filter: nil, orderBy: ["bogus"], maxResults: nil, pageToken: nil) }
        await #expect(throws: RegistryError.self) { _ = try await s.searchRegisteredModels(filter: nil, orderBy: [], maxResults: 1001, pageToken: nil) }
    }

    @Test func searchVersions() async throws {
        let s = try Fixture.service()
        try await Fixture.model(s, "a", versions: 3)
        try await Fixture.model(s, "b", versions: 1)
        try await s.setModelVersionTag(name: "a", version: "2", key: "stage", value: "candidate")
        var page = try await s.searchModelVersions(filter: "name = 'a'", orderBy: [], maxResults: nil, pageToken: nil)
        #expect(Set(page.items.map(\.version)) == ["1", "2", "3"])
        page = try await s.searchModelVersions(filter: "name='a' AND version_number > 1", orderBy: ["version_number ASC"], maxResults: nil, pageToken: nil)
        #expect(page.items.map(\.version) == ["2", "3"])
        page = try await s.searchModelVersions(filter: "tags.stage = 'candidate'", orderBy: [], maxResults: nil, pageToken: nil)
        #expect(page.items.map { "\($0.name)/\($0.version)" } == ["a/2"])
        page = try await s.searchModelVersions(filter: "run_id IN ('\(FakeSources.runID)')", orderBy: ["name", "version_number"], maxResults: 2, pageToken: nil)
        #expect(page.items.map { "\($0.name)/\($0.version)" } == ["a/1", "a/2"] && page.nextPageToken != nil)
        await #expect(throws: RegistryError.self) {
            _ = try await s.searchModelVersions(filter: "version_number = 'x'", orderBy: [], maxResults: nil, pageToken: nil)
        }
    }

    @Test func sourcesResolveAndRecordLineage() async throws {
        let s = try Fixture.service()
        _ = try await s.createRegisteredModel(name: "m", tags: [], description: nil, actor: Fixture.alice)
        let fromModel = try await s.createModelVersion(
            name: "m", source: "models:/\(FakeSources.modelID)", runID: nil, modelID: FakeSources.modelID, runLink: nil, description: nil, tags: [],
            actor: Fixture.alice)
        #expect(fromModel.run_id == FakeSources.runID && fromModel.model_id == FakeSources.modelID)
        #expect(try await s.downloadURI(name: "m", version: "1") == "mlflow-artifacts:/1/models/\(FakeSources.modelID)/artifacts")
        let lineage = try await s.lineage(name: "m", version: "1")
        #expect(lineage.datasets.map(\.name) == ["iris"] && lineage.experiment_id == "1")
        // runs:/ needs the matching run_id; mlflow-artifacts sources must sit inside the run.
        await #expect(throws: RegistryError.self) {
            _ = try await s.createModelVersion(
                name: "m", source: "runs:/\(FakeSources.runID)/model", runID: nil, modelID: nil, runLink: nil, description: nil, tags: [],
                actor: Fixture.alice)
        }
        await #expect(throws: RegistryError.self) {
            _ = try await s.createModelVersion(
                name: "m", source: "mlflow-artifacts:/1/other/artifacts", runID: FakeSources.runID, modelID: nil, runLink: nil, description: nil,
                tags: [], actor: Fixture.alice)
        }
        await #expect(throws: RegistryError.self) {
            _ = try await s.createModelVersion(
                name: "m", source: "/etc/passwd", runID: nil, modelID: nil, runLink: nil, description: nil, tags: [], actor: Fixture.alice)
        }
        let inside = try await s.createModelVersion(
            name: "m", source: "mlflow-artifacts:/1/\(FakeSources.runID)/artifacts/model", runID: FakeSources.runID, modelID: nil, runLink: nil,
            description: nil, tags: [], actor: Fixture.alice)
        #expect(inside.version == "2")
        let copy = try await s.createModelVersion(
            name: "m", source: "models:/m/1", runID: nil, modelID: nil, runLink: nil, description: nil, tags: [], actor: Fixture.alice)
        #expect(copy.source == "models:/m/1" && copy.model_id == FakeSources.modelID)
        #expect(try await s.downloadURI(name: "m", version: "3") == "mlflow-artifacts:/1/models/\(FakeSources.modelID)/artifacts")
    }
}
