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
