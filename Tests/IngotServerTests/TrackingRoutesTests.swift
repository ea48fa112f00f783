import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCore
import Logging
import Testing

@testable import IngotServer

/// In-process tests of the MLflow tracking routes: wire shapes, error codes and artifact paths.
@Suite struct TrackingRoutesTests {
    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    @Test func experimentAndRunLifecycleOverREST() async throws {
        let services = try ServerTests.makeServices()
        try await ServerTests.makeApp(services).test(.router) { client in
            var experimentID = ""
            try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, body: try Self.body(["name": "routes"])) { response in
                #expect(response.status == .ok)
                experimentID = try ServerTests.json(response.body)["experiment_id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, body: try Self.body(["name": "routes"])) { response in
                #expect(response.status == .badRequest)
                let object = try ServerTests.json(response.body)
                #expect(object["error_code"] as? String == "RESOURCE_ALREADY_EXISTS")
            }
            var runID = ""
            try await client.execute(
                uri: "/api/2.0/mlflow/runs/create", method: .post, body: try Self.body(["experiment_id": experimentID, "run_name": "r"])
            ) { response in
                let run = try ServerTests.json(response.body)["run"] as? [String: Any]
                let info = run?["info"] as? [String: Any]
                runID = info?["run_id"] as? String ?? ""
                #expect(info?["artifact_uri"] as? String == "mlflow-artifacts:/\(experimentID)/\(runID)/artifacts")
                #expect(info?["status"] as? String == "RUNNING")
            }
            let batch: [String: Any] = [
                "run_id": runID, "metrics": [["key": "m", "value": "NaN", "timestamp": 1, "step": 0]], "params": [["key": "p", "value": "1"]],
            ]
            try await client.execute(uri: "/api/2.0/mlflow/runs/log-batch", method: .post, body: try Self.body(batch)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/ajax-api/2.0/mlflow/runs/get?run_id=\(runID)", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("\"value\":\"NaN\""))
            }
            try await client.execute(uri: "/api/2.0/mlflow/runs/get?run_id=nope", method: .get) { response in
                #expect(response.status == .notFound)
                let object = try ServerTests.json(response.body)
                #expect(object["error_code"] as? String == "RESOURCE_DOES_NOT_EXIST")
            }
            let search: [String: Any] = ["experiment_ids": [experimentID], "filter": "metrics.m >>> 1"]
            try await client.execute(uri: "/api/2.0/mlflow/runs/search", method: .post, body: try Self.body(search)) { response in
                #expect(response.status == .badRequest)
                let object = try ServerTests.json(response.body)
                #expect(object["error_code"] as? String == "INVALID_PARAMETER_VALUE")
            }
        }
    }

    @Test func artifactProxyRoundTripAndPathEscape() async throws {
        let services = try ServerTests.makeServices()
        try await ServerTests.makeApp(services).test(.router) { client in
            let uri = "/api/2.0/mlflow-artifacts/artifacts/0/abc/artifacts/dir/file.json"
            try await client.execute(uri: uri, method: .put, body: ByteBuffer(string: "{\"a\":1}")) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: uri, method: .get) { response in
                #expect(String(buffer: response.body) == "{\"a\":1}")
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            }
            try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts?path=0/abc/artifacts/dir", method: .get) { response in
                let files = try ServerTests.json(response.body)["files"] as? [[String: Any]]
                #expect(files?.first?["path"] as? String == "file.json")
                #expect(files?.first?["file_size"] as? Int == 7)
            }
            try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts/0/%2E%2E/%2E%2E/x", method: .put, body: ByteBuffer(string: "x")) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/3.0/mlflow/server-info", method: .get) { response in
                let object = try ServerTests.json(response.body)
                #expect(object["multipart_uploads_enabled"] as? Bool == true)
            }
        }
    }
}
