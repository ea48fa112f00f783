/// The approval workflow's entities in the shape of Databricks' workspace model registry
/// (`/api/2.0/mlflow/transition-requests/*`, `/comments/*`), with Ingot's additions marked.

/// A pending (or decided) request to move a version to a stage or to point an alias at it.
public struct TransitionRequest: Codable, Sendable, Equatable {
    /// Ingot addition: requests are also addressable by id.
    public var id: String
    public var name: String
    public var version: String
    public var creation_timestamp: Int64
    public var last_updated_timestamp: Int64
    /// The stage requested (Databricks), or nil for an alias request.
    public var to_stage: String?
    /// Ingot addition: the alias requested.
    public var alias: String?
    public var user_id: String
    public var comment: String?
    /// Ingot addition: PENDING, APPROVED (applied), REJECTED or CANCELLED.
    public var status: String
    /// Ingot addition: who has approved so far.
    public var approvals: [String]
    public var archive_existing_versions: Bool
    public var available_actions: [String]
}

/// One recorded event in a version's history: who did what and when.
public struct Activity: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var version: String
    /// APPLIED_TRANSITION, REQUESTED_TRANSITION, CANCELLED_REQUEST, APPROVED_REQUEST, REJECTED_REQUEST,
    /// SYSTEM_TRANSITION, NEW_COMMENT; Ingot adds SET_ALIAS and DELETED_ALIAS.
    public var activity_type: String
    public var from_stage: String?
    public var to_stage: String?
    public var alias: String?
    public var user_id: String
    public var comment: String?
    public var system_comment: String?
    public var request_id: String?
    public var creation_timestamp: Int64
    public var last_updated_timestamp: Int64
}

/// A comment on a model version.
public struct VersionComment: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var version: String
    public var user_id: String
    public var comment: String
    public var creation_timestamp: Int64
    public var last_updated_timestamp: Int64
    public var available_actions: [String]
}

/// A model's approval policy. Without one, MLflow's calls behave exactly as in MLflow.
public struct ApprovalPolicy: Codable, Sendable, Equatable {
    public var name: String
    /// Aliases that may only be set through an approved request.
    public var protected_aliases: [String]
    /// Stages a version may only enter through an approved request.
    public var protected_stages: [String]
    /// Distinct approvals needed (each by someone other than the requester unless self-approval is allowed).
    public var required_approvals: Int
    public var allow_self_approval: Bool
    public var updated_by: String?
    public var last_updated_timestamp: Int64?

    public init(
        name: String, protected_aliases: [String] = [], protected_stages: [String] = [], required_approvals: Int = 1,
        allow_self_approval: Bool = false, updated_by: String? = nil, last_updated_timestamp: Int64? = nil
    ) {
        self.name = name
        self.protected_aliases = protected_aliases
        self.protected_stages = protected_stages
        self.required_approvals = required_approvals
        self.allow_self_approval = allow_self_approval
        self.updated_by = updated_by
        self.last_updated_timestamp = last_updated_timestamp
    }

    public func protects(alias: String) -> Bool { protected_aliases.contains(alias) }
    public func protects(stage: ModelStage) -> Bool {
        protected_stages.contains { $0.lowercased() == stage.rawValue.lowercased() }
    }
}

/// What a request asks for.
public enum RequestTarget: Sendable, Equatable {
    case stage(ModelStage)
    case alias(String)
}
