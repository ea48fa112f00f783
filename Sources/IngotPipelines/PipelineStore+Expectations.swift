import Foundation
import GRDB
import IngotCore

/// One expectation's counts in one update of a pipeline that writes a given table.
public struct TableExpectationResult: Sendable, Equatable {
    public var updateID: String
    public var pipelineID: String
    public var timestamp: Int64
    public var name: String
    public var action: String
    public var passedRecords: Int64
    public var failedRecords: Int64
}

extension PipelineStore {
    /// Expectation results recorded for the dataset that is `catalog.schema.table` (a pipeline's
    /// datasets are tables in its settings' catalog and schema), newest update first.
    public func expectationResults(catalog: String, schema: String, table: String, limit: Int = 500) async throws -> [TableExpectationResult] {
        try await metadata.writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.update_id, u.pipeline_id, COALESCE(u.end_time, u.start_time, u.creation_time) AS t, e.name, e.action,
                       e.passed_records, e.failed_records
                FROM pipeline_expectation_metrics e
                JOIN pipeline_updates u ON u.update_id = e.update_id
                JOIN pipelines p ON p.pipeline_id = u.pipeline_id
                WHERE lower(e.dataset) = ? AND lower(json_extract(p.settings, '$.catalog')) = ? AND lower(json_extract(p.settings, '$.schema')) = ?
                ORDER BY t DESC, e.rowid LIMIT ?
                """, arguments: [table.lowercased(), catalog.lowercased(), schema.lowercased(), limit])
        }.map {
            TableExpectationResult(updateID: $0["update_id"], pipelineID: $0["pipeline_id"], timestamp: $0["t"], name: $0["name"], action: $0["action"],
                                   passedRecords: $0["passed_records"], failedRecords: $0["failed_records"])
        }
    }
}
