import IngotServing

/// Rollouts as the API answers them (`rollout` and `rollout_history` of an endpoint, and the
/// rollout routes): state, strategy, the new and old entity, the current step and the new entity's
/// share of traffic, thresholds, and every step with what was observed and decided.
enum RolloutJSON {
    static func rounded(_ v: Double, _ places: Double = 1000) -> Double { (v * places).rounded() / places }

    static func step(_ s: RolloutStep) -> [String: Any] {
        var o: [String: Any] = ["step": s.step, "traffic_percentage": s.trafficPercentage, "state": s.state.rawValue]
        if let t = s.startTime { o["start_time"] = t }
        if let t = s.endTime { o["end_time"] = t }
        if let c = s.candidate {
            o["requests"] = c.requests
            o["errors"] = c.errors
            o["error_rate"] = rounded(c.errorRate, 10_000)
            o["p99_ms"] = rounded(c.p99Millis)
        }
        if let b = s.baseline {
            o["baseline_requests"] = b.requests
            o["baseline_errors"] = b.errors
            o["baseline_error_rate"] = rounded(b.errorRate, 10_000)
            o["baseline_p99_ms"] = rounded(b.p99Millis)
        }
        if let d = s.decision { o["decision"] = d }
        return o
    }

    static func thresholds(_ t: RolloutThresholds) -> [String: Any] {
        var o: [String: Any] = ["min_requests": t.min_requests, "p99_slack_ms": t.p99_slack_ms]
        if let v = t.max_error_rate { o["max_error_rate"] = v }
        if let v = t.max_p99_ms { o["max_p99_ms"] = v }
        if let v = t.max_error_rate_increase { o["max_error_rate_increase"] = v }
        if let v = t.max_p99_ratio { o["max_p99_ratio"] = v }
        return o
    }

    static func rollout(_ r: RolloutRecord) -> [String: Any] {
        var target: [String: Any] = ["name": r.target.name, "entity_name": r.target.modelName]
        if let v = r.target.version { target["entity_version"] = String(v) }
        if let a = r.target.alias { target["alias"] = a }
        if let v = r.target.resolvedVersion { target["resolved_version"] = String(v) }
        var o: [String: Any] = [
            "id": r.id, "endpoint_name": r.endpoint, "state": r.state.rawValue, "strategy": r.plan.strategy.rawValue,
            "target_entity": r.target.name, "baseline_entity": r.baselineEntity, "current_step": r.currentStep,
            "traffic_percentage": r.trafficPercentage, "bake_seconds": r.plan.bakeSeconds, "max_bake_seconds": r.plan.maxBakeSeconds,
            "thresholds": thresholds(r.plan.thresholds), "start_time": r.startTime, "last_updated_time": r.lastUpdatedTime,
            "served_entity": target, "steps": r.steps.map(step),
        ]
        if let reason = r.reason { o["reason"] = reason }
        if let c = r.creator { o["creator"] = c }
        if let t = r.endTime { o["end_time"] = t }
        return o
    }
}
