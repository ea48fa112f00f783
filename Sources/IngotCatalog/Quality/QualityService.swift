import Foundation
import IngotCore
import IngotStorage
import Logging

/// Data quality per table: monitors (Databricks Lakehouse Monitoring's create/get/update/delete and
/// refreshes), profiles, thresholds → health, a score and its history, and notifications when the
/// health changes. Refreshes triggered by commits and schedules run off the request path in
/// ``run()`` (a service the server owns): a fixed number of workers take coalesced jobs from
/// ``QualityRefreshQueue``; manual refreshes run on the caller's task.
public struct QualityService: Sendable {
    public let store: QualityStore
    public let tables: TableService
    public let queue: QualityRefreshQueue
    let expectations: (any ExpectationHistorySource)?
    let cron: (any CronScheduleEvaluator)?
    let transport: (any QualityNotificationTransport)?
    let workers: Int
    let pollInterval: Duration
    let maxAttempts: Int
    let initialBackoffMillis: Int64
    let clock: @Sendable () -> Int64
    let logger = Logger(label: "ingot.quality")

    public init(
        store: QualityStore, tables: TableService, queue: QualityRefreshQueue, expectations: (any ExpectationHistorySource)? = nil,
        cron: (any CronScheduleEvaluator)? = nil, transport: (any QualityNotificationTransport)? = nil, workers: Int = 2,
        pollInterval: Duration = .milliseconds(200), maxAttempts: Int = 6, initialBackoffMillis: Int64 = 1000,
        clock: @escaping @Sendable () -> Int64 = { Clock.nowMillis() }
    ) {
        self.store = store
        self.tables = tables
        self.queue = queue
        self.expectations = expectations
        self.cron = cron
        self.transport = transport
        self.workers = max(1, workers)
        self.pollInterval = pollInterval
        self.maxAttempts = maxAttempts
        self.initialBackoffMillis = initialBackoffMillis
        self.clock = clock
    }

    // MARK: monitors

    public func createMonitor(_ name: TableName, config: MonitorConfig, creator: String) async throws -> MonitorRecord {
        _ = try await tables.namespace.table(name)
        try validate(config)
        let record = try await store.createMonitor(name, config: config, creator: creator, now: clock())
        await queue.enqueue(name, trigger: "MANUAL")  // the first profile, as Databricks refreshes on create
        return record
    }

    public func monitor(_ name: TableName) async throws -> MonitorRecord {
        guard let m = try await store.monitor(name) else { throw CatalogError.notFound("Table '\(name)' has no monitor") }
        return m
    }

    /// Replaces the configuration; a secret sent as `***` (what GET shows) keeps the stored one.
    public func updateMonitor(_ name: TableName, config: MonitorConfig) async throws -> MonitorRecord {
        var config = config
        let existing = try await monitor(name)
        if config.notifications?.on_unhealthy?.secret == "***" {
            config.notifications?.on_unhealthy?.secret = existing.config.notifications?.on_unhealthy?.secret
        }
        try validate(config)
        try await store.updateMonitor(name, config: config, now: clock())
        return try await monitor(name)
    }

    public func deleteMonitor(_ name: TableName) async throws { try await store.deleteMonitor(name) }

    func validate(_ config: MonitorConfig) throws {
        if let s = config.schedule {
            if let expr = s.quartz_cron_expression {
                guard let cron else { throw CatalogError.invalidParameter("cron schedules are not available") }
                do { _ = try cron.next(expression: expr, timeZone: s.timezone_id, after: Date()) } catch {
                    throw CatalogError.invalidParameter("schedule.quartz_cron_expression: \(error)")
                }
            }
            if let i = s.interval_seconds, i < 1 { throw CatalogError.invalidParameter("schedule.interval_seconds must be at least 1") }
        }
        if let t = config.thresholds {
            for (c, r) in t.max_null_rate ?? [:] where !(0...1).contains(r) {
                throw CatalogError.invalidParameter("thresholds.max_null_rate.\(c) must be between 0 and 1")
            }
            if let m = t.max_staleness_seconds, m < 0 { throw CatalogError.invalidParameter("thresholds.max_staleness_seconds must not be negative") }
            if let p = t.max_row_count_change_pct, p < 0 { throw CatalogError.invalidParameter("thresholds.max_row_count_change_pct must not be negative") }
        }
        if let hook = config.notifications?.on_unhealthy {
            guard let url = URL(string: hook.url), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                throw CatalogError.invalidParameter("notifications.on_unhealthy.url must be an http(s) URL, got '\(hook.url)'")
            }
        }
    }

    // MARK: refreshes

    /// Profiles the table now, evaluates the thresholds, records the result and queues a
    /// notification when the health changes. Returns the refresh (SUCCESS or FAILED) and its result.
    @discardableResult
    public func refresh(_ name: TableName, trigger: String) async throws -> (MonitorRefresh, QualityResult?) {
        let monitor = try await monitor(name)
        let start = clock()
        var refresh = try await store.startRefresh(name, trigger: trigger, now: start)
        do {
            let record = try await tables.namespace.table(name)
            let table = try tables.lakeTable(record)
            let profile = try await TableProfiler.profile(table, computeDistinct: monitor.config.computesDistinct, now: start)
            let previous = try await store.latestResult(name, beforeVersion: profile.table_version)
            let drift = TableProfiler.drift(profile, previous: previous?.profile)
            let points = (try? await expectations?.expectations(for: name, limit: 200)) ?? []
            let outcome = QualityEvaluator.evaluate(
                profile, drift: drift, thresholds: monitor.config.thresholds, expectationPassRate: QualityEvaluator.expectationPassRate(points), now: clock())
            let result = QualityResult(
                refresh_id: refresh.refresh_id, table_name: name.description, health: outcome.health, score: outcome.score, profile: profile,
                drift: drift, violations: outcome.violations, created_at_ms: clock())
            let before = try await store.finishRefresh(result, now: clock())
            if before != outcome.health, outcome.health == .unhealthy || before == .unhealthy {
                try await notify(monitor, result: result, previous: before)
            }
            refresh.state = "SUCCESS"
            refresh.end_time_ms = clock()
            return (refresh, result)
        } catch {
            try? await store.failRefresh(refresh.refresh_id, message: "\(error)", now: clock())
            refresh.state = "FAILED"
            refresh.message = "\(error)"
            refresh.end_time_ms = clock()
            return (refresh, nil)
        }
    }

    // MARK: the quality view

    public struct Summary: Sendable, Encodable {
        public struct Point: Sendable, Encodable {
            public var refresh_id: Int64
            public var table_version: Int64
            public var created_at_ms: Int64
            public var score: Double
            public var health: TableHealth
            public var row_count: Int64
            public var violations: Int
        }
        public var table_name: String
        public var monitored: Bool
        public var health: TableHealth
        public var score: Double?
        public var latest: QualityResult?
        public var history: [Point]
        public var expectations: [ExpectationTrendPoint]
        public var monitor: MonitorConfig?
    }

    public func summary(_ name: TableName, historyLimit: Int = 100) async throws -> Summary {
        _ = try await tables.namespace.table(name)
        let monitor = try await store.monitor(name)
        let results = monitor == nil ? [] : try await store.results(name, limit: historyLimit)
        let points = (try? await expectations?.expectations(for: name, limit: 500)) ?? []
        return Summary(
            table_name: name.description, monitored: monitor != nil, health: monitor?.health ?? .unknown, score: results.first?.score,
            latest: results.first,
            history: results.reversed().map {
                .init(refresh_id: $0.refresh_id, table_version: $0.profile.table_version, created_at_ms: $0.created_at_ms, score: $0.score,
                      health: $0.health, row_count: $0.profile.row_count, violations: $0.violations.count)
            },
            expectations: points, monitor: monitor?.config.redacted)
    }

    // MARK: notifications

    func notify(_ monitor: MonitorRecord, result: QualityResult, previous: TableHealth) async throws {
        guard let hook = monitor.config.notifications?.on_unhealthy else { return }
        struct Payload: Encodable {
            let event: String
            let table_name: String
            let health: TableHealth
            let previous_health: TableHealth
            let score: Double
            let table_version: Int64
            let refresh_id: Int64
            let violations: [QualityViolation]
            let timestamp: Int64
        }
        let event = result.health == .unhealthy ? "TABLE_UNHEALTHY" : "TABLE_HEALTHY"
        let payload = try QualityStore.json(Payload(
            event: event, table_name: result.table_name, health: result.health, previous_health: previous, score: result.score,
            table_version: result.profile.table_version, refresh_id: result.refresh_id, violations: result.violations, timestamp: clock()))
        try await store.enqueue(QualityNotification(
            id: IDGenerator.hex32(), table_name: result.table_name, url: hook.url, secret: hook.secret, event: event, payload: payload,
            status: "PENDING", attempts: 0, next_attempt_at: clock(), last_status_code: nil, last_error: nil, created_at: clock()))
    }

    /// Attempts every due notification once; failures back off 1×, 2×, 4×… the initial delay (at most
    /// five minutes) until `maxAttempts`. Returns how many were attempted.
    @discardableResult
    public func deliverDue() async throws -> Int {
        guard let transport else { return 0 }
        let due = try await store.dueNotifications(now: clock(), limit: 16)
        for var n in due {
            if Task.isCancelled { break }
            n.attempts += 1
            do {
                let status = try await transport.post(
                    url: n.url, body: Array(n.payload.utf8), secret: n.secret,
                    headers: [("X-Ingot-Event", n.event), ("X-Ingot-Delivery", n.id), ("X-Ingot-Attempt", String(n.attempts))])
                n.last_status_code = status
                n.last_error = (200..<300).contains(status) ? nil : "HTTP \(status)"
            } catch {
                n.last_status_code = nil
                n.last_error = "\(error)"
            }
            if n.last_error == nil {
                n.status = "DELIVERED"
            } else if n.attempts >= maxAttempts {
                n.status = "FAILED"
                logger.warning("quality notification failed", metadata: ["table": "\(n.table_name)", "error": "\(n.last_error ?? "")"])
            } else {
                n.next_attempt_at = clock() + min(300_000, initialBackoffMillis << Int64(min(n.attempts - 1, 20)))
            }
            try await store.updateNotification(n)
        }
        return due.count
    }

    // MARK: the background loop

    /// Workers for queued refreshes, the schedule and the notification delivery, until cancelled.
    public func run() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for _ in 0..<workers {
                    group.addTask {
                        while let job = await queue.next() {
                            await runQueued(job)
                            await queue.done(job)
                        }
                    }
                }
                group.addTask { await scheduleLoop() }
                group.addTask {
                    while !Task.isCancelled {
                        let worked = (try? await deliverDue()) ?? 0
                        if worked == 0 { try? await Task.sleep(for: pollInterval) }
                    }
                }
            }
        } onCancel: {
            Task { await queue.finish() }
        }
    }

    func runQueued(_ job: QualityRefreshQueue.Job) async {
        do {
            guard let monitor = try await store.monitor(job.table) else { return }
            if job.trigger == "COMMIT", !monitor.config.refreshesOnCommit { return }
            let (refresh, _) = try await refresh(job.table, trigger: job.trigger)
            if refresh.state == "FAILED" {
                logger.warning("quality refresh failed", metadata: ["table": "\(job.table)", "error": "\(refresh.message ?? "")"])
            }
        } catch {
            logger.warning("quality refresh failed", metadata: ["table": "\(job.table)", "error": "\(error)"])
        }
    }

    /// Queues scheduled refreshes when they are due (checked every second).
    func scheduleLoop() async {
        var nextDue: [String: Int64] = [:]
        while !Task.isCancelled {
            let now = clock()
            if let monitors = try? await store.monitors() {
                var seen: Set<String> = []
                for m in monitors {
                    let key = m.tableName.description
                    seen.insert(key)
                    guard let s = m.config.schedule, s.pause_status?.uppercased() != "PAUSED" else { nextDue[key] = nil; continue }
                    if let due = nextDue[key], due <= now {
                        await queue.enqueue(m.tableName, trigger: "SCHEDULE")
                        nextDue[key] = nil
                    }
                    if nextDue[key] == nil { nextDue[key] = next(s, after: now) }
                }
                for key in nextDue.keys where !seen.contains(key) { nextDue[key] = nil }
            }
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }

    func next(_ s: MonitorConfig.Schedule, after now: Int64) -> Int64? {
        if let i = s.interval_seconds { return now + Int64(i) * 1000 }
        if let expr = s.quartz_cron_expression, let cron,
           let date = try? cron.next(expression: expr, timeZone: s.timezone_id, after: Date(timeIntervalSince1970: Double(now) / 1000)) {
            return Int64(date.timeIntervalSince1970 * 1000)
        }
        return nil
    }
}
