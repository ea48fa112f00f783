import Foundation
import IngotCatalog
import IngotCore
import IngotIdentity

/// The `OWNER` grant rows of Unity Catalog securables (`uc:<securable_type>`): whoever creates a
/// securable owns it (every privilege on it and below), and the row follows renames and owner changes.
struct CatalogOwnerGrants {
    let store: PermissionStore

    /// Records the creator as owner; a reused name never inherits the deleted securable's grants.
    func grant(_ kind: SecurableKind, _ fullName: String, to principal: Principal) async throws {
        let type = "uc:" + kind.rawValue
        try await store.deleteObject(objectType: type, objectID: fullName)
        try await store.changeGrants(
            objectType: type, objectID: fullName,
            add: [PermissionRecord(objectType: type, objectID: fullName, principal: principal.name, kind: Self.kind(principal), level: "OWNER")], remove: [])
    }

    static func kind(_ principal: Principal) -> GranteeKind { principal.kind == .servicePrincipal ? .servicePrincipal : .user }

    /// Moves the OWNER row from the old owner to the new one. On a rename every grant row follows the
    /// name, and for a catalog or schema so do the rows of everything inside it.
    func transfer(_ kind: SecurableKind, from: (name: String, owner: String), to: (name: String, owner: String)) async throws {
        let type = "uc:" + kind.rawValue
        if from.name != to.name {
            try await store.moveObject(objectType: type, from: from.name, to: to.name)
            try await store.moveObjects(objectTypes: Self.contents(of: kind), fromPrefix: from.name + ".", toPrefix: to.name + ".")
        }
        guard from.owner != to.owner else { return }
        try await store.changeGrants(
            objectType: type, objectID: to.name,
            add: [PermissionRecord(objectType: type, objectID: to.name, principal: to.owner, kind: .user, level: "OWNER")],
            remove: [PermissionRecord(objectType: type, objectID: to.name, principal: from.owner, kind: .user, level: "OWNER")])
    }

    /// What a catalog or schema holds, by grant row type (registered models keep their registry names,
    /// so their rows stay with those names).
    static func contents(of kind: SecurableKind) -> [String] {
        switch kind {
        case .catalog: ["uc:schema", "uc:table", "uc:volume", "uc:function"]
        case .schema: ["uc:table", "uc:volume", "uc:function"]
        default: []
        }
    }

    /// A catalog or schema was deleted (with `force`, with what it held): its rows and its contents' rows go,
    /// so a securable created later under the same name starts clean.
    func forgetWithContents(_ kind: SecurableKind, _ fullName: String) async throws {
        try await forget(kind, fullName)
        try await store.deleteObjects(objectTypes: Self.contents(of: kind), underPrefix: fullName + ".")
    }

    /// Drops every grant row of a deleted securable.
    func forget(_ kind: SecurableKind, _ fullName: String) async throws {
        try await store.deleteObject(objectType: "uc:" + kind.rawValue, objectID: fullName)
    }
}
