import IngotCore
import Testing

@testable import IngotRegistry

@Suite struct ApprovalWorkflowTests {
    @Test func withoutPolicyMLflowCallsAreUnchanged() async throws {
        let s = try Fixture.service()
        try await Fixture.model(s, "m")
        try await s.setAlias(name: "m", alias: "champion", version: "1", actor: Fixture.alice)
        _ = try await s.transitionStage(name: "m", version: "1", stage: "Production", archiveExisting: false, actor: Fixture.alice)
        // A request without a policy is applied by any approval, even the requester's.
        let r = try await s.createRequest(name: "m", version: "1", stage: "Staging", alias: nil, archiveExisting: false, comment: nil, actor: Fixture.alice)
        let (done, _) = try await s.approve(RequestSelector(id: r.id), comment: nil, actor: Fixture.alice)
        #expect(done.status == "APPROVED")
        #expect(try await s.getModelVersion(name: "m", version: "1").current_stage == "Staging")
    }

    @Test func protectedAliasNeedsApprovalBySomeoneElse() async throws {
        let events = EventRecorder()
        let s = try Fixture.service(events: events)
        try await Fixture.model(s, "m", versions: 2)
        _ = try await s.setPolicy(name: "m", policy: ApprovalPolicy(name: "m", protected_aliases: ["champion"]), actor: Fixture.admin)
        // Direct change refused; other aliases unaffected.
        await #expect(throws: RegistryError.self) { try await s.setAlias(name: "m", alias: "champion", version: "2", actor: Fixture.alice) }
        try await s.setAlias(name: "m", alias: "challenger", version: "2", actor: Fixture.alice)
        // Requested by alice; alice cannot approve her own request.
        let request = try await s.createRequest(
            name: "m", version: "2", stage: nil, alias: "champion", archiveExisting: false, comment: "better AUC", actor: Fixture.alice)
        #expect(request.status == "PENDING" && request.alias == "champion")
        await #expect(throws: RegistryError.self) { _ = try await s.approve(RequestSelector(id: request.id), comment: nil, actor: Fixture.alice) }
        await #expect(throws: RegistryError.self) { _ = try await s.getModelVersion(name: "m", alias: "champion") }
        // Bob approves: applied, recorded with who and when.
        let (approved, activity) = try await s.approve(
            RequestSelector(name: "m", version: "2", alias: "champion"), comment: "lgtm", actor: Fixture.bob)
        #expect(approved.status == "APPROVED" && approved.approvals == ["bob"])
        #expect(activity.activity_type == "APPROVED_REQUEST" && activity.user_id == "bob" && activity.comment == "lgtm")
        #expect(try await s.getModelVersion(name: "m", alias: "champion").version == "2")
        let history = try await s.activities(name: "m", version: "2").map { "\($0.activity_type):\($0.user_id)" }
        #expect(history.contains("REQUESTED_TRANSITION:alice") && history.contains("APPROVED_REQUEST:bob") && history.contains("SET_ALIAS:bob"))
        // A closed request cannot be approved again.
        await #expect(throws: RegistryError.self) { _ = try await s.approve(RequestSelector(id: request.id), comment: nil, actor: Fixture.carol) }
        let names = await events.events.map(\.event)
        #expect(names.contains("TRANSITION_REQUEST_CREATED") && names.contains("TRANSITION_REQUEST_APPROVED") && names.contains("MODEL_VERSION_ALIAS_SET"))
    }

    @Test func twoApprovalsAndRejectAndCancel() async throws {
        let s = try Fixture.service()
        try await Fixture.model(s, "m")
        _ = try await s.setPolicy(
            name: "m", policy: ApprovalPolicy(name: "m", protected_stages: ["production"], required_approvals: 2), actor: Fixture.admin)
        await #expect(throws: RegistryError.self) {
            _ = try await s.transitionStage(name: "m", version: "1", stage: "Production", archiveExisting: false, actor: Fixture.alice)
        }
        let r = try await s.createRequest(name: "m", version: "1", stage: "Production", alias: nil, archiveExisting: false, comment: nil, actor: Fixture.alice)
        let (first, _) = try await s.approve(RequestSelector(name: "m", version: "1", stage: "production"), comment: nil, actor: Fixture.bob)
        #expect(first.status == "PENDING" && first.approvals == ["bob"])
        await #expect(throws: RegistryError.self) { _ = try await s.approve(RequestSelector(id: r.id), comment: nil, actor: Fixture.bob) }
        let (second, _) = try await s.approve(RequestSelector(id: r.id), comment: nil, actor: Fixture.carol)
        #expect(second.status == "APPROVED")
        #expect(try await s.getModelVersion(name: "m", version: "1").current_stage == "Production")

        let r2 = try await s.createRequest(name: "m", version: "1", stage: "Archived", alias: nil, archiveExisting: false, comment: nil, actor: Fixture.alice)
        await #expect(throws: RegistryError.self) { _ = try await s.cancel(RequestSelector(id: r2.id), comment: nil, actor: Fixture.bob) }
        let (rejected, act) = try await s.reject(RequestSelector(id: r2.id), comment: "no", actor: Fixture.bob)
        #expect(rejected.status == "REJECTED" && act.activity_type == "REJECTED_REQUEST")
        let r3 = try await s.createRequest(name: "m", version: "1", stage: "Staging", alias: nil, archiveExisting: false, comment: nil, actor: Fixture.alice)
        let (cancelled, _) = try await s.cancel(RequestSelector(id: r3.id), comment: nil, actor: Fixture.alice)
        #expect(cancelled.status == "CANCELLED")
        #expect(try await s.listRequests(name: "m", version: nil, includeClosed: false).isEmpty)
        #expect(try await s.listRequests(name: "m", version: "1", includeClosed: true).count == 3)
        // Removing the policy restores MLflow's behaviour.
        await #expect(throws: RegistryError.self) { _ = try await s.setPolicy(name: "m", policy: nil, actor: Fixture.alice) }
        _ = try await s.setPolicy(name: "m", policy: nil, actor: Fixture.admin)
        _ = try await s.transitionStage(name: "m", version: "1", stage: "Production", archiveExisting: false, actor: Fixture.alice)
    }

    @Test func commentsAreOwnedByTheirAuthors() async throws {
        let s = try Fixture.service()
        try await Fixture.model(s, "m")
        let c = try await s.createComment(name: "m", version: "1", comment: "looks good", actor: Fixture.alice)
        await #expect(throws: RegistryError.self) { _ = try await s.updateComment(id: c.id, comment: "x", actor: Fixture.bob) }
        #expect(try await s.updateComment(id: c.id, comment: "looks great", actor: Fixture.alice).comment == "looks great")
        #expect(try await s.comments(name: "m", version: "1").map(\.comment) == ["looks great"])
        try await s.deleteComment(id: c.id, actor: Fixture.alice)
        #expect(try await s.comments(name: "m", version: "1").isEmpty)
    }

    @Test func rulesAlone() {
        let policy = ApprovalPolicy(name: "m", protected_aliases: ["champion"], protected_stages: ["Production"], required_approvals: 1)
        #expect(ApprovalRules.requiresApproval(.alias("champion"), policy: policy))
        #expect(!ApprovalRules.requiresApproval(.alias("other"), policy: policy))
        #expect(ApprovalRules.requiresApproval(.stage(.production), policy: policy))
        #expect(!ApprovalRules.requiresApproval(.stage(.production), policy: nil))
        let request = TransitionRequest(
            id: "r", name: "m", version: "1", creation_timestamp: 0, last_updated_timestamp: 0, to_stage: nil, alias: "champion", user_id: "alice",
            comment: nil, status: "PENDING", approvals: [], archive_existing_versions: false, available_actions: [])
        #expect(ApprovalRules.approve(request, by: Fixture.bob, policy: policy) == .apply)
        if case .refused = ApprovalRules.approve(request, by: Fixture.alice, policy: policy) {} else { Issue.record("self-approval allowed") }
        var selfOK = policy
        selfOK.allow_self_approval = true
        #expect(ApprovalRules.approve(request, by: Fixture.alice, policy: selfOK) == .apply)
    }
}
