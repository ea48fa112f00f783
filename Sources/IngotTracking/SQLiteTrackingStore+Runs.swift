import Foundation
import GRDB
import IngotCore

extension SQLiteTrackingStore {
    /// The identity of a run inside the database.
    struct RunKey {
        let pk: Int64
        let experimentID: Int64
        let stage: String
    }

    static func runKey(_ db: Database, _ runID: String) throws -> RunKey {
        let statement = try db.cachedStatement(sql: "SELECT run_pk, experiment_id, lifecycle_stage FROM tracking_runs WHERE run_id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [runID]) else { throw TrackingError.runNotFound(runID) }
        return RunKey(pk: row[0], experimentID: row[1], stage: row[2])
    }

    static func activeRunKey(_ db: Database, _ runID: String) throws -> RunKey {
        let key = try runKey(db, runID)
        guard key.stage == "active" else {
            throw TrackingError.invalidParameter("The run \(runID) must be in the 'active' state. Current state is \(key.stage).")
        }
        return key
    }

    // MARK: - Runs

    public func createRun(experimentID: String, userID: String?, runName: String?, startTime: Int64?, tags: [KeyValue]) async throws -> Run {
        let numeric = try Self.experimentNumber(experimentID)
        return try await db.write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT artifact_location, lifecycle_stage FROM tracking_experiments WHERE experiment_id = ?", arguments: [numeric])
            else { throw TrackingError.experimentNotFound(experimentID) }
            let stage: String = row["lifecycle_stage"]
            guard stage == "active" else {
                throw TrackingError.invalidParameter("The experiment \(experimentID) must be in the 'active' state. Current state is \(stage).")
            }
            let location: String = row["artifact_location"]
            let runID = IDGenerator.hex32()
            let tagName = tags.last(where: { $0.key == "mlflow.runName" })?.value
            let name = runName.flatMap { $0.isEmpty ? nil : $0 } ?? tagName ?? RunNames.random()
            let artifactURI = (location.hasSuffix("/") ? String(location.dropLast()) : location) + "/\(runID)/artifacts"
            try db.execute(
                sql: """
                    INSERT INTO tracking_runs (run_id, experiment_id, run_name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
                    VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, ?, 'active')
                    """,
                arguments: [runID, numeric, name, userID ?? "", startTime ?? Clock.nowMillis(), artifactURI])
            let pk = db.lastInsertedRowID
            var allTags = tags.filter { $0.key != "mlflow.runName" }
            allTags.append(KeyValue(key: "mlflow.runName", value: name))
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tracking_tags (run_pk, key, value) VALUES (?, ?, ?)")
            for tag in allTags { try statement.execute(arguments: [pk, tag.key, tag.value]) }
            guard let run = try Self.loadRuns(db, pks: [pk]).first else { throw TrackingError.internalFailure("run vanished") }
            return run
        }
    }

    public func getRun(id runID: String) async throws -> Run {
        try await db.read { db in
            let key = try Self.runKey(db, runID)
            guard let run = try Self.loadRuns(db, pks: [key.pk]).first else { throw TrackingError.runNotFound(runID) }
            return run
        }
    }

    public func updateRun(id runID: String, status: String?, endTime: Int64?, runName: String?) async throws -> RunInfo {
        try await db.write { db in
            let key = try Self.activeRunKey(db, runID)
            if let status {
                try db.execute(sql: "UPDATE tracking_runs SET status = ? WHERE run_pk = ?", arguments: [status, key.pk])
            }
            if let endTime {
                try db.execute(sql: "UPDATE tracking_runs SET end_time = ? WHERE run_pk = ?", arguments: [endTime, key.pk])
            }
            if let runName, !runName.isEmpty {
                try db.execute(sql: "UPDATE tracking_runs SET run_name = ? WHERE run_pk = ?", arguments: [runName, key.pk])
                try db.execute(
                    sql: "INSERT OR REPLACE INTO tracking_tags (run_pk, key, value) VALUES (?, 'mlflow.runName', ?)", arguments: [key.pk, runName])
            }
            guard let run = try Self.loadRuns(db, pks: [key.pk], infoOnly: true).first else { throw TrackingError.runNotFound(runID) }
            return run.info
        }
    }

    public func setRunLifecycle(id runID: String, deleted: Bool) async throws {
        try await db.write { db in
            let key = try Self.runKey(db, runID)
            if !deleted {
                let stage = try Self.experimentStage(db, key.experimentID, String(key.experimentID))
                if stage != "active" {
                    throw TrackingError.invalidParameter("Cannot restore run \(runID) because its experiment \(key.experimentID) is deleted.")
                }
            }
            try db.execute(
                sql: "UPDATE tracking_runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_pk = ?",
                arguments: [deleted ? "deleted" : "active", deleted ? Clock.nowMillis() : nil, key.pk])
        }
    }

    /// Logs metrics, params and tags in one transaction (MLflow's log-batch; also backs the single-item calls).
    public func logBatch(runID: String, metrics: [Metric], params: [KeyValue], tags: [KeyValue]) async throws {
        try await logBatchQueue.submit(LogBatchWrite(runID: runID, metrics: metrics, params: params, tags: tags))
    }

    /// One log-batch request as the group-commit queue carries it.
    struct LogBatchWrite: Sendable {
        let runID: String
        let metrics: [Metric]
        let params: [KeyValue]
        let tags: [KeyValue]
    }

    static func applyLogBatch(_ db: Database, _ write: LogBatchWrite) throws {
        let key = try activeRunKey(db, write.runID)
        try insertParams(db, key: key, runID: write.runID, params: write.params)
        try insertMetrics(db, runPK: key.pk, metrics: write.metrics)
        if !write.tags.isEmpty {
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tracking_tags (run_pk, key, value) VALUES (?, ?, ?)")
            for tag in write.tags {
                try statement.execute(arguments: [key.pk, tag.key, tag.value])
                if tag.key == "mlflow.runName" {
                    try db.execute(sql: "UPDATE tracking_runs SET run_name = ? WHERE run_pk = ?", arguments: [tag.value, key.pk])
                }
            }
        }
    }

    static func insertParams(_ db: Database, key: RunKey, runID: String, params: [KeyValue]) throws {
        guard !params.isEmpty else { return }
        var seen: [String: String] = [:]
        for param in params {
            if let earlier = seen[param.key], earlier != param.value {
                throw TrackingError.invalidParameter(
                    "Duplicate parameter keys have been submitted: \(param.key) with values '\(earlier)' and '\(param.value)'.")
            }
            seen[param.key] = param.value
        }
        let select = try db.cachedStatement(sql: "SELECT value FROM tracking_params WHERE run_pk = ? AND key = ?")
        let insert = try db.cachedStatement(sql: "INSERT INTO tracking_params (run_pk, key, value) VALUES (?, ?, ?)")
        for (name, value) in seen {
            if let existing = try String.fetchOne(select, arguments: [key.pk, name]) {
                if existing != value {
                    throw TrackingError.invalidParameter(
                        "Changing param values is not allowed. Param with key='\(name)' was already logged with value='\(existing)' for run ID='\(runID)'. Attempted logging new value '\(value)'."
                    )
                }
            } else {
                try insert.execute(arguments: [key.pk, name, value])
            }
        }
    }

    /// Rows per multi-row INSERT: far fewer statement executions for a 1000-metric batch.
    static let rowsPerInsert = 100

    /// The multi-row statements' SQL per row count, built once (not per request).
    static let metricInsertSQL: [String] = (0...rowsPerInsert).map { n in
        "INSERT OR IGNORE INTO tracking_metrics (run_pk, key, step, timestamp, value, is_nan, dataset_name, dataset_digest, model_id) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: n).joined(separator: ", ")
    }

    static let latestUpsertSQL: [String] = (0...rowsPerInsert).map { n in
        "INSERT INTO tracking_latest_metrics (run_pk, key, value, is_nan, timestamp, step) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: n).joined(separator: ", ")
            + """

             ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan,
                timestamp = excluded.timestamp, step = excluded.step
            WHERE (excluded.step, excluded.timestamp, excluded.value) >= (tracking_latest_metrics.step, tracking_latest_metrics.timestamp, tracking_latest_metrics.value)
            """
    }

    static func insertMetrics(_ db: Database, runPK: Int64, metrics: [Metric]) throws {
        guard !metrics.isEmpty else { return }
        // One sort by key (input order kept among equal keys) serves both statements: rows land on
        // neighbouring b-tree positions (a batch usually shares one step, so key order is primary-key
        // order), and the newest value per key — max step, then timestamp, then value, MLflow's rule,
        // later entries winning ties — falls out of one pass over each key's run, with no hashing.
        let order = metrics.indices.sorted { a, b in
            let ka = metrics[a].key, kb = metrics[b].key
            return ka != kb ? ka < kb : a < b
        }
        let ordered = order.map { metrics[$0] }
        var newest: [Metric] = []
        newest.reserveCapacity(ordered.count)
        for metric in ordered {
            if let last = newest.last, last.key == metric.key {
                if Self.isNewer(metric, than: last) { newest[newest.count - 1] = metric }
            } else {
                newest.append(metric)
            }
        }
        for chunk in ordered.chunked(rowsPerInsert) {
            let statement = try db.cachedStatement(sql: metricInsertSQL[chunk.count])
            var insert = RawInsert(statement)
            for metric in chunk {
                let isNaN = metric.value.isNaN
                insert.bind(runPK)
                insert.bind(metric.key)
                insert.bind(metric.step)
                insert.bind(metric.timestamp)
                insert.bind(isNaN ? 0.0 : metric.value)
                insert.bind(isNaN)
                insert.bind(metric.dataset_name)
                insert.bind(metric.dataset_digest)
                insert.bind(metric.model_id)
            }
            try insert.run(db)
        }
        for chunk in newest.chunked(rowsPerInsert) {
            let statement = try db.cachedStatement(sql: latestUpsertSQL[chunk.count])
            var insert = RawInsert(statement)
            for metric in chunk {
                let isNaN = metric.value.isNaN
                insert.bind(runPK)
                insert.bind(metric.key)
                insert.bind(isNaN ? 0.0 : metric.value)
                insert.bind(isNaN)
                insert.bind(metric.timestamp)
                insert.bind(metric.step)
            }
            try insert.run(db)
        }
        // The search copy catches up later (before the next search, or in the background).
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO tracking_search_metrics_pending (run_pk) VALUES (?)").execute(arguments: [runPK])
    }

    static func isNewer(_ a: Metric, than b: Metric) -> Bool {
        if a.step != b.step { return a.step > b.step }
        if a.timestamp != b.timestamp { return a.timestamp > b.timestamp }
        let av = a.value.isNaN ? 0 : a.value
        let bv = b.value.isNaN ? 0 : b.value
        return av >= bv
    }

    public func deleteTag(runID: String, key name: String) async throws {
        try await db.write { db in
            let key = try Self.activeRunKey(db, runID)
            try db.execute(sql: "DELETE FROM tracking_tags WHERE run_pk = ? AND key = ?", arguments: [key.pk, name])
            if db.changesCount == 0 {
                throw TrackingError.notFound("No tag with name: \(name) in run with id \(runID)")
            }
        }
    }

    public func logInputs(runID: String, datasets: [DatasetInput], models: [ModelInput]) async throws {
        try await db.write { db in
            let key = try Self.activeRunKey(db, runID)
            for input in datasets {
                let d = input.dataset
                try db.execute(
                    sql: """
                        INSERT INTO tracking_datasets (experiment_id, name, digest, source_type, source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (experiment_id, name, digest) DO NOTHING
                        """,
                    arguments: [key.experimentID, d.name, d.digest, d.source_type, d.source, d.schema, d.profile])
                guard let datasetPK = try Int64.fetchOne(
                    db, sql: "SELECT dataset_pk FROM tracking_datasets WHERE experiment_id = ? AND name = ? AND digest = ?",
                    arguments: [key.experimentID, d.name, d.digest])
                else { continue }
                try db.execute(
                    sql: "INSERT OR IGNORE INTO tracking_inputs (run_pk, dataset_pk) VALUES (?, ?)", arguments: [key.pk, datasetPK])
                guard let inputPK = try Int64.fetchOne(
                    db, sql: "SELECT input_pk FROM tracking_inputs WHERE run_pk = ? AND dataset_pk = ?", arguments: [key.pk, datasetPK])
                else { continue }
                for tag in input.tags ?? [] {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO tracking_input_tags (input_pk, key, value) VALUES (?, ?, ?)",
                        arguments: [inputPK, tag.key, tag.value])
                }
            }
            for model in models {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO tracking_run_models (run_pk, direction, model_id, step) VALUES (?, 'input', ?, 0)",
                    arguments: [key.pk, model.model_id])
            }
        }
    }

    public func logOutputs(runID: String, models: [ModelOutput]) async throws {
        try await db.write { db in
            let key = try Self.activeRunKey(db, runID)
            for model in models {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO tracking_run_models (run_pk, direction, model_id, step) VALUES (?, 'output', ?, ?)",
                    arguments: [key.pk, model.model_id, model.step])
            }
        }
    }

    public func metricHistory(runID: String, key name: String, maxResults: Int?, pageToken: String?) async throws -> Page<Metric> {
        let offset = try PageToken.decode(pageToken)
        return try await db.read { db in
            let key = try Self.runKey(db, runID)
            let limit = maxResults.map { $0 + 1 } ?? -1
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT key, value, is_nan, timestamp, step, dataset_name, dataset_digest, model_id FROM tracking_metrics
                    WHERE run_pk = ? AND key = ? ORDER BY step, timestamp, value LIMIT ? OFFSET ?
                    """,
                arguments: [key.pk, name, limit, offset])
            var metrics = rows.map { Self.metric(from: $0) }
            var next: String?
            if let maxResults, metrics.count > maxResults {
                metrics.removeLast()
                next = PageToken.encode(offset + maxResults)
            }
            return Page(items: metrics, nextPageToken: next)
        }
    }

    /// Metric values of several runs at up to `maxResults` evenly spaced steps (the UI's chart query).
    public func metricHistoryBulkInterval(runIDs: [String], key name: String, startStep: Int64?, endStep: Int64?, maxResults: Int) async throws
        -> [Metric]
    {
        try await db.read { db in
            var out: [Metric] = []
            for runID in runIDs {
                let key = try Self.runKey(db, runID)
                let steps = try Int64.fetchAll(
                    db,
                    sql: "SELECT DISTINCT step FROM tracking_metrics WHERE run_pk = ? AND key = ? AND step >= ? AND step <= ? ORDER BY step",
                    arguments: [key.pk, name, startStep ?? Int64.min, endStep ?? Int64.max])
                let chosen = Self.sample(steps, maxResults)
                let wanted = Set(chosen)
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT key, value, is_nan, timestamp, step, dataset_name, dataset_digest, model_id FROM tracking_metrics
                        WHERE run_pk = ? AND key = ? AND step >= ? AND step <= ? ORDER BY step, timestamp
                        """,
                    arguments: [key.pk, name, chosen.first ?? 0, chosen.last ?? -1])
                for row in rows {
                    var metric = Self.metric(from: row)
                    guard wanted.contains(metric.step) else { continue }
                    metric.run_id = runID
                    out.append(metric)
                }
            }
            return out
        }
    }

    /// Up to `count` items evenly spread over `items`, always keeping the first and the last.
    static func sample(_ items: [Int64], _ count: Int) -> [Int64] {
        guard items.count > count, count > 1 else { return Array(items.prefix(max(count, 0))) }
        var out: [Int64] = []
        let span = Double(items.count - 1) / Double(count - 1)
        for i in 0..<count { out.append(items[Int((Double(i) * span).rounded())]) }
        return Array(Set(out)).sorted()
    }

    static func metric(from row: Row) -> Metric {
        let isNaN: Bool = row["is_nan"]
        return Metric(
            key: row["key"], value: isNaN ? .nan : row["value"], timestamp: row["timestamp"], step: row["step"],
            datasetName: row["dataset_name"], datasetDigest: row["dataset_digest"], modelID: row["model_id"])
    }

    // MARK: - Search

    public func searchRuns(experimentIDs: [String], filter: String?, orderBy: [String], viewType: ViewType, maxResults: Int, pageToken: String?)
        async throws -> Page<Run>
    {
        let conditions = try SearchFilterParser().parse(filter)
        let clauses = try orderBy.map(OrderClause.parse)
        let offset = try PageToken.decode(pageToken)
        let ids = try experimentIDs.map(Self.experimentNumber)
        guard !ids.isEmpty else { return Page(items: [], nextPageToken: nil) }
        let wanted = offset + maxResults + 1
        let queries = try RunSearchCompiler.compileSegments(
            experimentIDs: ids, filter: conditions, orderBy: clauses, viewType: viewType, limit: wanted)
        // Every metric written before this search began is visible to it (a search on no metric reads no copy).
        if try RunSearchCompiler.readsSearchMetrics(filter: conditions, orderBy: clauses) { try await syncSearchMetrics() }
        return try await db.read { db in
            var all: [Int64] = []
            for query in queries where all.count < wanted {
                all += try Int64.fetchAll(db.cachedStatement(sql: query.sql), arguments: query.arguments)
            }
            var pks = Array(all.dropFirst(offset).prefix(maxResults + 1))
            var next: String?
            if pks.count > maxResults {
                pks.removeLast()
                next = PageToken.encode(offset + maxResults)
            }
            return Page(items: try Self.loadRuns(db, pks: pks), nextPageToken: next)
        }
    }

    // MARK: - Loading

    /// Loads whole runs (info, latest metrics, params, tags, inputs, outputs) in the order given.
    static func loadRuns(_ db: Database, pks: [Int64], infoOnly: Bool = false) throws -> [Run] {
        guard !pks.isEmpty else { return [] }
        var runs: [Int64: Run] = [:]
        for chunk in pks.chunked(chunkSize) {
            let marks = chunk.map { _ in "?" }.joined(separator: ",")
            let args = StatementArguments(chunk)
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT run_pk, run_id, experiment_id, run_name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage
                    FROM tracking_runs WHERE run_pk IN (\(marks))
                    """, arguments: args)
            {
                let runID: String = row["run_id"]
                let experimentID: Int64 = row["experiment_id"]
                let info = RunInfo(
                    run_id: runID, run_uuid: runID, run_name: row["run_name"], experiment_id: String(experimentID), user_id: row["user_id"],
                    status: row["status"], start_time: row["start_time"], end_time: row["end_time"], artifact_uri: row["artifact_uri"],
                    lifecycle_stage: row["lifecycle_stage"])
                runs[row["run_pk"]] = Run(
                    info: info, data: RunData(metrics: [], params: [], tags: []), inputs: RunInputs(dataset_inputs: [], model_inputs: []),
                    outputs: RunOutputs(model_outputs: []))
            }
            if infoOnly { continue }
            for row in try Row.fetchAll(
                db, sql: "SELECT run_pk, key, value, is_nan, timestamp, step FROM tracking_latest_metrics WHERE run_pk IN (\(marks)) ORDER BY run_pk, key",
                arguments: args)
            {
                let isNaN: Bool = row[3]
                runs[row[0]]?.data.metrics?.append(Metric(key: row[1], value: isNaN ? .nan : row[2], timestamp: row[4], step: row[5]))
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT run_pk, key, value FROM tracking_params WHERE run_pk IN (\(marks)) ORDER BY run_pk, key", arguments: args)
            {
                runs[row[0]]?.data.params?.append(KeyValue(key: row[1], value: row[2]))
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT run_pk, key, value FROM tracking_tags WHERE run_pk IN (\(marks)) ORDER BY run_pk, key", arguments: args)
            {
                runs[row[0]]?.data.tags?.append(KeyValue(key: row[1], value: row[2]))
            }
            let inputRows = try Row.fetchAll(
                db,
                sql: """
                    SELECT i.run_pk, i.input_pk, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
                    FROM tracking_inputs i JOIN tracking_datasets d ON d.dataset_pk = i.dataset_pk
                    WHERE i.run_pk IN (\(marks)) ORDER BY i.run_pk, i.input_pk
                    """, arguments: args)
            if !inputRows.isEmpty {
                let inputPKs: [Int64] = inputRows.map { $0[1] }
                var tagsByInput: [Int64: [KeyValue]] = [:]
                for inputChunk in inputPKs.chunked(chunkSize) {
                    let inputMarks = inputChunk.map { _ in "?" }.joined(separator: ",")
                    for row in try Row.fetchAll(
                        db, sql: "SELECT input_pk, key, value FROM tracking_input_tags WHERE input_pk IN (\(inputMarks)) ORDER BY key",
                        arguments: StatementArguments(inputChunk))
                    {
                        tagsByInput[row[0], default: []].append(KeyValue(key: row[1], value: row[2]))
                    }
                }
                for row in inputRows {
                    let dataset = Dataset(name: row[2], digest: row[3], source_type: row[4], source: row[5], schema: row[6], profile: row[7])
                    runs[row[0]]?.inputs.dataset_inputs?.append(DatasetInput(tags: tagsByInput[row[1]] ?? [], dataset: dataset))
                }
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT run_pk, direction, model_id, step FROM tracking_run_models WHERE run_pk IN (\(marks)) ORDER BY run_pk, model_id",
                arguments: args)
            {
                let direction: String = row[1]
                if direction == "input" {
                    runs[row[0]]?.inputs.model_inputs?.append(ModelInput(model_id: row[2]))
                } else {
                    runs[row[0]]?.outputs.model_outputs?.append(ModelOutput(model_id: row[2], step: row[3]))
                }
            }
        }
        return pks.compactMap { pk in
            guard var run = runs[pk] else { return nil }
            if run.data.metrics?.isEmpty == true { run.data.metrics = nil }
            if run.data.params?.isEmpty == true { run.data.params = nil }
            if run.data.tags?.isEmpty == true { run.data.tags = nil }
            if run.inputs.dataset_inputs?.isEmpty == true { run.inputs.dataset_inputs = nil }
            if run.inputs.model_inputs?.isEmpty == true { run.inputs.model_inputs = nil }
            if run.outputs.model_outputs?.isEmpty == true { run.outputs.model_outputs = nil }
            return run
        }
    }
}

/// MLflow-style random run names ("bright-fox-123") for runs created without one.
enum RunNames {
    static let adjectives = [
        "able", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fair", "gentle", "grand", "happy", "keen", "kind",
        "lively", "lucky", "merry", "neat", "nimble", "proud", "quick", "quiet", "rare", "silent", "smooth", "swift", "tidy", "vast",
        "warm", "wise",
    ]
    static let nouns = [
        "ant", "bat", "bear", "bee", "cat", "colt", "crab", "crow", "deer", "dove", "eel", "elk", "finch", "fox", "frog", "goat", "hawk",
        "lark", "lynx", "mole", "moth", "newt", "owl", "ram", "seal", "shark", "slug", "snail", "toad", "wolf",
    ]

    static func random() -> String {
        "\(adjectives.randomElement()!)-\(nouns.randomElement()!)-\(Int.random(in: 100...999))"
    }
}
