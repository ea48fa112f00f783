import Foundation
import IngotStorage
import Testing

@testable import IngotPipelines

/// Runs, retries, timeouts, cancel, repair, scheduling and crash recovery against a real metadata file.
@Suite(.serialized) struct JobsRunnerTests {
    struct Fixture {
        let dir: URL
        let metadata: MetadataStore
        let service: JobService

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-jobs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            metadata = try MetadataStore(path: dir.appendingPathComponent("metadata.sqlite").path, migrations: PipelinesModule.migrations)
            try metadata.migrate()
            service = Self.service(metadata, dir)
        }

        static func service(_ metadata: MetadataStore, _ dir: URL) -> JobService {
            JobService(metadata: metadata, environment: JobEnvironment(serverURL: "http://127.0.0.1:1", dataDirectory: dir, maxParallelTasks: 4, killGraceSeconds: 1),
                       pipelines: nil, sql: RecordingSQL())
        }

        func run(_ tasks: [JobTask], parameters: [JobParameterDefinition] = [], overrides: [String: String] = [:]) async throws -> JobRunRecord {
            let job = try await service.create(JobSettings(name: "t", tasks: tasks, parameters: parameters), creator: "tester")
            let run = try await service.runNow(job.jobID, parameters: overrides, creator: "tester")
            await service.runner.wait(run.runID)
            return try await service.store.run(run.runID)
        }
    }

    struct RecordingSQL: SQLTaskRunning {
        func runSQL(_ statements: [String], catalog: String?, schema: String?, context: JobTaskContext) async throws -> String {
            if statements.contains(where: { $0.contains("boom") }) { throw JobError.invalid("no such table boom") }
            return "ran \(statements.count): " + statements.joined(separator: " | ")
        }
    }

    @Test func dagRunsInDependencyOrderWithParameters() async throws {
        let f = try Fixture()
        let out = f.dir.appendingPathComponent("order.txt").path
        var sql = JobTask(taskKey: "q", dependsOn: ["b", "c"])
        sql.sqlTask = SQLTask(statement: "SELECT '{{job.parameters.day}}'; SELECT 2")
        let run = try await f.run(
            [JobTask(taskKey: "a", shell: "echo a >> \(out)"),
             JobTask(taskKey: "b", dependsOn: ["a"], shell: "echo b-$INGOT_PARAM_DAY-$INGOT_TASK_KEY >> \(out)"),
             JobTask(taskKey: "c", dependsOn: ["a"], shell: "echo c-{{job.parameters.day}} >> \(out)"), sql],
            parameters: [JobParameterDefinition(name: "day", default: "mon")], overrides: ["day": "tue"])
        #expect(run.lifeCycleState == .terminated && run.resultState == .success)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "a")
        #expect(Set(lines.dropFirst()) == ["b-tue-b", "c-tue"])
        #expect(run.task("q")?.output == "ran 2: SELECT 'tue' | SELECT 2")
        let log = try String(contentsOfFile: run.task("b")!.logPath!, encoding: .utf8)
        #expect(run.task("b")!.logPath!.hasSuffix("jobs/runs/\(run.runID)/b.log") && log.contains("attempt 0"))
    }

    @Test func retriesHonourTheIntervalAndDependentsAreUpstreamFailed() async throws {
        let f = try Fixture()
        let run = try await f.run([
            JobTask(taskKey: "flaky", maxRetries: 2, minRetryIntervalMillis: 400, shell: "echo try; exit 7"),
            JobTask(taskKey: "after", dependsOn: ["flaky"], shell: "true"),
            JobTask(taskKey: "always", dependsOn: ["flaky"], runIf: .allDone, shell: "true"),
            JobTask(taskKey: "onfail", dependsOn: ["flaky"], runIf: .atLeastOneFailed, shell: "true"),
            JobTask(taskKey: "after2", dependsOn: ["after"], shell: "true"),
        ])
        let flaky = try #require(run.task("flaky"))
        #expect(flaky.resultState == .failed && flaky.attemptNumber == 2 && flaky.attempts.count == 3)
        #expect(flaky.stateMessage.contains("status 7"))
        for (a, b) in zip(flaky.attempts, flaky.attempts.dropFirst()) { #expect(b.startTime - a.endTime! >= 400) }
        #expect(run.task("after")?.resultState == .upstreamFailed && run.task("after")?.lifeCycleState == .skipped)
        #expect(run.task("after2")?.resultState == .upstreamFailed)
        #expect(run.task("always")?.resultState == .success)
        #expect(run.task("onfail")?.resultState == .success)
        #expect(run.resultState == .failed)
    }

    @Test func timeoutStopsTheProcess() async throws {
        let f = try Fixture()
        let started = Date()
        let marker = f.dir.appendingPathComponent("term").path
        let run = try await f.run([JobTask(taskKey: "slow", timeoutSeconds: 1, shell: "trap 'echo term > \(marker); exit 1' TERM; sleep 30 & wait")])
        #expect(run.task("slow")?.resultState == .timedOut)
        #expect(run.resultState == .timedOut)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(FileManager.default.fileExists(atPath: marker))  // SIGTERM reached the task first
    }

    @Test func cancelARun() async throws {
        let f = try Fixture()
        let job = try await f.service.create(JobSettings(name: "c", tasks: [JobTask(taskKey: "s", shell: "sleep 30"), JobTask(taskKey: "n", dependsOn: ["s"], shell: "true")]), creator: "t")
        let run = try await f.service.runNow(job.jobID, creator: "t")
        try await Task.sleep(nanoseconds: 300_000_000)
        try await f.service.cancel(run.runID)
        await f.service.runner.wait(run.runID)
        let done = try await f.service.store.run(run.runID)
        #expect(done.resultState == .canceled)
        #expect(done.task("s")?.resultState == .canceled)
        #expect(done.task("n")?.resultState == .upstreamCanceled || done.task("n")?.resultState == .canceled)
    }

    @Test func repairRerunsOnlyFailedTasksAndDependents() async throws {
        let f = try Fixture()
        let flag = f.dir.appendingPathComponent("fixed").path
        let count = f.dir.appendingPathComponent("count").path
        let run = try await f.run([
            JobTask(taskKey: "ok", shell: "echo ok >> \(count)"),
            JobTask(taskKey: "bad", dependsOn: ["ok"], shell: "test -f \(flag)"),
            JobTask(taskKey: "next", dependsOn: ["bad"], shell: "true"),
            JobTask(taskKey: "side", dependsOn: ["ok"], shell: "true"),
        ])
        #expect(run.resultState == .failed)
        let okID = run.task("ok")!.taskRunID, badID = run.task("bad")!.taskRunID
        FileManager.default.createFile(atPath: flag, contents: nil)
        let repairID = try await f.service.repair(run.runID)
        await f.service.runner.wait(run.runID)
        let repaired = try await f.service.store.run(run.runID)
        #expect(repaired.resultState == .success)
        #expect(repaired.task("ok")?.taskRunID == okID)  // kept, not re-run
        #expect(repaired.task("bad")?.taskRunID != badID)
        #expect(try String(contentsOfFile: count, encoding: .utf8) == "ok\n")
        #expect(repaired.repairHistory.map(\.type) == ["ORIGINAL", "REPAIR"])
        #expect(repaired.repairHistory.last?.id == repairID)
        #expect(Set(repaired.repairHistory.last!.taskRunIds) == Set([repaired.task("bad")!.taskRunID, repaired.task("next")!.taskRunID]))
    }

    @Test func maxConcurrentRunsSkipsTheExtraRun() async throws {
        let f = try Fixture()
        let job = try await f.service.create(JobSettings(name: "c", tasks: [JobTask(taskKey: "s", shell: "sleep 1")]), creator: "t")
        let first = try await f.service.runNow(job.jobID, creator: "t")
        let second = try await f.service.runNow(job.jobID, creator: "t")
        #expect(second.lifeCycleState == .skipped && second.resultState == .maximumConcurrentRunsReached)
        await f.service.runner.wait(first.runID)
        #expect(try await f.service.store.run(first.runID).resultState == .success)
    }

    @Test func crashedRunsAreMarkedOnStartup() async throws {
        let f = try Fixture()
        let job = try await f.service.create(JobSettings(name: "c", tasks: [JobTask(taskKey: "s", shell: "true")]), creator: "t")
        // A run created by a process that then died: never executed here.
        guard case .created(let run) = try await f.service.store.createRun(
            jobID: job.jobID, settings: job.settings, parameters: [:], trigger: "ONE_TIME", runType: "JOB_RUN", creator: "t")
        else { Issue.record("not created"); return }
        try await f.service.store.setRunState(run.runID, .running)
        let restarted = Fixture.service(f.metadata, f.dir)
        #expect(try await restarted.recoverInterruptedRuns() == 1)
        let marked = try await restarted.store.run(run.runID)
        #expect(marked.lifeCycleState == .internalError && marked.resultState == .failed)
        #expect(marked.stateMessage == "the server stopped during the run")
        #expect(marked.task("s")?.lifeCycleState == .internalError)
    }

    @Test func serverShutdownStopsProcessesAndMarksRunsInterrupted() async throws {
        let f = try Fixture()
        let marker = f.dir.appendingPathComponent("term").path
        let job = try await f.service.create(JobSettings(name: "c", tasks: [
            JobTask(taskKey: "s", shell: "trap 'echo term > \(marker); exit 1' TERM; sleep 30 & wait"), JobTask(taskKey: "n", dependsOn: ["s"], shell: "true"),
        ]), creator: "t")
        let run = try await f.service.runNow(job.jobID, creator: "t")
        try await Task.sleep(nanoseconds: 300_000_000)
        let started = Date()
        await f.service.runner.shutdown(timeout: 5)
        #expect(Date().timeIntervalSince(started) < 4)
        #expect(FileManager.default.fileExists(atPath: marker))
        let done = try await f.service.store.run(run.runID)
        #expect(done.lifeCycleState == .internalError && done.stateMessage == "the server stopped during the run")
        #expect(done.task("s")?.lifeCycleState == .internalError && done.task("n")?.resultState == .failed)
    }

    @Test func twoSchedulersOnOneDatabaseNeverRunAScheduledTimeTwice() async throws {
        let f = try Fixture()
        var settings = JobSettings(name: "cron", tasks: [JobTask(taskKey: "s", shell: "true")], maxConcurrentRuns: 100)
        settings.schedule = CronSchedule(quartzCronExpression: "* * * * * ?", timezoneId: "UTC")
        let job = try await f.service.create(settings, creator: "t")
        // A second process: its own connection pool on the same file.
        let otherStore = try MetadataStore(path: f.dir.appendingPathComponent("metadata.sqlite").path, migrations: PipelinesModule.migrations)
        let other = Fixture.service(otherStore, f.dir)
        let base = Date(timeIntervalSince1970: Double(job.scheduleAnchor) / 1000)
        for i in 1...5 {
            let now = base.addingTimeInterval(Double(i))
            async let a = f.service.scheduleDue(now: now)
            async let b = other.scheduleDue(now: now)
            let (ra, rb) = try await (a, b)
            #expect(ra.count + rb.count == 1)
        }
        let runs = try await f.service.store.runs(jobID: job.jobID, limit: 100)
        #expect(runs.count == 5)
        #expect(Set(runs.compactMap(\.scheduledTime)).count == 5)
        for r in runs { await f.service.runner.wait(r.runID); await other.runner.wait(r.runID) }
    }

    @Test func missedSchedulesRunOnceNotAsABacklog() async throws {
        let f = try Fixture()
        var settings = JobSettings(name: "cron", tasks: [JobTask(taskKey: "s", shell: "true")])
        settings.schedule = CronSchedule(quartzCronExpression: "0 * * * * ?", timezoneId: "UTC")
        let job = try await f.service.create(settings, creator: "t")
        let anchor = Date(timeIntervalSince1970: Double(job.scheduleAnchor) / 1000)
        // The server was "down" for ten minutes: one run, for the most recent minute.
        let now = anchor.addingTimeInterval(600)
        let created = try await f.service.scheduleDue(now: now)
        #expect(created.count == 1)
        let expected = try QuartzCron("0 * * * * ?").latest(notAfter: now, notBefore: anchor, in: TimeZone(identifier: "UTC")!)!
        #expect(created.first?.scheduledTime == Int64(expected.timeIntervalSince1970 * 1000))
        #expect(created.first?.trigger == "PERIODIC")
        #expect(try await f.service.scheduleDue(now: now).isEmpty)
        await f.service.runner.wait(created[0].runID)
        // Paused jobs do not fire.
        _ = try await f.service.setPaused(job.jobID, true)
        #expect(try await f.service.scheduleDue(now: now.addingTimeInterval(120)).isEmpty)
    }
}
