import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IngotCore
import IngotIdentity
import Logging
import Testing

@testable import IngotServer

/// Every registered route has a guard, and with authentication on each one refuses an anonymous
/// caller (401) and a signed-in user without permissions (403/404), except the short allow-lists in
/// ``RouteGuards`` (public paths; routes any signed-in user may call, which then limit themselves).
@Suite struct RouteGuardCoverageTests {
    static func services() async throws -> (IngotServices, admin: String, user: String) {
        var config = IngotConfig()
        config.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-guard-\(UUID().uuidString)").path
        config.authMode = .token
        let services = try IngotServices.open(config: config)
        _ = try await services.identity.createPrincipal(name: "root", kind: "user", displayName: nil, isAdmin: true, password: nil)
        _ = try await services.identity.createPrincipal(name: "nobody", kind: "user", displayName: nil, isAdmin: false, password: nil)
        let admin = try await services.identity.createToken(for: "root", lifetimeSeconds: nil, comment: nil).0
        let user = try await services.identity.createToken(for: "nobody", lifetimeSeconds: nil, comment: nil).0
        return (services, admin, user)
    }

    /// A concrete URI for a route pattern: captures become `x1`, wildcards a short path.
    static func uri(_ pattern: String) -> String {
        pattern.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            if segment == "**" { return "7/abc/artifacts/f.txt" }
            if segment == "*" || segment.hasPrefix("{") || segment.hasPrefix(":") { return "x1" }
            return String(segment)
        }.joined(separator: "/")
    }

    @Test func everyRouteHasAGuardAndRefusesStrangers() async throws {
        let (services, _, user) = try await Self.services()
        let router = buildRouter(services: services)
        let routes = router.routes.map { ($0.method, $0.path.description) }
        #expect(routes.count > 100)
        let unguarded = routes.filter { RouteGuards.guard(method: $0.0, path: $0.1) == nil }.map { "\($0.0) \($0.1)" }
        #expect(unguarded.isEmpty, "routes without a guard in RouteGuards: \(unguarded)")
        let app = Application(router: router)
        try await app.test(.router) { client in
            for (method, pattern) in routes {
                let routeGuard = RouteGuards.guard(method: method, path: pattern)
                if routeGuard == .open { continue }
                let uri = Self.uri(pattern)
                let body = ByteBuffer(string: #"{"experiment_id":"1","name":"x1","run_id":"x1","job_id":1,"catalog_name":"c","schema_name":"s"}"#)
                try await client.execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: body) { response in
                    #expect(response.status == .unauthorized, "anonymous \(method) \(pattern) answered \(response.status)")
                }
                let expectRefusal: Bool =
                    switch routeGuard {
                    case .object, .catalog, .admin, .ownStatement: true
                    default: false
                    }
                // Creating as the user would make it the owner of the ids the other requests name.
                if case .create = routeGuard { continue }
                try await client.execute(
                    uri: uri, method: method, headers: [.authorization: "Bearer \(user)", .contentType: "application/json"], body: body
                ) { response in
                    if expectRefusal {
                        #expect(
                            response.status == .forbidden || response.status == .notFound,
                            "user without permissions: \(method) \(pattern) answered \(response.status)")
                    } else {
                        #expect(response.status != .unauthorized && response.status != .internalServerError, "\(method) \(pattern) answered \(response.status)")
                    }
                }
            }
        }
    }

    static func json(_ object: Any) throws -> ByteBuffer { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)) }

    @Test func experimentLevelsListingAndACLAPI() async throws {
        let (services, admin, user) = try await Self.services()
        let app = buildApplication(services: services, logger: Logger(label: "test"))
        let asAdmin: HTTPFields = [.authorization: "Bearer \(admin)"]
        let asUser: HTTPFields = [.authorization: "Bearer \(user)"]
        try await app.test(.router) { client in
            var ids: [String] = []
            for name in ["shared", "private"] {
                ids.append(
                    try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, headers: asAdmin, body: try Self.json(["name": name])) {
                        try ServerTests.json($0.body)["experiment_id"] as! String
                    })
            }
            let runID = try await client.execute(
                uri: "/api/2.0/mlflow/runs/create", method: .post, headers: asAdmin, body: try Self.json(["experiment_id": ids[0]])
            ) { response in ((try ServerTests.json(response.body)["run"] as! [String: Any])["info"] as! [String: Any])["run_id"] as! String }
            // No level: the experiment looks missing.
            try await client.execute(uri: "/api/2.0/mlflow/experiments/get?experiment_id=\(ids[0])", method: .get, headers: asUser) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/api/2.0/permissions/experiments/\(ids[0])", method: .patch, headers: asAdmin,
                body: try Self.json(["access_control_list": [["user_name": "nobody", "permission_level": "CAN_READ"]]])
            ) { response in
                #expect(response.status == .ok)
                let acl = try ServerTests.json(response.body)["access_control_list"] as! [[String: Any]]
                #expect(acl.contains { $0["user_name"] as? String == "nobody" })
            }
            try await client.execute(uri: "/api/2.0/mlflow/runs/get?run_id=\(runID)", method: .get, headers: asUser) { #expect($0.status == .ok) }
            let metric = try Self.json(["run_id": runID, "key": "m", "value": 1, "timestamp": 1, "step": 0])
            try await client.execute(uri: "/api/2.0/mlflow/runs/log-metric", method: .post, headers: asUser, body: metric) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("CAN_EDIT"))
            }
            // Search shows only the readable experiment; the user cannot hand out permissions.
            try await client.execute(uri: "/api/2.0/mlflow/experiments/search", method: .post, headers: asUser, body: try Self.json([:])) { response in
                let names = (try ServerTests.json(response.body)["experiments"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(names == ["shared"])
            }
            try await client.execute(
                uri: "/api/2.0/permissions/experiments/\(ids[0])", method: .put, headers: asUser,
                body: try Self.json(["access_control_list": [["user_name": "nobody", "permission_level": "CAN_MANAGE"]]])
            ) { #expect($0.status == .forbidden) }
            try await client.execute(
                uri: "/api/2.0/permissions/experiments/\(ids[0])", method: .patch, headers: asAdmin,
                body: try Self.json(["access_control_list": [["user_name": "nobody", "permission_level": "CAN_EDIT"]]])
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/2.0/mlflow/runs/log-metric", method: .post, headers: asUser, body: metric) { #expect($0.status == .ok) }
            // A user's own experiment: owner with CAN_MANAGE.
            let own = try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, headers: asUser, body: try Self.json(["name": "mine"])) {
                try ServerTests.json($0.body)["experiment_id"] as! String
            }
            try await client.execute(uri: "/api/2.0/permissions/experiments/\(own)", method: .get, headers: asUser) { response in
                #expect(response.status == .ok)
                let acl = try ServerTests.json(response.body)["access_control_list"] as! [[String: Any]]
                let levels = acl.flatMap { ($0["all_permissions"] as? [[String: Any]] ?? []).compactMap { $0["permission_level"] as? String } }
                #expect(levels == ["CAN_MANAGE"])
            }
            try await client.execute(uri: "/api/2.0/permissions/experiments/\(ids[1])", method: .get, headers: asUser) { #expect($0.status == .notFound) }
        }
    }

    @Test func endpointInvocationNeedsCanQuery() async throws {
        let (services, admin, user) = try await Self.services()
        let app = buildApplication(services: services, logger: Logger(label: "test"))
        let asAdmin: HTTPFields = [.authorization: "Bearer \(admin)", .contentType: "application/json"]
        let asUser: HTTPFields = [.authorization: "Bearer \(user)", .contentType: "application/json"]
        try await app.test(.router) { client in
            // A version whose artifacts live elsewhere: the endpoint exists but never becomes ready (503 once let through).
            for (path, body) in [
                ("/api/2.0/mlflow/registered-models/create", ["name": "rm"] as [String: Any]),
                ("/api/2.0/mlflow/model-versions/create", ["name": "rm", "source": "s3://bucket/model"]),
                ("/api/2.0/serving-endpoints", ["name": "ep1", "config": ["served_entities": [["entity_name": "rm", "entity_version": "1", "workload_size": "Small"]]]]),
            ] {
                try await client.execute(uri: path, method: .post, headers: asAdmin, body: try Self.json(body)) { #expect($0.status == .ok) }
            }
            let score = try Self.json(["instances": [[1, 2]]])
            try await client.execute(uri: "/serving-endpoints/ep1/invocations", method: .post, headers: asUser, body: score) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/2.0/serving-endpoints", method: .get, headers: asUser) { response in
                let endpoints = try ServerTests.json(response.body)["endpoints"] as? [Any]
                #expect(endpoints?.isEmpty == true)
            }
            func grant(_ level: String) async throws {
                try await client.execute(
                    uri: "/api/2.0/permissions/serving-endpoints/ep1", method: .patch, headers: asAdmin,
                    body: try Self.json(["access_control_list": [["user_name": "nobody", "permission_level": level]]])
                ) { #expect($0.status == .ok) }
            }
            try await grant("CAN_VIEW")
            try await client.execute(uri: "/api/2.0/serving-endpoints/ep1", method: .get, headers: asUser) { #expect($0.status == .ok) }
            try await client.execute(uri: "/serving-endpoints/ep1/invocations", method: .post, headers: asUser, body: score) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("CAN_QUERY"))
            }
            try await grant("CAN_QUERY")
            try await client.execute(uri: "/serving-endpoints/ep1/invocations", method: .post, headers: asUser, body: score) {
                #expect($0.status == .serviceUnavailable)  // past the guard: the endpoint is simply not ready
            }
            try await client.execute(uri: "/api/2.0/serving-endpoints/ep1/config", method: .put, headers: asUser, body: try Self.json(["served_entities": []])) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test func jobsAreOwnedByTheirCreatorAndListedByPermission() async throws {
        let (services, admin, user) = try await Self.services()
        let app = buildApplication(services: services, logger: Logger(label: "test"))
        let asAdmin: HTTPFields = [.authorization: "Bearer \(admin)", .contentType: "application/json"]
        let asUser: HTTPFields = [.authorization: "Bearer \(user)", .contentType: "application/json"]
        try await app.test(.router) { client in
            func create(_ headers: HTTPFields, _ name: String) async throws -> Int {
                let body = try Self.json(["name": name, "tasks": [["task_key": "a", "shell_command_task": ["command": "true"]]]])
                return try await client.execute(uri: "/api/2.1/jobs/create", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .ok)
                    return try ServerTests.json(response.body)["job_id"] as? Int ?? -1
                }
            }
            let theirs = try await create(asAdmin, "admins-job")
            let mine = try await create(asUser, "users-job")
            func names() async throws -> [String] {
                try await client.execute(uri: "/api/2.1/jobs/list", method: .get, headers: asUser) { response in
                    (try ServerTests.json(response.body)["jobs"] as? [[String: Any]] ?? []).compactMap { ($0["settings"] as? [String: Any])?["name"] as? String }
                }
            }
            #expect(try await names() == ["users-job"])
            try await client.execute(uri: "/api/2.0/permissions/jobs/\(mine)", method: .get, headers: asUser) { response in
                #expect(String(buffer: response.body).contains("IS_OWNER"))
            }
            try await client.execute(uri: "/api/2.1/jobs/get?job_id=\(theirs)", method: .get, headers: asUser) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/api/2.0/permissions/jobs/\(theirs)", method: .patch, headers: asAdmin,
                body: try Self.json(["access_control_list": [["user_name": "nobody", "permission_level": "CAN_VIEW"]]])
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/2.1/jobs/get?job_id=\(theirs)", method: .get, headers: asUser) { #expect($0.status == .ok) }
            #expect(try await names().sorted() == ["admins-job", "users-job"])
            try await client.execute(uri: "/api/2.1/jobs/run-now", method: .post, headers: asUser, body: try Self.json(["job_id": theirs])) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("CAN_MANAGE_RUN"))
            }
        }
    }
}
