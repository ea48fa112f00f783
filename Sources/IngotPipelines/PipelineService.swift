import Foundation
import IngotCatalog
import IngotCore
import IngotStorage

/// Pipelines as the server offers them: create/edit from a folder, start updates in the background,
/// stop them.
public struct PipelineService: Sendable {
    public let store: PipelineStore
    public internal(set) var runner: PipelineRunner
    /// Sends the pipelines' `notifications` when updates end (nil: none are sent).
    public let notifier: PipelineNotifier?
    /// Asked before each update runs (nil: every update runs).
    public var updateGate: (any PipelineUpdateGate)?
    let active = ActiveUpdates()

    /// The updates this process is running (with their tasks); an active update not in it was left
    /// by a stopped server.
    actor ActiveUpdates {
        var tasks: [String: Task<String, Never>] = [:]
        var ids: Set<String> { Set(tasks.keys) }
        func insert(_ id: String, _ task: Task<String, Never>) { tasks[id] = task }
        func remove(_ id: String) { tasks[id] = nil }
        func task(_ id: String) -> Task<String, Never>? { tasks[id] }
    }

    public init(metadata: MetadataStore, tables: TableService, engines: PipelineEngineRegistry = .standard, notifier: PipelineNotifier? = nil) {
        store = PipelineStore(metadata: metadata)
        runner = PipelineRunner(tables: tables, store: store, engines: engines)
        self.notifier = notifier
    }

    /// Validates the folder and records (or, with `id`, replaces) the pipeline.
    public func save(rootPath: String, name: String?, id: String? = nil, creator: String) async throws -> PipelineRecord {
        let def = try PipelineDefinition.load(directory: URL(fileURLWithPath: rootPath))
        try runner.engines.validate(def.settings)
        let path = def.directory.path
        let name = name ?? def.settings.name
        if let id {
            try await store.edit(id, name: name, rootPath: path, settings: def.settings)
            return try await store.pipeline(id)
        }
        return try await store.create(name: name, rootPath: path, settings: def.settings, creator: creator)
    }

    /// Queues an update and runs it in the background.
    public func start(_ idOrName: String, fullRefresh: Bool, cause: String = "API_CALL") async throws -> PipelineUpdateRecord {
        let p = try await store.pipeline(idOrName)
        try await store.failAbandonedUpdates(pipelineID: p.id, except: await active.ids)
        let update = try await store.createUpdate(pipelineID: p.id, fullRefresh: fullRefresh, cause: cause)
        try await store.log(PipelineEvent(
            id: IDGenerator.uuid(), pipelineID: p.id, updateID: update.id, timestamp: Clock.nowMillis(), level: "INFO", eventType: "create_update",
            dataset: nil, message: "Update \(update.id) started by \(cause)\(fullRefresh ? " (full refresh)" : "").",
            details: "{\"create_update\":{\"cause\":\"\(cause)\",\"full_refresh\":\(fullRefresh)}}", error: nil))
        await launch(p, update)
        return update
    }

    /// Runs a created update in the background (then sends its notifications).
    func launch(_ p: PipelineRecord, _ update: PipelineUpdateRecord) async {
        let runner = self.runner, active = self.active, notifier = self.notifier, updateGate = self.updateGate
        // Registered before it can finish, so `stop` always finds a running update's task.
        let gate = AsyncGate()
        let task = Task.detached { () -> String in
            await gate.wait()
            if let updateGate {
                do {
                    try await updateGate.checkUpdate(p)
                } catch {
                    let message = (error as? any IngotError)?.message ?? "\(error)"
                    try? await runner.store.setState(update.id, "FAILED", error: message)
                    try? await runner.store.log(PipelineEvent(
                        id: IDGenerator.uuid(), pipelineID: p.id, updateID: update.id, timestamp: Clock.nowMillis(), level: "ERROR",
                        eventType: "update_progress", dataset: nil, message: "Update \(update.id) refused: \(message)", details: "{}", error: message))
                    await active.remove(update.id)
                    notifier?.updateEnded(pipeline: p, updateID: update.id, store: runner.store)
                    return "FAILED"
                }
            }
            let state = await runner.run(pipeline: p, update: update)
            await active.remove(update.id)
            notifier?.updateEnded(pipeline: p, updateID: update.id, store: runner.store)
            return state
        }
        await active.insert(update.id, task)
        await gate.open()
    }

    /// Stops the pipeline's active update (Databricks' `stop`): its task is cancelled, which stops
    /// the running datasets at their next safe point (each leaves its table at a committed version)
    /// and ends the update CANCELED. Waits for the update to end when `wait`. An active update that no
    /// runner of this process owns is marked CANCELED at once. Returns the update stopped, if any.
    @discardableResult
    public func stop(_ idOrName: String, wait: Bool = false) async throws -> PipelineUpdateRecord? {
        let p = try await store.pipeline(idOrName)
        guard let u = try await store.updates(pipelineID: p.id, limit: 20).first(where: { ["QUEUED", "INITIALIZING", "RUNNING", "STOPPING"].contains($0.state) }) else {
            return nil
        }
        guard let task = await active.task(u.id) else {
            try await store.setState(u.id, "CANCELED", error: nil)
            return try await store.update(u.id)
        }
        try await store.log(PipelineEvent(
            id: IDGenerator.uuid(), pipelineID: p.id, updateID: u.id, timestamp: Clock.nowMillis(), level: "INFO", eventType: "update_progress",
            dataset: nil, message: "Update \(u.id) is STOPPING.", details: "{\"update_progress\":{\"state\":\"STOPPING\"}}", error: nil))
        task.cancel()
        if wait { _ = await task.value }
        return try await store.update(u.id)
    }
}

extension PipelineService {
    /// At server start: updates left active by a server that stopped are marked FAILED (they can
    /// never finish; their streaming writes resolve through the checkpoints on the next update), and a
    /// continuous pipeline whose update was running is started again (cause `RETRY_ON_FAILURE`), as
    /// Databricks restarts continuous pipelines. Returns the ids of the updates started.
    @discardableResult
    public func recoverAtStartup() async throws -> [String] {
        // Only updates created before this call: one a client starts meanwhile is not abandoned.
        let now = Clock.nowMillis()
        var started: [String] = []
        for p in try await store.pipelines() {
            let mine = await self.active.ids
            let abandoned = try await store.updates(pipelineID: p.id, limit: 20).filter {
                ["QUEUED", "INITIALIZING", "RUNNING"].contains($0.state) && !mine.contains($0.id) && $0.creationTime <= now
            }
            guard !abandoned.isEmpty else { continue }
            for u in abandoned { try await store.setState(u.id, "FAILED", error: "the server stopped during the update") }
            if p.settings.isContinuous {
                do {
                    started.append(try await start(p.id, fullRefresh: false, cause: "RETRY_ON_FAILURE").id)
                } catch let e as PipelineError where e.errorCode == .resourceConflict {
                    continue  // a client started one meanwhile
                }
            }
        }
        return started
    }
}

/// Opens once; waiters resume then.
actor AsyncGate {
    var isOpen = false
    var waiters: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }
    func open() {
        isOpen = true
        for w in waiters { w.resume() }
        waiters = []
    }
}
