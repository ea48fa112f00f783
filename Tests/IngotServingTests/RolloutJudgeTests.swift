import Foundation
import Testing

@testable import IngotServing

/// The rollout decision rules: minimum requests, absolute thresholds, the baseline comparison,
/// and plan validation (canary / linear / all at once).
@Suite struct RolloutJudgeTests {
    static let t = RolloutThresholds(
        min_requests: 20, max_error_rate: 0.1, max_p99_ms: 50, max_error_rate_increase: 0.02, max_p99_ratio: 2, p99_slack_ms: 1)

    static func w(_ requests: Int, _ errors: Int, p99ms: Double) -> StatsWindow {
        StatsWindow(requests: requests, errors: errors, p99Seconds: p99ms / 1000)
    }

    @Test func waitsForMinimumRequestsEvenWhenAllFail() {
        let v = RolloutJudge.judge(candidate: Self.w(19, 19, p99ms: 500), baseline: Self.w(100, 0, p99ms: 1), thresholds: Self.t)
        #expect(v == .waiting("19 of 20 requests needed to judge"))
    }

    @Test func absoluteErrorRateTrips() {
        guard case .tripped(let why) = RolloutJudge.judge(candidate: Self.w(20, 3, p99ms: 1), baseline: nil, thresholds: Self.t) else {
            Issue.record("expected a trip")
            return
        }
        #expect(why.contains("error rate 15.0% (3/20) exceeds max_error_rate 10.0%"))
    }

    @Test func absoluteP99Trips() {
        guard case .tripped(let why) = RolloutJudge.judge(candidate: Self.w(40, 0, p99ms: 51), baseline: nil, thresholds: Self.t) else {
            Issue.record("expected a trip")
            return
        }
        #expect(why.contains("max_p99_ms"))
    }

    @Test func errorRateRelativeToBaseline() {
        // 5% is under the absolute 10% but more than 2 points above the baseline's 1%.
        let tripped = RolloutJudge.judge(candidate: Self.w(100, 5, p99ms: 2), baseline: Self.w(100, 1, p99ms: 2), thresholds: Self.t)
        guard case .tripped(let why) = tripped else {
            Issue.record("expected a trip, got \(tripped)")
            return
        }
        #expect(why.contains("baseline"))
        // Within baseline + 2 points: healthy.
        #expect(RolloutJudge.judge(candidate: Self.w(100, 3, p99ms: 2), baseline: Self.w(100, 1, p99ms: 2), thresholds: Self.t) == .healthy)
    }

    @Test func baselineWithTooFewRequestsIsNotCompared() {
        // The baseline saw 10 requests (< min 20): only the absolute thresholds apply.
        #expect(RolloutJudge.judge(candidate: Self.w(100, 5, p99ms: 30), baseline: Self.w(10, 0, p99ms: 1), thresholds: Self.t) == .healthy)
    }

    @Test func p99RatioNeedsTheSlackToo() {
        // 3× the baseline but only 0.4 ms slower: jitter, not a regression.
        #expect(RolloutJudge.judge(candidate: Self.w(50, 0, p99ms: 0.6), baseline: Self.w(50, 0, p99ms: 0.2), thresholds: Self.t) == .healthy)
        // 3× and 20 ms slower: trips.
        let v = RolloutJudge.judge(candidate: Self.w(50, 0, p99ms: 30), baseline: Self.w(50, 0, p99ms: 10), thresholds: Self.t)
        guard case .tripped(let why) = v else {
            Issue.record("expected a trip, got \(v)")
            return
        }
        #expect(why.contains("2.0× the baseline's 10.0 ms"))
        // Exactly at the ratio: healthy.
        #expect(RolloutJudge.judge(candidate: Self.w(50, 0, p99ms: 20), baseline: Self.w(50, 0, p99ms: 10), thresholds: Self.t) == .healthy)
    }

    @Test func unsetThresholdsAreNotChecked() {
        let none = RolloutThresholds(
            min_requests: 1, max_error_rate: nil, max_p99_ms: nil, max_error_rate_increase: nil, max_p99_ratio: nil, p99_slack_ms: 0)
        #expect(RolloutJudge.judge(candidate: Self.w(5, 5, p99ms: 900), baseline: Self.w(5, 0, p99ms: 1), thresholds: none) == .healthy)
    }

    @Test func plans() throws {
        var input = RolloutInput(served_entity: nil, strategy: "canary", steps: [10, 50], bake_seconds: 2)
        var plan = try RolloutPlan.validate(input)
        #expect(plan.steps == [10, 50, 100])
        #expect(plan.maxBakeSeconds == 20)
        #expect(plan.thresholds == RolloutThresholds())
        input = RolloutInput(served_entity: nil, strategy: "linear")
        input.step_count = 3
        plan = try RolloutPlan.validate(input)
        #expect(plan.steps == [33, 67, 100])
        #expect(plan.bakeSeconds == 60)
        plan = try RolloutPlan.validate(RolloutInput(served_entity: nil, strategy: "all_at_once"))
        #expect(plan.steps == [100])
        input = RolloutInput(served_entity: nil)
        input.max_error_rate = 0.01
        input.min_requests = 3
        plan = try RolloutPlan.validate(input)
        #expect(plan.steps == [10, 50, 100] && plan.thresholds.max_error_rate == 0.01 && plan.thresholds.min_requests == 3)

        for bad in [
            RolloutInput(served_entity: nil, steps: [50, 10]), RolloutInput(served_entity: nil, steps: [0, 100]),
            RolloutInput(served_entity: nil, strategy: "blue-green"), RolloutInput(served_entity: nil, strategy: "linear", steps: [50]),
            RolloutInput(served_entity: nil, bake_seconds: -1),
        ] {
            #expect(throws: ServingError.self) { try RolloutPlan.validate(bad) }
        }
        var rate = RolloutInput(served_entity: nil)
        rate.max_error_rate = 1.5
        #expect(throws: ServingError.self) { try RolloutPlan.validate(rate) }
    }

    @Test func statsWindowsCountFromAMark() {
        let stats = EntityStats()
        for _ in 0..<10 { stats.record(seconds: 0.001, ok: true) }
        let mark = stats.mark()
        for k in 0..<100 { stats.record(seconds: k == 99 ? 0.5 : 0.002, ok: k % 10 != 0) }
        let w = stats.window(since: mark)
        #expect(w.requests == 100 && w.errors == 10)
        #expect(w.p99Seconds == 0.5)
        #expect(stats.window(since: stats.mark()) == StatsWindow(requests: 0, errors: 0, p99Seconds: 0))
        // Past the sample ring, counts stay exact and the p99 comes from the samples kept.
        let late = stats.mark()
        for _ in 0..<(EntityStats.capacity + 10) { stats.record(seconds: 0.003, ok: false) }
        let all = stats.window(since: late)
        #expect(all.requests == EntityStats.capacity + 10 && all.errors == all.requests && all.p99Seconds == 0.003)
    }
}
