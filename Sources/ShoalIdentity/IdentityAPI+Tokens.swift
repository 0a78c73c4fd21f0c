import ShoalCore
import ShoalKeystoneAPI
import ShoalPorts
import ShoalSwiftAPI

/// `POST/GET/HEAD/DELETE /v3/auth/tokens` and the `auth` listings.
extension IdentityAPI {
    func issueToken(_ request: IdentityRequest) async throws(KeystoneError) -> IdentityResponse {
        let auth = try AuthRequest.parse(Self.parseBody(request))
        let time = now()
        var methods: [String]
        var auditChain: [String] = []
        var expiresAt = time + configuration.tokenLifetime
        let user: IdentityUser
        switch auth.method {
        case .password(let reference, let password):
            guard let found = try await findUser(reference) else { throw .unauthorized }
            guard !limiter.isLocked(found.id, now: time) else {
                logger.notice("login refused while locked out", metadata: ["user": "\(found.id)"])
                throw .unauthorized
            }
            guard found.enabled, let hash = found.passwordHash, await PasswordWork.verify(password, against: hash) else {
                limiter.failed(found.id, now: time)
                logger.notice("login failed", metadata: ["user": "\(found.id)"])
                throw .unauthorized
            }
            limiter.succeeded(found.id)
            user = found
            methods = ["password"]
        case .token(let text):
            guard let previous = try? sealer.open(text, now: time), !revocations.isRevoked(previous) else { throw .unauthorized }
            guard let found = try await store.get(IdentityUser.self, previous.user.id), found.enabled else { throw .unauthorized }
            user = found
            methods = previous.methods.contains("token") ? previous.methods : previous.methods + ["token"]
            auditChain = previous.auditIDs
            expiresAt = min(expiresAt, previous.expiresAt)  // a token cannot outlive the one it came from
        case .applicationCredential(let id, let name, let reference, let secret):
            return try await issueToken(request, credentialID: id, name: name, user: reference, secret: secret, time: time)
        }
        guard let userDomain = try await store.get(IdentityDomain.self, user.domainID), userDomain.enabled else {
            throw .unauthorized
        }
        let (scope, roles) = try await resolveScope(auth.scope, user: user)
        let auditID = Base64URL.encode(random(16))
        let token = KeystoneToken(
            user: user.named, userDomain: userDomain.named, methods: methods, scope: scope, roles: roles,
            issuedAt: time, expiresAt: expiresAt, auditIDs: [auditID] + auditChain.prefix(1))
        guard let text = try? sealer.seal(token, nonce: random(12)) else { throw .unavailable }
        let catalog = request.query["nocatalog"] == nil ? try await catalog(for: token, request) : nil
        return IdentityResponse(status: 201, headers: ["X-Subject-Token": text, "Content-Type": "application/json"],
                                body: TokenDocument.render(token, catalog: catalog))
    }

    func validateToken(_ request: IdentityRequest, head: Bool) async throws(KeystoneError) -> IdentityResponse {
        let caller = try authenticatedCaller(request)
        let (text, subject) = try subjectToken(request)
        guard IdentityPolicy.isSelfOrAdmin(caller, userID: subject.user.id) || caller.hasRole("service") else {
            throw .forbidden(action: "identity:validate_token")
        }
        let catalog = request.query["nocatalog"] == nil ? try await catalog(for: subject, request) : nil
        return IdentityResponse(status: 200, headers: ["X-Subject-Token": text, "Content-Type": "application/json"],
                                body: head ? nil : TokenDocument.render(subject, catalog: catalog))
    }

    func revokeToken(_ request: IdentityRequest) async throws(KeystoneError) -> IdentityResponse {
        let caller = try authenticatedCaller(request)
        let (_, subject) = try subjectToken(request)
        guard IdentityPolicy.isSelfOrAdmin(caller, userID: subject.user.id) else { throw .forbidden(action: "identity:revoke_token") }
        try await revoke(.auditID(subject.auditIDs[0]))
        logger.notice("token revoked", metadata: ["user": "\(subject.user.id)", "audit_id": "\(subject.auditIDs[0])"])
        return IdentityResponse(status: 204)
    }

    /// Records a revocation here at once, gossips it to every node, and stores it, from where
    /// nodes that missed the gossip (down, partitioned, started later) pick it up.
    func revoke(_ event: RevocationList.Event) async throws(KeystoneError) {
        let time = now()
        revocations.record(event, at: time)
        await announce(event, time)
        try await store.putRevocation(event, at: time, expiresAfter: sealer.maximumLifetime + 60)
    }

    /// The X-Subject-Token, opened; 404 as Keystone answers for a bad one.
    func subjectToken(_ request: IdentityRequest) throws(KeystoneError) -> (String, KeystoneToken) {
        guard let text = request.headers["X-Subject-Token"], !text.isEmpty else {
            throw KeystoneError(status: 404, message: "No token in the request")
        }
        let token: KeystoneToken
        do {
            token = try sealer.open(text, now: now())
        } catch .unrecognized {
            throw KeystoneError(status: 404, message: "Could not recognize Fernet token")
        } catch {
            throw KeystoneError(status: 404, message: "Failed to validate token")
        }
        guard !revocations.isRevoked(token) else { throw KeystoneError(status: 404, message: "Failed to validate token") }
        return (text, token)
    }

    // MARK: Resolving

    func findUser(_ reference: AuthRequest.UserReference) async throws(KeystoneError) -> IdentityUser? {
        switch reference {
        case .id(let id):
            return try await store.get(IdentityUser.self, id)
        case .name(let name, let domainReference):
            guard let domain = try await findDomain(domainReference),
                  let id = try await store.lookupName(kind: "user", scope: domain.id, name: name) else { return nil }
            return try await store.get(IdentityUser.self, id)
        }
    }

    func findDomain(_ reference: AuthRequest.DomainReference) async throws(KeystoneError) -> IdentityDomain? {
        switch reference {
        case .id(let id):
            return try await store.get(IdentityDomain.self, id)
        case .name(let name):
            guard let id = try await store.lookupName(kind: "domain", scope: "", name: name) else { return nil }
            return try await store.get(IdentityDomain.self, id)
        }
    }

    func findProject(_ reference: AuthRequest.ProjectReference) async throws(KeystoneError) -> IdentityProject? {
        switch reference {
        case .id(let id):
            return try await store.get(IdentityProject.self, id)
        case .name(let name, let domainReference):
            guard let domain = try await findDomain(domainReference),
                  let id = try await store.lookupName(kind: "project", scope: domain.id, name: name) else { return nil }
            return try await store.get(IdentityProject.self, id)
        }
    }

    /// The scope a login asked for and the user's effective roles there; 401 when the target
    /// is unknown or disabled or the user holds no role on it (Keystone's answers).
    func resolveScope(_ request: AuthRequest.ScopeRequest, user: IdentityUser) async throws(KeystoneError)
        -> (KeystoneToken.Scope, [KeystoneToken.Named])
    {
        switch request {
        case .unscoped:
            return (.unscoped, [])
        case .defaultProject:
            guard let projectID = user.defaultProjectID, let project = try await store.get(IdentityProject.self, projectID),
                  project.enabled else { return (.unscoped, []) }
            let roles = try await effectiveRoles(user: user.id, target: .project, id: project.id)
            guard !roles.isEmpty, let domain = try await store.get(IdentityDomain.self, project.domainID), domain.enabled else {
                return (.unscoped, [])
            }
            return (.project(project.named, domain: domain.named, isDomain: false), roles)
        case .project(let reference):
            guard let project = try await findProject(reference), project.enabled,
                  let domain = try await store.get(IdentityDomain.self, project.domainID), domain.enabled else { throw .unauthorized }
            let roles = try await effectiveRoles(user: user.id, target: .project, id: project.id)
            guard !roles.isEmpty else { throw .unauthorized }
            return (.project(project.named, domain: domain.named, isDomain: false), roles)
        case .domain(let reference):
            guard let domain = try await findDomain(reference), domain.enabled else { throw .unauthorized }
            let roles = try await effectiveRoles(user: user.id, target: .domain, id: domain.id)
            guard !roles.isEmpty else { throw .unauthorized }
            return (.domain(domain.named), roles)
        }
    }

    /// The roles `user` holds on the target, with the roles they imply (admin → member →
    /// reader, as Keystone's bootstrap sets up), by name order.
    func effectiveRoles(user: String, target: RoleAssignment.Target, id: String) async throws(KeystoneError) -> [KeystoneToken.Named] {
        var assignments = try await store.list(RoleAssignment.self, prefix: RoleAssignment.prefix(target: target, id: id, actor: .user, actorID: user))
        for group in try await groups(of: user) {
            assignments += try await store.list(RoleAssignment.self, prefix: RoleAssignment.prefix(target: target, id: id, actor: .group, actorID: group))
        }
        var roles: [String: KeystoneToken.Named] = [:]
        for assignment in assignments {
            guard let role = try await store.get(IdentityRole.self, assignment.roleID) else { continue }
            roles[role.id] = role.named
        }
        var names = Set(roles.values.map { $0.name.lowercased() })
        for (granted, implied) in Bootstrap.impliedRoles where names.contains(granted) && !names.contains(implied) {
            names.insert(implied)
            if let id = try await store.lookupName(kind: "role", scope: "", name: implied),
               let role = try await store.get(IdentityRole.self, id) { roles[role.id] = role.named }
        }
        return roles.values.sorted { $0.name < $1.name }
    }

    // MARK: Catalog

    func catalog(for token: KeystoneToken, _ request: IdentityRequest) async throws(KeystoneError) -> [JSONValue] {
        guard token.scope != .unscoped else { return [] }
        let services = try await store.list(IdentityService.self)
        let endpoints = try await store.list(IdentityEndpoint.self)
        let entries = services.map { service in
            TokenDocument.Service(service: service, endpoints: endpoints.filter { $0.serviceID == service.id })
        }
        return TokenDocument.catalog(entries, for: token, nodeURL: request.nodeURL)
    }

    func authListing(_ what: String, caller: KeystoneToken, _ request: IdentityRequest) async throws(KeystoneError) -> IdentityResponse {
        let base = request.baseURL
        switch what {
        case "catalog":
            guard caller.projectID != nil else { throw .forbidden }
            return IdentityResponse(status: 200, body: ["catalog": .array(try await catalog(for: caller, request)),
                                                        "links": ["self": .string(base + "/auth/catalog")]])
        case "projects":
            let projects = try await projects(of: caller.user.id)
            return IdentityResponse(status: 200, body: ["projects": .array(projects.map { $0.rendered(baseURL: base) }),
                                                        "links": Self.links(base + "/auth/projects")])
        case "domains":
            let assignments = try await grants(of: caller.user.id, prefix: "domain.")
            var domains: [IdentityDomain] = []
            for id in Set(assignments.map(\.targetID)).sorted() {
                if let domain = try await store.get(IdentityDomain.self, id), domain.enabled { domains.append(domain) }
            }
            return IdentityResponse(status: 200, body: ["domains": .array(domains.map { $0.rendered(baseURL: base) }),
                                                        "links": Self.links(base + "/auth/domains")])
        default:
            throw .notFound("resource", what)
        }
    }

    /// Enabled projects `user` holds a role on.
    func projects(of user: String) async throws(KeystoneError) -> [IdentityProject] {
        let assignments = try await grants(of: user, prefix: "project.")
        var projects: [IdentityProject] = []
        for id in Set(assignments.map(\.targetID)).sorted() {
            if let project = try await store.get(IdentityProject.self, id), project.enabled { projects.append(project) }
        }
        return projects
    }

    static func links(_ url: String) -> JSONValue { ["self": .string(url), "previous": .null, "next": .null] }
}
