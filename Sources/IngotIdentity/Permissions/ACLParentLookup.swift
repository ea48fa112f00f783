import GRDB
import IngotStorage

/// Maps request ids to the object that carries the ACL (a run to its experiment, a job run to its job).
/// Reads the tracking and jobs tables of the shared metadata database by name: ACLs live on experiments
/// and jobs, while many requests name only a run.
public struct ACLParentLookup: Sendable {
    let reader: any DatabaseReader

    public init(metadata: MetadataStore) { self.reader = metadata.writer }

    public func experiment(ofRun id: String) async throws -> String? {
        try await reader.read { db in try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_runs WHERE run_id = ?", arguments: [id]).map(String.init) }
    }

    public func experiment(named name: String) async throws -> String? {
        try await reader.read { db in try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_experiments WHERE name = ?", arguments: [name]).map(String.init) }
    }

    public func job(ofRun id: String) async throws -> String? {
        try await reader.read { db in try Int64.fetchOne(db, sql: "SELECT job_id FROM job_runs WHERE run_id = ?", arguments: [id]).map(String.init) }
    }

    public func model(ofRequest id: String) async throws -> String? {
        try await reader.read { db in
            try String.fetchOne(
                db, sql: "SELECT m.name FROM registry_requests r JOIN registry_models m ON m.model_pk = r.model_pk WHERE r.request_id = ?", arguments: [id])
        }
    }

    public func experiment(ofLoggedModel id: String) async throws -> String? {
        try await reader.read { db in
            try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_logged_models WHERE model_id = ?", arguments: [id]).map(String.init)
        }
    }

    public func experiment(ofTrace id: String) async throws -> String? {
        try await reader.read { db in
            try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_traces WHERE trace_id = ?", arguments: [id]).map(String.init)
        }
    }
}
