import Foundation
import IngotCore

/// A request to a running rollout, acted on at its next tick.
public enum RolloutControl: Sendable {
    case cancel
    case promote
}

/// Rollouts: traffic moves from the entity serving 100% to a new one in steps; each step bakes
/// while the new entity's error rate and p99 are judged (``RolloutJudge``); a trip returns all
/// traffic to the old entity. The endpoint's config update stays IN_PROGRESS throughout (the final
/// config is `pending_config`); success promotes it (NOT_UPDATING), a rollback or cancel abandons it
/// (UPDATE_FAILED / UPDATE_CANCELED). Each rollout is driven by one child task of the serving
/// runtime's task group, so it ends with the server; a rollout found active at start-up (the server
/// stopped mid-rollout) is rolled back before any endpoint loads.
extension EndpointService {
    /// How often a baking step is judged.
    static let rolloutTick: Duration = .milliseconds(200)

    /// Starts a rollout to the entity in `input` and returns it (state LOADING).
    public func startRollout(_ name: String, _ input: RolloutInput, creator: String?) async throws -> RolloutRecord {
        let plan = try RolloutPlan.validate(input)
        let record = try await store.get(name)
        if record.configUpdate == .inProgress {
            throw ServingError(.updateInProgress, "Endpoint '\(name)' is already updating its config (or rolling out); wait for it to finish")
        }
        guard let config = record.config, deployments[name] != nil else {
            throw ServingError(.notReady, "Endpoint '\(name)' has no serving config yet; a rollout starts from a serving entity")
        }
        let routed = config.routes.filter { $0.percentage > 0 }
        guard routed.count == 1, let baseline = config.entities.first(where: { $0.name == routed[0].entityName }) else {
            throw ServingError.invalid(
                "A rollout starts from one entity serving 100% of traffic; endpoint '\(name)' splits it over \(routed.map(\.entityName).joined(separator: ", "))")
        }
        guard var entityInput = input.served_entity else { throw ServingError.invalid("served_entity (the new entity) is required") }
        if entityInput.entity_name == nil && entityInput.model_name == nil { entityInput.entity_name = baseline.modelName }
        if entityInput.shadow == true { throw ServingError.invalid("the new entity of a rollout cannot be a shadow") }
        var target = try EndpointValidation.config(EndpointConfigInput(served_entities: [entityInput])).entities[0]
        target.resolvedVersion = try await resolver.resolve(model: target.modelName, version: target.version, alias: target.alias).version
        guard !config.entities.contains(where: { $0.name == target.name }) else {
            throw ServingError.invalid("served entity name '\(target.name)' is already used by this endpoint; give the new entity another name")
        }
        let final = EndpointConfig(
            entities: [target] + config.shadowEntities, routes: [TrafficRoute(entityName: target.name, percentage: 100)],
            autoCapture: config.autoCapture)
        let now = Clock.nowMillis()
        var rollout = RolloutRecord(
            id: IDGenerator.uuid().replacingOccurrences(of: "-", with: ""), endpoint: name, state: .loading, plan: plan,
            baselineEntity: baseline.name, baselineConfig: config, target: target, pendingVersion: 0, currentStep: 0, trafficPercentage: 0,
            reason: nil, creator: creator, startTime: now, endTime: nil, lastUpdatedTime: now,
            steps: plan.steps.enumerated().map { RolloutStep(step: $0.offset, trafficPercentage: $0.element) })
        rollout = try await rolloutStore.begin(rollout, final: final)
        pendingStatus[name] = [target.name: EntityStatus(state: .creating, message: "Loading version \(target.resolvedVersion ?? 0)")]
        activeRollouts[name] = rollout
        rolloutControls[name] = nil
        let started = rollout
        queue.submit { [self] in await driveRollout(started) }
        logger.info(
            "rollout started",
            metadata: ["endpoint": "\(name)", "target": "\(target.name)", "steps": "\(plan.steps)", "bake_seconds": "\(plan.bakeSeconds)"])
        return rollout
    }

    /// The endpoint's rollouts, newest first; the running one as of its last tick.
    public func rollouts(_ name: String) async throws -> [RolloutRecord] {
        var all = try await rolloutStore.history(name)
        if let live = activeRollouts[name], let k = all.firstIndex(where: { $0.id == live.id }) { all[k] = live }
        return all
    }

    /// Asks the running rollout to stop (all traffic back to the old entity, state CANCELED) or to
    /// promote (skip the remaining steps: the new entity takes 100%), and waits briefly for it.
    public func controlRollout(_ name: String, _ control: RolloutControl) async throws -> RolloutRecord {
        _ = try await store.get(name)
        guard let live = activeRollouts[name] else {
            throw ServingError(.invalidConfig, "Endpoint '\(name)' has no rollout in progress")
        }
        rolloutControls[name] = control
        for _ in 0..<100 where activeRollouts[name]?.id == live.id {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await rollouts(name).first { $0.id == live.id } ?? live
    }

    // MARK: - Driving

    func splitConfig(_ r: RolloutRecord, percent: Int) -> EndpointConfig {
        var c = r.baselineConfig
        c.entities.append(r.target)
        c.routes = [
            TrafficRoute(entityName: r.baselineEntity, percentage: 100 - percent), TrafficRoute(entityName: r.target.name, percentage: percent),
        ]
        return c
    }

    /// Serves `config` at once (loading entities it adds, reusing the rest) while the rollout's update
    /// stays pending, and retires entities it drops. Throws when the endpoint went away meanwhile.
    func serveRolloutConfig(_ r: RolloutRecord, _ config: EndpointConfig, version: Int? = nil) async throws {
        let name = r.endpoint
        guard let old = deployments[name] else { throw ServingError.notFound("Endpoint '\(name)' is no longer deployed") }
        var built: [String: EntityRuntime] = [:]
        var added: [EntityRuntime] = []
        for entity in config.entities {
            if let o = old.entities[entity.name], o.spec.loadKey == entity.loadKey {
                built[entity.name] = o
                continue
            }
            let runtime = try await buildEntity(endpoint: name, entity)
            built[entity.name] = runtime
            added.append(runtime)
        }
        guard activeRollouts[name]?.id == r.id, let current = deployments[name] else {
            for rt in added { await rt.shutdown() }
            throw ServingError.notFound("Endpoint '\(name)' was deleted during the rollout")
        }
        deployments[name] = Deployment(endpoint: name, version: version ?? current.version, config: config, entities: built)
        let retired = current.entities.filter { built[$0.key] !== $0.value }.map(\.value)
        let inUse = Set(built.values.map(\.directory.path))
        if !retired.isEmpty {
            queue.submit {
                for e in retired {
                    await e.shutdown()
                    if !inUse.contains(e.directory.path) { try? FileManager.default.removeItem(at: e.directory) }
                }
            }
        }
    }

    func saveRollout(_ r: RolloutRecord) async {
        var r = r
        r.lastUpdatedTime = Clock.nowMillis()
        // Stored first, then shown: a state readers have seen is one a restart will find.
        do { try await rolloutStore.save(r) } catch {
            logger.error("cannot save rollout", metadata: ["endpoint": "\(r.endpoint)", "error": "\(error)"])
        }
        if r.state.isActive { activeRollouts[r.endpoint] = r } else if activeRollouts[r.endpoint]?.id == r.id { activeRollouts[r.endpoint] = nil }
    }

    /// Runs one rollout to its end: load, bake each step, then promote or roll back.
    func driveRollout(_ start: RolloutRecord) async {
        var r = start
        let name = r.endpoint
        do {
            try await serveRolloutConfig(r, splitConfig(r, percent: 0))
            setPending(name, r.target.name, EntityStatus(state: .ready, message: "Served entity is ready"), promote: true)
        } catch {
            guard activeRollouts[name]?.id == r.id else { return }
            let message = "the new entity '\(r.target.name)' failed to load: \((error as? ServingError)?.message ?? "\(error)")"
            setPending(name, r.target.name, EntityStatus(state: .failed, message: message), promote: true)
            try? await store.fail(name, version: r.pendingVersion, message: "Rollout failed: \(message)")
            r.state = .failed
            r.reason = message
            r.endTime = Clock.nowMillis()
            for k in r.steps.indices { r.steps[k].state = .skipped }
            await saveRollout(r)
            logger.error("rollout failed", metadata: ["endpoint": "\(name)", "reason": "\(message)"])
            return
        }
        guard let loaded = deployments[name], let baseRuntime = loaded.entities[r.baselineEntity] else { return }
        let rolloutMark = baseRuntime.stats.mark()
        let clock = ContinuousClock()
        for k in r.steps.indices {
            let percent = r.steps[k].trafficPercentage
            do { try await serveRolloutConfig(r, splitConfig(r, percent: percent)) } catch {
                if activeRollouts[name]?.id == r.id { await rollBack(&r, state: .rolledBack, reason: "cannot shift traffic: \(error)") }
                return
            }
            try? await store.setServing(name, config: splitConfig(r, percent: percent))
            guard let dep = deployments[name], let candidate = dep.entities[r.target.name], let baseline = dep.entities[r.baselineEntity] else {
                return
            }
            let candidateMark = candidate.stats.mark()
            let baselineMark = baseline.stats.mark()
            r.state = .baking
            r.currentStep = k
            r.trafficPercentage = percent
            r.steps[k].state = .baking
            r.steps[k].startTime = Clock.nowMillis()
            await saveRollout(r)
            logger.info("rollout step", metadata: ["endpoint": "\(name)", "step": "\(k)", "traffic_percentage": "\(percent)"])
            let began = clock.now
            var lastSaved = began
            while true {
                try? await Task.sleep(for: Self.rolloutTick)
                // Server stopping: the rollout stays active in the store and is rolled back at the next start.
                if Task.isCancelled { return }
                guard activeRollouts[name]?.id == r.id, deployments[name] != nil else { return }
                let candidateWindow = candidate.stats.window(since: candidateMark)
                let stepBaseline = baseline.stats.window(since: baselineMark)
                let baselineWindow =
                    stepBaseline.requests >= r.plan.thresholds.min_requests ? stepBaseline : baseline.stats.window(since: rolloutMark)
                r.steps[k].candidate = candidateWindow
                r.steps[k].baseline = baselineWindow
                activeRollouts[name] = r
                let elapsed = began.duration(to: clock.now)
                switch rolloutControls.removeValue(forKey: name) {
                case .cancel:
                    r.steps[k].state = .aborted
                    r.steps[k].decision = "canceled by user"
                    r.steps[k].endTime = Clock.nowMillis()
                    await rollBack(&r, state: .canceled, reason: "canceled by user at step \(k + 1) (\(percent)%)")
                    return
                case .promote:
                    r.steps[k].state = .passed
                    r.steps[k].decision = "promoted by user"
                    r.steps[k].endTime = Clock.nowMillis()
                    for j in r.steps.indices where j > k { r.steps[j].state = .skipped }
                    await promote(&r, reason: "promoted by user at step \(k + 1) (\(percent)%)")
                    return
                case nil: break
                }
                let verdict = RolloutJudge.judge(candidate: candidateWindow, baseline: baselineWindow, thresholds: r.plan.thresholds)
                switch verdict {
                case .tripped(let why):
                    r.steps[k].state = .failed
                    r.steps[k].decision = "rolled back: \(why)"
                    r.steps[k].endTime = Clock.nowMillis()
                    await rollBack(&r, state: .rolledBack, reason: "step \(k + 1) (\(percent)%): \(why)")
                    return
                case .healthy where elapsed >= .seconds(r.plan.bakeSeconds):
                    r.steps[k].state = .passed
                    r.steps[k].decision = "passed"
                    r.steps[k].endTime = Clock.nowMillis()
                case .waiting(let why) where elapsed >= .seconds(r.plan.maxBakeSeconds):
                    r.steps[k].state = .failed
                    r.steps[k].decision = "rolled back: \(why) within max_bake_seconds"
                    r.steps[k].endTime = Clock.nowMillis()
                    await rollBack(&r, state: .rolledBack, reason: "step \(k + 1) (\(percent)%): too little traffic to judge (\(why))")
                    return
                default:
                    if lastSaved.duration(to: clock.now) >= .seconds(1) {
                        lastSaved = clock.now
                        await saveRollout(r)
                    }
                    continue
                }
                break
            }
            await saveRollout(r)
        }
        await promote(&r, reason: nil)
    }

    /// The new entity takes 100%; the old one is retired; the pending config becomes the config.
    func promote(_ r: inout RolloutRecord, reason: String?) async {
        let name = r.endpoint
        let final = EndpointConfig(
            entities: [r.target] + r.baselineConfig.shadowEntities, routes: [TrafficRoute(entityName: r.target.name, percentage: 100)],
            autoCapture: r.baselineConfig.autoCapture)
        do { try await serveRolloutConfig(r, final, version: r.pendingVersion) } catch { return }
        try? await store.promote(name, version: r.pendingVersion, config: final)
        pendingStatus[name] = nil
        r.state = .succeeded
        r.trafficPercentage = 100
        r.reason = reason
        r.endTime = Clock.nowMillis()
        await saveRollout(r)
        logger.info("rollout succeeded", metadata: ["endpoint": "\(name)", "target": "\(r.target.name)"])
    }

    /// All traffic returns to the old entity; the new one is retired; the update is abandoned.
    func rollBack(_ r: inout RolloutRecord, state: RolloutState, reason: String) async {
        let name = r.endpoint
        try? await serveRolloutConfig(r, r.baselineConfig)
        try? await store.setServing(name, config: r.baselineConfig)
        try? await store.abandon(
            name, version: r.pendingVersion, state: state == .canceled ? .updateCanceled : .updateFailed,
            message: state == .canceled ? "Rollout canceled: \(reason)" : "Rollout rolled back: \(reason)")
        pendingStatus[name] = nil
        r.state = state
        r.reason = reason
        r.trafficPercentage = 0
        r.endTime = Clock.nowMillis()
        for k in r.steps.indices where r.steps[k].state == .pending { r.steps[k].state = .skipped }
        await saveRollout(r)
        logger.warning("rollout rolled back", metadata: ["endpoint": "\(name)", "state": "\(state.rawValue)", "reason": "\(reason)"])
    }

    /// At start-up, before endpoints load: a rollout the previous process was running is rolled
    /// back (its statistics are gone), so the endpoint serves its old entity at 100%.
    func rollBackInterruptedRollouts() async {
        guard let active = try? await rolloutStore.active() else { return }
        for var r in active {
            let step = r.state == .loading ? "while the new entity was loading" : "during step \(r.currentStep + 1) (\(r.trafficPercentage)%)"
            let reason = "the server restarted \(step); rolled back to '\(r.baselineEntity)'"
            for k in r.steps.indices {
                if r.steps[k].state == .baking {
                    r.steps[k].state = .aborted
                    r.steps[k].decision = "server restarted"
                    r.steps[k].endTime = Clock.nowMillis()
                } else if r.steps[k].state == .pending {
                    r.steps[k].state = .skipped
                }
            }
            try? await store.setServing(r.endpoint, config: r.baselineConfig)
            try? await store.abandon(r.endpoint, version: r.pendingVersion, state: .updateFailed, message: "Rollout rolled back: \(reason)")
            r.state = .rolledBack
            r.reason = reason
            r.trafficPercentage = 0
            r.endTime = Clock.nowMillis()
            r.lastUpdatedTime = Clock.nowMillis()
            try? await rolloutStore.save(r)
            logger.warning("rollout rolled back after restart", metadata: ["endpoint": "\(r.endpoint)"])
        }
    }
}
