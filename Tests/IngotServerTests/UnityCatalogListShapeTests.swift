import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import IngotServer

/// Pins the exact JSON of Unity Catalog list pages (volumes with `next_page_token`, external locations, registered
/// models and their versions): field names, values and key order, with times, ids and paths masked.
@Suite struct UnityCatalogListShapeTests {
    static let uc = "/api/2.1/unity-catalog"

    /// The response body with run-dependent values (timestamps, ids, storage paths) replaced by placeholders.
    static func body(_ client: some TestClientProtocol, _ path: String) async throws -> String {
        try await client.execute(uri: path, method: .get) { response in
            #expect(response.status == .ok, "GET \(path)")
            var text = String(decoding: response.body.readableBytesView, as: UTF8.self)
            for (pattern, replacement) in [
                (#""(created_at|updated_at)":\d+"#, #""$1":0"#),
                (#""(volume_id|storage_location|url)":"[^"]*""#, #""$1":"*""#),
            ] {
                text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
            }
            return text
        }
    }

    @Test func volumeAndModelListPages() async throws {
        let services = try ServerTests.makeServices()
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-ext-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try await ServerTests.makeApp(services).test(.router) { client in
            let uc = Self.uc
            for (name, comment) in [("a", "first"), ("b", ""), ("c", "third")] {
                _ = try await RegistryRoutesTests.call(client, .post, "\(uc)/volumes", [
                    "catalog_name": "main", "schema_name": "default", "name": name, "volume_type": "MANAGED", "comment": comment,
                ])
            }
            let template = #"{"catalog_name":"main",COMMENT"created_at":0,"created_by":"admin","full_name":"main.default.NAME","name":"NAME","#
                + #""owner":"admin","schema_name":"default","storage_location":"*","updated_at":0,"updated_by":"admin","volume_id":"*","volume_type":"MANAGED"}"#
            func volume(_ name: String, _ comment: String) -> String {
                template.replacingOccurrences(of: "NAME", with: name).replacingOccurrences(of: "COMMENT", with: #""comment":"\#(comment)","#)
            }
            let first = try await Self.body(client, "\(uc)/volumes?catalog_name=main&schema_name=default&max_results=2")
            #expect(first == #"{"next_page_token":"b","volumes":["# + volume("a", "first") + "," + volume("b", "") + "]}")
            let last = try await Self.body(client, "\(uc)/volumes?catalog_name=main&schema_name=default&max_results=2&page_token=b")
            #expect(last == #"{"volumes":["# + volume("c", "third") + "]}")
            let all = try await Self.body(client, "\(uc)/volumes?catalog_name=main&schema_name=default&page_token=")
            #expect(all == #"{"volumes":["# + volume("a", "first") + "," + volume("b", "") + "," + volume("c", "third") + "]}")

            _ = try await RegistryRoutesTests.call(client, .post, "\(uc)/external-locations", ["name": "ext", "url": outside.absoluteString, "comment": "x"])
            #expect(try await Self.body(client, "\(uc)/external-locations") == #"{"external_locations":[{"comment":"x","created_at":0,"created_by":"admin","#
                + #""name":"ext","owner":"admin","read_only":false,"updated_at":0,"updated_by":"admin","url":"*"}]}"#)

            for name in ["m2", "m1"] {
                _ = try await RegistryRoutesTests.call(client, .post, "\(uc)/models", ["name": name, "catalog_name": "main", "schema_name": "default", "comment": "c"])
            }
            _ = try await RegistryRoutesTests.call(client, .post, "\(uc)/models/versions", [
                "model_name": "m1", "catalog_name": "main", "schema_name": "default", "source": "s3://bucket/model", "run_id": "r1",
            ])
            func model(_ name: String) -> String {
                #"{"catalog_name":"main","comment":"c","created_at":0,"created_by":"admin","full_name":"main.default.NAME","id":"main.default.NAME","#
                    .replacingOccurrences(of: "NAME", with: name)
                    + #""name":"\#(name)","owner":"admin","schema_name":"default","updated_at":0,"updated_by":"admin"}"#
            }
            #expect(try await Self.body(client, "\(uc)/models?catalog_name=main&schema_name=default") == #"{"registered_models":["# + model("m1") + "," + model("m2") + "]}")
            #expect(try await Self.body(client, "\(uc)/models") == #"{"registered_models":["# + model("m1") + "," + model("m2") + "]}")
            let versions = try await Self.body(client, "\(uc)/models/main.default.m1/versions")
            #expect(versions == #"{"model_versions":[{"catalog_name":"main","created_at":0,"created_by":"admin","id":"main.default.m1/1","model_name":"m1","run_id":"r1","#
                + #""schema_name":"default","source":"s3://bucket/model","status":"READY","storage_location":"*","updated_at":0,"updated_by":"admin","version":1}]}"#)
            #expect(try await Self.body(client, "\(uc)/models/main.default.m2/versions") == #"{"model_versions":[]}"#)
        }
    }
}
