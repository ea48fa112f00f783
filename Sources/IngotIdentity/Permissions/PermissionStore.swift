import GRDB
import Synchronization
import IngotStorage

/// One permission row: an ACL level on an object, or one Unity Catalog privilege on a securable.
/// `object_type` is an ``ACLObjectType`` raw value or `uc:catalog|schema|table|volume`.
public struct PermissionRecord: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable, Hashable {
    public static let databaseTableName = "identity_permissions"
    public var object_type: String
    public var object_id: String
    public var principal: String
    public var principal_kind: String
    public var level: String

    public init(objectType: String, objectID: String, principal: String, kind: GranteeKind, level: String) {
        self.object_type = objectType
        self.object_id = objectID
        self.principal = principal
        self.principal_kind = kind.rawValue
        self.level = level
    }
}

/// Stores ACLs and grants on the metadata database. Every change bumps ``generation`` so
/// authorizers drop cached decisions at once.
public final class PermissionStore: Sendable {
    let writer: any DatabaseWriter
    private let generationBox = Mutex<UInt64>(0)

    public init(metadata: MetadataStore) { self.writer = metadata.writer }
    public init(writer: any DatabaseWriter) { self.writer = writer }

    public var generation: UInt64 { generationBox.withLock { $0 } }
    private func bump() { generationBox.withLock { $0 &+= 1 } }

    /// Rows on an object (direct only).
    public func rows(objectType: String, objectID: String) async throws -> [PermissionRecord] {
        try await writer.read { db in
            try PermissionRecord.filter(Column("object_type") == objectType && Column("object_id") == objectID)
                .order(Column("principal"), Column("level")).fetchAll(db)
        }
    }

    /// Levels any of `principals` holds on any of `objectIDs` (one indexed query).
    public func levels(objectType: String, objectIDs: [String], principals: [String]) async throws -> [PermissionRecord] {
        guard !objectIDs.isEmpty, !principals.isEmpty else { return [] }
        return try await writer.read { db in
            try PermissionRecord.filter(Column("object_type") == objectType && objectIDs.contains(Column("object_id")) && principals.contains(Column("principal")))
                .fetchAll(db)
        }
    }

    /// Object ids of `objectType` on which any of `principals` has any row (for filtering lists).
    public func objectIDs(objectType: String, principals: [String]) async throws -> Set<String> {
        guard !principals.isEmpty else { return [] }
        return try await writer.read { db in
            Set(try String.fetchAll(db, PermissionRecord.select(Column("object_id")).filter(Column("object_type") == objectType && principals.contains(Column("principal")))))
        }
    }

    /// Replaces an object's whole ACL (`PUT`), or sets one level per named principal (`replaceAll: false`, `PATCH`).
    public func setACL(objectType: String, objectID: String, entries: [PermissionRecord], replaceAll: Bool) async throws {
        try await writer.write { db in
            if replaceAll {
                try PermissionRecord.filter(Column("object_type") == objectType && Column("object_id") == objectID).deleteAll(db)
            } else {
                for entry in entries {
                    try PermissionRecord.filter(Column("object_type") == objectType && Column("object_id") == objectID && Column("principal") == entry.principal)
                        .deleteAll(db)
                }
            }
            for entry in entries { try entry.insert(db, onConflict: .ignore) }
        }
        bump()
    }

    /// Adds and removes grants for principals on one securable (Unity Catalog `PATCH` changes).
    public func changeGrants(objectType: String, objectID: String, add: [PermissionRecord], remove: [PermissionRecord]) async throws {
        try await writer.write { db in
            for row in remove {
                try PermissionRecord.filter(
                    Column("object_type") == objectType && Column("object_id") == objectID && Column("principal") == row.principal && Column("level") == row.level
                ).deleteAll(db)
            }
            for row in add { try row.insert(db, onConflict: .ignore) }
        }
        bump()
    }

    /// Records the creator of an object as its owner (the type's top level).
    public func recordOwner(_ type: ACLObjectType, objectID: String, principal: String, kind: GranteeKind) async throws {
        try await writer.write { db in
            try PermissionRecord(objectType: type.rawValue, objectID: objectID, principal: principal, kind: kind, level: type.ownerLevel).insert(db, onConflict: .ignore)
        }
        bump()
    }

    /// Moves an object's rows to a new id (a rename); rows left under the new id by an object deleted
    /// earlier go first, so the renamed object inherits none of them. One transaction.
    public func moveObject(objectType: String, from: String, to: String) async throws {
        guard from != to else { return }
        try await writer.write { db in
            try PermissionRecord.filter(Column("object_type") == objectType && Column("object_id") == to).deleteAll(db)
            try db.execute(sql: "UPDATE identity_permissions SET object_id = ? WHERE object_type = ? AND object_id = ?", arguments: [to, objectType, from])
        }
        bump()
    }

    /// Moves the rows of `objectTypes` whose ids start with `fromPrefix` to the same ids under `toPrefix`
    /// (a catalog or schema rename carries the grants of what it holds). Rows already under `toPrefix`,
    /// left by securables deleted earlier, go first: nothing renamed inherits them. One transaction.
    public func moveObjects(objectTypes: [String], fromPrefix: String, toPrefix: String) async throws {
        guard !objectTypes.isEmpty, fromPrefix != toPrefix else { return }
        try await writer.write { db in
            try Self.deleteUnder(db, objectTypes: objectTypes, prefix: toPrefix)
            try db.execute(
                sql: """
                    UPDATE identity_permissions SET object_id = :to || substr(object_id, length(:from) + 1)
                    WHERE object_type IN (\(Self.placeholders(objectTypes.count))) AND substr(object_id, 1, length(:from)) = :from
                    """,
                arguments: StatementArguments(["to": toPrefix, "from": fromPrefix]) + Self.typeArguments(objectTypes))
        }
        bump()
    }

    /// Drops the rows of `objectTypes` whose ids start with `prefix` (what a deleted catalog or schema held).
    public func deleteObjects(objectTypes: [String], underPrefix prefix: String) async throws {
        guard !objectTypes.isEmpty else { return }
        try await writer.write { db in try Self.deleteUnder(db, objectTypes: objectTypes, prefix: prefix) }
        bump()
    }

    static func deleteUnder(_ db: Database, objectTypes: [String], prefix: String) throws {
        try db.execute(
            sql: """
                DELETE FROM identity_permissions
                WHERE object_type IN (\(placeholders(objectTypes.count))) AND substr(object_id, 1, length(:prefix)) = :prefix
                """,
            arguments: StatementArguments(["prefix": prefix]) + typeArguments(objectTypes))
    }

    static func placeholders(_ n: Int) -> String {
        (0..<n).map { ":type\($0)" }.joined(separator: ", ")
    }

    static func typeArguments(_ types: [String]) -> StatementArguments {
        StatementArguments(Dictionary(uniqueKeysWithValues: types.enumerated().map { ("type\($0.offset)", $0.element as (any DatabaseValueConvertible)?) }))
    }

    /// Drops every row of a deleted object.
    public func deleteObject(objectType: String, objectID: String) async throws {
        _ = try await writer.write { db in
            try PermissionRecord.filter(Column("object_type") == objectType && Column("object_id") == objectID).deleteAll(db)
        }
        bump()
    }
}
