import Foundation
import IngotCore
import IngotIdentity
import IngotPipelines

/// With authentication on, a pipeline update runs with the catalog privileges of the pipeline's
/// owner (its creator), whoever starts it (the API, a job's `pipeline_task`, its schedule): before the update
/// starts, the owner needs SELECT on every table outside the pipeline that it reads and, for each
/// dataset, MODIFY on its table or CREATE TABLE on the target schema (with USE CATALOG / USE
/// SCHEMA, as in Unity Catalog). An owner that no longer exists may run nothing; administrators
/// pass. A definition that does not load is left to the update itself to report.
struct PipelineTableAccess: PipelineUpdateGate {
    let pipelines: PipelineService
    let authorizer: ACLAuthorizer
    let identity: IdentityService

    func allowed(_ owner: Principal, _ privilege: String, _ name: String) async throws -> Bool {
        try await authorizer.check(owner, AccessRequest(objectType: "uc:table", objectID: name, privilege: privilege))
    }

    /// Every update, whoever started it (the schedule included), passes here before it runs.
    func checkUpdate(_ pipeline: PipelineRecord) async throws { try await check(pipeline.id) }

    func check(_ idOrName: String) async throws {
        let p = try await pipelines.store.pipeline(idOrName)
        guard let owner = try await identity.principal(named: p.creator) else {
            throw IngotFailure(.permissionDenied, "pipeline \(p.id) belongs to '\(p.creator)', who no longer exists")
        }
        if owner.isAdmin { return }
        guard let definition = try? PipelineDefinition.load(directory: URL(fileURLWithPath: p.rootPath)) else { return }
        let catalog = p.settings.catalog
        let schema = "\(catalog).\(p.settings.schema)"
        for parts in definition.externalTables {
            let name = (parts.count >= 3 ? parts : (parts.count == 2 ? [catalog] + parts : [catalog, p.settings.schema] + parts)).joined(separator: ".")
            guard try await allowed(owner, "SELECT", name) else {
                throw IngotFailure(.permissionDenied, "pipeline \(p.id) runs as \(owner.name), who requires SELECT on \(name)")
            }
        }
        for dataset in definition.datasets {
            let table = "\(schema).\(dataset.name)"
            if try await allowed(owner, "MODIFY", table) { continue }
            if try await allowed(owner, "CREATE TABLE", schema) { continue }
            throw IngotFailure(.permissionDenied, "pipeline \(p.id) runs as \(owner.name), who requires MODIFY on \(table) or CREATE TABLE on \(schema)")
        }
    }
}

extension IngotServices {
    /// The pipeline owner check, with authentication on only.
    static func tableAccess(_ config: IngotConfig, _ pipelines: PipelineService, _ authorizer: ACLAuthorizer, _ identity: IdentityService)
        -> PipelineTableAccess?
    {
        config.authMode == .none ? nil : PipelineTableAccess(pipelines: pipelines, authorizer: authorizer, identity: identity)
    }

    var pipelineTableAccess: PipelineTableAccess? { Self.tableAccess(config, pipelines, authorizer, identity) }
}
