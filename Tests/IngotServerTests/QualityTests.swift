import Foundation
@testable import IngotCatalog
import IngotCore
import IngotLake
@testable import IngotPipelines
import Testing

@testable import IngotServer

/// Data quality: profiles from Delta stats and scans, thresholds and health transitions, the score,
/// webhook notifications with retries, and the coalescing refresh queue.
@Suite struct QualityTests {
    static func batch(ids: [Int64?], names: [String?]) throws -> RecordBatch {
        var a = ColumnBuilder(type: .int64), b = ColumnBuilder(type: .string)
        for v in ids { a.append(v.map { .int($0) }) }
        for v in names { b.append(v.map { .string($0) }) }
        return try RecordBatch(schema: Schema([Field("id", .int64), Field("name", .string)]), columns: [a.finish(), b.finish()])
    }

    /// Records every POST it is asked to make; fails the first `failures` ones.
    final class RecordingTransport: QualityNotificationTransport, @unchecked Sendable {
        let lock = NSLock()
        var posts: [(url: String, body: String, secret: String?)] = []
        var failures: Int
        init(failures: Int = 0) { self.failures = failures }
        func post(url: String, body: [UInt8], secret: String?, headers: [(String, String)]) async throws -> Int {
            try lock.withLock {
                posts.append((url, String(decoding: body, as: UTF8.self), secret))
                if failures > 0 {
                    failures -= 1
                    struct Refused: Error {}
                    throw Refused()
                }
                return 200
            }
        }
    }

    static func setup(transport: RecordingTransport = RecordingTransport(), now: @escaping @Sendable () -> Int64 = { Clock.nowMillis() })
        async throws -> (IngotServices, QualityService, TableName)
    {
        let services = try ServerTests.makeServices()
        let name = try TableName(parsing: "main.default.people")
        try await services.tables.create(name, schema: Schema([Field("id", .int64), Field("name", .string)]), owner: "admin", data: { emit in
            try await emit(try Self.batch(ids: [1, 2, 3, 4], names: ["ann", "bob", "bob", nil]))
        })
        let quality = QualityService(store: QualityStore(metadata: services.metadata), tables: services.tables, queue: QualityRefreshQueue(),
                                     cron: QuartzScheduleEvaluator(), transport: transport, initialBackoffMillis: 0, clock: now)
        return (services, quality, name)
    }

    @Test func profileComesFromStatsAndScan() async throws {
        let (services, _, name) = try await Self.setup()
        let table = try services.tables.lakeTable(try await services.tables.namespace.table(name))
        let statsOnly = try await TableProfiler.profile(table, computeDistinct: false)
        #expect(statsOnly.row_count == 4)
        #expect(!statsOnly.scanned)
        #expect(statsOnly.column("name")?.null_count == 1)
        #expect(statsOnly.column("name")?.null_rate == 0.25)
        #expect(statsOnly.column("id")?.min == "1" && statsOnly.column("id")?.max == "4")
        #expect(statsOnly.column("name")?.min == "ann" && statsOnly.column("name")?.max == "bob")
        #expect(statsOnly.column("id")?.distinct_count == nil)
        let scanned = try await TableProfiler.profile(table, computeDistinct: true)
        #expect(scanned.scanned)
        #expect(scanned.column("id")?.distinct_count == 4)
        #expect(scanned.column("name")?.distinct_count == 2)
        #expect(scanned.column("name")?.source == "stats+scan")
    }

    @Test func hyperLogLogIsWithinAFewPercent() {
        var h = HyperLogLog()
        for i in 0..<100_000 { h.add(hash: HyperLogLog.mix(UInt64(i))) }
        let e = Double(h.estimate)
        #expect(abs(e - 100_000) / 100_000 < 0.05, "estimate \(e)")
        var small = HyperLogLog()
        for i in 0..<50 { small.add(hash: HyperLogLog.hash(bytes: Array("v\(i % 10)".utf8))) }
        #expect(small.estimate == 10)
    }

    @Test func driftComparesWithThePreviousProfile() async throws {
        let (services, _, name) = try await Self.setup()
        let (_, table) = try await services.tables.open(name)
        let first = try await TableProfiler.profile(table, computeDistinct: false)
        let v = try await table.append([try Self.batch(ids: [100, nil], names: ["zed", "amy"])])
        try await services.tables.committed(name, table: table, version: v)
        let second = try await TableProfiler.profile(table, computeDistinct: false)
        let drift = try #require(TableProfiler.drift(second, previous: first))
        #expect(drift.row_count_change == 2 && drift.row_count_change_pct == 50)
        let id = try #require(drift.columns.first { $0.name == "id" })
        #expect(id.previous_max == "4" && id.max == "100")
        #expect(id.null_rate_change != nil)
    }

    /// A second refresh of an unchanged table (a repeated commit notice, a schedule) reports the drift
    /// of that version against the one before it, not "no change", so a row-count check cannot flip back.
    @Test func refreshingAnUnchangedTableKeepsItsDrift() async throws {
        let (services, quality, name) = try await Self.setup()
        let config = MonitorConfig(refresh_on_commit: true, compute_distinct: false, thresholds: .init(max_row_count_change_pct: 50))
        _ = try await quality.createMonitor(name, config: config, creator: "admin")
        let (_, first) = try await quality.refresh(name, trigger: "MANUAL")
        #expect(first?.drift == nil && first?.health == .healthy)
        let (_, table) = try await services.tables.open(name)
        let v = try await table.append([try Self.batch(ids: [5, 6, 7], names: ["a", "b", "c"])])
        try await services.tables.committed(name, table: table, version: v)
        for trigger in ["COMMIT", "COMMIT", "MANUAL"] {
            let (_, result) = try await quality.refresh(name, trigger: trigger)
            let drift = try #require(result?.drift)
            #expect(drift.row_count_change == 3 && drift.previous_version == v - 1, "\(trigger)")
            #expect(result?.health == .unhealthy && result?.violations.map(\.check) == ["max_row_count_change_pct"])
        }
    }

    @Test func thresholdsHealthAndScore() throws {
        let profile = TableProfile(
            table_version: 3, row_count: 10, num_files: 1, size_bytes: 100, last_commit_ms: 1_000, profiled_at_ms: 1_000, scanned: false,
            columns: [
                ColumnProfile(name: "a", type: "int64", null_count: 5, null_rate: 0.5, distinct_count: 3, min: "1", max: "9", source: "stats"),
                ColumnProfile(name: "b", type: "string", null_count: 0, null_rate: 0, distinct_count: 10, min: "a", max: "z", source: "stats"),
            ])
        // No checks: C = 1, N = 0.25, E = 1 → 100·(0.6 + 0.15 + 0.2) = 95.
        let none = QualityEvaluator.evaluate(profile, drift: nil, thresholds: nil, expectationPassRate: nil, now: 2_000)
        #expect(none.health == .healthy && none.score == 95 && none.checks == 0)
        let t = MonitorConfig.Thresholds(max_null_rate: ["a": 0.1, "*": 0.2], min_row_count: 20, max_staleness_seconds: 60)
        let bad = QualityEvaluator.evaluate(profile, drift: nil, thresholds: t, expectationPassRate: 0.5, now: 1_000 + 61_000)
        // Checks: min_row_count (fails), staleness (fails, 61 s), null a (fails), null b (passes) → C = 1/4.
        #expect(bad.checks == 4)
        #expect(Set(bad.violations.map(\.check)) == ["min_row_count", "max_staleness_seconds", "max_null_rate"])
        #expect(bad.health == .unhealthy)
        #expect(bad.score == 100 * (0.6 * 0.25 + 0.2 * 0.75 + 0.2 * 0.5))
        let drift = ProfileDrift(previous_version: 2, row_count_change: -8, row_count_change_pct: -80, columns: [])
        let change = QualityEvaluator.evaluate(profile, drift: drift, thresholds: .init(max_row_count_change_pct: 50), expectationPassRate: nil, now: 1_000)
        #expect(change.violations.map(\.check) == ["max_row_count_change_pct"])
        let points = [
            ExpectationTrendPoint(update_id: "u1", pipeline_id: "p", timestamp_ms: 1, name: "e", action: "DROP", passed_records: 0, failed_records: 10),
            ExpectationTrendPoint(update_id: "u2", pipeline_id: "p", timestamp_ms: 2, name: "e", action: "DROP", passed_records: 9, failed_records: 1),
            ExpectationTrendPoint(update_id: "u2", pipeline_id: "p", timestamp_ms: 2, name: "f", action: "WARN", passed_records: 10, failed_records: 0),
        ]
        #expect(QualityEvaluator.expectationPassRate(points) == 0.95)
        #expect(QualityEvaluator.expectationPassRate([]) == nil)
    }

    @Test func transitionsToUnhealthyNotifyOnceWithRetries() async throws {
        let transport = RecordingTransport(failures: 1)
        let (services, quality, name) = try await Self.setup(transport: transport)
        let config = MonitorConfig(
            refresh_on_commit: true, compute_distinct: false,
            thresholds: .init(max_null_rate: ["name": 0.3]),
            notifications: .init(on_unhealthy: .init(url: "http://127.0.0.1:9/hook", secret: "s3cret")))
        _ = try await quality.createMonitor(name, config: config, creator: "admin")
        #expect(try await quality.monitor(name).config.redacted.notifications?.on_unhealthy?.secret == "***")
        let (r1, res1) = try await quality.refresh(name, trigger: "MANUAL")
        #expect(r1.state == "SUCCESS" && res1?.health == .healthy)
        // Bad data: the null rate of name goes from 1/4 to 4/7.
        let (_, table) = try await services.tables.open(name)
        let v = try await table.append([try Self.batch(ids: [5, 6, 7], names: [nil, nil, nil])])
        try await services.tables.committed(name, table: table, version: v)
        let (_, res2) = try await quality.refresh(name, trigger: "COMMIT")
        #expect(res2?.health == .unhealthy)
        #expect(res2?.violations.first?.column == "name")
        #expect(try await quality.monitor(name).health == .unhealthy)
        // Still unhealthy: no second notification.
        _ = try await quality.refresh(name, trigger: "MANUAL")
        #expect(try await quality.store.notifications(name).count == 1)
        // First attempt fails, the retry (backoff 0 here) delivers.
        #expect(try await quality.deliverDue() == 1)
        #expect(try await quality.deliverDue() == 1)
        #expect(try await quality.deliverDue() == 0)
        let sent = try await quality.store.notifications(name)
        #expect(sent.first?.status == "DELIVERED" && sent.first?.attempts == 2)
        #expect(transport.posts.count == 2 && transport.posts[1].secret == "s3cret")
        #expect(transport.posts[1].body.contains("\"event\":\"TABLE_UNHEALTHY\""))
        // Recovery is a transition too.
        _ = try await table.overwrite([try Self.batch(ids: [1], names: ["ok"])])
        let (_, res3) = try await quality.refresh(name, trigger: "MANUAL")
        #expect(res3?.health == .healthy)
        #expect(try await quality.store.notifications(name).map(\.event).sorted() == ["TABLE_HEALTHY", "TABLE_UNHEALTHY"])
        let summary = try await quality.summary(name)
        #expect(summary.history.count == 4 && summary.history.map(\.health) == [.healthy, .unhealthy, .unhealthy, .healthy])
        #expect(try await quality.store.refreshes(name).count == 4)
    }

    @Test func invalidConfigurationsAreRefused() async throws {
        let (_, quality, name) = try await Self.setup()
        await #expect(throws: CatalogError.self) {
            try await quality.createMonitor(name, config: MonitorConfig(schedule: .init(quartz_cron_expression: "nope")), creator: "a")
        }
        await #expect(throws: CatalogError.self) {
            try await quality.createMonitor(name, config: MonitorConfig(thresholds: .init(max_null_rate: ["x": 2])), creator: "a")
        }
        await #expect(throws: CatalogError.self) {
            try await quality.createMonitor(name, config: MonitorConfig(notifications: .init(on_unhealthy: .init(url: "ftp://x/y"))), creator: "a")
        }
        await #expect(throws: CatalogError.self) {
            try await quality.createMonitor(try TableName(parsing: "main.default.missing"), config: MonitorConfig(), creator: "a")
        }
        _ = try await quality.createMonitor(name, config: MonitorConfig(schedule: .init(quartz_cron_expression: "0 0 * * * ?")), creator: "a")
        await #expect(throws: CatalogError.self) { try await quality.createMonitor(name, config: MonitorConfig(), creator: "a") }
    }

    @Test func queueCoalescesBurstsAndHoldsTablesInFlight() async throws {
        let queue = QualityRefreshQueue()
        let a = try TableName(parsing: "main.default.a"), b = try TableName(parsing: "main.default.b")
        for _ in 0..<10 { await queue.tableCommitted(a) }
        await queue.enqueue(b, trigger: "SCHEDULE")
        let waiting = await queue.waiting, coalesced = await queue.coalesced
        #expect(waiting == 2 && coalesced == 9)
        let first = await queue.next()
        #expect(first?.table == a && first?.trigger == "COMMIT")
        // A commit to `a` while it is refreshed waits until that refresh is done.
        await queue.tableCommitted(a)
        let second = await queue.next()
        #expect(second?.table == b)
        await queue.done(second!)
        async let third = queue.next()
        await queue.done(first!)
        let thirdJob = await third
        #expect(thirdJob?.table == a)
        await queue.finish()
        let last = await queue.next()
        #expect(last == nil)
    }

    @Test func commitsReachTheWorkersOffTheRequestPath() async throws {
        let services = try ServerTests.makeServices()
        let name = try TableName(parsing: "main.default.events")
        try await services.tables.create(name, schema: Schema([Field("id", .int64), Field("name", .string)]), owner: "admin", data: { emit in
            try await emit(try Self.batch(ids: [1], names: ["a"]))
        })
        _ = try await services.quality.createMonitor(name, config: MonitorConfig(compute_distinct: false), creator: "admin")
        let worker = Task { await services.quality.run() }
        defer { worker.cancel() }
        let (_, table) = try await services.tables.open(name)
        for i in 0..<5 {
            let v = try await table.append([try Self.batch(ids: [Int64(i + 2)], names: ["x"])])
            try await services.tables.committed(name, table: table, version: v)
        }
        // The create refresh plus at most a few coalesced commit refreshes; the last one sees all 6 rows.
        var rows: Int64 = 0
        for _ in 0..<100 where rows != 6 {
            try await Task.sleep(for: .milliseconds(50))
            rows = try await services.quality.store.results(name, limit: 1).first?.profile.row_count ?? 0
        }
        #expect(rows == 6)
        let refreshes = try await services.quality.store.refreshes(name)
        #expect(refreshes.count >= 1 && refreshes.count <= 6)
    }

    @Test func pipelineExpectationsReachTheTablesQuality() async throws {
        let (services, quality, name) = try await Self.setup()
        let store = services.pipelines.store
        let p = try await store.create(name: "q-\(UUID().uuidString.prefix(6))", rootPath: "/tmp/x", settings: PipelineSettings(name: "p", catalog: "main", schema: "default"), creator: "admin")
        let other = try await store.create(name: "o-\(UUID().uuidString.prefix(6))", rootPath: "/tmp/y", settings: PipelineSettings(name: "o", catalog: "main", schema: "elsewhere"), creator: "admin")
        for (pipeline, failed) in [(p, Int64(2)), (other, Int64(50))] {
            let u = try await store.createUpdate(pipelineID: pipeline.id, fullRefresh: false)
            var m = DatasetMetrics(dataset: "people", kind: "table", state: "COMPLETED")
            m.expectations = [
                ExpectationMetrics(name: "id_not_null", dataset: "people", action: "DROP", passedRecords: 8, failedRecords: failed),
                ExpectationMetrics(name: "name_set", dataset: "people", action: "WARN", passedRecords: 10, failedRecords: 0),
            ]
            try await store.record(u.id, m)
        }
        // Only the pipeline whose catalog.schema holds the table counts.
        let points = try await PipelineExpectationHistory(store: store).expectations(for: name, limit: 100)
        #expect(points.count == 2 && Set(points.map(\.pipeline_id)) == [p.id])
        #expect(QualityEvaluator.expectationPassRate(points) == 0.9)
        let q = QualityService(store: quality.store, tables: services.tables, queue: QualityRefreshQueue(), expectations: PipelineExpectationHistory(store: store))
        _ = try await q.createMonitor(name, config: MonitorConfig(compute_distinct: false), creator: "admin")
        let (_, result) = try await q.refresh(name, trigger: "MANUAL")
        // C = 1, N = 0.125 (one null in four names, none in ids), E = 0.9 → 100·(0.6 + 0.175 + 0.18) = 95.5.
        #expect(result?.score == 95.5)
        #expect(try await q.summary(name).expectations.count == 2)
    }

    @Test func intervalSchedulesRefreshWithoutCommits() async throws {
        let (services, _, name) = try await Self.setup()
        let quality = QualityService(store: QualityStore(metadata: services.metadata), tables: services.tables, queue: QualityRefreshQueue(),
                                     cron: QuartzScheduleEvaluator())
        _ = try await quality.createMonitor(name, config: MonitorConfig(schedule: .init(interval_seconds: 1), refresh_on_commit: false, compute_distinct: false),
                                            creator: "admin")
        let worker = Task { await quality.run() }
        defer { worker.cancel() }
        var triggers: [String] = []
        for _ in 0..<80 where !triggers.contains("SCHEDULE") {
            try await Task.sleep(for: .milliseconds(50))
            triggers = try await quality.store.refreshes(name).map(\.trigger)
        }
        #expect(triggers.contains("SCHEDULE"), "refreshes: \(triggers)")
        #expect(triggers.contains("MANUAL"))  // the first profile, queued on create
    }

    /// A monitor follows its table through renames (the table's own, and its schema's) with its refreshes
    /// and results; dropping the table, or deleting its schema, drops the monitor; a pipeline's full
    /// refresh (drop to create again) keeps it.
    @Test func monitorsFollowRenamesAndGoWithTheTable() async throws {
        let (services, quality, name) = try await Self.setup()
        let namespace = services.tables.namespace
        _ = try await quality.createMonitor(name, config: MonitorConfig(compute_distinct: false), creator: "admin")
        for _ in 0..<2 { #expect(try await quality.refresh(name, trigger: "MANUAL").0.state == "SUCCESS") }

        let renamed = try TableName(parsing: "main.default.customers")
        try await namespace.renameTable(name, to: renamed)
        await #expect(throws: CatalogError.self) { try await quality.monitor(name) }
        #expect(try await quality.monitor(renamed).tableName == renamed)
        let store = quality.store
        #expect(try await store.refreshes(renamed).count == 2)
        #expect(try await store.refreshes(name).isEmpty)
        let results = try await store.results(renamed)
        #expect(results.count == 2 && results.allSatisfy { $0.table_name == "main.default.customers" })
        #expect(try await quality.summary(renamed).history.count == 2)
        // Refreshing under the new name appends to the same history.
        #expect(try await quality.refresh(renamed, trigger: "MANUAL").0.state == "SUCCESS")
        #expect(try await store.results(renamed).count == 3)

        // A schema rename carries it too.
        _ = try await namespace.createSchema(catalog: "main", name: "crm", owner: "admin")
        let moved = try TableName(parsing: "main.crm.customers")
        try await namespace.renameTable(renamed, to: moved)
        _ = try await namespace.updateSchema(catalog: "main", name: "crm", SecurableUpdate(newName: "sales"), actor: "admin")
        let inSales = try TableName(parsing: "main.sales.customers")
        #expect(try await quality.monitor(inSales).tableName == inSales)
        #expect(try await store.results(inSales).count == 3)

        // A pipeline's full refresh drops the table to create it again: the monitor stays.
        try await services.tables.drop(inSales, replacing: true)
        #expect(try await store.monitor(inSales) != nil)
        try await services.tables.create(inSales, schema: Schema([Field("id", .int64), Field("name", .string)]), owner: "admin")
        // Dropping the table drops its monitor and history; a table created under the name starts clean.
        try await services.tables.drop(inSales)
        #expect(try await store.monitor(inSales) == nil)
        #expect(try await store.results(inSales).isEmpty)
        #expect(try await store.refreshes(inSales).isEmpty)

        // Deleting a schema (force) drops its tables' monitors.
        let other = try TableName(parsing: "main.sales.orders")
        try await services.tables.create(other, schema: Schema([Field("id", .int64)]), owner: "admin")
        _ = try await quality.createMonitor(other, config: MonitorConfig(compute_distinct: false), creator: "admin")
        #expect(try await quality.refresh(other, trigger: "MANUAL").0.state == "SUCCESS")
        try await namespace.deleteSchema(catalog: "main", name: "sales", force: true)
        #expect(try await store.monitor(other) == nil)
        #expect(try await store.results(other).isEmpty)
        #expect(try await store.monitors().isEmpty)
    }
}

