import ShoalCore
import ShoalKeystoneAPI

/// What a new cluster's identity starts with, as `keystone-manage bootstrap` creates it: the
/// Default domain, the roles admin, member and reader (admin implies member, member implies
/// reader), `swiftoperator` and `ResellerAdmin` for the object store, an `admin` project and
/// user holding admin, region RegionOne, and the catalog (identity, object-store, image,
/// compute) with URLs that name whichever node a client asked.
///
/// Every node runs it at start. Ids are derived from the cluster secret, and every record is
/// written only if missing, so any number of nodes bootstrapping at once agree, and a record
/// an operator changed later is left alone. The admin password is derived from the secret
/// too (``adminPassword(secret:)``), so every node can print it.
public enum Bootstrap {
    public static let defaultDomainID = "default"
    public static let adminUser = "admin"
    public static let adminProject = "admin"
    public static let region = "RegionOne"
    /// (granted, implied) pairs, applied in order.
    static let impliedRoles = [("admin", "member"), ("member", "reader")]
    static let roles = ["admin", "member", "reader", "swiftoperator", "ResellerAdmin"]

    /// The bootstrap admin's password.
    public static func adminPassword(secret: ClusterSecret) -> String {
        Hex.encode(secret.derive("shoal identity admin password v1", byteCount: 16))
    }

    static func id(_ what: String, secret: ClusterSecret) -> String {
        Hex.encode(secret.derive("shoal identity id v1 " + what, byteCount: 16))
    }

    /// The catalog: (type, name, URL template) per service.
    static let catalog = [
        ("identity", "keystone", IdentityEndpoint.nodePlaceholder + "/identity/v3"),
        ("object-store", "swift", IdentityEndpoint.nodePlaceholder + "/v1/AUTH_$(project_id)s"),
        ("image", "glance", IdentityEndpoint.nodePlaceholder + "/image"),
        ("compute", "nova", IdentityEndpoint.nodePlaceholder + "/compute/v2.1"),
    ]

    /// Creates what is missing; safe to run on every node, any number of times.
    public static func run(store: IdentityStore, secret: ClusterSecret, passwordRounds: Int = PasswordHash.defaultRounds,
                           salt: [UInt8]) async throws(KeystoneError) {
        try await store.prepare()
        try await ensure(store, IdentityDomain(id: defaultDomainID, name: "Default", description: "The default domain"),
                         name: ("domain", ""))
        var roleIDs: [String: String] = [:]
        for name in roles {
            let role = IdentityRole(id: id("role " + name, secret: secret), name: name)
            try await ensure(store, role, name: ("role", ""))
            roleIDs[name] = role.id
        }
        let project = IdentityProject(id: id("project admin", secret: secret), name: adminProject, domainID: defaultDomainID,
                                      description: "Bootstrap project for initializing the cloud.")
        try await ensure(store, project, name: ("project", defaultDomainID))
        let userID = id("user admin", secret: secret)
        if try await store.get(IdentityUser.self, userID) == nil {
            let hash = PasswordHash.make(adminPassword(secret: secret), salt: salt, rounds: passwordRounds)
            try await ensure(store, IdentityUser(id: userID, name: adminUser, domainID: defaultDomainID,
                                                 defaultProjectID: project.id, passwordHash: hash),
                             name: ("user", defaultDomainID))
        }
        let grant = RoleAssignment(targetKind: .project, targetID: project.id, actorID: userID, roleID: roleIDs["admin"]!)
        if try await store.get(RoleAssignment.self, grant.id) == nil { try await store.put(grant) }
        if try await store.get(IdentityRegion.self, region) == nil { try await store.put(IdentityRegion(id: region)) }
        for (type, name, url) in catalog {
            let service = IdentityService(id: id("service " + type, secret: secret), type: type, name: name)
            if try await store.get(IdentityService.self, service.id) == nil { try await store.put(service) }
            for interface in ["public", "internal", "admin"] {
                let endpoint = IdentityEndpoint(id: id("endpoint \(type) \(interface)", secret: secret), interface: interface,
                                                regionID: region, url: url, serviceID: service.id)
                if try await store.get(IdentityEndpoint.self, endpoint.id) == nil { try await store.put(endpoint) }
            }
        }
    }

    /// Writes `record` and claims its name unless the record exists already.
    static func ensure<Record: IdentityResource>(_ store: IdentityStore, _ record: Record, name: (kind: String, scope: String))
        async throws(KeystoneError)
    {
        guard try await store.get(Record.self, record.id) == nil else { return }
        let recordName: String
        switch record {
        case let domain as IdentityDomain: recordName = domain.name
        case let role as IdentityRole: recordName = role.name
        case let project as IdentityProject: recordName = project.name
        case let user as IdentityUser: recordName = user.name
        default: recordName = record.id
        }
        try await store.claimName(kind: name.kind, scope: name.scope, name: recordName, id: record.id)
        try await store.put(record)
    }
}
