import Foundation
import HTTPTypes
import Hummingbird
import IngotCatalog
import IngotCore
import IngotIdentity
import NIOCore

/// Enforces ``RouteGuards`` on every route (installed only when authentication is on; with auth off
/// everyone is the local admin). Runs after route matching, so it sees the route pattern and its
/// parameters. A route the table does not classify is refused to non-admins (fail closed).
///
/// An object the caller holds no level on answers 404 like a missing one; a level too low answers
/// 403 `PERMISSION_DENIED` naming the level needed.
struct AuthorizationMiddleware: RouterMiddleware {
    typealias Context = IngotRequestContext
    let authorizer: ACLAuthorizer
    let lookup: ACLParentLookup
    let statements: StatementStore

    init(services: IngotServices) {
        self.authorizer = services.authorizer
        self.statements = services.statements
        self.lookup = ACLParentLookup(metadata: services.metadata)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let principal = context.principal
        guard let pattern = context.endpointPath else { return try await next(request, context) }
        let routeGuard = RouteGuards.guard(method: request.method, path: pattern)
        if principal.isAdmin {
            // Admins pass every guard; what they create still starts with a clean ACL.
            if case .create = routeGuard {} else { return try await next(request, context) }
        }
        if principal == .anonymous, routeGuard != .open {
            throw APIErrorResponse(.unauthenticated, "authentication required")
        }
        var request = request
        switch routeGuard {
        case .open, .signedIn, .permissionsAPI:
            return try await next(request, context)
        case .ownStatement:
            let id = context.parameters.get("id") ?? ""
            guard let entry = await statements.entry(id), entry.principal == principal.name else {
                throw APIErrorResponse(.resourceDoesNotExist, "statement \(id) does not exist")
            }
            return try await next(request, context)
        case .none, .admin:
            throw APIErrorResponse(.permissionDenied, "\(request.method) \(pattern) requires an administrator")
        case .object(let type, let level, let ref):
            let ids = try await resolve(ref, &request, context)
            guard !ids.isEmpty else {
                throw APIErrorResponse(.permissionDenied, "\(request.method) \(pattern) requires \(level) on a \(type.singular) the request does not name")
            }
            for id in ids { try await require(principal, type, id, level) }
            return try await next(request, context)
        case .create(let type, let requestField, let responseField):
            var id: String?
            if let requestField { id = try await resolve(.field([requestField]), &request, context).first }
            var response = try await next(request, context)
            guard response.status == .ok || response.status == .created else { return response }
            if id == nil, let responseField {
                let (json, copy) = try await Self.json(of: response)
                id = Self.string(json?[responseField])
                response = copy
            }
            if let id {
                // A name can be reused after a delete: the new object never inherits the old one's ACL.
                try await authorizer.store.deleteObject(objectType: type.rawValue, objectID: id)
                if !principal.isAdmin { try await authorizer.store.recordOwner(type, objectID: id, principal: principal.name, kind: Self.kind(principal)) }
            }
            return response
        case .listing(let type, let level, let array, let idField):
            return try await filledPage(request, context, array: array, next: next) { item in
                guard let id = Self.string((item as? [String: Any])?[idField]) else { return false }
                return try await authorizer.check(principal, AccessRequest(objectType: type.rawValue, objectID: id, privilege: level))
            }
        case .catalog(let privilege, let ref):
            let ids = try await resolve(ref, &request, context)
            guard let name = ids.first else { throw APIErrorResponse(.permissionDenied, "\(pattern) requires \(privilege) on a securable the request does not name") }
            try await requireCatalog(principal, privilege, name)
            return try await next(request, context)
        case .catalogListing(let privilege, let array, let nameField):
            return try await filledPage(request, context, array: array, next: next) { item in
                guard let name = Self.string((item as? [String: Any])?[nameField]) else { return false }
                return try await authorizer.check(principal, AccessRequest(objectType: "uc:table", objectID: name, privilege: privilege))
            }
        case .icebergListing(let parentPrivilege, let parent, let itemPrivilege, let array):
            // The parent must be usable; the list then shows only the namespaces/tables the caller may use.
            let ids = try await resolve(parent, &request, context)
            guard let prefix = ids.first else { throw APIErrorResponse(.permissionDenied, "\(pattern) requires \(parentPrivilege) on a securable the request does not name") }
            try await requireCatalog(principal, parentPrivilege, prefix)
            let catalog = context.parameters.get("prefix")?.removingPercentEncoding ?? prefix
            return try await filledPage(request, context, array: array, next: next) { item in
                guard let name = Self.icebergName(item, catalog: catalog) else { return false }
                return try await authorizer.check(principal, AccessRequest(objectType: "uc:table", objectID: name, privilege: itemPrivilege))
            }
        }
    }

    /// The full name of an Iceberg list item: a namespace (`["sales"]`) or a table identifier
    /// (`{"namespace": ["sales"], "name": "orders"}`), under the catalog `{prefix}`.
    static func icebergName(_ item: Any, catalog: String) -> String? {
        if let parts = item as? [String], !parts.isEmpty { return ([catalog] + parts).joined(separator: ".") }
        if let table = item as? [String: Any], let namespace = table["namespace"] as? [String], let name = table["name"] as? String {
            return ([catalog] + namespace + [name]).joined(separator: ".")
        }
        return nil
    }

    static func kind(_ principal: Principal) -> GranteeKind { principal.kind == .servicePrincipal ? .servicePrincipal : .user }

    func require(_ principal: Principal, _ type: ACLObjectType, _ id: String, _ level: String) async throws {
        if try await authorizer.check(principal, AccessRequest(objectType: type.rawValue, objectID: id, privilege: level)) { return }
        guard try await authorizer.level(principal, on: type, id: id) != nil else {
            // Never leak existence: an object the caller cannot see answers like a missing one.
            throw APIErrorResponse(.resourceDoesNotExist, "\(type.singular) \(id) does not exist")
        }
        throw APIErrorResponse(.permissionDenied, "this request requires \(level) on \(type.singular) \(id)")
    }

    func requireCatalog(_ principal: Principal, _ privilege: String, _ name: String) async throws {
        if try await authorizer.check(principal, AccessRequest(objectType: "uc:table", objectID: name, privilege: privilege)) { return }
        throw APIErrorResponse(.permissionDenied, "this request requires \(privilege) on \(name)")
    }

    // MARK: Finding the object

    func resolve(_ ref: ObjectRef, _ request: inout Request, _ context: Context) async throws -> [String] {
        switch ref {
        case .param(let name):
            return context.parameters.get(name).map { [$0] } ?? []
        case .field(let names):
            for name in names { if let value = try await field(name, &request, context) { return [value] } }
            return []
        case .joinedParams(let names):
            let parts = names.compactMap { context.parameters.get($0)?.removingPercentEncoding }
            return parts.count == names.count ? [parts.joined(separator: ".")] : []
        case .joinedFields(let names):
            var parts: [String] = []
            for name in names {
                guard let value = try await field(name, &request, context) else { return [] }
                parts.append(value)
            }
            return [parts.joined(separator: ".")]
        case .fieldList(let name):
            if let values = request.uri.queryParameters.getAll(name) as [String]?, !values.isEmpty { return values }
            let body = try await jsonBody(&request, context)
            return (body?[name] as? [Any])?.compactMap(Self.string) ?? []
        case .run:
            var id = try await field("run_id", &request, context)
            if id == nil { id = try await field("run_uuid", &request, context) }
            guard let id, let experiment = try await lookup.experiment(ofRun: id) else { return id == nil ? [] : ["run \(id)"] }
            return [experiment]
        case .experimentsInRequest:
            var ids = request.uri.queryParameters.getAll("experiment_id") + request.uri.queryParameters.getAll("experiment_ids")
            if request.method != .get, request.method != .head, let body = try await jsonBody(&request, context) {
                Self.collect(["experiment_id", "experiment_ids"], in: body, into: &ids)
            }
            return Array(Set(ids)).sorted()
        case .loggedModel:
            guard let id = context.parameters.get("model_id") else { return [] }
            return [try await lookup.experiment(ofLoggedModel: id) ?? "model \(id)"]
        case .traces:
            var ids = context.parameters.get("trace_id").map { [$0] } ?? []
            if ids.isEmpty, let body = try await jsonBody(&request, context) { Self.collect(["trace_ids", "request_ids"], in: body, into: &ids) }
            var experiments: Set<String> = []
            for id in ids { experiments.insert(try await lookup.experiment(ofTrace: id) ?? "trace \(id)") }
            return experiments.sorted()
        case .experimentName:
            guard let name = try await field("experiment_name", &request, context) else { return [] }
            return [try await lookup.experiment(named: name) ?? "named \(name)"]
        case .registryRequest:
            guard let id = try await field("id", &request, context) else { return [] }
            return [try await lookup.model(ofRequest: id) ?? "request \(id)"]
        case .jobRun:
            guard let id = try await field("run_id", &request, context) else { return [] }
            return [try await lookup.job(ofRun: id) ?? "run \(id)"]
        case .volumePath:
            let raw = request.uri.path
            for prefix in ["/api/2.0/fs/files/", "/api/2.0/fs/directories/"] where raw.hasPrefix(prefix) {
                guard let path = try? VolumePath(urlPath: "/" + raw.dropFirst(prefix.count)) else { return [] }
                return [path.fullName]
            }
            return []
        case .artifactPath:
            let path = context.parameters.getCatchAll().first.map(String.init) ?? request.uri.queryParameters.get("path")
            guard let first = path?.split(separator: "/").first else { return [] }
            return [String(first)]
        }
    }

    func field(_ name: String, _ request: inout Request, _ context: Context) async throws -> String? {
        if let value = request.uri.queryParameters.get(name) { return value }
        guard request.method != .get, request.method != .head else { return nil }
        return Self.string(try await jsonBody(&request, context)?[name])
    }

    func jsonBody(_ request: inout Request, _ context: Context) async throws -> [String: Any]? {
        let buffer = try await request.collectBody(upTo: context.maxBodyBytes)
        guard buffer.readableBytes > 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
    }

    /// Every value (strings, numbers, or lists of them) of the named keys, at any depth.
    static func collect(_ keys: Set<String>, in value: Any, into out: inout [String]) {
        if let object = value as? [String: Any] {
            for (key, child) in object {
                if keys.contains(key) {
                    if let list = child as? [Any] { out += list.compactMap(string) } else if let one = string(child) { out.append(one) }
                } else {
                    collect(keys, in: child, into: &out)
                }
            }
        } else if let list = value as? [Any] {
            for child in list { collect(keys, in: child, into: &out) }
        }
    }

    static func string(_ value: Any?) -> String? {
        switch value {
        case let s as String: s
        case let n as NSNumber: n.stringValue
        default: nil
        }
    }

    // MARK: Responses

    static func json(of response: Response) async throws -> ([String: Any]?, Response) {
        let box = CollectedBody()
        try await response.body.write(CollectingWriter(box: box))
        var copy = response
        copy.body = .init(byteBuffer: box.buffer)
        return (try? JSONSerialization.jsonObject(with: Data(box.buffer.readableBytesView)) as? [String: Any], copy)
    }

    func filter(_ response: Response, array: String, keep: ([String: Any]) async throws -> Bool) async throws -> Response {
        let (json, copy) = try await Self.json(of: response)
        guard var json, let items = json[array] as? [[String: Any]] else { return copy }
        var kept: [[String: Any]] = []
        for item in items where try await keep(item) { kept.append(item) }
        json[array] = kept
        let data = try JSONSerialization.data(withJSONObject: json)
        var filtered = copy
        filtered.body = .init(byteBuffer: ByteBuffer(bytes: data))
        filtered.headers[.contentLength] = String(data.count)
        return filtered
    }
}

final class CollectedBody: @unchecked Sendable {
    var buffer = ByteBuffer()
}

struct CollectingWriter: ResponseBodyWriter {
    let box: CollectedBody
    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        box.buffer.writeBuffer(&buffer)
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

