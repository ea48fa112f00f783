import Foundation

/// A table monitor's configuration: Databricks Lakehouse Monitoring's fields where they fit
/// (`schedule.quartz_cron_expression`, `snapshot`, `assets_dir`, `output_schema_name` are accepted and
/// kept), plus Ingot's thresholds and webhook notification.
public struct MonitorConfig: Codable, Sendable, Equatable {
    public struct Schedule: Codable, Sendable, Equatable {
        public var quartz_cron_expression: String?
        public var timezone_id: String?
        /// Ingot extension: refresh every N seconds (instead of a cron expression).
        public var interval_seconds: Int?
        public var pause_status: String?
        public init(quartz_cron_expression: String? = nil, timezone_id: String? = nil, interval_seconds: Int? = nil, pause_status: String? = nil) {
            self.quartz_cron_expression = quartz_cron_expression
            self.timezone_id = timezone_id
            self.interval_seconds = interval_seconds
            self.pause_status = pause_status
        }
    }

    /// Limits that mark the table UNHEALTHY when crossed. Rates are fractions (0.1 = 10 %).
    public struct Thresholds: Codable, Sendable, Equatable {
        /// Column → largest null fraction; the key `*` applies to every column without its own entry.
        public var max_null_rate: [String: Double]?
        public var min_row_count: Int64?
        public var max_staleness_seconds: Int64?
        /// Largest change of the row count against the previous profile, in percent.
        public var max_row_count_change_pct: Double?
        /// Column → smallest distinct count (approximate).
        public var min_distinct_count: [String: Int64]?
        public init(max_null_rate: [String: Double]? = nil, min_row_count: Int64? = nil, max_staleness_seconds: Int64? = nil,
                    max_row_count_change_pct: Double? = nil, min_distinct_count: [String: Int64]? = nil) {
            self.max_null_rate = max_null_rate
            self.min_row_count = min_row_count
            self.max_staleness_seconds = max_staleness_seconds
            self.max_row_count_change_pct = max_row_count_change_pct
            self.min_distinct_count = min_distinct_count
        }
    }

    /// Where a transition to UNHEALTHY (and back) is posted: HMAC-SHA256 signed like registry webhooks
    /// (`X-Databricks-Signature`), retried with backoff.
    public struct Webhook: Codable, Sendable, Equatable {
        public var url: String
        public var secret: String?
        public init(url: String, secret: String? = nil) {
            self.url = url
            self.secret = secret
        }
    }

    public struct Notifications: Codable, Sendable, Equatable {
        public var on_unhealthy: Webhook?
        public init(on_unhealthy: Webhook? = nil) { self.on_unhealthy = on_unhealthy }
    }

    public var schedule: Schedule?
    /// Refresh after every commit to the table (default true).
    public var refresh_on_commit: Bool?
    /// Compute approximate distinct counts (HyperLogLog) — needs a scan of the data files (default true).
    public var compute_distinct: Bool?
    public var thresholds: Thresholds?
    public var notifications: Notifications?
    public var snapshot: [String: String]?
    public var assets_dir: String?
    public var output_schema_name: String?

    public init(schedule: Schedule? = nil, refresh_on_commit: Bool? = nil, compute_distinct: Bool? = nil, thresholds: Thresholds? = nil,
                notifications: Notifications? = nil) {
        self.schedule = schedule
        self.refresh_on_commit = refresh_on_commit
        self.compute_distinct = compute_distinct
        self.thresholds = thresholds
        self.notifications = notifications
    }

    public var refreshesOnCommit: Bool { refresh_on_commit ?? true }
    public var computesDistinct: Bool { compute_distinct ?? true }

    /// The secret never leaves the server.
    public var redacted: MonitorConfig {
        var copy = self
        if copy.notifications?.on_unhealthy?.secret != nil { copy.notifications?.on_unhealthy?.secret = "***" }
        return copy
    }
}

public enum TableHealth: String, Codable, Sendable {
    case healthy = "HEALTHY"
    case unhealthy = "UNHEALTHY"
    case unknown = "UNKNOWN"
}

/// One column's profile. Counts come from the Delta log's per-file stats when every file has them;
/// the distinct count is always approximate (HyperLogLog, ~1.6 % standard error).
public struct ColumnProfile: Codable, Sendable, Equatable {
    public var name: String
    public var type: String
    public var null_count: Int64?
    public var null_rate: Double?
    public var distinct_count: Int64?
    /// Min/max as JSON-ish text (numbers, strings, dates) — strings may be truncated to 32 characters by the stats.
    public var min: String?
    public var max: String?
    /// `stats` (from the Delta log), `scan` (read from the data files) or `stats+scan`.
    public var source: String
}

/// A table's profile at one Delta version.
public struct TableProfile: Codable, Sendable, Equatable {
    public var table_version: Int64
    public var row_count: Int64
    public var num_files: Int
    public var size_bytes: Int64
    /// Commit timestamp of the version (ms).
    public var last_commit_ms: Int64
    public var profiled_at_ms: Int64
    public var scanned: Bool
    public var columns: [ColumnProfile]

    public func column(_ name: String) -> ColumnProfile? { columns.first { $0.name == name } }
}

/// What changed against the previous profile.
public struct ProfileDrift: Codable, Sendable, Equatable {
    public struct ColumnDrift: Codable, Sendable, Equatable {
        public var name: String
        public var previous_min: String?
        public var min: String?
        public var previous_max: String?
        public var max: String?
        public var null_rate_change: Double?
    }
    public var previous_version: Int64
    public var row_count_change: Int64
    /// Percent change of the row count (nil when the previous count was 0).
    public var row_count_change_pct: Double?
    /// Columns whose min or max moved, or whose null rate changed.
    public var columns: [ColumnDrift]
}

/// A threshold the table crosses.
public struct QualityViolation: Codable, Sendable, Equatable {
    /// `min_row_count`, `max_staleness_seconds`, `max_row_count_change_pct`, `max_null_rate`, `min_distinct_count`.
    public var check: String
    public var column: String?
    public var actual: Double
    public var limit: Double
    public var message: String
}

/// The outcome of one refresh.
public struct QualityResult: Codable, Sendable, Equatable {
    public var refresh_id: Int64
    public var table_name: String
    public var health: TableHealth
    public var score: Double
    public var profile: TableProfile
    public var drift: ProfileDrift?
    public var violations: [QualityViolation]
    public var created_at_ms: Int64
}

/// A monitor as stored.
public struct MonitorRecord: Sendable, Equatable {
    public var tableName: TableName
    public var config: MonitorConfig
    public var health: TableHealth
    public var createdAt: Int64
    public var updatedAt: Int64
    public var creator: String
}

/// One refresh (Databricks' MonitorRefreshInfo shape: state PENDING/RUNNING/SUCCESS/FAILED/CANCELED,
/// trigger MANUAL/SCHEDULE plus Ingot's COMMIT).
public struct MonitorRefresh: Codable, Sendable, Equatable {
    public var refresh_id: Int64
    public var state: String
    public var trigger: String
    public var start_time_ms: Int64
    public var end_time_ms: Int64?
    public var message: String?
}

/// Per-table pass/fail/drop counts of one pipeline update's expectations (read from the pipelines module).
public struct ExpectationTrendPoint: Codable, Sendable, Equatable {
    public var update_id: String
    public var pipeline_id: String
    public var timestamp_ms: Int64
    public var name: String
    public var action: String
    public var passed_records: Int64
    public var failed_records: Int64
    public init(update_id: String, pipeline_id: String, timestamp_ms: Int64, name: String, action: String, passed_records: Int64, failed_records: Int64) {
        self.update_id = update_id
        self.pipeline_id = pipeline_id
        self.timestamp_ms = timestamp_ms
        self.name = name
        self.action = action
        self.passed_records = passed_records
        self.failed_records = failed_records
    }
}

/// Where the quality module reads a table's pipeline expectation results; the composition root
/// adapts the pipelines module to it.
public protocol ExpectationHistorySource: Sendable {
    func expectations(for table: TableName, limit: Int) async throws -> [ExpectationTrendPoint]
}

/// Turns a monitor's cron schedule into the next run time; the composition root supplies the Quartz parser.
public protocol CronScheduleEvaluator: Sendable {
    /// Throws for an invalid expression.
    func next(expression: String, timeZone: String?, after: Date) throws -> Date?
}

/// Posts a quality notification; the server signs and sends it.
public protocol QualityNotificationTransport: Sendable {
    /// Returns the HTTP status.
    func post(url: String, body: [UInt8], secret: String?, headers: [(String, String)]) async throws -> Int
}
