/// Who is making a request. Every request resolves one, even with authentication disabled
/// (then it is the local administrator), so authorization checks have a single shape.
public struct Principal: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        case user
        case servicePrincipal = "service_principal"
    }

    public let name: String
    public let kind: Kind
    public let isAdmin: Bool
    public let groups: [String]

    public init(name: String, kind: Kind = .user, isAdmin: Bool = false, groups: [String] = []) {
        self.name = name
        self.kind = kind
        self.isAdmin = isAdmin
        self.groups = groups
    }

    /// The principal used when authentication is disabled.
    public static let localAdmin = Principal(name: "admin", kind: .user, isAdmin: true, groups: ["admins"])

    /// A caller without credentials on a public path (only when authentication is on).
    public static let anonymous = Principal(name: "anonymous", kind: .user, isAdmin: false, groups: [])
}

/// An action a principal wants to perform on a securable object, e.g. `("experiment", "12", "CAN_EDIT")`.
public struct AccessRequest: Sendable, Hashable {
    public let objectType: String
    public let objectID: String
    public let privilege: String

    public init(objectType: String, objectID: String, privilege: String) {
        self.objectType = objectType
        self.objectID = objectID
        self.privilege = privilege
    }
}

/// Decides whether a principal may do something. Declared here so every domain module can ask
/// without importing the identity module; the composition root supplies the implementation.
public protocol Authorizer: Sendable {
    func check(_ principal: Principal, _ request: AccessRequest) async throws -> Bool
}

/// The authorizer used while authentication is disabled: everyone is the local admin.
public struct AllowAllAuthorizer: Authorizer {
    public init() {}
    public func check(_ principal: Principal, _ request: AccessRequest) async throws -> Bool { true }
}
