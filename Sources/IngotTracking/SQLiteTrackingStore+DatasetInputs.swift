import Foundation
import GRDB

/// One dataset logged as a run's input (`mlflow.log_input`), with where the client said it came from.
public struct RunDatasetInput: Sendable, Equatable {
    public var runID: String
    public var runName: String?
    public var experimentID: String
    public var name: String
    public var digest: String
    public var sourceType: String
    public var source: String
    public var context: String?
}

extension SQLiteTrackingStore {
    /// Every dataset input of every active run, for the catalog's lineage graph.
    public func allDatasetInputs() async throws -> [RunDatasetInput] {
        try await db.read { db in
            try Row.fetchAll(
                db, sql: """
                    SELECT r.run_id, r.run_name, r.experiment_id, d.name, d.digest, d.source_type, d.source,
                           (SELECT value FROM tracking_input_tags t WHERE t.input_pk = i.input_pk AND t.key = 'mlflow.data.context') AS context
                    FROM tracking_inputs i
                    JOIN tracking_runs r ON r.run_pk = i.run_pk
                    JOIN tracking_datasets d ON d.dataset_pk = i.dataset_pk
                    WHERE r.lifecycle_stage = 'active'
                    ORDER BY i.input_pk
                    """
            ).map { r in
                RunDatasetInput(
                    runID: r["run_id"], runName: r["run_name"], experimentID: String(r["experiment_id"] as Int64), name: r["name"], digest: r["digest"],
                    sourceType: r["source_type"], source: r["source"], context: r["context"])
            }
        }
    }
}
