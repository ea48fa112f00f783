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

/// Runs pipeline updates: datasets in dependency order on the embedded SQL engine, one engine per
/// dataset over the namespace.
public struct PipelineRunner: Sendable {
    public let tables: TableService
    public let store: PipelineStore
    public let owner: String

    public init(tables: TableService, store: PipelineStore, owner: String = "pipelines") {
        self.tables = tables
        self.store = store
        self.owner = owner
    }

    static func q(_ s: String) -> String { "`" + s.replacingOccurrences(of: "`", with: "``") + "`" }

    func event(_ p: PipelineRecord, _ u: String, _ level: String, _ type: String, dataset: String? = nil, _ message: String, details: [String: Any] = [:], error: String? = nil) async {
        let data = (try? JSONSerialization.data(withJSONObject: details, options: [.sortedKeys])) ?? Data("{}".utf8)
        let e = PipelineEvent(id: IDGenerator.uuid(), pipelineID: p.id, updateID: u, timestamp: Clock.nowMillis(), level: level, eventType: type,
                              dataset: dataset, message: message, details: String(decoding: data, as: UTF8.self), error: error)
        try? await store.log(e)
    }

    /// Runs an update to its end, recording state, metrics and events. Returns the final state.
    @discardableResult
    public func run(pipeline p: PipelineRecord, update: PipelineUpdateRecord) async -> String {
        let u = update.id
        do {
            try await store.setState(u, "INITIALIZING")
            await event(p, u, "INFO", "update_progress", "Update \(u) is INITIALIZING.", details: ["update_progress": ["state": "INITIALIZING"]])
            let def = try PipelineDefinition.load(directory: URL(fileURLWithPath: p.rootPath))
            let s = def.settings
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
            try await store.setState(u, "RUNNING")
            await event(p, u, "INFO", "update_progress", "Update \(u) is RUNNING.", details: ["update_progress": ["state": "RUNNING"]])
            for d in def.datasets {
                try await runDataset(d, def: def, pipeline: p, update: update)
            }
            try await store.setState(u, "COMPLETED")
            await event(p, u, "INFO", "update_progress", "Update \(u) is COMPLETED.", details: ["update_progress": ["state": "COMPLETED"]])
            return "COMPLETED"
        } catch {
            let message = (error as? any IngotError)?.message ?? "\(error)"
            try? await store.setState(u, "FAILED", error: message)
            await event(p, u, "ERROR", "update_progress", "Update \(u) is FAILED: \(message)", details: ["update_progress": ["state": "FAILED"]], error: message)
            return "FAILED"
        }
    }

    struct Stage {
        var name: String
        var table: LakeTable
    }

    func runDataset(_ d: PipelineDataset, def: PipelineDefinition, pipeline p: PipelineRecord, update: PipelineUpdateRecord) async throws {
        let started = Clock.nowMillis()
        let s = def.settings
        let target = try TableName(catalog: s.catalog, schema: s.schema, table: d.name)
        let targetSQL = [s.catalog, s.schema, d.name].map(Self.q).joined(separator: ".")
        var metrics = DatasetMetrics(dataset: d.name, kind: d.kind.rawValue, state: "RUNNING")
        await event(p, update.id, "INFO", "flow_progress", dataset: d.name, "Flow '\(d.name)' is RUNNING.", details: ["flow_progress": ["status": "RUNNING"]])
        var stages: [Stage] = []
        defer {
            let objects = tables.objects
            let keys = stages.map(\.table.key)
            Task { for k in keys { _ = try? await objects.deleteAll(prefix: k + "/") } }
        }
        do {
            let isStreaming = d.kind == .streamingTable
            var checkpoint = StreamCheckpoint()
            if isStreaming {
                if update.fullRefresh {
                    if try await tables.namespace.tableIfExists(target) != nil { try await tables.drop(target) }
                    try await store.saveCheckpoint(pipelineID: p.id, dataset: d.name, nil)
                } else {
                    checkpoint = try await store.checkpoint(pipelineID: p.id, dataset: d.name)
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
            }
            if let flow = d.cdc {
                try await runCDC(d, flow, pipelineID: p.id, checkpoint: checkpoint, def: def, metrics: &metrics, stages: &stages)
                metrics.state = "COMPLETED"
                try await finish(metrics, started: started, d, p, update)
                return
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
                return
            }
            for (range, text) in replacements.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
                query.replaceSubrange(range, with: Array(text))
            }
            let q = String(query)
            let resolver = StagedResolver(base: NamespaceTableResolver(tables: tables, owner: owner),
                                          stages: Dictionary(stages.map { ($0.name.lowercased(), $0.table) }, uniquingKeysWith: { a, _ in a }))
            var options = SQLEngineOptions(catalog: s.catalog, schema: s.schema)
            options.batchSize = 4096
            let engine = try SQLEngine(resolver: resolver, options: options)

            // Expectations, counted in one pass over the query's rows (NULL counts as a violation).
            var counts = ["count(*)"]
            for e in d.expectations { counts.append("sum(CASE WHEN (\(e.condition)) THEN 0 ELSE 1 END)") }
            let drops = d.expectations.filter { $0.action == .drop }.map { "(\($0.condition))" }
            if !drops.isEmpty { counts.append("sum(CASE WHEN \(drops.joined(separator: " AND ")) THEN 0 ELSE 1 END)") }
            let stats = try await engine.query("SELECT \(counts.joined(separator: ", ")) FROM (\(q)) AS __q")
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
                let sample = try await engine.query("SELECT * FROM (\(q)) AS __q WHERE NOT coalesce((\(e.condition)), false) LIMIT 1")
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
                let columns = try await engine.query("SELECT * FROM (\(filtered)) AS __e LIMIT 0").schema.fields
                let (_, table) = try await tables.open(target)
                let have = Set(try await table.snapshot().schema.fields.map { $0.name.lowercased() })
                let missing = columns.filter { !have.contains($0.name.lowercased()) }
                if !missing.isEmpty {
                    let v = try await table.addColumns(missing.map { Field($0.name, $0.type, nullable: true) })
                    try await tables.committed(target, table: table, version: v)
                }
                insertColumns = "(" + columns.map { Self.q($0.name) }.joined(separator: ", ") + ") "
            }
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
            _ = try await engine.query(statement)
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
        } catch {
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
        let fresh = snap.files.filter { (snap.addedVersion[$0.path] ?? snap.version) > since }
        guard !fresh.isEmpty else { return (nil, key, snap.version) }
        let schema = try snap.schema
        let stage = try newStage()
        let store = tables.objects
        let keys = fresh.map { table.fileKey($0) }
        try await stage.table.create(schema: schema, data: { emit in
            for key in keys {
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
