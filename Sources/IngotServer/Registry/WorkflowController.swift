import Foundation
import Hummingbird
import IngotCore
import IngotRegistry

/// The approval workflow in the shape of Databricks' workspace registry
/// (`/api/2.0/mlflow/transition-requests/*`, `/api/2.0/mlflow/comments/*`), plus Ingot's
/// additions under `/api/2.0/ingot/registry/*`: policies, activities, comments list, lineage.
struct WorkflowController {
    let service: RegistryService
    typealias Handler = RegistryController.Handler

    func addRoutes(to router: Router<IngotRequestContext>) {
        let w = RegistryController.wrap
        for prefix in ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] {
            let g = router.group(RouterPath(prefix))
            g.post("transition-requests/create", use: w(createRequest))
            g.get("transition-requests/list", use: w(listRequests))
            g.post("transition-requests/approve", use: w(approve))
            g.post("transition-requests/reject", use: w(reject))
            g.delete("transition-requests/delete", use: w(cancel))
            g.post("comments/create", use: w(createComment))
            g.patch("comments/update", use: w(updateComment))
            g.delete("comments/delete", use: w(deleteComment))
        }
        let g = router.group("/api/2.0/ingot/registry")
        g.get("policies/get", use: w(getPolicy))
        g.post("policies/set", use: w(setPolicy))
        g.delete("policies/delete", use: w(deletePolicy))
        g.get("activities/list", use: w(activities))
        g.get("comments/list", use: w(comments))
        g.get("lineage/get", use: w(lineage))
    }

    struct RequestBody: Encodable { let request: TransitionRequest }
    struct RequestsBody: Encodable { let requests: [TransitionRequest] }
    struct ActivityBody: Encodable {
        let activity: Activity
        let request: TransitionRequest
    }
    struct ActivitiesBody: Encodable { let activities: [Activity] }
    struct CommentBody: Encodable { let comment: VersionComment }
    struct CommentsBody: Encodable { let comments: [VersionComment] }
    struct PolicyBody: Encodable { let policy: ApprovalPolicy? }
    struct LineageBody: Encodable { let lineage: ModelVersionLineage }

    static func selector(_ p: MLflowParams) throws -> RequestSelector {
        RequestSelector(
            id: try p.string("id"), name: try p.string("name"), version: try p.string("version"), stage: try p.string("stage"),
            alias: try p.string("alias"), creator: try p.string("creator"))
    }

    func createRequest(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let request = try await service.createRequest(
            name: try p.string("name"), version: try p.string("version"), stage: try p.string("stage"), alias: try p.string("alias"),
            archiveExisting: try p.bool("archive_existing_versions") ?? false, comment: try p.string("comment"), actor: c.principal)
        return try TrackingJSON.response(RequestBody(request: request))
    }

    func listRequests(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let requests = try await service.listRequests(
            name: try p.string("name"), version: try p.string("version"), includeClosed: try p.bool("include_closed") ?? false)
        return try TrackingJSON.response(RequestsBody(requests: requests))
    }

    func approve(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let (request, activity) = try await service.approve(try Self.selector(p), comment: try p.string("comment"), actor: c.principal)
        return try TrackingJSON.response(ActivityBody(activity: activity, request: request))
    }

    func reject(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let (request, activity) = try await service.reject(try Self.selector(p), comment: try p.string("comment"), actor: c.principal)
        return try TrackingJSON.response(ActivityBody(activity: activity, request: request))
    }

    func cancel(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let (request, activity) = try await service.cancel(try Self.selector(p), comment: try p.string("comment"), actor: c.principal)
        return try TrackingJSON.response(ActivityBody(activity: activity, request: request))
    }

    func createComment(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let comment = try await service.createComment(
            name: try p.string("name"), version: try p.string("version"), comment: try p.string("comment"), actor: c.principal)
        return try TrackingJSON.response(CommentBody(comment: comment))
    }

    func updateComment(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let comment = try await service.updateComment(id: try p.string("id"), comment: try p.string("comment"), actor: c.principal)
        return try TrackingJSON.response(CommentBody(comment: comment))
    }

    func deleteComment(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try await service.deleteComment(id: try p.string("id"), actor: c.principal)
        return TrackingJSON.empty()
    }

    func comments(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try TrackingJSON.response(CommentsBody(comments: try await service.comments(name: try p.string("name"), version: try p.string("version"))))
    }

    func activities(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try TrackingJSON.response(
            ActivitiesBody(activities: try await service.activities(name: try p.string("name"), version: try p.string("version"))))
    }

    func getPolicy(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try TrackingJSON.response(PolicyBody(policy: try await service.getPolicy(name: try p.string("name"))))
    }

    /// `{name, protected_aliases[], protected_stages[], required_approvals, allow_self_approval}`.
    func setPolicy(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        let name = try p.string("name") ?? ""
        let policy = ApprovalPolicy(
            name: name, protected_aliases: try p.strings("protected_aliases"), protected_stages: try p.strings("protected_stages"),
            required_approvals: try p.int("required_approvals") ?? 1, allow_self_approval: try p.bool("allow_self_approval") ?? false)
        return try TrackingJSON.response(PolicyBody(policy: try await service.setPolicy(name: name, policy: policy, actor: c.principal)))
    }

    func deletePolicy(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        _ = try await service.setPolicy(name: try p.string("name"), policy: nil, actor: c.principal)
        return TrackingJSON.empty()
    }

    func lineage(_ p: MLflowParams, _ c: IngotRequestContext) async throws -> Response {
        try TrackingJSON.response(LineageBody(lineage: try await service.lineage(name: try p.string("name"), version: try p.string("version"))))
    }
}
