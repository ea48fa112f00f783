import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCore
import IngotServing
import Logging
import Testing

@testable import IngotServer

/// The serving REST surfaces in process: endpoint API shape and typed validation errors, scoring
/// body errors, Open Inference V2 health, body limits.
@Suite struct ServingEndpointsRoutesTests {
    typealias JSON = [String: Any]

    static func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ body: Any? = nil, raw: String? = nil,
        contentType: String = "application/json", expect status: HTTPResponse.Status = .ok
    ) async throws -> JSON {
        let buffer = raw.map { ByteBuffer(string: $0) } ?? body.map { ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: $0)) }
        return try await client.execute(uri: path, method: method, headers: [.contentType: contentType], body: buffer) { response in
            let json = try ServerTests.json(response.body)
            #expect(response.status == status, "\(method) \(path): \(json)")
            return json
        }
    }

    @Test func endpointLifecycleAndValidationOverREST() async throws {
        let services = try ServerTests.makeServices()
        try await ServerTests.makeApp(services).test(.router) { client in
            let api = "/api/2.0/serving-endpoints"
            // A model version whose artifacts live elsewhere (s3): the endpoint is created, its update fails.
            _ = try await Self.call(client, .post, "/api/2.0/mlflow/registered-models/create", ["name": "rm"])
            _ = try await Self.call(client, .post, "/api/2.0/mlflow/model-versions/create", ["name": "rm", "source": "s3://bucket/model"])
            let created = try await Self.call(
                client, .post, api,
                [
                    "name": "ep1", "description": "d", "tags": [["key": "team", "value": "ml"]],
                    "config": [
                        "served_entities": [["entity_name": "rm", "entity_version": "1", "workload_size": "Small", "scale_to_zero_enabled": true]]
                    ],
                ])
            #expect(created["name"] as? String == "ep1" && (created["id"] as? String)?.isEmpty == false)
            #expect((created["state"] as? JSON)?["config_update"] as? String == "IN_PROGRESS")
            #expect((created["state"] as? JSON)?["ready"] as? String == "NOT_READY")
            let pending = try #require(created["pending_config"] as? JSON)
            let entity = try #require((pending["served_entities"] as? [JSON])?.first)
            #expect(
                entity["name"] as? String == "rm-1" && entity["entity_version"] as? String == "1"
                    && entity["min_provisioned_concurrency"] as? Int == 0)
            #expect(((pending["traffic_config"] as? JSON)?["routes"] as? [JSON])?.first?["traffic_percentage"] as? Int == 100)

            var got: JSON = [:]
            for _ in 0..<100 {
                got = try await Self.call(client, .get, "\(api)/ep1")
                if (got["state"] as? JSON)?["config_update"] as? String != "IN_PROGRESS" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let state = try #require(got["state"] as? JSON)
            #expect(state["config_update"] as? String == "UPDATE_FAILED" && state["ready"] as? String == "NOT_READY")
            #expect((state["config_update_message"] as? String)?.contains("not stored on this server") == true)
            let failedEntity = ((got["pending_config"] as? JSON)?["served_entities"] as? [JSON])?.first
            #expect((failedEntity?["state"] as? JSON)?["deployment"] as? String == "DEPLOYMENT_FAILED")

            let list = try await Self.call(client, .get, api)
            #expect((list["endpoints"] as? [JSON])?.map { $0["name"] as? String } == ["ep1"])
            // Not ready: invocations answer 503; bad bodies are 400 before that.
            let unavailable = try await Self.call(
                client, .post, "/serving-endpoints/ep1/invocations", ["instances": [[1, 2]]], expect: .serviceUnavailable)
            #expect(unavailable["error_code"] as? String == "TEMPORARILY_UNAVAILABLE")
            let malformed = try await Self.call(client, .post, "/serving-endpoints/ep1/invocations", raw: "{\"instances\": [", expect: .badRequest)
            #expect(malformed["error_code"] as? String == "BAD_REQUEST")
            let twoFormats = try await Self.call(
                client, .post, "/serving-endpoints/ep1/invocations", ["instances": [1], "inputs": [1]], expect: .badRequest)
            #expect((twoFormats["message"] as? String)?.contains("exactly one of") == true)
            _ = try await Self.call(client, .post, "/serving-endpoints/ep1/invocations", raw: "a,b\n1", contentType: "text/csv", expect: .badRequest)
            _ = try await Self.call(
                client, .post, "/serving-endpoints/ep1/invocations", raw: "x", contentType: "application/xml", expect: .badRequest)

            // Typed validation errors.
            let cases: [(Any, String, HTTPResponse.Status)] = [
                (
                    ["name": "bad name", "config": ["served_entities": [["entity_name": "rm", "entity_version": "1"]]]], "INVALID_PARAMETER_VALUE",
                    .badRequest
                ),
                (["name": "ep2"], "INVALID_PARAMETER_VALUE", .badRequest),
                (["name": "ep2", "config": ["served_entities": [["entity_name": "rm"]]]], "INVALID_PARAMETER_VALUE", .badRequest),
                (
                    [
                        "name": "ep2",
                        "config": [
                            "served_entities": [
                                ["entity_name": "rm", "entity_version": "1", "name": "a"], ["entity_name": "rm", "entity_version": "1", "name": "b"],
                            ],
                            "traffic_config": [
                                "routes": [
                                    ["served_entity_name": "a", "traffic_percentage": 70], ["served_entity_name": "b", "traffic_percentage": 20],
                                ]
                            ],
                        ],
                    ],
                    "INVALID_PARAMETER_VALUE", .badRequest
                ),
                (
                    [
                        "name": "ep2",
                        "config": [
                            "served_entities": [["entity_name": "rm", "entity_version": "1"]],
                            "traffic_config": ["routes": [["served_entity_name": "zz", "traffic_percentage": 100]]],
                        ],
                    ],
                    "INVALID_PARAMETER_VALUE", .badRequest
                ),
                (
                    ["name": "ep2", "config": ["served_entities": [["entity_name": "rm", "entity_version": "9"]]]], "RESOURCE_DOES_NOT_EXIST",
                    .notFound
                ),
                (
                    ["name": "ep2", "config": ["served_entities": [["entity_name": "nope", "entity_version": "1"]]]], "RESOURCE_DOES_NOT_EXIST",
                    .notFound
                ),
                (
                    ["name": "ep2", "config": ["served_entities": [["entity_name": "rm", "entity_version": "@missing"]]]], "RESOURCE_DOES_NOT_EXIST",
                    .notFound
                ),
                (
                    ["name": "ep1", "config": ["served_entities": [["entity_name": "rm", "entity_version": "1"]]]], "RESOURCE_ALREADY_EXISTS",
                    .badRequest
                ),
                (
                    ["name": "ep2", "config": ["served_entities": [["entity_name": "rm", "entity_version": [1]]]]], "INVALID_PARAMETER_VALUE",
                    .badRequest
                ),
            ]
            for (body, code, status) in cases {
                let answer = try await Self.call(client, .post, api, body, expect: status)
                #expect(answer["error_code"] as? String == code, "\(body): \(answer)")
            }
            let put = try await Self.call(
                client, .put, "\(api)/ep1/config", ["served_entities": [["entity_name": "rm", "entity_version": "1", "name": "again"]]])
            #expect((put["state"] as? JSON)?["config_update"] as? String == "IN_PROGRESS")
            _ = try await Self.call(client, .get, "\(api)/nope", expect: .notFound)
            _ = try await Self.call(
                client, .put, "\(api)/nope/config", ["served_entities": [["entity_name": "rm", "entity_version": "1"]]], expect: .notFound)
            _ = try await Self.call(client, .delete, "\(api)/ep1")
            _ = try await Self.call(client, .delete, "\(api)/ep1", expect: .notFound)
            _ = try await Self.call(client, .post, "/serving-endpoints/ep1/invocations", ["instances": [1]], expect: .notFound)

            // Open Inference V2.
            #expect(try await Self.call(client, .get, "/v2/health/live")["live"] as? Bool == true)
            #expect(try await Self.call(client, .get, "/v2/health/ready")["ready"] as? Bool == true)
            _ = try await Self.call(client, .get, "/v2/models/nope", expect: .notFound)
            _ = try await Self.call(client, .post, "/v2/models/nope/infer", ["inputs": []], expect: .badRequest)
            _ = try await Self.call(
                client, .post, "/v2/models/nope/infer", ["inputs": [["name": "a", "shape": [2], "datatype": "FP64", "data": [1]]]],
                expect: .badRequest)
            let huge = ["inputs": [["name": "a", "shape": [1 << 40, 1 << 40, 1 << 40], "datatype": "FP64", "data": [1]]]]
            _ = try await Self.call(client, .post, "/v2/models/nope/infer", huge, expect: .badRequest)
        }
    }

    @Test func oversizedScoringBodiesGet413() async throws {
        let services = try ServerTests.makeServices(maxBody: 64 * 1024)
        try await ServerTests.makeApp(services).test(.router) { client in
            let big = "{\"instances\": [" + String(repeating: "1.0,", count: 40_000) + "1.0]}"
            try await client.execute(
                uri: "/serving-endpoints/x/invocations", method: .post,
                headers: [.contentType: "application/json", .contentLength: String(big.utf8.count)],
                body: ByteBuffer(string: big)
            ) { response in
                #expect(response.status == .contentTooLarge)
            }
            // No Content-Length: the limit applies while the body is collected.
            try await client.execute(
                uri: "/serving-endpoints/x/invocations", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: big)
            ) { response in
                #expect(response.status == .contentTooLarge)
                let code = try ServerTests.json(response.body)["error_code"] as? String
                #expect(code == "REQUEST_LIMIT_EXCEEDED")
            }
        }
    }

    @Test func v2TensorsMapToFrames() throws {
        let body = try ServingJSONParse.parse(
            #"{"id": "r", "inputs": [{"name": "a", "shape": [2], "datatype": "FP64", "data": [1.5, 2]}, {"name": "b", "shape": [2, 1], "datatype": "BYTES", "data": [["x"], ["y"]]}]}"#
        )
        let (frame, id, _) = try OpenInferenceV2.frame(body)
        #expect(id == "r" && frame.columns == ["a", "b"] && frame.rows == [[.double(1.5), .string("x")], [.int(2), .string("y")]])
        let matrix = try OpenInferenceV2.frame(
            try ServingJSONParse.parse(#"{"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP64", "data": [1, 2, 3, 4]}]}"#)
        ).0
        #expect(matrix.columns.isEmpty && matrix.rows == [[.int(1), .int(2)], [.int(3), .int(4)]])
        let outputs = OpenInferenceV2.outputs(try ServingJSONParse.parse("[[0.25, 0.75], [0.5, 0.5]]"))
        #expect(outputs.first?.serialized == #"{"name":"predictions","shape":[2,2],"datatype":"FP64","data":[0.25,0.75,0.5,0.5]}"#)
        #expect(OpenInferenceV2.outputs(try ServingJSONParse.parse("[1, 0]")).first?["datatype"]?.stringValue == "INT64")
    }
}

enum ServingJSONParse {
    static func parse(_ s: String) throws -> ServingJSON { try ServingJSON.parse(Array(s.utf8)) }
}
