import Foundation
import IngotCatalog
import IngotLake
import IngotStorage
import Testing

@testable import IngotPipelines

/// `schedule` and `notifications` of pipeline.yaml, acted on.
@Suite struct PipelineScheduleTests {
    actor Receiver: PipelineWebhookTransport {
        var bodies: [[String: String]] = []
        var calls = 0
        let failFirst: Int
        init(failFirst: Int) { self.failFirst = failFirst }
        nonisolated func post(url: String, body: [UInt8], timeoutSeconds: Int) async throws -> Int { await handle(url, body) }
        func handle(_ url: String, _ body: [UInt8]) -> Int {
            calls += 1
            if calls <= failFirst { return 503 }
            let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
            var b = json.mapValues { "\($0)" }
            b["_url"] = url
            bodies.append(b)
            return 200
        }
    }

    struct Env {
        let root: URL
        let metadata: MetadataStore
        let tables: TableService
        let dir: URL

        init(yaml: String, sql: String = "CREATE OR REFRESH MATERIALIZED VIEW one AS SELECT 1 AS x;") throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-sched-\(UUID().uuidString)")
            dir = root.appendingPathComponent("pipe")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            metadata = try MetadataStore(inMemoryWith: CatalogModule.migrations + CatalogMetadataModule.migrations + PipelinesModule.migrations)
            try metadata.migrate()
            tables = TableService(namespace: NamespaceStore(metadata: metadata), objects: try LocalObjectStore(root: root.appendingPathComponent("data")))
            try yaml.write(to: dir.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
            try sql.write(to: dir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
        }

        func service(_ notifier: PipelineNotifier? = nil) -> PipelineService { PipelineService(metadata: metadata, tables: tables, notifier: notifier) }

        func waitEnded(_ s: PipelineService, _ id: String) async throws -> String {
            for _ in 0..<400 {
                let u = try await s.store.update(id)
                if ["COMPLETED", "FAILED", "CANCELED"].contains(u.state) { return u.state }
                try await Task.sleep(nanoseconds: 25_000_000)
            }
            return "TIMEOUT"
        }
    }

    @Test func scheduleSettingsParse() throws {
        var s = try PipelineSettings.parse(yaml: "name: p\nschedule: '0 0/5 * * * ?'\n")
        #expect(s.schedule == "0 0/5 * * * ?" && s.scheduleTimezone == nil && s.schedulePaused == nil)
        s = try PipelineSettings.parse(yaml: "name: p\nschedule: {quartz_cron_expression: '0 0 6 * * ?', timezone_id: Europe/Paris, pause_status: PAUSED}\n")
        #expect(s.scheduleTimezone == "Europe/Paris" && s.schedulePaused == true && s.activeSchedule == nil)
        #expect(throws: PipelineError.self) { try PipelineSettings.parse(yaml: "name: p\nschedule: 'not a cron'\n") }
        #expect(throws: PipelineError.self) { try PipelineSettings.parse(yaml: "name: p\nschedule: {quartz_cron_expression: '0 * * * * ?', timezone_id: Mars/Base}\n") }
        let n = try PipelineSettings.parse(yaml: """
            name: p
            notifications:
              - email_recipients: [a@example.com]
                webhook_urls: ['http://127.0.0.1:9/hook']
                alerts: [on-update-failure, on-flow-failure]
            """)
        #expect(n.notificationRules == [PipelineNotificationRule(emailRecipients: ["a@example.com"], webhookURLs: ["http://127.0.0.1:9/hook"],
                                                                   alerts: ["on-update-failure", "on-flow-failure"])])
        let bad = #expect(throws: PipelineError.self) { try PipelineSettings.parse(yaml: "name: p\nnotifications: [{alerts: [on-lunch]}]\n") }
        #expect(bad?.message.contains("unknown alert 'on-lunch'") == true)
    }

    @Test func dueTimeRunsOnceAcrossRestarts() async throws {
        let env = try Env(yaml: "name: sched\ncatalog: main\nschema: sc\nschedule: '0 * * * * ?'\n")
        defer { try? FileManager.default.removeItem(at: env.root) }
        let s1 = env.service()
        let p = try await s1.save(rootPath: env.dir.path, name: nil, creator: "t")
        let t0 = Date()
        // The first look records the anchor: times before it never run.
        #expect(try await s1.scheduleDue(now: t0).isEmpty)
        let later = t0.addingTimeInterval(61)
        let started = try await s1.scheduleDue(now: later)
        #expect(started.count == 1)
        #expect(started.first?.cause == "SCHEDULED")
        #expect(try await env.waitEnded(s1, started[0].id) == "COMPLETED")
        // Again, and from a "restarted" server on the same database: the time is taken.
        #expect(try await s1.scheduleDue(now: later).isEmpty)
        let s2 = env.service()
        #expect(try await s2.scheduleDue(now: later).isEmpty)
        let runs = try await s2.store.scheduledRuns(pipelineID: p.id)
        #expect(runs.count == 1 && runs[0].outcome == "STARTED")
        // Missed times while down: only the latest runs, once.
        let muchLater = later.addingTimeInterval(600)
        let next = try await s2.scheduleDue(now: muchLater)
        #expect(next.count == 1)
        #expect(try await env.waitEnded(s2, next[0].id) == "COMPLETED")
        #expect(try await s2.store.scheduledRuns(pipelineID: p.id).count == 2)
        #expect(try await s2.nextScheduled(after: muchLater) != nil)
    }

    @Test func pausedScheduleDoesNotRun() async throws {
        let env = try Env(yaml: "name: paused\nschema: sp\nschedule: {quartz_cron_expression: '0 * * * * ?', pause_status: PAUSED}\n")
        defer { try? FileManager.default.removeItem(at: env.root) }
        let s = env.service()
        _ = try await s.save(rootPath: env.dir.path, name: nil, creator: "t")
        let t0 = Date()
        #expect(try await s.scheduleDue(now: t0).isEmpty)
        #expect(try await s.scheduleDue(now: t0.addingTimeInterval(300)).isEmpty)
        #expect(try await s.nextScheduled(after: t0) == nil)
    }

    @Test func webhooksOnSuccessAndFailureAreRetried() async throws {
        let yaml = """
            name: notify
            schema: sn
            notifications:
              - webhook_urls: ['http://hooks.local/a']
                email_recipients: [ops@example.com]
                alerts: [on-update-success, on-update-fatal-failure, on-flow-failure]
            """
        let env = try Env(yaml: yaml, sql: "CREATE OR REFRESH MATERIALIZED VIEW one (CONSTRAINT ok EXPECT (x > ${min}) ON VIOLATION FAIL UPDATE) AS SELECT 1 AS x;")
        defer { try? FileManager.default.removeItem(at: env.root) }
        try (yaml + "\nconfiguration: {min: '0'}\n").write(to: env.dir.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
        let receiver = Receiver(failFirst: 1)
        let notifier = PipelineNotifier(transport: receiver, attempts: 3, backoffMillis: 10)
        let s = env.service(notifier)
        let p = try await s.save(rootPath: env.dir.path, name: nil, creator: "t")
        let ok = try await s.start(p.id, fullRefresh: false)
        #expect(try await env.waitEnded(s, ok.id) == "COMPLETED")
        // The notification is started once the update's task ends (just after its state is written).
        func settle(_ n: Int) async throws {
            for _ in 0..<200 {
                await notifier.drain()
                if await receiver.bodies.count >= n { return }
                try await Task.sleep(nanoseconds: 25_000_000)
            }
        }
        try await settle(1)
        var bodies = await receiver.bodies
        #expect(bodies.count == 1)
        #expect(bodies.first?["alert"] == "on-update-success")
        #expect(bodies.first?["update_id"] == ok.id && bodies.first?["state"] == "COMPLETED")
        #expect(await receiver.calls == 2)  // the first attempt got a 503
        // A failing update: one on-update-fatal-failure and one on-flow-failure naming the dataset.
        try (yaml + "\nconfiguration: {min: '5'}\n").write(to: env.dir.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
        _ = try await s.save(rootPath: env.dir.path, name: nil, id: p.id, creator: "t")
        let bad = try await s.start(p.id, fullRefresh: false)
        #expect(try await env.waitEnded(s, bad.id) == "FAILED")
        try await settle(3)
        bodies = await receiver.bodies
        let failed = bodies.filter { $0["update_id"] == bad.id }
        #expect(Set(failed.compactMap { $0["alert"] }) == ["on-update-fatal-failure", "on-flow-failure"])
        #expect(failed.first { $0["alert"] == "on-flow-failure" }?["dataset"] == "one")
        #expect(failed.first?["error"]?.contains("Expectation 'ok'") == true)
        let events = try await s.store.events(pipelineID: p.id).filter { $0.eventType == "notification" }
        #expect(events.contains { $0.message.contains("e-mail is not configured") })
        #expect(events.filter { $0.message.contains("delivered") }.count == 3)
    }
}
