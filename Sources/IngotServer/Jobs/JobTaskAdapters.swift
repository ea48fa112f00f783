import Foundation
import IngotCatalog
import IngotCore
import IngotIdentity
import IngotLake
import IngotPipelines

/// A `pipeline_task`: starts an update through the pipelines service and waits for it to finish.
struct PipelineJobTasks: PipelineTaskRunning {
    let pipelines: PipelineService
    /// With authentication on: the pipeline owner's catalog privileges, checked before the update starts.
    var tableAccess: PipelineTableAccess?

    func runPipeline(id: String, fullRefresh: Bool, context: JobTaskContext) async throws -> String {
        try await tableAccess?.check(id)
        let update = try await pipelines.start(id, fullRefresh: fullRefresh, cause: "JOB_TASK")
        do {
            while true {
                let u = try await pipelines.store.update(update.id)
                switch u.state {
                case "COMPLETED": return "pipeline \(u.pipelineID) update \(u.id) COMPLETED"
                case "FAILED", "CANCELED": throw JobError(.invalidState, "pipeline \(u.pipelineID) update \(u.id) \(u.state)\(u.error.map { ": " + $0 } ?? "")")
                default: try await Task.sleep(nanoseconds: 250_000_000)
                }
            }
        } catch where Task.isCancelled {
            // The job run was cancelled or timed out: the update is stopped too (from a task of its
            // own, since a cancelled task's metadata-store calls throw).
            let pipelines = self.pipelines
            _ = await Task { try? await pipelines.stop(update.pipelineID, wait: true) }.value
            throw error
        }
    }
}

/// An `sql_task`: runs its statements in order on one embedded-engine session as the run's creator.
/// With authentication on (`authorizer` set), every table a statement touches is checked against
/// the catalog privileges of the job's owner (IS_OWNER in its ACL, else its creator) — whoever
/// started the run, as Databricks runs a job as its owner — the same way as a statement sent through
/// the API; an owner that no longer exists may touch nothing. One-time runs (`runs/submit`, admin
/// only) run as their submitter.
struct SQLJobTasks: SQLTaskRunning {
    let tables: TableService
    var authorizer: ACLAuthorizer?
    var identity: IdentityService?
    var jobs: JobStore?

    /// The principal the job's statements run as.
    func owner(_ context: JobTaskContext) async throws -> String {
        guard let jobID = context.jobID else { return context.principal }
        if let authorizer,
            let row = try await authorizer.store.rows(objectType: ACLObjectType.jobs.rawValue, objectID: String(jobID)).first(where: { $0.level == "IS_OWNER" })
        {
            return row.principal
        }
        return try await jobs?.job(jobID).creator ?? context.principal
    }

    func resolver(_ context: JobTaskContext) async throws -> any TableResolver {
        let base = NamespaceTableResolver(tables: tables, owner: context.principal)
        guard let authorizer, let identity else { return base }
        let owner = try await owner(context)
        guard let caller = try await identity.principal(named: owner) else {
            throw IngotFailure(.permissionDenied, "the job runs as '\(owner)', who no longer exists")
        }
        return caller.isAdmin
            ? base : AuthorizingTableResolver(base: base, caller: caller, authorizer: authorizer, principals: { try await identity.principal(named: $0) })
    }

    func runSQL(_ statements: [String], catalog: String?, schema: String?, context: JobTaskContext) async throws -> String {
        let engine = try SQLEngine(
            resolver: try await resolver(context),
            options: SQLEngineOptions(catalog: catalog ?? "main", schema: schema ?? "default"))
        var lines: [String] = []
        for (i, statement) in statements.enumerated() {
            let execution = try await withTaskCancellationHandler {
                try await engine.execute(statement) { _ in }
            } onCancel: {
                engine.cancel()
            }
            var line = "statement \(i + 1): \(execution.rowCount) row(s)"
            if let a = execution.affectedRows { line += ", \(a) affected" }
            if let v = execution.tableVersion { line += ", table version \(v)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
