import Foundation
import IngotStorage
import Testing
@testable import IngotTracking

@Suite struct SQLiteTrackingStoreTests {
    func makeStore() throws -> SQLiteTrackingStore {
        let metadata = try MetadataStore(inMemoryWith: TrackingModule.migrations)
        try metadata.migrate()
        return SQLiteTrackingStore(metadata: metadata)
    }

    @Test func defaultExperimentExists() async throws {
        let store = try makeStore()
        let experiment = try await store.getExperiment(id: "0")
        #expect(experiment.name == "Default" && experiment.artifact_location == "mlflow-artifacts:/0")
    }

    @Test func duplicateExperimentIsRejected() async throws {
        let store = try makeStore()
        let id = try await store.createExperiment(name: "e", artifactLocation: nil, tags: [])
        #expect(id == "1")
        await #expect(throws: TrackingError.self) { try await store.createExperiment(name: "e", artifactLocation: nil, tags: []) }
    }

    @Test func latestMetricFollowsStepThenTimestamp() async throws {
        let store = try makeStore()
        let run = try await store.createRun(experimentID: "0", userID: "u", runName: "r", startTime: 1, tags: [])
        let id = run.info.run_id
        try await store.logBatch(
            runID: id,
            metrics: [
                Metric(key: "m", value: 5, timestamp: 100, step: 2), Metric(key: "m", value: 9, timestamp: 200, step: 1),
                Metric(key: "m", value: 7, timestamp: 50, step: 2),
            ], params: [], tags: [])
        try await store.logBatch(runID: id, metrics: [Metric(key: "m", value: 1, timestamp: 999, step: 0)], params: [], tags: [])
        let fetched = try await store.getRun(id: id)
        #expect(fetched.data.metrics == [Metric(key: "m", value: 5, timestamp: 100, step: 2)])
        let history = try await store.metricHistory(runID: id, key: "m", maxResults: nil, pageToken: nil)
        #expect(history.items.count == 4)
    }

    @Test func paramsAreImmutableAndBatchesAtomic() async throws {
        let store = try makeStore()
        let id = try await store.createRun(experimentID: "0", userID: nil, runName: nil, startTime: nil, tags: []).info.run_id
        try await store.logBatch(runID: id, metrics: [], params: [KeyValue(key: "p", value: "1")], tags: [])
        await #expect(throws: TrackingError.self) {
            try await store.logBatch(
                runID: id, metrics: [Metric(key: "x", value: 1, timestamp: 1, step: 0)], params: [KeyValue(key: "p", value: "2")], tags: [])
        }
        let run = try await store.getRun(id: id)
        #expect(run.data.metrics == nil)
        #expect(run.info.run_name?.isEmpty == false)
    }

    @Test func searchOrdersByMetricWithNullsLast() async throws {
        let store = try makeStore()
        var ids: [String] = []
        for i in 0..<4 {
            let id = try await store.createRun(experimentID: "0", userID: nil, runName: "r\(i)", startTime: Int64(i), tags: []).info.run_id
            if i != 2 { try await store.logBatch(runID: id, metrics: [Metric(key: "acc", value: Double(i), timestamp: 0, step: 0)], params: [], tags: []) }
            ids.append(id)
        }
        let page = try await store.searchRuns(
            experimentIDs: ["0"], filter: nil, orderBy: ["metrics.acc DESC"], viewType: .activeOnly, maxResults: 10, pageToken: nil)
        #expect(page.items.map { $0.info.run_name } == ["r3", "r1", "r0", "r2"])
        let filtered = try await store.searchRuns(
            experimentIDs: ["0"], filter: "metrics.acc >= 1", orderBy: [], viewType: .activeOnly, maxResults: 1, pageToken: nil)
        #expect(filtered.items.map { $0.info.run_name } == ["r3"])
        let next = try await store.searchRuns(
            experimentIDs: ["0"], filter: "metrics.acc >= 1", orderBy: [], viewType: .activeOnly, maxResults: 1, pageToken: filtered.nextPageToken)
        #expect(next.items.map { $0.info.run_name } == ["r1"])
    }

    /// Searches read a copy of the latest metrics that is synced lazily: a search must still see
    /// every value logged before it (moved values re-ordered, new keys found), and the background
    /// sync must leave nothing pending.
    @Test func searchSeesEveryMetricLoggedBeforeIt() async throws {
        let store = try makeStore()
        var ids: [String] = []
        for i in 0..<3 {
            let id = try await store.createRun(experimentID: "0", userID: nil, runName: "r\(i)", startTime: Int64(i), tags: []).info.run_id
            try await store.logBatch(runID: id, metrics: [Metric(key: "loss", value: Double(i), timestamp: 0, step: 0)], params: [], tags: [])
            ids.append(id)
        }
        func order(_ filter: String? = nil) async throws -> [String?] {
            try await store.searchRuns(
                experimentIDs: ["0"], filter: filter, orderBy: ["metrics.loss ASC"], viewType: .activeOnly, maxResults: 10, pageToken: nil
            ).items.map { $0.info.run_name }
        }
        #expect(try await order() == ["r0", "r1", "r2"])
        // r0's loss moves past the others at a later step; an older step never wins.
        try await store.logBatch(runID: ids[0], metrics: [Metric(key: "loss", value: 9, timestamp: 0, step: 1)], params: [], tags: [])
        try await store.logBatch(runID: ids[0], metrics: [Metric(key: "loss", value: -5, timestamp: 0, step: 0)], params: [], tags: [])
        #expect(try await order() == ["r1", "r2", "r0"])
        #expect(try await order("metrics.loss > 1.5") == ["r2", "r0"])
        // A NaN sorts after the finite values; a key a run never had is found once logged.
        try await store.logBatch(runID: ids[1], metrics: [Metric(key: "loss", value: .nan, timestamp: 0, step: 5)], params: [], tags: [])
        try await store.logBatch(runID: ids[2], metrics: [Metric(key: "acc", value: 0.5, timestamp: 0, step: 0)], params: [], tags: [])
        #expect(try await order() == ["r2", "r0", "r1"])
        #expect(try await order("metrics.acc = 0.5") == ["r2"])
        // Everything is synced now; a write leaves its run pending until the next sync.
        #expect(try await store.syncSearchMetrics() == 0)
        try await store.logBatch(runID: ids[1], metrics: [Metric(key: "loss", value: 1, timestamp: 0, step: 6)], params: [], tags: [])
        #expect(try await store.syncSearchMetrics() == 1)
        #expect(try await order() == ["r1", "r2", "r0"])
    }

    /// Only a search that filters or orders on a metric reads the search copy, so only such a search syncs it first;
    /// the runs any search returns carry their latest metrics either way.
    @Test func searchSyncsMetricsOnlyWhenItReadsThem() async throws {
        let store = try makeStore()
        let id = try await store.createRun(experimentID: "0", userID: nil, runName: "r", startTime: 0, tags: []).info.run_id
        try await store.logBatch(runID: id, metrics: [], params: [KeyValue(key: "lr", value: "0.1")], tags: [KeyValue(key: "team", value: "a")])
        try await store.syncSearchMetrics()
        func search(_ filter: String?, _ orderBy: [String]) async throws -> [Run] {
            try await store.searchRuns(experimentIDs: ["0"], filter: filter, orderBy: orderBy, viewType: .activeOnly, maxResults: 10, pageToken: nil).items
        }
        let quiet: [(String?, [String])] = [
            (nil, []), ("params.lr = '0.1'", []), ("tags.team = 'a'", ["params.lr DESC"]), ("attributes.run_name = 'r'", ["start_time DESC"]),
        ]
        let syncing: [(String?, [String])] = [
            ("metrics.loss < 100", []), (nil, ["metrics.loss ASC"]), ("params.lr = '0.1'", ["metric.loss DESC"]), ("metric.loss >= 0", ["params.lr"]),
        ]
        var value = 0.0
        for (filter, orderBy) in quiet {
            value += 1
            try await store.logBatch(runID: id, metrics: [Metric(key: "loss", value: value, timestamp: 0, step: Int64(value))], params: [], tags: [])
            let runs = try await search(filter, orderBy)
            #expect(runs.first?.data.metrics?.first { $0.key == "loss" }?.value == value, "\(filter ?? "-") \(orderBy)")
            // The run's new metric is still waiting for the sync: the search did not do it.
            #expect(try await store.syncSearchMetrics() == 1, "\(filter ?? "-") \(orderBy)")
        }
        for (filter, orderBy) in syncing {
            value += 1
            try await store.logBatch(runID: id, metrics: [Metric(key: "loss", value: value, timestamp: 0, step: Int64(value))], params: [], tags: [])
            #expect(try await search(filter, orderBy).map(\.info.run_id) == [id], "\(filter ?? "-") \(orderBy)")
            #expect(try await store.syncSearchMetrics() == 0, "\(filter ?? "-") \(orderBy)")
        }
        // The check agrees with the SQL: exactly the searches it lets skip the sync never read the copy.
        for (filter, orderBy) in quiet + syncing {
            let conditions = try SearchFilterParser().parse(filter)
            let clauses = try orderBy.map(OrderClause.parse)
            let queries = try RunSearchCompiler.compileSegments(experimentIDs: [0], filter: conditions, orderBy: clauses, viewType: .activeOnly, limit: 10)
            #expect(
                try RunSearchCompiler.readsSearchMetrics(filter: conditions, orderBy: clauses) == queries.contains { $0.sql.contains("tracking_search_metrics") },
                "\(filter ?? "-") \(orderBy)")
        }
    }

    @Test(arguments: ["../x", "a/../../b", "/etc/passwd", "a//b", "a/./b", "a\\b"])
    func artifactPathsCannotEscape(_ path: String) {
        #expect(throws: TrackingError.self) { try ArtifactRepository.cleanPath(path) }
    }

    @Test func artifactURIsMapToProxyPaths() throws {
        #expect(try ArtifactRepository.proxyPath(forURI: "mlflow-artifacts:/3/abc/artifacts") == "3/abc/artifacts")
        #expect(try ArtifactRepository.proxyPath(root: "mlflow-artifacts:/3/abc/artifacts", relative: "model/MLmodel") == "3/abc/artifacts/model/MLmodel")
        #expect(throws: TrackingError.self) { try ArtifactRepository.proxyPath(forURI: "s3://bucket/x") }
    }
}
