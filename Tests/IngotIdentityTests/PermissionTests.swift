import Foundation
import IngotCore
import IngotStorage
import Testing

@testable import IngotIdentity

@Suite struct PermissionTests {
    func make() throws -> ACLAuthorizer {
        let store = try MetadataStore(inMemoryWith: IdentityModule.migrations)
        try store.migrate()
        return ACLAuthorizer(store: PermissionStore(metadata: store))
    }

    let alice = Principal(name: "alice", groups: ["data", "everyone"])
    let bob = Principal(name: "bob")

    @Test func levelsAreOrderedPerType() async throws {
        let auth = try make()
        try await auth.store.setACL(
            objectType: "experiments", objectID: "12",
            entries: [PermissionRecord(objectType: "experiments", objectID: "12", principal: "alice", kind: .user, level: "CAN_EDIT")], replaceAll: true)
        #expect(try await auth.check(alice, AccessRequest(objectType: "experiments", objectID: "12", privilege: "CAN_READ")))
        #expect(try await auth.check(alice, AccessRequest(objectType: "experiments", objectID: "12", privilege: "CAN_EDIT")))
        #expect(try await !auth.check(alice, AccessRequest(objectType: "experiments", objectID: "12", privilege: "CAN_MANAGE")))
        #expect(try await !auth.check(bob, AccessRequest(objectType: "experiments", objectID: "12", privilege: "CAN_READ")))
        #expect(try await !auth.check(alice, AccessRequest(objectType: "experiments", objectID: "13", privilege: "CAN_READ")))
        #expect(try await auth.check(.localAdmin, AccessRequest(objectType: "experiments", objectID: "13", privilege: "CAN_MANAGE")))
        // An unknown level for the type is never granted.
        #expect(try await !auth.check(alice, AccessRequest(objectType: "experiments", objectID: "12", privilege: "CAN_QUERY")))
        #expect(ACLObjectType.registeredModels.rank("CAN_MANAGE_STAGING_VERSIONS")! < ACLObjectType.registeredModels.rank("CAN_MANAGE_PRODUCTION_VERSIONS")!)
        #expect(ACLObjectType.jobs.levels == ["CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"])
    }

    @Test func groupRowsCountAndChangesInvalidateTheCache() async throws {
        let auth = try make()
        let query = AccessRequest(objectType: "serving-endpoints", objectID: "churn", privilege: "CAN_QUERY")
        #expect(try await !auth.check(alice, query))
        try await auth.store.setACL(
            objectType: "serving-endpoints", objectID: "churn",
            entries: [PermissionRecord(objectType: "serving-endpoints", objectID: "churn", principal: "data", kind: .group, level: "CAN_QUERY")], replaceAll: false)
        #expect(try await auth.check(alice, query))  // cached "no" dropped by the change
        try await auth.store.setACL(objectType: "serving-endpoints", objectID: "churn", entries: [], replaceAll: true)
        #expect(try await !auth.check(alice, query))
        try await auth.store.recordOwner(.pipelines, objectID: "p1", principal: "bob", kind: .user)
        #expect(try await auth.level(bob, on: .pipelines, id: "p1") == "IS_OWNER")
        #expect(try await auth.check(bob, AccessRequest(objectType: "pipelines", objectID: "p1", privilege: "CAN_MANAGE")))
    }

    @Test func catalogGrantsInheritDownwardAndNeedUsage() async throws {
        let auth = try make()
        func grant(_ type: String, _ name: String, _ who: String, _ privileges: [String]) async throws {
            try await auth.store.changeGrants(
                objectType: "uc:" + type, objectID: name,
                add: privileges.map { PermissionRecord(objectType: "uc:" + type, objectID: name, principal: who, kind: .user, level: $0) }, remove: [])
        }
        let select = AccessRequest(objectType: "uc:table", objectID: "main.sales.orders", privilege: "SELECT")
        try await grant("catalog", "main", "alice", ["SELECT"])
        #expect(try await !auth.check(alice, select))  // no USE CATALOG / USE SCHEMA yet
        try await grant("catalog", "main", "alice", ["USE CATALOG"])
        #expect(try await !auth.check(alice, select))
        try await grant("schema", "main.sales", "alice", ["USE SCHEMA"])
        #expect(try await auth.check(alice, select))
        #expect(try await !auth.check(alice, AccessRequest(objectType: "uc:table", objectID: "main.sales.orders", privilege: "MODIFY")))
        #expect(try await !auth.check(alice, AccessRequest(objectType: "uc:table", objectID: "other.sales.orders", privilege: "SELECT")))
        // ALL PRIVILEGES on a catalog covers everything under it.
        try await grant("catalog", "lake", "bob", ["ALL PRIVILEGES"])
        #expect(try await auth.check(bob, AccessRequest(objectType: "uc:table", objectID: "lake.x.y", privilege: "MODIFY")))
        try await auth.store.changeGrants(
            objectType: "uc:catalog", objectID: "lake", add: [],
            remove: [PermissionRecord(objectType: "uc:catalog", objectID: "lake", principal: "bob", kind: .user, level: "ALL PRIVILEGES")])
        #expect(try await !auth.check(bob, AccessRequest(objectType: "uc:table", objectID: "lake.x.y", privilege: "MODIFY")))
        #expect(SecurableType.privilege("use_catalog") == "USE CATALOG")
    }

    /// The scoring hot path asks the same question again and again: a cached answer costs well under
    /// a few microseconds (measured: printed below; the bound is loose for slow CI machines).
    @Test func cachedDecisionsAreCheap() async throws {
        let auth = try make()
        try await auth.store.recordOwner(.servingEndpoints, objectID: "ep", principal: "alice", kind: .user)
        let query = AccessRequest(objectType: "serving-endpoints", objectID: "ep", privilege: "CAN_QUERY")
        #expect(try await auth.check(alice, query))
        let n = 20_000
        let start = ContinuousClock.now
        for _ in 0..<n { _ = try await auth.check(alice, query) }
        let perCheck = (ContinuousClock.now - start) / n
        print("cached authorization check: \(perCheck)")
        #expect(perCheck < .microseconds(20))
    }
}
