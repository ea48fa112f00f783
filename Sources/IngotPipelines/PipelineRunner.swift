import Foundation
import IngotCatalog
import IngotCore
import IngotLake
import IngotStorage

/// The engine's view for one dataset: the namespace, plus the staging tables that stand in for
/// `STREAM(…)` / `read_files(…)` sources (holding only the rows that are new to this dataset).
struct StagedResolver: TableResolver {
    static let catalog = "ingot_pipeline_stage"
    let base: NamespaceTableResolver
    let stages: [String: LakeTable]

    func table(_ name: SQLTableName) async throws -> LakeTable {
        if name.catalog.lowercased() == Self.catalog, let t = stages[name.table.lowercased()] { return t }
        return try await base.table(name)
    }
    func catalogs() async throws -> [String] { try await base.catalogs() }
    func schemas(catalog: String) async throws -> [String] { try await base.schemas(catalog: catalog) }
    func tables(catalog: String, schema: String) async throws -> [String] { try await base.tables(catalog: catalog, schema: schema) }
    func tableCreated(_ name: SQLTableName, _ table: LakeTable) async throws { try await base.tableCreated(name, table) }
}

/// Runs pipeline updates: datasets in dependency order on the engine the pipeline's `engine` setting
/// selects (the embedded SQL engine by default), one engine session per dataset over the namespace.
public struct PipelineRunner: Sendable {
    public let tables: TableService
    public let store: PipelineStore
    public let owner: String
    /// Live progress of the updates running in this process.
    public let progress: PipelineProgress
    /// Resolves `read_files` paths (volumes, the external-location allow-list); nil: plain local paths.
    public var landing: (any LandingPathResolver)? = nil
    /// The engines a pipeline's `engine` setting can select (see ``PipelineEngine``).
    public let engines: PipelineEngineRegistry

    public init(tables: TableService, store: PipelineStore, owner: String = "pipelines", progress: PipelineProgress = PipelineProgress(),
                engines: PipelineEngineRegistry = .standard) {
        self.tables = tables
        self.store = store
        self.owner = owner
        self.progress = progress
        self.engines = engines
    }

    static func q(_ s: String) -> String { "`" + s.replacingOccurrences(of: "`", with: "``") + "`" }

    func event(_ p: PipelineRecord, _ u: String, _ level: String, _ type: String, dataset: String? = nil, _ message: String, details: [String: Any] = [:], error: String? = nil) async {
        let data = (try? JSONSerialization.data(withJSONObject: details, options: [.sortedKeys])) ?? Data("{}".utf8)
        let e = PipelineEvent(id: IDGenerator.uuid(), pipelineID: p.id, updateID: u, timestamp: Clock.nowMillis(), level: level, eventType: type,
                              dataset: dataset, message: message, details: String(decoding: data, as: UTF8.self), error: error)
        try? await store.log(e)
    }

    /// Runs an update to its end, recording state, metrics and events. Returns the final state.
    ///
    /// Cancelling the calling task stops the update (see ``PipelineCancelToken``): datasets running
    /// finish at their next safe point or commit whole, none starts after, and the state is CANCELED.
    @discardableResult
    public func run(pipeline p: PipelineRecord, update: PipelineUpdateRecord) async -> String {
        let token = PipelineCancelToken()
        let work = Task { await PipelineCancelToken.$current.withValue(token) { await execute(pipeline: p, update: update, token: token) } }
        return await withTaskCancellationHandler { await work.value } onCancel: { token.cancel() }
    }

    func execute(pipeline p: PipelineRecord, update: PipelineUpdateRecord, token: PipelineCancelToken) async -> String {
        let state = await executeUpdate(pipeline: p, update: update, token: token)
        await progress.finish(update.id)
        return state
    }

    func executeUpdate(pipeline p: PipelineRecord, update: PipelineUpdateRecord, token: PipelineCancelToken) async -> String {
        let u = update.id
        var settings = p.settings
        do {
            try await store.setState(u, "INITIALIZING")
            await event(p, u, "INFO", "update_progress", "Update \(u) is INITIALIZING.", details: ["update_progress": ["state": "INITIALIZING"]])
            let def = try PipelineDefinition.load(directory: URL(fileURLWithPath: p.rootPath))
            let s = def.settings
            settings = s
            try engines.validate(s)
            _ = try await tables.namespace.catalog(s.catalog)
            do {
                _ = try await tables.namespace.schema(catalog: s.catalog, name: s.schema)
            } catch let e as CatalogError {
                guard case .notFound = e else { throw e }
                _ = try await tables.namespace.createSchema(catalog: s.catalog, name: s.schema, comment: "Created by pipeline \(p.name)", owner: owner)
            }
            for ext in def.externalTables {
                let name = try TableName(catalog: ext[0], schema: ext[1], table: ext[2])
                guard try await tables.namespace.tableIfExists(name) != nil else {
                    let user = def.datasets.first { d in d.references.contains { r in
                        switch r.source { case .table(let x), .stream(let x): return x.last?.lowercased() == ext[2].lowercased(); default: return false } } }
                    throw PipelineError("\(user?.location ?? "pipeline"): unknown reference \(name) (no such table)")
                }
            }
            try token.check()
            if update.fullRefresh {
                try await store.markFullRefresh(pipelineID: p.id, datasets: def.datasets.filter { $0.kind == .streamingTable }.map(\.name))
            }
            try await store.setState(u, "RUNNING")
            await event(p, u, "INFO", "update_progress", "Update \(u) is RUNNING.", details: ["update_progress": ["state": "RUNNING"]])
            await progress.start(u, total: def.datasets.count)
            var externals = try await externalVersions(def)
            try await runPass(def, pipeline: p, update: update, seeds: nil)
            if s.isContinuous {
                await flushEventLog(p, settings: s)
                // Continuous: poll the landing folders and external sources; run a micro-batch for
                // the datasets with new input and, downstream, those whose inputs changed.
                var batch = 0
                while true {
                    try await token.sleep(millis: s.triggerIntervalMillis)
                    let now = try await externalVersions(def)
                    let seeds = try await datasetsWithNewInput(def, pipelineID: p.id, externals: externals, now: now)
                    externals = now
                    if seeds.isEmpty { continue }
                    batch += 1
                    await progress.newBatch(u)
                    await event(p, u, "INFO", "micro_batch", "Micro-batch \(batch): new input for \(seeds.sorted().joined(separator: ", ")).",
                                details: ["micro_batch": ["number": batch, "datasets": seeds.sorted()]])
                    try await runPass(def, pipeline: p, update: update, seeds: seeds)
                    await flushEventLog(p, settings: s)
                }
            }
            // The final event is appended to the event-log table before the state says the update ended.
            await event(p, u, "INFO", "update_progress", "Update \(u) is COMPLETED.", details: ["update_progress": ["state": "COMPLETED"]])
            await flushEventLog(p, settings: s)
            try await store.setState(u, "COMPLETED")
            return "COMPLETED"
        } catch where token.isCancelled || error is CancellationError {
            await event(p, u, "INFO", "update_progress", "Update \(u) is CANCELED.", details: ["update_progress": ["state": "CANCELED"]])
            await flushEventLog(p, settings: settings)
            try? await store.setState(u, "CANCELED")
            return "CANCELED"
        } catch {
            let message = (error as? any IngotError)?.message ?? "\(error)"
            await event(p, u, "ERROR", "update_progress", "Update \(u) is FAILED: \(message)", details: ["update_progress": ["state": "FAILED"]], error: message)
            await flushEventLog(p, settings: settings)
            try? await store.setState(u, "FAILED", error: message)
            return "FAILED"
        }
    }

    /// Appends the update's events to the pipeline's event-log table (a failure is logged as an event,
    /// and the events are appended by a later flush).
    func flushEventLog(_ p: PipelineRecord, settings: PipelineSettings) async {
        do {
            try await PipelineEventLogTable(tables: tables, store: store, owner: owner).flush(p, settings: settings)
        } catch {
            let message = (error as? any IngotError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("pipeline \(p.name): cannot append to the event-log table: \(message)\n".utf8))
        }
    }

    /// One pass over the DAG: every dataset (`seeds` nil), or the seeds plus every dataset with an
    /// input that changed in this pass (a continuous micro-batch).
    func runPass(_ def: PipelineDefinition, pipeline p: PipelineRecord, update: PipelineUpdateRecord, seeds: Set<String>?) async throws {
        let order = def.datasets.map { $0.name.lowercased() }
        let runner = self
        _ = try await PipelineScheduler.run(order: order, dependencies: def.dependencies, limit: def.settings.parallelLimit) { name, changedInputs in
            if let seeds, !seeds.contains(name), changedInputs.isEmpty { return false }
            guard let d = def.dataset(name) else { return false }
            try runner.checkStopped()
            let target = try TableName(catalog: def.settings.catalog, schema: def.settings.schema, table: d.name)
            let before = try await runner.currentVersion(target)
            let m = try await runner.runDataset(d, def: def, pipeline: p, update: update)
            await runner.progress.done(update.id, dataset: d.name, rows: m.outputRecords)
            return m.tableVersion != before
        }
    }

    /// The current versions of the tables outside the pipeline that it reads.
    func externalVersions(_ def: PipelineDefinition) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for ext in def.externalTables {
            let name = try TableName(catalog: ext[0], schema: ext[1], table: ext[2])
            if let v = try await currentVersion(name) { out[name.description.lowercased()] = v }
        }
        return out
    }

    /// Datasets with unprocessed landing files, or reading an outside table whose version moved.
    func datasetsWithNewInput(_ def: PipelineDefinition, pipelineID: String, externals before: [String: Int64], now: [String: Int64]) async throws -> Set<String> {
        var out = Set<String>()
        let s = def.settings
        for d in def.datasets {
            var sources = d.references.map(\.source)
            if let flow = d.cdc { sources.append(flow.source) }
            var done: Set<String>?
            for src in sources {
                switch src {
                case .files(let path, _):
                    if done == nil {
                        let c = try await store.checkpoint(pipelineID: pipelineID, dataset: d.name)
                        done = Set(c.files + (c.pending?.files ?? []))
                    }
                    let files = (try? landingFiles(path: path, def: def, line: d.location)) ?? []
                    if files.contains(where: { !done!.contains($0) }) { out.insert(d.name.lowercased()) }
                case .table(let parts), .stream(let parts):
                    let full = parts.count == 3 ? parts : parts.count == 2 ? [s.catalog] + parts : [s.catalog, s.schema] + parts
                    guard let name = try? TableName(catalog: full[0], schema: full[1], table: full[2]) else { continue }
                    let key = name.description.lowercased()
                    if let v = now[key], v != before[key] { out.insert(d.name.lowercased()) }
                }
            }
        }
        return out
    }

    /// Lineage of one dataset run: the tables it read (with their versions), the files, and its table.
    func recordLineage(_ d: PipelineDataset, def: PipelineDefinition, pipeline p: PipelineRecord, update: PipelineUpdateRecord, metrics m: DatasetMetrics) async throws {
        let s = def.settings
        var edges: [LineageEdge] = []
        var sources = d.references.map(\.source)
        if let flow = d.cdc { sources.append(flow.source) }
        var seen = Set<String>()
        for src in sources {
            switch src {
            case .files: continue
            case .table(let parts), .stream(let parts):
                let full = parts.count == 3 ? parts : parts.count == 2 ? [s.catalog] + parts : [s.catalog, s.schema] + parts
                let name = try TableName(catalog: full[0], schema: full[1], table: full[2])
                guard seen.insert(name.description.lowercased()).inserted else { continue }
                edges.append(LineageEdge(updateID: update.id, pipelineID: p.id, dataset: d.name, direction: .read, kind: .table, name: name.description,
                                         version: try await currentVersion(name)))
            }
        }
        for f in m.sourceFiles ?? [] {
            edges.append(LineageEdge(updateID: update.id, pipelineID: p.id, dataset: d.name, direction: .read, kind: .file, name: f))
        }
        let target = try TableName(catalog: s.catalog, schema: s.schema, table: d.name)
        var written = m.tableVersion
        if written == nil { written = try await currentVersion(target) }
        if let v = written {
            edges.append(LineageEdge(updateID: update.id, pipelineID: p.id, dataset: d.name, direction: .write, kind: .table, name: target.description, version: v))
        }
        try await store.recordLineage(edges)
        try await store.recordColumnLineage(pipelineID: p.id, dataset: d.name, updateID: update.id, await columnLineage(d, def: def))
    }

    struct Stage {
        var name: String
        var table: LakeTable
    }

    @discardableResult
    func runDataset(_ d: PipelineDataset, def: PipelineDefinition, pipeline p: PipelineRecord, update: PipelineUpdateRecord) async throws -> DatasetMetrics {
        // Staging tables (inputs read into Delta form for the query) are removed when the dataset ends,
        // whichever way it ends, before the update moves on.
        var stages: [Stage] = []
        do {
            let metrics = try await runDataset(d, def: def, pipeline: p, update: update, stages: &stages)
            await removeStages(stages)
            return metrics
        } catch {
            await removeStages(stages)
            throw error
        }
    }

    func removeStages(_ stages: [Stage]) async {
        for stage in stages { _ = try? await tables.objects.deleteAll(prefix: stage.table.key + "/") }
    }

    func runDataset(_ d: PipelineDataset, def: PipelineDefinition, pipeline p: PipelineRecord, update: PipelineUpdateRecord,
                    stages: inout [Stage]) async throws -> DatasetMetrics {
        let started = Clock.nowMillis()
        let s = def.settings
        let target = try TableName(catalog: s.catalog, schema: s.schema, table: d.name)
        let targetSQL = [s.catalog, s.schema, d.name].map(Self.q).joined(separator: ".")
        var metrics = DatasetMetrics(dataset: d.name, kind: d.kind.rawValue, state: "RUNNING")
        await progress.started(update.id, dataset: d.name)
        await event(p, update.id, "INFO", "flow_progress", dataset: d.name, "Flow '\(d.name)' is RUNNING.", details: ["flow_progress": ["status": "RUNNING"]])
        do {
            let isStreaming = d.kind == .streamingTable
            var checkpoint = StreamCheckpoint()
            if isStreaming {
                checkpoint = try await store.checkpoint(pipelineID: p.id, dataset: d.name)
                if checkpoint.refresh == true {
                    // Owed by this or an earlier, interrupted full refresh (see PipelineRecovery.swift).
                    try await resetForFullRefresh(target, pipelineID: p.id, dataset: d.name)
                    checkpoint = StreamCheckpoint()
                } else {
                    try await adoptUnrecorded(target)
                    if let pending = checkpoint.pending {
                        // Resolve a write a crash interrupted (see StreamCheckpoint).
                        let now = try await currentVersion(target) ?? -1
                        if now > pending.baseVersion {
                            checkpoint.files += pending.files
                            checkpoint.sources.merge(pending.sources) { _, b in b }
                            if let cdc = pending.cdc { checkpoint.cdc = cdc }
                            if let schemas = pending.schemas { checkpoint.schemas = schemas }
                        }
                        checkpoint.pending = nil
                        try await store.saveCheckpoint(pipelineID: p.id, dataset: d.name, checkpoint)
                    }
                }
            } else {
                try await adoptUnrecorded(target)
            }
            if let flow = d.cdc {
                try await runCDC(d, flow, pipelineID: p.id, checkpoint: checkpoint, def: def, metrics: &metrics, stages: &stages)
                metrics.state = "COMPLETED"
                metrics.tableVersion = try await currentVersion(target)
                try await finish(metrics, started: started, d, p, update)
                try await recordLineage(d, def: def, pipeline: p, update: update, metrics: metrics)
                return metrics
            }
            // Replace each streaming source by a staging table of its new rows.
            var query = Array(d.query)
            var newFiles: [String] = []
            var newSources: [String: Int64] = [:]
            var newSchemas = checkpoint.schemas ?? [:]
            var replacements: [(Range<Int>, String)] = []
            var anyInput = !isStreaming
            for r in d.references {
                switch r.source {
                case .table: continue
                case .files(let path, let options):
                    let (stage, files, schema) = try await stageNewFiles(path: path, options: options, def: def, done: Set(checkpoint.files),
                                                                          known: checkpoint.schemas?[path], line: "\(d.file):\(r.line)")
                    if let schema { newSchemas[path] = schema }
                    newFiles += files
                    metrics.inputFiles += files.count
                    metrics.sourceFiles = (metrics.sourceFiles ?? []) + files
                    if let stage { stages.append(stage); anyInput = true }
                    replacements.append((r.range, stage.map { "\(Self.q(StagedResolver.catalog)).`s`.\(Self.q($0.name))" } ?? "(SELECT * FROM (SELECT 1) WHERE 0)"))
                case .stream(let parts):
                    let full = parts.count == 3 ? parts : parts.count == 2 ? [s.catalog] + parts : [s.catalog, s.schema] + parts
                    let source = try TableName(catalog: full[0], schema: full[1], table: full[2])
                    let (stage, key, version) = try await stageStream(source, checkpoint: checkpoint.sources)
                    if let key, let version { newSources[key] = version }
                    if let stage { stages.append(stage); anyInput = true }
                    replacements.append((r.range, stage.map { "\(Self.q(StagedResolver.catalog)).`s`.\(Self.q($0.name))" } ?? "(SELECT * FROM (SELECT 1) WHERE 0)"))
                }
            }
            if !anyInput {
                // Nothing new for this streaming table; its source versions still advance.
                if !newSources.isEmpty {
                    checkpoint.sources.merge(newSources) { _, b in b }
                    try await store.saveCheckpoint(pipelineID: p.id, dataset: d.name, checkpoint)
                }
                metrics.state = "COMPLETED"
                metrics.tableVersion = try await currentVersion(target)
                metrics.expectations = d.expectations.map { ExpectationMetrics(name: $0.name, dataset: d.name, action: $0.action.rawValue, passedRecords: 0, failedRecords: 0) }
                try await finish(metrics, started: started, d, p, update)
                return metrics
            }
            for (range, text) in replacements.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
                query.replaceSubrange(range, with: Array(text))
            }
            let q = String(query)
            let resolver = StagedResolver(base: NamespaceTableResolver(tables: tables, owner: owner),
                                          stages: Dictionary(stages.map { ($0.name.lowercased(), $0.table) }, uniquingKeysWith: { a, _ in a }))
            var options = SQLEngineOptions(catalog: s.catalog, schema: s.schema)
            options.batchSize = 4096
            let engine = try engines.engine(for: s).session(resolver: resolver, options: options)

            // Expectations, counted in one pass over the query's rows (NULL counts as a violation).
            var counts = ["count(*)"]
            for e in d.expectations { counts.append("sum(CASE WHEN (\(e.condition)) THEN 0 ELSE 1 END)") }
            let drops = d.expectations.filter { $0.action == .drop }.map { "(\($0.condition))" }
            if !drops.isEmpty { counts.append("sum(CASE WHEN \(drops.joined(separator: " AND ")) THEN 0 ELSE 1 END)") }
            let stats = try await sql(engine, "SELECT \(counts.joined(separator: ", ")) FROM (\(q)) AS __q")
            let textRow = stats.textRows.first ?? []
            // Counts come back as text ("12", or "12.0" when SQLite summed into REAL; empty when no rows).
            func count(_ i: Int) -> Int64 { i < textRow.count ? Int64(Double(textRow[i]) ?? 0) : 0 }
            metrics.inputRecords = count(0)
            for (k, e) in d.expectations.enumerated() {
                let failed = count(k + 1)
                metrics.expectations.append(ExpectationMetrics(name: e.name, dataset: d.name, action: e.action.rawValue, passedRecords: metrics.inputRecords - failed, failedRecords: failed))
            }
            metrics.droppedRecords = drops.isEmpty ? 0 : count(d.expectations.count + 1)
            for (k, e) in d.expectations.enumerated() where e.action == .fail && metrics.expectations[k].failedRecords > 0 {
                let sample = try await sql(engine, "SELECT * FROM (\(q)) AS __q WHERE NOT coalesce((\(e.condition)), false) LIMIT 1")
                var record: [String: String] = [:]
                if let r = sample.textRows.first { for (f, v) in zip(sample.schema.fields, r) { record[f.name] = v } }
                let json = String(decoding: (try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
                throw PipelineError(.invalidState,
                    "Expectation '\(e.name)' (FAIL UPDATE) of dataset '\(d.name)' failed for \(metrics.expectations[k].failedRecords) record(s); sample record: \(json)")
            }
            let filtered = drops.isEmpty ? "SELECT * FROM (\(q)) AS __q" : "SELECT * FROM (\(q)) AS __q WHERE \(drops.joined(separator: " AND "))"
            let exists = try await tables.namespace.tableIfExists(target) != nil
            var insertColumns = ""
            if exists, isStreaming {
                // New columns of the query (Auto Loader schema evolution) are added to the table first,
                // before the write is recorded as pending (the pending base version is after this commit).
                let columns = try await sql(engine, "SELECT * FROM (\(filtered)) AS __e LIMIT 0").schema.fields
                let (_, table) = try await tables.open(target)
                let have = Set(try await table.snapshot().schema.fields.map { $0.name.lowercased() })
                let missing = columns.filter { !have.contains($0.name.lowercased()) }
                if !missing.isEmpty {
                    let v = try await table.addColumns(missing.map { Field($0.name, $0.type, nullable: true) })
                    try await tables.committed(target, table: table, version: v)
                }
                insertColumns = "(" + columns.map { Self.q($0.name) }.joined(separator: ", ") + ") "
            }
            // A stop before this point leaves no pending record behind.
            try checkStopped()
            // Streaming writes are recorded as pending first (see StreamCheckpoint).
            if isStreaming {
                checkpoint.pending = .init(files: newFiles, sources: newSources, baseVersion: try await currentVersion(target) ?? -1,
                                           schemas: newSchemas)
                try await store.saveCheckpoint(pipelineID: p.id, dataset: d.name, checkpoint)
            }
            let statement: String
            if !exists {
                statement = "CREATE TABLE \(targetSQL) AS \(filtered)"
            } else if isStreaming {
                statement = "INSERT INTO \(targetSQL) \(insertColumns)\(filtered)"
            } else {
                statement = "INSERT OVERWRITE TABLE \(targetSQL) \(filtered)"
            }
            // The last safe point: once the write's statement runs, it commits whole or not at all.
            try checkStopped()
            _ = try await sql(engine, statement)
            metrics.outputRecords = metrics.inputRecords - metrics.droppedRecords
            metrics.tableVersion = try await currentVersion(target)
            if isStreaming {
                checkpoint.files += newFiles
                checkpoint.sources.merge(newSources) { _, b in b }
                checkpoint.schemas = newSchemas
                checkpoint.pending = nil
                try await store.saveCheckpoint(pipelineID: p.id, dataset: d.name, checkpoint)
            }
            metrics.state = "COMPLETED"
            try await finish(metrics, started: started, d, p, update)
            try await recordLineage(d, def: def, pipeline: p, update: update, metrics: metrics)
            return metrics
        } catch {
            if error is CancellationError || PipelineCancelToken.current?.isCancelled == true {
                metrics.state = "CANCELED"
                metrics.durationMs = Clock.nowMillis() - started
                metrics.tableVersion = try? await currentVersion(target)
                try? await store.record(update.id, metrics)
                await event(p, update.id, "INFO", "flow_progress", dataset: d.name, "Flow '\(d.name)' is CANCELED.", details: ["flow_progress": ["status": "CANCELED"]])
                throw CancellationError()
            }
            metrics.state = "FAILED"
            metrics.durationMs = Clock.nowMillis() - started
            try? await store.record(update.id, metrics)
            let message = (error as? any IngotError)?.message ?? "\(error)"
            await event(p, update.id, "ERROR", "flow_progress", dataset: d.name, "Flow '\(d.name)' has FAILED: \(message)",
                        details: ["flow_progress": ["status": "FAILED"]], error: message)
            if error is PipelineError { throw error }
            throw PipelineError(.invalidState, "dataset '\(d.name)' (\(d.location)) failed: \(message)")
        }
    }

    func finish(_ m: DatasetMetrics, started: Int64, _ d: PipelineDataset, _ p: PipelineRecord, _ update: PipelineUpdateRecord) async throws {
        var m = m
        m.durationMs = Clock.nowMillis() - started
        try await store.record(update.id, m)
        let exps: [[String: Any]] = m.expectations.map { ["name": $0.name, "dataset": $0.dataset, "passed_records": $0.passedRecords, "failed_records": $0.failedRecords] }
        let details: [String: Any] = [
            "flow_progress": [
                "status": "COMPLETED",
                "metrics": ["num_output_rows": m.outputRecords, "num_input_rows": m.inputRecords, "num_input_files": m.inputFiles],
                "data_quality": ["dropped_records": m.droppedRecords, "expectations": exps],
            ] as [String: Any]
        ]
        await event(p, update.id, "METRICS", "flow_progress", dataset: d.name,
                    "Flow '\(d.name)' has COMPLETED: \(m.inputRecords) input, \(m.outputRecords) output, \(m.droppedRecords) dropped rows.", details: details)
    }

    func currentVersion(_ name: TableName) async throws -> Int64? {
        guard try await tables.namespace.tableIfExists(name) != nil else { return nil }
        return try await tables.open(name).record.deltaVersion
    }

    func newStage() throws -> Stage {
        let id = "t" + IDGenerator.uuid().replacingOccurrences(of: "-", with: "")
        return Stage(name: id, table: try LakeTable(store: tables.objects, key: "warehouse/_pipeline_staging/\(id)"))
    }

    /// `STREAM(source)`: the rows of data files added to the source after the version last read.
    /// The checkpoint key includes the source's Delta table id, so a recreated source (full refresh)
    /// is read from the start.
    func stageStream(_ source: TableName, checkpoint: [String: Int64]) async throws -> (Stage?, String?, Int64?) {
        guard try await tables.namespace.tableIfExists(source) != nil else { return (nil, nil, nil) }
        let (_, table) = try await tables.open(source)
        let snap = try await table.snapshot()
        let key = "\(source)#\(snap.metadata.id)"
        let since = checkpoint[key] ?? -1
        guard since <= snap.version else {
            throw PipelineError(.invalidState, "source \(source) is at version \(snap.version), older than version \(since) last read: run a full refresh")
        }
        let fresh = try await filesAdded(to: table, after: since, in: snap)
        guard !fresh.isEmpty else { return (nil, key, snap.version) }
        try checkStopped()
        let schema = try snap.schema
        let stage = try newStage()
        let store = tables.objects
        let keys = fresh.map { table.fileKey($0) }
        try await stage.table.create(schema: schema, data: { emit in
            for key in keys {
                try PipelineCancelToken.current?.check()
                // Files written before a column was added lack it: read what they have, null the rest.
                let reader = try await ParquetReader.open(try await ObjectSource(store: store, key: key))
                let present = Set(reader.schema.fields.map(\.name))
                let names = schema.fields.map(\.name).filter { present.contains($0) }
                for g in 0..<reader.numRowGroups {
                    let b = try await reader.readRowGroup(g, columns: names)
                    try await emit(names.count == schema.fields.count ? b : try TableBatches.conform(b, to: schema))
                }
            }
        })
        return (stage, key, snap.version)
    }
}
