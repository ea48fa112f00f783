import GRDB
import IngotStorage

/// ``IdentityStore`` on the shared metadata database.
public struct SQLiteIdentityStore: IdentityStore {
    let writer: any DatabaseWriter

    public init(metadata: MetadataStore) { self.writer = metadata.writer }

    public func principalCount() async throws -> Int {
        try await writer.read { db in try PrincipalRecord.fetchCount(db) }
    }

    public func insertPrincipal(_ record: PrincipalRecord) async throws -> PrincipalRecord {
        do {
            return try await writer.write { db in
                var record = record
                try record.insert(db)
                return record
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw IdentityError.alreadyExists("a principal named '\(record.name)' already exists")
        }
    }

    public func principal(named name: String) async throws -> PrincipalRecord? {
        try await writer.read { db in try PrincipalRecord.filter(Column("name") == name).fetchOne(db) }
    }

    public func principal(id: Int64) async throws -> PrincipalRecord? {
        try await writer.read { db in try PrincipalRecord.fetchOne(db, key: id) }
    }

    public func principals() async throws -> [PrincipalRecord] {
        try await writer.read { db in try PrincipalRecord.order(Column("name")).fetchAll(db) }
    }

    public func deletePrincipal(id: Int64) async throws -> Bool {
        try await writer.write { db in try PrincipalRecord.deleteOne(db, key: id) }
    }

    public func groupNames(ofPrincipal id: Int64) async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(
                db,
                sql: """
                    WITH RECURSIVE member_of(group_id) AS (
                        SELECT group_id FROM identity_group_members WHERE principal_id = ?
                        UNION
                        SELECT m.group_id FROM identity_group_members m JOIN member_of ON m.member_group_id = member_of.group_id
                    )
                    SELECT g.name FROM identity_groups g JOIN member_of ON g.id = member_of.group_id ORDER BY g.name
                    """, arguments: [id])
        }
    }

    public func insertGroup(name: String, createdAt: Int64) async throws -> GroupRecord {
        do {
            return try await writer.write { db in
                var record = GroupRecord(id: nil, name: name, created_at: createdAt)
                try record.insert(db)
                return record
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw IdentityError.alreadyExists("a group named '\(name)' already exists")
        }
    }

    public func group(named name: String) async throws -> GroupRecord? {
        try await writer.read { db in try GroupRecord.filter(Column("name") == name).fetchOne(db) }
    }

    public func groups() async throws -> [GroupRecord] {
        try await writer.read { db in try GroupRecord.order(Column("name")).fetchAll(db) }
    }

    public func deleteGroup(id: Int64) async throws -> Bool {
        try await writer.write { db in try GroupRecord.deleteOne(db, key: id) }
    }

    public func addMember(group: Int64, principal: Int64?, memberGroup: Int64?) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO identity_group_members (group_id, principal_id, member_group_id) VALUES (?, ?, ?)",
                arguments: [group, principal, memberGroup])
        }
    }

    public func group(id: Int64) async throws -> GroupRecord? {
        try await writer.read { db in try GroupRecord.fetchOne(db, key: id) }
    }

    public func members(ofGroup id: Int64) async throws -> (principals: [PrincipalRecord], groups: [GroupRecord]) {
        try await writer.read { db in
            let principals = try PrincipalRecord.fetchAll(
                db, sql: "SELECT p.* FROM identity_principals p JOIN identity_group_members m ON m.principal_id = p.id WHERE m.group_id = ? ORDER BY p.name",
                arguments: [id])
            let groups = try GroupRecord.fetchAll(
                db, sql: "SELECT g.* FROM identity_groups g JOIN identity_group_members m ON m.member_group_id = g.id WHERE m.group_id = ? ORDER BY g.name",
                arguments: [id])
            return (principals, groups)
        }
    }

    public func insertToken(_ record: TokenRecord) async throws {
        try await writer.write { db in try record.insert(db) }
    }

    public func token(hash: String) async throws -> TokenRecord? {
        try await writer.read { db in try TokenRecord.filter(Column("token_hash") == hash).fetchOne(db) }
    }

    public func tokens(principal: Int64?) async throws -> [TokenRecord] {
        try await writer.read { db in
            var request = TokenRecord.order(Column("created_at"))
            if let principal { request = request.filter(Column("principal_id") == principal) }
            return try request.fetchAll(db)
        }
    }

    public func deleteToken(id: String, principal: Int64?) async throws -> Bool {
        try await writer.write { db in
            var request = TokenRecord.filter(Column("id") == id)
            if let principal { request = request.filter(Column("principal_id") == principal) }
            return try request.deleteAll(db) > 0
        }
    }
}
