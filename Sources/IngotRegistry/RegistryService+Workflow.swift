import IngotCore

/// How a request is named in a Databricks-shaped call: by Ingot's id, or by model, version and
/// stage (or alias), optionally narrowed to one creator.
public struct RequestSelector: Sendable {
    public var id: String?
    public var name: String?
    public var version: String?
    public var stage: String?
    public var alias: String?
    public var creator: String?

    public init(id: String? = nil, name: String? = nil, version: String? = nil, stage: String? = nil, alias: String? = nil, creator: String? = nil) {
        self.id = id
        self.name = name
        self.version = version
        self.stage = stage
        self.alias = alias
        self.creator = creator
    }
}

extension RegistryService {
    // MARK: - Policies

    public func getPolicy(name: String?) async throws -> ApprovalPolicy? {
        try await store.getPolicy(name: try RegistryValidation.modelName(name))
    }

    /// Sets (or with nil removes) a model's approval policy.
    public func setPolicy(name: String?, policy: ApprovalPolicy?, actor: Principal) async throws -> ApprovalPolicy? {
        let name = try RegistryValidation.modelName(name)
        // Otherwise a requester could lift the policy and change the alias directly.
        guard actor.isAdmin else { throw RegistryError.permissionDenied("Only an administrator can change the approval policy of model '\(name)'") }
        guard var policy else {
            try await store.setPolicy(name: name, policy: nil)
            return nil
        }
        for alias in policy.protected_aliases { _ = try RegistryValidation.alias(alias, reservedCheck: true) }
        policy.protected_stages = try policy.protected_stages.map { try ModelStage.canonical($0).rawValue }
        guard policy.required_approvals >= 1 && policy.required_approvals <= 10 else {
            throw RegistryError.invalidParameter("required_approvals must be between 1 and 10")
        }
        policy.name = name
        policy.updated_by = actor.name
        try await store.setPolicy(name: name, policy: policy)
        return try await store.getPolicy(name: name)
    }

    // MARK: - Requests

    /// Creates a request to move a version to `stage` or to point `alias` at it.
    public func createRequest(
        name: String?, version: String?, stage: String?, alias: String?, archiveExisting: Bool, comment: String?, actor: Principal
    ) async throws -> TransitionRequest {
        let name = try RegistryValidation.modelName(name)
        let version = try RegistryValidation.version(version)
        let target: RequestTarget
        if let alias = alias?.nilIfEmpty {
            guard stage?.nilIfEmpty == nil else { throw RegistryError.invalidParameter("A request names either a stage or an alias, not both") }
            target = .alias(try RegistryValidation.alias(alias, reservedCheck: true))
        } else if let stage = stage?.nilIfEmpty {
            target = .stage(try ModelStage.canonical(stage))
        } else {
            throw RegistryError.missing("stage")
        }
        let request = try await store.createRequest(
            name: name, version: version, target: target, archiveExisting: archiveExisting, userID: actor.name, comment: comment)
        var events = [RegistryEvent(
            event: "TRANSITION_REQUEST_CREATED", timestamp: Clock.nowMillis(), modelName: name, version: request.version,
            toStage: request.to_stage, alias: request.alias, text: comment, userID: actor.name, requestID: request.id)]
        if case .stage(let s) = target, s != .none {
            var specific = events[0]
            specific.event = "TRANSITION_REQUEST_TO_\(s.rawValue.uppercased())_CREATED"
            events.append(specific)
        }
        await self.events.publish(events)
        return request
    }

    /// Finds the one pending request a selector names.
    public func findRequest(_ selector: RequestSelector) async throws -> TransitionRequest {
        if let id = selector.id?.nilIfEmpty { return try await store.getRequest(id: id) }
        let name = try RegistryValidation.modelName(selector.name)
        let version = try RegistryValidation.version(selector.version)
        let stage = try selector.stage?.nilIfEmpty.map { try ModelStage.canonical($0).rawValue }
        let matches = try await store.listRequests(name: name, version: version, includeClosed: false).filter { r in
            (stage == nil || r.to_stage == stage) && (selector.alias?.nilIfEmpty == nil || r.alias == selector.alias)
                && (selector.creator?.nilIfEmpty == nil || r.user_id == selector.creator)
        }
        guard let first = matches.first else {
            throw RegistryError.notFound(
                "No pending transition request for model '\(name)' version \(version)\(stage.map { " to stage \($0)" } ?? "")\(selector.alias.map { " for alias \($0)" } ?? "")"
            )
        }
        return first
    }

    public func listRequests(name: String?, version: String?, includeClosed: Bool) async throws -> [TransitionRequest] {
        let name = try name?.nilIfEmpty.map { try RegistryValidation.modelName($0) }
        let version = try version?.nilIfEmpty.map { try RegistryValidation.version($0) }
        return try await store.listRequests(name: name, version: version, includeClosed: includeClosed)
    }

    /// Approves a request; when the policy's approvals are complete the change is applied.
    public func approve(_ selector: RequestSelector, comment: String?, actor: Principal) async throws -> (TransitionRequest, Activity) {
        let request = try await findRequest(selector)
        let policy = try await store.getPolicy(name: request.name)
        let outcome = ApprovalRules.approve(request, by: actor, policy: policy)
        switch outcome {
        case .refused(let why):
            throw request.status == "PENDING" ? RegistryError.permissionDenied(why) : RegistryError.invalidState(why)
        case .record, .apply:
            let before = try await store.getModelVersion(name: request.name, version: request.versionNumber)
            let (updated, activity) = try await store.approveRequest(id: request.id, userID: actor.name, comment: comment, apply: outcome == .apply)
            await publish("TRANSITION_REQUEST_APPROVED", request.name, version: request.version, to: request.to_stage, alias: request.alias,
                text: comment, user: actor.name, request: request.id)
            if outcome == .apply {
                if let stage = request.to_stage {
                    await publishTransition(
                        request.name, request.version, from: before.current_stage, to: try ModelStage.canonical(stage), user: actor.name,
                        request: request.id)
                } else if let alias = request.alias {
                    await publish("MODEL_VERSION_ALIAS_SET", request.name, version: request.version, alias: alias, user: actor.name, request: request.id)
                }
            }
            return (updated, activity)
        }
    }

    public func reject(_ selector: RequestSelector, comment: String?, actor: Principal) async throws -> (TransitionRequest, Activity) {
        let request = try await findRequest(selector)
        let result = try await store.closeRequest(id: request.id, status: "REJECTED", userID: actor.name, comment: comment)
        await publish("TRANSITION_REQUEST_REJECTED", request.name, version: request.version, to: request.to_stage, alias: request.alias,
            text: comment, user: actor.name, request: request.id)
        return result
    }

    /// Cancels (Databricks: deletes) a request; only its creator or an admin may.
    public func cancel(_ selector: RequestSelector, comment: String?, actor: Principal) async throws -> (TransitionRequest, Activity) {
        let request = try await findRequest(selector)
        guard ApprovalRules.canCancel(request, by: actor) else {
            throw RegistryError.permissionDenied("Only \(request.user_id), who created the request, can cancel it")
        }
        return try await store.closeRequest(id: request.id, status: "CANCELLED", userID: actor.name, comment: comment)
    }

    public func activities(name: String?, version: String?) async throws -> [Activity] {
        try await store.activities(name: try RegistryValidation.modelName(name), version: try RegistryValidation.version(version))
    }

    // MARK: - Comments

    public func createComment(name: String?, version: String?, comment: String?, actor: Principal) async throws -> VersionComment {
        guard let comment = comment?.nilIfEmpty else { throw RegistryError.missing("comment") }
        let created = try await store.createComment(
            name: try RegistryValidation.modelName(name), version: try RegistryValidation.version(version), userID: actor.name, comment: comment)
        await publish("COMMENT_CREATED", created.name, version: created.version, text: comment, user: actor.name)
        return created
    }

    public func updateComment(id: String?, comment: String?, actor: Principal) async throws -> VersionComment {
        guard let id = id?.nilIfEmpty else { throw RegistryError.missing("id") }
        guard let comment = comment?.nilIfEmpty else { throw RegistryError.missing("comment") }
        let existing = try await store.getComment(id: id)
        guard existing.user_id == actor.name || actor.isAdmin else { throw RegistryError.permissionDenied("Only the author can edit a comment") }
        return try await store.updateComment(id: id, comment: comment)
    }

    public func deleteComment(id: String?, actor: Principal) async throws {
        guard let id = id?.nilIfEmpty else { throw RegistryError.missing("id") }
        let existing = try await store.getComment(id: id)
        guard existing.user_id == actor.name || actor.isAdmin else { throw RegistryError.permissionDenied("Only the author can delete a comment") }
        try await store.deleteComment(id: id)
    }

    public func comments(name: String?, version: String?) async throws -> [VersionComment] {
        try await store.comments(name: try RegistryValidation.modelName(name), version: try RegistryValidation.version(version))
    }
}
