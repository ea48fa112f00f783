import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCore
import Logging
import Testing

@testable import IngotServer

/// In-process tests of the registry's REST surfaces (MLflow registry, Databricks workflow).
@Suite struct RegistryRoutesTests {
    typealias JSON = [String: Any]

    static func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ body: JSON? = nil,
        expect status: HTTPResponse.Status = .ok
    ) async throws -> JSON {
        let buffer = body.map { ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: $0)) }
        return try await client.execute(uri: path, method: method, headers: [.contentType: "application/json"], body: buffer) { response in
            let json = try ServerTests.json(response.body)
            #expect(response.status == status, "\(method) \(path): \(json)")
            return json
        }
    }

    @Test func registeredModelsAndVersionsOverREST() async throws {
        let services = try ServerTests.makeServices()
        try await ServerTests.makeApp(services).test(.router) { client in
            let api = "/api/2.0/mlflow"
            let created = try await Self.call(client, .post, "\(api)/registered-models/create", ["name": "rm", "description": "d", "tags": [["key": "t", "value": "1"]]])
            #expect((created["registered_model"] as? JSON)?["name"] as? String == "rm")
            let dup = try await Self.call(client, .post, "\(api)/registered-models/create", ["name": "rm"], expect: .badRequest)
            #expect(dup["error_code"] as? String == "RESOURCE_ALREADY_EXISTS")
            let missing = try await Self.call(client, .get, "\(api)/registered-models/get?name=nope", expect: .notFound)
            #expect(missing["error_code"] as? String == "RESOURCE_DOES_NOT_EXIST")

            // An s3 source needs no tracking lookup.
            let v1 = try await Self.call(client, .post, "\(api)/model-versions/create", ["name": "rm", "source": "s3://bucket/model"])
            let mv = v1["model_version"] as? JSON
            #expect(mv?["version"] as? String == "1" && mv?["status"] as? String == "READY" && mv?["current_stage"] as? String == "None")
            _ = try await Self.call(client, .post, "\(api)/model-versions/create", ["name": "rm", "source": "s3://bucket/model2"])
            _ = try await Self.call(client, .post, "\(api)/registered-models/alias", ["name": "rm", "alias": "champion", "version": "2"])
            let byAlias = try await Self.call(client, .get, "\(api)/registered-models/alias?name=rm&alias=champion")
            #expect((byAlias["model_version"] as? JSON)?["version"] as? String == "2")
            let got = try await Self.call(client, .get, "\(api)/registered-models/get?name=rm")
            let model = got["registered_model"] as? JSON
            #expect((model?["aliases"] as? [JSON])?.first?["version"] as? String == "2")
            #expect((model?["latest_versions"] as? [JSON])?.count == 1)

            _ = try await Self.call(client, .post, "\(api)/model-versions/transition-stage", ["name": "rm", "version": "1", "stage": "production", "archive_existing_versions": false])
            let latest = try await Self.call(client, .post, "\(api)/registered-models/get-latest-versions", ["name": "rm", "stages": ["Production"]])
            #expect((latest["model_versions"] as? [JSON])?.map { $0["version"] as? String } == ["1"])
            let search = try await Self.call(client, .get, "\(api)/model-versions/search?filter=name%3D%27rm%27&order_by=version_number%20ASC")
            #expect((search["model_versions"] as? [JSON])?.map { $0["version"] as? String } == ["1", "2"])
            let bad = try await Self.call(client, .get, "\(api)/registered-models/search?filter=bogus%20%3D%3D", expect: .badRequest)
            #expect(bad["error_code"] as? String == "INVALID_PARAMETER_VALUE")
            let uri = try await Self.call(client, .get, "\(api)/model-versions/get-download-uri?name=rm&version=2")
            #expect(uri["artifact_uri"] as? String == "s3://bucket/model2")

            _ = try await Self.call(client, .post, "\(api)/registered-models/rename", ["name": "rm", "new_name": "rm2"])
            _ = try await Self.call(client, .delete, "\(api)/model-versions/delete", ["name": "rm2", "version": "1"])
            _ = try await Self.call(client, .get, "\(api)/model-versions/get?name=rm2&version=1", expect: .notFound)
            _ = try await Self.call(client, .delete, "\(api)/registered-models/delete", ["name": "rm2"])
            _ = try await Self.call(client, .get, "/ajax-api/2.0/mlflow/registered-models/get?name=rm2", expect: .notFound)
        }
    }

    @Test func approvalWorkflowOverREST() async throws {
        let services = try ServerTests.makeServices()
        try await ServerTests.makeApp(services).test(.router) { client in
            let api = "/api/2.0/mlflow"
            _ = try await Self.call(client, .post, "\(api)/registered-models/create", ["name": "wf"])
            _ = try await Self.call(client, .post, "\(api)/model-versions/create", ["name": "wf", "source": "s3://b/m"])
            let policy = try await Self.call(client, .post, "/api/2.0/ingot/registry/policies/set", ["name": "wf", "protected_aliases": ["champion"], "allow_self_approval": true])
            #expect((policy["policy"] as? JSON)?["protected_aliases"] as? [String] == ["champion"])
            let refused = try await Self.call(client, .post, "\(api)/registered-models/alias", ["name": "wf", "alias": "champion", "version": "1"], expect: .forbidden)
            #expect(refused["error_code"] as? String == "PERMISSION_DENIED")
            let created = try await Self.call(client, .post, "\(api)/transition-requests/create", ["name": "wf", "version": "1", "alias": "champion", "comment": "ship it"])
            #expect((created["request"] as? JSON)?["status"] as? String == "PENDING")
            let list = try await Self.call(client, .get, "\(api)/transition-requests/list?name=wf&version=1")
            #expect((list["requests"] as? [JSON])?.count == 1)
            let approved = try await Self.call(client, .post, "\(api)/transition-requests/approve", ["name": "wf", "version": "1", "alias": "champion", "comment": "ok"])
            #expect((approved["activity"] as? JSON)?["activity_type"] as? String == "APPROVED_REQUEST")
            #expect((approved["activity"] as? JSON)?["user_id"] as? String == "admin")
            let byAlias = try await Self.call(client, .get, "\(api)/registered-models/alias?name=wf&alias=champion")
            #expect((byAlias["model_version"] as? JSON)?["version"] as? String == "1")
            _ = try await Self.call(client, .post, "\(api)/comments/create", ["name": "wf", "version": "1", "comment": "nice"])
            let comments = try await Self.call(client, .get, "/api/2.0/ingot/registry/comments/list?name=wf&version=1")
            #expect((comments["comments"] as? [JSON])?.count == 1)
            let activities = try await Self.call(client, .get, "/api/2.0/ingot/registry/activities/list?name=wf&version=1")
            let types = (activities["activities"] as? [JSON])?.compactMap { $0["activity_type"] as? String } ?? []
            #expect(types.contains("REQUESTED_TRANSITION") && types.contains("SET_ALIAS") && types.contains("NEW_COMMENT"))
        }
    }

    @Test func queryStringsDecodeLikeForms() {
        let fields = MLflowParams.formFields("filter=name+%3D+%27a+b%27&order_by=x&order_by=y%2Bz&empty")
        guard case .string(let filter)? = fields["filter"] else { Issue.record("no filter"); return }
        #expect(filter == "name = 'a b'")
        guard case .array(let order)? = fields["order_by"] else { Issue.record("no order_by list"); return }
        #expect(order.count == 2)
        if case .string(let second) = order[1] { #expect(second == "y+z") }
        if case .string(let empty)? = fields["empty"] { #expect(empty.isEmpty) }
    }

    static func call(
        _ client: some TestClientProtocol, as user: String, _ method: HTTPRequest.Method, _ path: String, _ body: JSON? = nil,
        expect status: HTTPResponse.Status = .ok
    ) async throws -> JSON {
        let buffer = body.map { ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: $0)) }
        let headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(Self.tokens.value[user] ?? user)"]
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            let json = try ServerTests.json(response.body)
            #expect(response.status == status, "\(user) \(method) \(path): \(json)")
            return json
        }
    }

    /// Bearer tokens of the users in the two-user test, by name.
    final class TokenBox: @unchecked Sendable {
        private var tokens: [String: String] = [:]
        private let lock = NSLock()
        var value: [String: String] { lock.withLock { tokens } }
        func set(_ t: [String: String]) { lock.withLock { tokens = t } }
    }
    static let tokens = TokenBox()

    @Test func aliasChangeApprovedBySecondUserEndToEnd() async throws {
        let (services, tokens) = try await ServerTests.securedServices(prefix: "reg", users: ["alice", "bob", "carol", "dave"], admins: ["carol"])
        Self.tokens.set(tokens)
        try await ServerTests.makeApp(services).test(.router) { client in
            let api = "/api/2.0/mlflow"
            _ = try await Self.call(client, as: "alice", .post, "\(api)/registered-models/create", ["name": "gov"])
            for i in 1...2 { _ = try await Self.call(client, as: "alice", .post, "\(api)/model-versions/create", ["name": "gov", "source": "s3://b/\(i)"]) }
            // The owner lets bob approve and dave read (with auth on, models are guarded by their ACL).
            let acl: [[String: Any]] = [["user_name": "bob", "permission_level": "CAN_MANAGE_PRODUCTION_VERSIONS"], ["user_name": "dave", "permission_level": "CAN_READ"]]
            _ = try await Self.call(client, as: "alice", .patch, "/api/2.0/permissions/registered-models/gov", ["access_control_list": acl])
            // Only an administrator (carol) sets or lifts the policy: alice cannot remove it to bypass it.
            _ = try await Self.call(client, as: "carol", .post, "/api/2.0/ingot/registry/policies/set", ["name": "gov", "protected_aliases": ["champion"]])
            _ = try await Self.call(client, as: "alice", .delete, "/api/2.0/ingot/registry/policies/delete", ["name": "gov"], expect: .forbidden)
            // Refused without approval.
            let refused = try await Self.call(client, as: "alice", .post, "\(api)/registered-models/alias", ["name": "gov", "alias": "champion", "version": "2"], expect: .forbidden)
            #expect(refused["error_code"] as? String == "PERMISSION_DENIED")
            // Requested by alice, who cannot approve it herself.
            let created = try await Self.call(client, as: "alice", .post, "\(api)/transition-requests/create", ["name": "gov", "version": "2", "alias": "champion"])
            let id = (created["request"] as? JSON)?["id"] as? String ?? ""
            #expect((created["request"] as? JSON)?["user_id"] as? String == "alice")
            _ = try await Self.call(client, as: "alice", .post, "\(api)/transition-requests/approve", ["id": id], expect: .forbidden)
            // Bob approves: applied, and the decision records bob and when.
            let approved = try await Self.call(client, as: "bob", .post, "\(api)/transition-requests/approve", ["id": id, "comment": "lgtm"])
            let activity = approved["activity"] as? JSON
            #expect(activity?["user_id"] as? String == "bob" && (activity?["creation_timestamp"] as? Int ?? 0) > 0)
            #expect((approved["request"] as? JSON)?["status"] as? String == "APPROVED")
            let byAlias = try await Self.call(client, as: "dave", .get, "\(api)/registered-models/alias?name=gov&alias=champion")
            #expect((byAlias["model_version"] as? JSON)?["version"] as? String == "2")
            let history = try await Self.call(client, as: "dave", .get, "/api/2.0/ingot/registry/activities/list?name=gov&version=2")
            let entries = (history["activities"] as? [JSON] ?? []).map { "\($0["activity_type"] ?? ""):\($0["user_id"] ?? "")" }
            #expect(entries == ["REQUESTED_TRANSITION:alice", "APPROVED_REQUEST:bob", "SET_ALIAS:bob"])
        }
    }
}
