import Foundation
import IngotCatalog
import IngotCore
import IngotStorage

/// Pipelines as the server offers them: create/edit from a folder, start updates in the background.
public struct PipelineService: Sendable {
    public let store: PipelineStore
    public let runner: PipelineRunner
    let active = ActiveUpdates()

    /// The updates this process is running; an active update not in it was left by a stopped server.
    actor ActiveUpdates {
        var ids = Set<String>()
        func insert(_ id: String) { ids.insert(id) }
        func remove(_ id: String) { ids.remove(id) }
    }

    public init(metadata: MetadataStore, tables: TableService) {
        store = PipelineStore(metadata: metadata)
        runner = PipelineRunner(tables: tables, store: store)
    }

    /// Validates the folder and records (or, with `id`, replaces) the pipeline.
    public func save(rootPath: String, name: String?, id: String? = nil, creator: String) async throws -> PipelineRecord {
        let def = try PipelineDefinition.load(directory: URL(fileURLWithPath: rootPath))
        let path = def.directory.path
        let name = name ?? def.settings.name
        if let id {
            try await store.edit(id, name: name, rootPath: path, settings: def.settings)
            return try await store.pipeline(id)
        }
        return try await store.create(name: name, rootPath: path, settings: def.settings, creator: creator)
    }

    /// Queues an update and runs it in the background.
    public func start(_ idOrName: String, fullRefresh: Bool) async throws -> PipelineUpdateRecord {
        let p = try await store.pipeline(idOrName)
        try await store.failAbandonedUpdates(pipelineID: p.id, except: await active.ids)
        let update = try await store.createUpdate(pipelineID: p.id, fullRefresh: fullRefresh)
        await active.insert(update.id)
        try await store.log(PipelineEvent(
            id: IDGenerator.uuid(), pipelineID: p.id, updateID: update.id, timestamp: Clock.nowMillis(), level: "INFO", eventType: "create_update",
            dataset: nil, message: "Update \(update.id) started by API_CALL\(fullRefresh ? " (full refresh)" : "").", details: "{\"create_update\":{\"cause\":\"API_CALL\",\"full_refresh\":\(fullRefresh)}}", error: nil))
        let runner = self.runner, active = self.active
        Task.detached {
            await runner.run(pipeline: p, update: update)
            await active.remove(update.id)
        }
        return update
    }
}
