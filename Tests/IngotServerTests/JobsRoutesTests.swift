import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCore
import IngotPipelines
import Testing

@testable import IngotServer

/// The Jobs 2.2 REST surface in process: CRUD, pagination, run-now to a finished run, get-output,
/// repair, cancel, typed errors, and the 2.1 aliases.
@Suite struct JobsRoutesTests {
    typealias JSON = [String: Any]

    static func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ body: Any? = nil,
                     expect status: HTTPResponse.Status = .ok) async throws -> JSON {
        let buffer = body.map { ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: $0)) }
        return try await client.execute(uri: path, method: method, headers: [.contentType: "application/json"], body: buffer) { response in
            let json = try ServerTests.json(response.body)
            #expect(response.status == status, "\(method) \(path): \(json)")
            return json
        }
    }

    static func finished(_ client: some TestClientProtocol, _ runID: Any) async throws -> JSON {
        for _ in 0..<300 {
            let run = try await call(client, .get, "/api/2.2/jobs/runs/get?run_id=\(runID)")
            if ["TERMINATED", "SKIPPED", "INTERNAL_ERROR"].contains((run["state"] as? JSON)?["life_cycle_state"] as? String ?? "") { return run }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("run \(runID) did not finish")
        return [:]
    }

    @Test func crudPaginationAndErrors() async throws {
        let services = try ServerTests.makeServices()
        try await ServerTests.makeApp(services).test(.router) { client in
            let api = "/api/2.2/jobs"
            var ids: [Int] = []
            for i in 0..<3 {
                let created = try await Self.call(client, .post, "\(api)/create", [
                    "name": "job\(i)", "tags": ["k": "v"], "max_concurrent_runs": 2,
                    "schedule": ["quartz_cron_expression": "0 0 * * * ?", "timezone_id": "UTC", "pause_status": "PAUSED"],
                    "tasks": [["task_key": "a", "shell_command_task": ["command": "true"]]],
                ])
                ids.append(try #require(created["job_id"] as? Int))
            }
            let page1 = try await Self.call(client, .get, "\(api)/list?limit=2")
            #expect((page1["jobs"] as? [JSON])?.count == 2 && page1["has_more"] as? Bool == true)
            let token = try #require(page1["next_page_token"] as? String)
            let page2 = try await Self.call(client, .get, "\(api)/list?limit=2&page_token=\(token)")
            #expect((page2["jobs"] as? [JSON])?.map { $0["job_id"] as? Int } == [ids[2]] && page2["has_more"] as? Bool == false)
            #expect(((page1["jobs"] as? [JSON])?.first?["settings"] as? JSON)?["tasks"] == nil)  // tasks only with expand_tasks

            let got = try await Self.call(client, .get, "\(api)/get?job_id=\(ids[0])")
            let settings = try #require(got["settings"] as? JSON)
            #expect(settings["name"] as? String == "job0" && settings["max_concurrent_runs"] as? Int == 2)
            #expect((settings["schedule"] as? JSON)?["pause_status"] as? String == "PAUSED")
            #expect(((settings["tasks"] as? [JSON])?.first?["shell_command_task"] as? JSON)?["command"] as? String == "true")

            // update merges tasks by key; reset replaces everything.
            _ = try await Self.call(client, .post, "\(api)/update", [
                "job_id": ids[0], "new_settings": ["tasks": [["task_key": "b", "depends_on": [["task_key": "a"]], "shell_command_task": ["command": "true"]]]],
                "fields_to_remove": ["tags"],
            ])
            let updated = try await Self.call(client, .get, "\(api)/get?job_id=\(ids[0])")
            #expect(((updated["settings"] as? JSON)?["tasks"] as? [JSON])?.map { $0["task_key"] as? String } == ["a", "b"])
            #expect((updated["settings"] as? JSON)?["tags"] == nil && (updated["settings"] as? JSON)?["name"] as? String == "job0")
            _ = try await Self.call(client, .post, "\(api)/reset", ["job_id": ids[0], "new_settings": ["name": "renamed", "tasks": []]])
            let reset = try await Self.call(client, .get, "/api/2.1/jobs/get?job_id=\(ids[0])")
            #expect((reset["settings"] as? JSON)?["name"] as? String == "renamed" && (reset["settings"] as? JSON)?["schedule"] == nil)

            // Typed errors in Databricks' shape.
            let cycle = try await Self.call(client, .post, "\(api)/create", [
                "name": "bad", "tasks": [["task_key": "x", "depends_on": [["task_key": "y"]], "shell_command_task": ["command": "true"]],
                                         ["task_key": "y", "depends_on": [["task_key": "x"]], "shell_command_task": ["command": "true"]]],
            ], expect: .badRequest)
            #expect(cycle["error_code"] as? String == "INVALID_PARAMETER_VALUE" && (cycle["message"] as? String)?.contains("x -> y -> x") == true)
            let cron = try await Self.call(client, .post, "\(api)/create", ["name": "bad", "schedule": ["quartz_cron_expression": "0 0 0 * *"]], expect: .badRequest)
            #expect((cron["message"] as? String)?.contains("6 or 7") == true)
            let missing = try await Self.call(client, .get, "\(api)/get?job_id=999", expect: .notFound)
            #expect(missing["error_code"] as? String == "RESOURCE_DOES_NOT_EXIST")
            let noTasks = try await Self.call(client, .post, "\(api)/run-now", ["job_id": ids[0]], expect: .badRequest)
            #expect((noTasks["message"] as? String)?.contains("no tasks") == true)

            _ = try await Self.call(client, .post, "\(api)/delete", ["job_id": ids[1]])
            _ = try await Self.call(client, .get, "\(api)/get?job_id=\(ids[1])", expect: .notFound)
        }
    }

    @Test func runNowGetOutputRepairAndCancel() async throws {
        let services = try ServerTests.makeServices()
        let marker = services.config.dataDirectoryURL.appendingPathComponent("fixed").path
        try await ServerTests.makeApp(services).test(.router) { client in
            let api = "/api/2.2/jobs"
            let created = try await Self.call(client, .post, "\(api)/create", [
                "name": "dag", "parameters": [["name": "who", "default": "nobody"]],
                "tasks": [
                    ["task_key": "hello", "shell_command_task": ["command": "echo hello $INGOT_PARAM_WHO {{job.parameters.who}}"]],
                    ["task_key": "check", "depends_on": [["task_key": "hello"]], "shell_command_task": ["command": "test -f \(marker)"]],
                    ["task_key": "sql", "depends_on": [["task_key": "check"]], "sql_task": ["statement": "SELECT 1 AS x; SELECT 2"]],
                ],
            ])
            let jobID = try #require(created["job_id"] as? Int)
            let started = try await Self.call(client, .post, "\(api)/run-now", ["job_id": jobID, "job_parameters": ["who": "ann"]])
            let runID = try #require(started["run_id"] as? Int)
            let run = try await Self.finished(client, runID)
            #expect((run["state"] as? JSON)?["result_state"] as? String == "FAILED")
            #expect(((run["status"] as? JSON)?["termination_details"] as? JSON)?["code"] as? String == "RUN_EXECUTION_ERROR")
            let tasks = try #require(run["tasks"] as? [JSON])
            #expect(tasks.map { ($0["state"] as? JSON)?["result_state"] as? String } == ["SUCCESS", "FAILED", "UPSTREAM_FAILED"])
            #expect((run["job_parameters"] as? [JSON])?.first?["value"] as? String == "ann")

            let out = try await Self.call(client, .get, "\(api)/runs/get-output?run_id=\(tasks[0]["run_id"] as! Int)")
            #expect((out["logs"] as? String)?.contains("hello ann ann") == true)
            #expect((out["metadata"] as? JSON)?["task_key"] as? String == "hello")
            let multi = try await Self.call(client, .get, "\(api)/runs/get-output?run_id=\(runID)", expect: .badRequest)
            #expect((multi["message"] as? String)?.contains("multi-task") == true)

            FileManager.default.createFile(atPath: marker, contents: nil)
            let repair = try await Self.call(client, .post, "\(api)/runs/repair", ["run_id": runID, "rerun_all_failed_tasks": true])
            #expect(repair["repair_id"] is Int)
            let repaired = try await Self.finished(client, runID)
            #expect((repaired["state"] as? JSON)?["result_state"] as? String == "SUCCESS")
            let rtasks = try #require(repaired["tasks"] as? [JSON])
            #expect(rtasks[0]["run_id"] as? Int == tasks[0]["run_id"] as? Int)  // the successful task was kept
            #expect((repaired["repair_history"] as? [JSON])?.map { $0["type"] as? String } == ["ORIGINAL", "REPAIR"])
            let sqlOut = try await Self.call(client, .get, "\(api)/runs/get-output?run_id=\(rtasks[2]["run_id"] as! Int)")
            #expect(((sqlOut["sql_output"] as? JSON)?["output_text"] as? String)?.contains("statement 2: 1 row(s)") == true)

            // Cancel a long run; list runs with filters.
            let slow = try await Self.call(client, .post, "\(api)/runs/submit", [
                "run_name": "slow", "tasks": [["task_key": "s", "shell_command_task": ["command": "sleep 30"]]],
            ])
            let slowID = try #require(slow["run_id"] as? Int)
            try await Task.sleep(for: .milliseconds(200))
            _ = try await Self.call(client, .post, "\(api)/runs/cancel", ["run_id": slowID])
            let canceled = try await Self.finished(client, slowID)
            #expect((canceled["state"] as? JSON)?["result_state"] as? String == "CANCELED")
            #expect(canceled["run_type"] as? String == "SUBMIT_RUN")
            let listed = try await Self.call(client, .get, "\(api)/runs/list?job_id=\(jobID)&completed_only=true")
            #expect((listed["runs"] as? [JSON])?.map { $0["run_id"] as? Int } == [runID])
            _ = try await Self.call(client, .post, "\(api)/runs/delete", ["run_id": runID])
            _ = try await Self.call(client, .get, "\(api)/runs/get?run_id=\(runID)", expect: .notFound)
        }
    }
}
