import Foundation
import Testing

@testable import IngotPipelines

@Suite struct JobsValidationTests {
    static func settings(_ tasks: [JobTask]) -> JobSettings { JobSettings(name: "j", tasks: tasks) }

    static func kind(_ s: JobSettings) -> (JobError.Kind, String)? {
        do { try JobValidation.validate(s) } catch let e as JobError { return (e.kind, e.message) } catch { return nil }
        return nil
    }

    @Test func validDAG() throws {
        try JobValidation.validate(Self.settings([
            JobTask(taskKey: "a", shell: "true"), JobTask(taskKey: "b", dependsOn: ["a"], shell: "true"),
            JobTask(taskKey: "c", dependsOn: ["a", "b"], runIf: .allDone, shell: "true"),
        ]))
    }

    @Test func cycleNamesTheTasks() throws {
        let r = Self.kind(Self.settings([
            JobTask(taskKey: "a", dependsOn: ["c"], shell: "true"), JobTask(taskKey: "b", dependsOn: ["a"], shell: "true"),
            JobTask(taskKey: "c", dependsOn: ["b"], shell: "true"),
        ]))
        #expect(r?.0 == .cycle)
        #expect(r?.1.contains("a -> c -> b -> a") == true)
    }

    @Test func selfDependency() {
        let r = Self.kind(Self.settings([JobTask(taskKey: "a", dependsOn: ["a"], shell: "true")]))
        #expect(r?.0 == .cycle)
        #expect(r?.1 == "task 'a' depends on itself")
    }

    @Test func unknownDependency() {
        let r = Self.kind(Self.settings([JobTask(taskKey: "a", dependsOn: ["nope"], shell: "true")]))
        #expect(r?.0 == .unknownDependency)
        #expect(r?.1 == "task 'a' depends on unknown task 'nope'")
    }

    @Test func duplicateKeys() {
        let r = Self.kind(Self.settings([JobTask(taskKey: "a", shell: "true"), JobTask(taskKey: "a", shell: "false")]))
        #expect(r?.0 == .duplicateTaskKey)
        #expect(r?.1.contains("'a'") == true)
    }

    @Test func badCronAndTimeZone() {
        var s = Self.settings([JobTask(taskKey: "a", shell: "true")])
        s.schedule = CronSchedule(quartzCronExpression: "0 0 99 * * ?")
        #expect(Self.kind(s)?.0 == .badCron)
        s.schedule = CronSchedule(quartzCronExpression: "0 0 9 * * ?", timezoneId: "Mars/Olympus")
        #expect(Self.kind(s)?.0 == .badCron)
    }

    @Test func exactlyOneTaskBodyAndTaskKeyCharacters() throws {
        var t = JobTask(taskKey: "a", shell: "true")
        t.sqlTask = SQLTask(statement: "SELECT 1")
        #expect(Self.kind(Self.settings([t]))?.1.contains("task 'a' must have exactly one") == true)
        #expect(Self.kind(Self.settings([JobTask(taskKey: "../x", shell: "true")]))?.1.contains("task_key '../x' is invalid") == true)
        var nb = JobTask(taskKey: "nb")
        nb.notebookTask = try JSONDecoder().decode(AnyCodable.self, from: Data("{}".utf8))
        #expect(Self.kind(Self.settings([nb]))?.0 == .unsupported)
        #expect(Self.kind(Self.settings([JobTask(taskKey: "a", runIf: nil, shell: "true"), {
            var x = JobTask(taskKey: "b", dependsOn: ["a"], shell: "true"); x.runIf = "SOMETIMES"; return x
        }()]))?.1.contains("task 'b': run_if 'SOMETIMES'") == true)
    }

    @Test func settingsDecodeDatabricksShape() throws {
        let json = """
            {"name": "n", "max_concurrent_runs": 2, "tags": {"team_name": "x"},
             "schedule": {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "Europe/Paris", "pause_status": "PAUSED"},
             "parameters": [{"name": "p", "default": "1"}], "email_notifications": {},
             "tasks": [{"task_key": "t", "depends_on": [{"task_key": "u"}], "run_if": "ALL_DONE", "max_retries": 2,
                        "min_retry_interval_millis": 10, "retry_on_timeout": true, "timeout_seconds": 5,
                        "spark_python_task": {"python_file": "/x.py", "parameters": ["a"]}},
                       {"task_key": "u", "pipeline_task": {"pipeline_id": "abc", "full_refresh": true}}]}
            """
        let s = try JobsJSON.decode(JobSettings.self, json)
        #expect(s.schedule?.timezoneId == "Europe/Paris" && s.schedule?.paused == true)
        #expect(s.tags == ["team_name": "x"])
        #expect(s.tasks?[0].condition == .allDone && s.tasks?[0].sparkPythonTask?.pythonFile == "/x.py" && s.tasks?[0].retryOnTimeout == true)
        #expect(s.tasks?[1].pipelineTask?.pipelineId == "abc")
        try JobValidation.validate(s)
        let round = try JobsJSON.decode(JobSettings.self, JobsJSON.encode(s))
        #expect(round == s)
        #expect(JobsJSON.encode(s).contains("\"min_retry_interval_millis\":10"))
    }

    // MARK: run_if

    @Test(arguments: [
        (RunIf.allSuccess, [ResultState.success, .success], nil as ResultState?),
        (.allSuccess, [.success, .failed], .upstreamFailed),
        (.allSuccess, [.success, .canceled], .upstreamCanceled),
        (.allDone, [.failed, .canceled], nil),
        (.noneFailed, [.success, .excluded], nil),
        (.noneFailed, [.success, .upstreamFailed], .upstreamFailed),
        (.atLeastOneSuccess, [.failed, .success], nil),
        (.atLeastOneSuccess, [.failed, .timedOut], .upstreamFailed),
        (.allFailed, [.failed, .timedOut], nil),
        (.allFailed, [.failed, .success], .excluded),
        (.atLeastOneFailed, [.success, .failed], nil),
        (.atLeastOneFailed, [.success, .success], .excluded),
    ])
    func runIf(condition: RunIf, upstream: [ResultState], expected: ResultState?) {
        #expect(JobValidation.evaluate(condition, upstream: upstream) == expected)
    }

    // MARK: Repair selection

    static func run(_ results: [String: ResultState], _ tasks: [JobTask]) -> JobRunRecord {
        JobRunRecord(
            runID: 1, jobID: 1, runName: "r", runType: "JOB_RUN", trigger: "ONE_TIME", scheduledTime: nil, settings: settings(tasks), parameters: [:],
            lifeCycleState: .terminated, resultState: .failed, stateMessage: "", startTime: 0, endTime: 1, creator: "u", repairHistory: [],
            tasks: tasks.enumerated().map { i, t in
                TaskRunRecord(taskRunID: Int64(10 + i), runID: 1, taskKey: t.taskKey, lifeCycleState: .terminated, resultState: results[t.taskKey],
                              stateMessage: "", attemptNumber: 0, attempts: [])
            })
    }

    @Test func repairSelectsFailedAndDependents() throws {
        // a → b → d, a → c; e independent. b failed, d upstream-failed, c and e succeeded.
        let tasks = [
            JobTask(taskKey: "a", shell: "true"), JobTask(taskKey: "b", dependsOn: ["a"], shell: "false"),
            JobTask(taskKey: "c", dependsOn: ["a"], shell: "true"), JobTask(taskKey: "d", dependsOn: ["b"], shell: "true"),
            JobTask(taskKey: "e", shell: "true"),
        ]
        let run = Self.run(["a": .success, "b": .failed, "c": .success, "d": .upstreamFailed, "e": .success], tasks)
        #expect(try JobService.repairSelection(run, rerunTasks: nil, rerunAllFailed: true, rerunDependents: true) == ["b", "d"])
        #expect(try JobService.repairSelection(run, rerunTasks: ["a"], rerunAllFailed: false, rerunDependents: true) == ["a", "b", "c", "d"])
        #expect(try JobService.repairSelection(run, rerunTasks: ["a"], rerunAllFailed: false, rerunDependents: false) == ["a"])
        #expect(throws: JobError.self) { try JobService.repairSelection(run, rerunTasks: ["zz"], rerunAllFailed: false, rerunDependents: true) }
    }

    @Test func sqlScriptSplitting() {
        #expect(SQLScript.split("SELECT 1; SELECT ';' -- c;\n; /* x; */ SELECT 2;") == ["SELECT 1", "SELECT ';'", "SELECT 2"])
    }

    @Test func logPathsStayInsideTheDataDirectory() throws {
        let env = JobEnvironment(serverURL: "http://x", dataDirectory: URL(fileURLWithPath: "/data"))
        #expect(try env.logURL(runID: 7, taskKey: "t-1").path == "/data/jobs/runs/7/t-1.log")
        #expect(throws: JobError.self) { try env.logURL(runID: 7, taskKey: "../../etc/passwd") }
    }
}
