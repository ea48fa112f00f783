import GRDB

/// A user or service principal as stored.
public struct PrincipalRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "identity_principals"
    public var id: Int64?
    public var name: String
    public var kind: String
    public var display_name: String?
    public var is_admin: Bool
    public var active: Bool
    public var password_hash: String?
    public var created_at: Int64

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct GroupRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "identity_groups"
    public var id: Int64?
    public var name: String
    public var created_at: Int64

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A personal access token; only its SHA-256 is kept.
public struct TokenRecord: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "identity_tokens"
    public var id: String
    public var principal_id: Int64
    public var token_hash: String
    public var comment: String?
    public var created_at: Int64
    public var expires_at: Int64?
}

/// What the API shows of a token (never the token itself, except once at creation).
public struct TokenInfo: Sendable, Equatable, Codable {
    public let tokenID: String
    public let principal: String
    public let comment: String?
    public let creationTime: Int64
    /// -1 when the token never expires (Databricks' convention).
    public let expiryTime: Int64
}

/// A user or service principal as the API shows it.
public struct PrincipalInfo: Sendable, Equatable, Codable {
    public let id: Int64
    public let name: String
    public let kind: String
    public let displayName: String?
    public let isAdmin: Bool
    public let active: Bool
    public let groups: [String]
    public let createdAt: Int64
}

/// A group as the API shows it, with its direct members.
public struct GroupInfo: Sendable, Equatable, Codable {
    public struct Member: Sendable, Equatable, Codable {
        public let id: Int64
        public let name: String
    }
    public let id: Int64
    public let name: String
    public let principals: [Member]
    public let groups: [Member]
}
