import IngotCore

/// The approval policy's decisions, free of I/O so they can be tested alone.
public enum ApprovalRules {
    /// Whether a direct change (MLflow's set-alias or transition-stage) needs an approved request.
    public static func requiresApproval(_ target: RequestTarget, policy: ApprovalPolicy?) -> Bool {
        guard let policy else { return false }
        switch target {
        case .alias(let alias): return policy.protects(alias: alias)
        case .stage(let stage): return policy.protects(stage: stage)
        }
    }

    /// What an approval by `approver` does to a pending request: refused, recorded, or recorded and applied.
    public enum Outcome: Equatable, Sendable {
        case refused(String)
        case record
        case apply
    }

    public static func approve(_ request: TransitionRequest, by approver: Principal, policy: ApprovalPolicy?) -> Outcome {
        guard request.status == "PENDING" else { return .refused("Transition request '\(request.id)' is \(request.status), not PENDING") }
        let target: RequestTarget = request.alias.map { .alias($0) } ?? .stage((try? ModelStage.canonical(request.to_stage ?? "None")) ?? .none)
        // Without a policy covering the target, any approval applies the request (Databricks' default).
        guard let policy, requiresApproval(target, policy: policy) else { return .apply }
        if approver.name == request.user_id && !policy.allow_self_approval {
            return .refused("\(approver.name) requested this change and cannot approve it; the policy of model '\(request.name)' requires approval by someone else")
        }
        if request.approvals.contains(approver.name) {
            return .refused("\(approver.name) has already approved this request")
        }
        let count = request.approvals.filter { policy.allow_self_approval || $0 != request.user_id }.count + 1
        return count >= max(1, policy.required_approvals) ? .apply : .record
    }

    /// Who may reject: anyone but the requester (who cancels instead).
    public static func canCancel(_ request: TransitionRequest, by principal: Principal) -> Bool {
        principal.name == request.user_id || principal.isAdmin
    }
}
