import ShoalCore

/// Keystone's `{"token": {...}}` document and its service catalog, rendered from a token
/// and the catalog records with no other lookup.
public enum TokenDocument {
    /// One service and its endpoints, as the catalog records hold them.
    public struct Service: Sendable {
        public var service: IdentityService
        public var endpoints: [IdentityEndpoint]

        public init(service: IdentityService, endpoints: [IdentityEndpoint]) {
            self.service = service
            self.endpoints = endpoints
        }
    }

    /// The token document; `catalog` is left out for unscoped tokens and `?nocatalog`.
    public static func render(_ token: KeystoneToken, catalog: [JSONValue]?) -> JSONValue {
        func named(_ value: KeystoneToken.Named) -> JSONValue { ["id": .string(value.id), "name": .string(value.name)] }
        var document: [String: JSONValue] = [
            "methods": .array(token.methods.map(JSONValue.string)),
            "user": ["id": .string(token.user.id), "name": .string(token.user.name), "domain": named(token.userDomain),
                     "password_expires_at": .null],
            "audit_ids": .array(token.auditIDs.map(JSONValue.string)),
            "expires_at": .string(KeystoneTime.format(token.expiresAt)),
            "issued_at": .string(KeystoneTime.format(token.issuedAt)),
        ]
        switch token.scope {
        case .unscoped:
            break
        case .project(let project, let domain, let isDomain):
            document["project"] = ["id": .string(project.id), "name": .string(project.name), "domain": named(domain)]
            document["is_domain"] = .bool(isDomain)
        case .domain(let domain):
            document["domain"] = named(domain)
        }
        if token.scope != .unscoped {
            document["roles"] = .array(token.roles.map(named))
            if let catalog { document["catalog"] = .array(catalog) }
        }
        if let credential = token.applicationCredential {
            document["application_credential"] = ["id": .string(credential.id), "name": .string(credential.name), "restricted": true]
        }
        return ["token": .object(document)]
    }

    /// The catalog for `token`: enabled services with their enabled endpoints, URLs with the
    /// node's base URL and the token's project and user filled in. Endpoints that need a
    /// project are left out of a token without one.
    public static func catalog(_ services: [Service], for token: KeystoneToken, nodeURL: String) -> [JSONValue] {
        services.filter(\.service.enabled).sorted { $0.service.type < $1.service.type }.map { entry in
            let endpoints = entry.endpoints.filter(\.enabled).sorted { ($0.interface, $0.id) < ($1.interface, $1.id) }
                .compactMap { endpoint -> JSONValue? in
                    var url = endpoint.url(nodeURL: nodeURL)
                    let needsProject = url.contains("$(project_id)s") || url.contains("$(tenant_id)s")
                    if needsProject {
                        guard let project = token.projectID else { return nil }
                        url = url.replacingAll("$(project_id)s", with: project).replacingAll("$(tenant_id)s", with: project)
                    }
                    url = url.replacingAll("$(user_id)s", with: token.user.id)
                    return ["id": .string(endpoint.id), "interface": .string(endpoint.interface),
                            "region_id": .string(endpoint.regionID), "region": .string(endpoint.regionID), "url": .string(url)]
                }
            return ["id": .string(entry.service.id), "type": .string(entry.service.type), "name": .string(entry.service.name),
                    "endpoints": .array(endpoints)]
        }
    }
}

/// Keystone's default policies, reduced to the three roles Shoal bootstraps: `admin` may do
/// everything; `reader` and `member` may read their own user and projects, validate and
/// revoke their own tokens and manage their own application credentials.
public enum IdentityPolicy {
    public static let adminRole = "admin"

    public static func isAdmin(_ token: KeystoneToken) -> Bool { token.hasRole(adminRole) }

    /// Whether `token` may act on what belongs to `userID` (its own tokens, password,
    /// projects and application credentials).
    public static func isSelfOrAdmin(_ token: KeystoneToken, userID: String) -> Bool {
        token.user.id == userID || isAdmin(token)
    }
}
