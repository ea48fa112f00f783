import Foundation

/// Checks a profile against a monitor's thresholds and scores it.
///
/// Score (0–100) = 100 × (0.6·C + 0.2·(1 − N) + 0.2·E), rounded to one decimal, where
/// - C = the fraction of configured checks that pass (1 when none is configured): each of
///   `min_row_count`, `max_staleness_seconds`, `max_row_count_change_pct` is one check, and
///   `max_null_rate` / `min_distinct_count` one check per column they apply to;
/// - N = the mean null rate over the table's columns (0 for an empty table);
/// - E = the pass rate of the table's latest pipeline expectation results, passed / (passed + failed)
///   over that update's expectations (1 when no pipeline writes the table).
/// The table is UNHEALTHY when any check fails, HEALTHY otherwise.
public enum QualityEvaluator {
    public struct Outcome: Sendable, Equatable {
        public var violations: [QualityViolation]
        public var checks: Int
        public var health: TableHealth
        public var score: Double
    }

    public static func evaluate(
        _ profile: TableProfile, drift: ProfileDrift?, thresholds: MonitorConfig.Thresholds?, expectationPassRate: Double?, now: Int64
    ) -> Outcome {
        var violations: [QualityViolation] = []
        var checks = 0
        let t = thresholds ?? .init()
        if let min = t.min_row_count {
            checks += 1
            if profile.row_count < min {
                violations.append(.init(check: "min_row_count", column: nil, actual: Double(profile.row_count), limit: Double(min),
                                        message: "row count \(profile.row_count) is below \(min)"))
            }
        }
        if let maxAge = t.max_staleness_seconds {
            checks += 1
            let age = max(0, now - profile.last_commit_ms) / 1000
            if age > maxAge {
                violations.append(.init(check: "max_staleness_seconds", column: nil, actual: Double(age), limit: Double(maxAge),
                                        message: "last commit was \(age) s ago (limit \(maxAge) s)"))
            }
        }
        if let maxChange = t.max_row_count_change_pct, let drift {
            checks += 1
            let pct = drift.row_count_change_pct ?? (drift.row_count_change == 0 ? 0 : .infinity)
            if abs(pct) > maxChange {
                violations.append(.init(check: "max_row_count_change_pct", column: nil, actual: pct.isFinite ? pct : 1e9, limit: maxChange,
                                        message: "row count changed by \(pct.isFinite ? String(format: "%.1f", pct) : "∞") % (limit \(maxChange) %)"))
            }
        }
        if let rates = t.max_null_rate {
            for c in profile.columns {
                guard let limit = rates[c.name] ?? rates["*"] else { continue }
                checks += 1
                let rate = c.null_rate ?? 0
                if rate > limit {
                    violations.append(.init(check: "max_null_rate", column: c.name, actual: rate, limit: limit,
                                            message: "null rate of \(c.name) is \(String(format: "%.3f", rate)) (limit \(limit))"))
                }
            }
        }
        if let mins = t.min_distinct_count {
            for c in profile.columns {
                guard let limit = mins[c.name] ?? mins["*"] else { continue }
                checks += 1
                if let d = c.distinct_count, d < limit {
                    violations.append(.init(check: "min_distinct_count", column: c.name, actual: Double(d), limit: Double(limit),
                                            message: "about \(d) distinct values in \(c.name) (at least \(limit) expected)"))
                }
            }
        }
        let passing = checks == 0 ? 1.0 : Double(checks - violations.count) / Double(checks)
        let rates = profile.columns.compactMap(\.null_rate)
        let meanNull = rates.isEmpty || profile.row_count == 0 ? 0 : rates.reduce(0, +) / Double(rates.count)
        let e = expectationPassRate ?? 1
        let raw = 100 * (0.6 * passing + 0.2 * (1 - meanNull) + 0.2 * e)
        let score = (min(100, max(0, raw)) * 10).rounded() / 10
        return Outcome(violations: violations, checks: checks, health: violations.isEmpty ? .healthy : .unhealthy, score: score)
    }

    /// Pass rate of the newest update's expectations in `points` (nil when there are none).
    public static func expectationPassRate(_ points: [ExpectationTrendPoint]) -> Double? {
        guard let newest = points.max(by: { $0.timestamp_ms < $1.timestamp_ms }) else { return nil }
        let latest = points.filter { $0.update_id == newest.update_id }
        let passed = latest.reduce(Int64(0)) { $0 + $1.passed_records }
        let failed = latest.reduce(Int64(0)) { $0 + $1.failed_records }
        return passed + failed == 0 ? 1 : Double(passed) / Double(passed + failed)
    }
}
