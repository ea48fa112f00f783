import Foundation
import IngotCore
import Synchronization

/// The ``Authorizer`` for `auth.mode: token`: Databricks-style object ACLs and Unity Catalog grants
/// from the ``PermissionStore``. Admins may do anything. A principal's rows are its own plus those of
/// every group it belongs to (nested groups are already flattened into ``Principal/groups``).
///
/// Requests: `AccessRequest(objectType: "experiments", objectID: "12", privilege: "CAN_EDIT")` holds when
/// the best level the caller has on the object ranks at least as high; `objectType: "uc:table"` with a
/// full name and a privilege holds when the privilege (or ALL PRIVILEGES) is granted on the securable or
/// any ancestor, and — for anything below a catalog — USE CATALOG / USE SCHEMA are granted on the parents,
/// as in Unity Catalog. Decisions are cached per principal and object for ``ttl`` seconds and dropped on
/// any permission change, so a hot path (scoring) costs one dictionary lookup.
public final class ACLAuthorizer: Authorizer, Sendable {
    public let store: PermissionStore
    let ttl: TimeInterval
    private struct Key: Hashable {
        let principal: String
        let type: String
        let id: String
        let privilege: String
    }
    private struct Cache {
        var generation: UInt64 = 0
        var entries: [Key: (allowed: Bool, expires: TimeInterval)] = [:]
    }
    private let cache = Mutex(Cache())

    public init(store: PermissionStore, ttl: TimeInterval = 5) {
        self.store = store
        self.ttl = ttl
    }

    public func check(_ principal: Principal, _ request: AccessRequest) async throws -> Bool {
        if principal.isAdmin { return true }
        let key = Key(principal: principal.name, type: request.objectType, id: request.objectID, privilege: request.privilege)
        let now = Date().timeIntervalSinceReferenceDate
        let generation = store.generation
        let cached: Bool? = cache.withLock { cache in
            if cache.generation != generation {
                cache = Cache(generation: generation)
                return nil
            }
            guard let hit = cache.entries[key], hit.expires > now else { return nil }
            return hit.allowed
        }
        if let cached { return cached }
        let allowed = try await decide(principal, request)
        cache.withLock { cache in
            if cache.generation == generation {
                if cache.entries.count > 50_000 { cache.entries.removeAll(keepingCapacity: true) }
                cache.entries[key] = (allowed, now + ttl)
            }
        }
        return allowed
    }

    /// Names a principal's rows may carry: itself and its groups.
    public static func grantees(_ principal: Principal) -> [String] { [principal.name] + principal.groups }

    /// The highest ACL level the principal holds on an object, nil when none (admins: the top level).
    public func level(_ principal: Principal, on type: ACLObjectType, id: String) async throws -> String? {
        if principal.isAdmin { return type.ownerLevel }
        let rows = try await store.levels(objectType: type.rawValue, objectIDs: [id], principals: Self.grantees(principal))
        return rows.compactMap { row in type.rank(row.level).map { ($0, row.level) } }.max { $0.0 < $1.0 }?.1
    }

    func decide(_ principal: Principal, _ request: AccessRequest) async throws -> Bool {
        if let type = ACLObjectType(rawValue: request.objectType) {
            guard let needed = type.rank(request.privilege) else { return false }
            guard let held = try await level(principal, on: type, id: request.objectID) else { return false }
            return (type.rank(held) ?? -1) >= needed
        }
        if request.objectType.hasPrefix("uc:") {
            guard let privilege = SecurableType.privilege(request.privilege) else { return false }
            return try await hasPrivilege(principal, privilege, on: request.objectID)
        }
        return false
    }

    /// Unity Catalog check on a full name (`catalog`, `catalog.schema`, `catalog.schema.table`).
    func hasPrivilege(_ principal: Principal, _ privilege: String, on fullName: String) async throws -> Bool {
        let lineage = SecurableType.lineage(fullName)
        var byObject: [String: Set<String>] = [:]
        for type in ["uc:catalog", "uc:schema", "uc:table", "uc:volume", "uc:function", "uc:registered_model"] {
            for row in try await store.levels(objectType: type, objectIDs: lineage, principals: Self.grantees(principal)) {
                byObject[row.object_id, default: []].insert(row.level)
            }
        }
        func granted(_ wanted: String, onAnyOf names: ArraySlice<String>) -> Bool {
            names.contains { name in
                let held = byObject[name] ?? []
                return held.contains(wanted) || held.contains("ALL PRIVILEGES") || held.contains("OWNER")
            }
        }
        // The privilege itself, on the object or any parent.
        guard granted(privilege, onAnyOf: lineage[...]) else { return false }
        // Using anything inside a catalog needs USE CATALOG on it; inside a schema, USE SCHEMA on it (or the catalog).
        if lineage.count >= 2, privilege != "USE CATALOG", !granted("USE CATALOG", onAnyOf: lineage.prefix(1)) { return false }
        if lineage.count >= 3, privilege != "USE SCHEMA", !granted("USE SCHEMA", onAnyOf: lineage.prefix(2)) { return false }
        return true
    }
}
