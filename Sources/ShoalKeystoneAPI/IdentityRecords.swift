import Foundation
import ShoalCore

/// The Identity API's resources as Shoal stores them (one JSON object each in the reserved
/// identity account) and as Keystone renders them. `links.self` needs the base URL the
/// client reached (`http://host:port/identity/v3`).
public protocol IdentityResource: Codable, Sendable, Equatable {
    /// The container the records live in, and the member and collection keys of the API.
    static var collection: String { get }
    static var member: String { get }
    var id: String { get }
    /// The fields Keystone shows, without `links`.
    var fields: [String: JSONValue] { get }
}

extension IdentityResource {
    public func rendered(baseURL: String) -> JSONValue {
        var fields = fields
        fields["links"] = ["self": .string("\(baseURL)/\(Self.collection)/\(id)")]
        return .object(fields)
    }
}

func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

public struct IdentityDomain: IdentityResource {
    public static let collection = "domains"
    public static let member = "domain"
    public var id: String
    public var name: String
    public var description: String
    public var enabled: Bool
    public var tags: [String]

    public init(id: String, name: String, description: String = "", enabled: Bool = true, tags: [String] = []) {
        self.id = id
        self.name = name
        self.description = description
        self.enabled = enabled
        self.tags = tags
    }

    public var fields: [String: JSONValue] {
        ["id": .string(id), "name": .string(name), "description": .string(description), "enabled": .bool(enabled),
         "tags": .array(tags.map(JSONValue.string)), "options": [:]]
    }

    public var named: KeystoneToken.Named { .init(id: id, name: name) }
}

public struct IdentityProject: IdentityResource {
    public static let collection = "projects"
    public static let member = "project"
    public var id: String
    public var name: String
    public var domainID: String
    public var description: String
    public var enabled: Bool
    /// The parent project, or the domain for a top-level project (as Keystone shows it).
    public var parentID: String
    public var tags: [String]

    public init(id: String, name: String, domainID: String, description: String = "", enabled: Bool = true,
                parentID: String? = nil, tags: [String] = []) {
        self.id = id
        self.name = name
        self.domainID = domainID
        self.description = description
        self.enabled = enabled
        self.parentID = parentID ?? domainID
        self.tags = tags
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, enabled, tags
        case domainID = "domain_id"
        case parentID = "parent_id"
    }

    public var fields: [String: JSONValue] {
        ["id": .string(id), "name": .string(name), "domain_id": .string(domainID), "description": .string(description),
         "enabled": .bool(enabled), "is_domain": false, "parent_id": .string(parentID),
         "tags": .array(tags.map(JSONValue.string)), "options": [:]]
    }

    public var named: KeystoneToken.Named { .init(id: id, name: name) }
}

public struct IdentityUser: IdentityResource {
    public static let collection = "users"
    public static let member = "user"
    public var id: String
    public var name: String
    public var domainID: String
    public var enabled: Bool
    public var defaultProjectID: String?
    /// ``PasswordHash`` text form; nil for a user who cannot log in with a password.
    public var passwordHash: String?
    /// Other attributes a client set (`email`, `description`), echoed back as given.
    public var extra: [String: String]

    public init(id: String, name: String, domainID: String, enabled: Bool = true, defaultProjectID: String? = nil,
                passwordHash: String? = nil, extra: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.domainID = domainID
        self.enabled = enabled
        self.defaultProjectID = defaultProjectID
        self.passwordHash = passwordHash
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey {
        case id, name, enabled, extra
        case domainID = "domain_id"
        case defaultProjectID = "default_project_id"
        case passwordHash = "password_hash"
    }

    public var fields: [String: JSONValue] {
        var fields: [String: JSONValue] = extra.mapValues(JSONValue.string)
        fields["id"] = .string(id)
        fields["name"] = .string(name)
        fields["domain_id"] = .string(domainID)
        fields["enabled"] = .bool(enabled)
        fields["password_expires_at"] = .null
        fields["options"] = [:]
        if let defaultProjectID { fields["default_project_id"] = .string(defaultProjectID) }
        return fields
    }

    public var named: KeystoneToken.Named { .init(id: id, name: name) }
}

public struct IdentityRole: IdentityResource {
    public static let collection = "roles"
    public static let member = "role"
    public var id: String
    public var name: String
    public var description: String?

    public init(id: String, name: String, description: String? = nil) {
        self.id = id
        self.name = name
        self.description = description
    }

    public var fields: [String: JSONValue] {
        ["id": .string(id), "name": .string(name), "domain_id": .null, "description": optional(description), "options": [:]]
    }

    public var named: KeystoneToken.Named { .init(id: id, name: name) }
}

/// A role granted to a user or a group on a project or a domain.
public struct RoleAssignment: IdentityResource {
    public static let collection = "role_assignments"
    public static let member = "role_assignment"

    public enum Target: String, Codable, Sendable {
        case project
        case domain
    }

    public enum Actor: String, Codable, Sendable {
        case user
        case group
    }

    public var targetKind: Target
    public var targetID: String
    public var actorKind: Actor
    public var actorID: String
    public var roleID: String

    public init(targetKind: Target, targetID: String, actorKind: Actor = .user, actorID: String, roleID: String) {
        self.targetKind = targetKind
        self.targetID = targetID
        self.actorKind = actorKind
        self.actorID = actorID
        self.roleID = roleID
    }

    /// The stored object's name: one per (target, actor, role); a group's id is marked so
    /// that a user's grants on a target share one listing prefix (``prefix(target:id:actor:actorID:)``).
    public var id: String { Self.prefix(target: targetKind, id: targetID, actor: actorKind, actorID: actorID) + roleID }

    public static func prefix(target: Target, id: String, actor: Actor, actorID: String) -> String {
        "\(target.rawValue).\(id).\(actor == .group ? "g_" : "")\(actorID)."
    }

    enum CodingKeys: String, CodingKey {
        case targetKind = "target_kind"
        case targetID = "target_id"
        case actorKind = "actor_kind"
        case actorID = "actor_id"
        case roleID = "role_id"
    }

    public var fields: [String: JSONValue] {
        ["role": ["id": .string(roleID)], actorKind.rawValue: ["id": .string(actorID)],
         "scope": .object([targetKind.rawValue: ["id": .string(targetID)]])]
    }

    public func rendered(baseURL: String) -> JSONValue {
        var fields = fields
        fields["links"] = ["assignment": .string(
            "\(baseURL)/\(targetKind.rawValue)s/\(targetID)/\(actorKind.rawValue)s/\(actorID)/roles/\(roleID)")]
        return .object(fields)
    }
}

public struct IdentityGroup: IdentityResource {
    public static let collection = "groups"
    public static let member = "group"
    public var id: String
    public var name: String
    public var domainID: String
    public var description: String

    public init(id: String, name: String, domainID: String, description: String = "") {
        self.id = id
        self.name = name
        self.domainID = domainID
        self.description = description
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case domainID = "domain_id"
    }

    public var fields: [String: JSONValue] {
        ["id": .string(id), "name": .string(name), "domain_id": .string(domainID), "description": .string(description)]
    }
}

/// A user's membership of a group, named `<user>.<group>` so a user's groups share a prefix.
public struct GroupMembership: IdentityResource {
    public static let collection = "group_members"
    public static let member = "group_member"
    public var userID: String
    public var groupID: String

    public init(userID: String, groupID: String) {
        self.userID = userID
        self.groupID = groupID
    }

    public var id: String { "\(userID).\(groupID)" }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case groupID = "group_id"
    }

    public var fields: [String: JSONValue] { ["user_id": .string(userID), "group_id": .string(groupID)] }
}

public struct IdentityService: IdentityResource {
    public static let collection = "services"
    public static let member = "service"
    public var id: String
    public var type: String
    public var name: String
    public var description: String
    public var enabled: Bool

    public init(id: String, type: String, name: String, description: String = "", enabled: Bool = true) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.enabled = enabled
    }

    public var fields: [String: JSONValue] {
        ["id": .string(id), "type": .string(type), "name": .string(name), "description": .string(description),
         "enabled": .bool(enabled)]
    }
}

public struct IdentityEndpoint: IdentityResource {
    public static let collection = "endpoints"
    public static let member = "endpoint"
    /// In a stored URL, stands for the base URL (`http://host:port`) of the node a client
    /// asked, so every node is a complete endpoint.
    public static let nodePlaceholder = "$(node_url)s"

    public var id: String
    public var interface: String
    public var regionID: String
    public var url: String
    public var serviceID: String
    public var enabled: Bool

    public init(id: String, interface: String, regionID: String, url: String, serviceID: String, enabled: Bool = true) {
        self.id = id
        self.interface = interface
        self.regionID = regionID
        self.url = url
        self.serviceID = serviceID
        self.enabled = enabled
    }

    enum CodingKeys: String, CodingKey {
        case id, interface, url, enabled
        case regionID = "region_id"
        case serviceID = "service_id"
    }

    /// The URL with the node placeholder replaced (as the endpoint API shows it).
    public func url(nodeURL: String) -> String { url.replacingAll(Self.nodePlaceholder, with: nodeURL) }

    public var fields: [String: JSONValue] {
        ["id": .string(id), "interface": .string(interface), "region_id": .string(regionID), "region": .string(regionID),
         "url": .string(url), "service_id": .string(serviceID), "enabled": .bool(enabled)]
    }
}

public struct IdentityRegion: IdentityResource {
    public static let collection = "regions"
    public static let member = "region"
    public var id: String
    public var description: String
    public var parentRegionID: String?

    public init(id: String, description: String = "", parentRegionID: String? = nil) {
        self.id = id
        self.description = description
        self.parentRegionID = parentRegionID
    }

    enum CodingKeys: String, CodingKey {
        case id, description
        case parentRegionID = "parent_region_id"
    }

    public var fields: [String: JSONValue] {
        ["id": .string(id), "description": .string(description), "parent_region_id": optional(parentRegionID)]
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        return components(separatedBy: target).joined(separator: replacement)
    }
}

/// A user's application credential: a secret that logs in as the user, always scoped to
/// one project, with at most the roles it was created with. Only the secret's hash is kept.
public struct ApplicationCredential: IdentityResource {
    public static let collection = "application_credentials"
    public static let member = "application_credential"
    public var id: String
    public var name: String
    public var description: String?
    public var userID: String
    public var projectID: String
    public var secretHash: String
    public var expiresAt: Int64?
    public var unrestricted: Bool
    public var roles: [IdentityRole]

    public init(id: String, name: String, description: String?, userID: String, projectID: String, secretHash: String,
                expiresAt: Int64?, unrestricted: Bool, roles: [IdentityRole]) {
        self.id = id
        self.name = name
        self.description = description
        self.userID = userID
        self.projectID = projectID
        self.secretHash = secretHash
        self.expiresAt = expiresAt
        self.unrestricted = unrestricted
        self.roles = roles
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, unrestricted, roles
        case userID = "user_id"
        case projectID = "project_id"
        case secretHash = "secret_hash"
        case expiresAt = "expires_at"
    }

    public var fields: [String: JSONValue] {
        ["id": .string(id), "name": .string(name), "description": optional(description), "user_id": .string(userID),
         "project_id": .string(projectID), "system": .null, "unrestricted": .bool(unrestricted),
         "expires_at": expiresAt.map { .string(String(KeystoneTime.format($0).dropLast())) } ?? .null,
         "roles": .array(roles.map { .object($0.fields) })]
    }

    public func rendered(baseURL: String) -> JSONValue {
        var fields = fields
        fields["links"] = ["self": .string("\(baseURL)/users/\(userID)/application_credentials/\(id)")]
        return .object(fields)
    }

    public var named: KeystoneToken.Named { .init(id: id, name: name) }
}
