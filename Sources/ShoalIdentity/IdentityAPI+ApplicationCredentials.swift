import ShoalCore
import ShoalKeystoneAPI
import ShoalPorts
import ShoalSwiftAPI

/// `/v3/users/{id}/application_credentials` and the `application_credential` auth method.
extension IdentityAPI {
    func applicationCredentials(_ request: IdentityRequest, method: String, path: [String], caller: KeystoneToken)
        async throws(KeystoneError) -> IdentityResponse
    {
        let userID = path[1], base = request.baseURL
        guard IdentityPolicy.isSelfOrAdmin(caller, userID: userID) else {
            throw .forbidden(action: "identity:\(method == "GET" ? "get" : "manage")_application_credential")
        }
        switch (method, path.count) {
        case ("POST", 3):
            guard caller.user.id == userID, let projectID = caller.projectID else {
                throw KeystoneError(status: 403, message: "You are not authorized to perform the requested action: "
                                    + "Cannot create an application credential for another user.")
            }
            let body = try Self.parseBody(request)
            guard let fields = body[ApplicationCredential.member], fields.object != nil else {
                throw .missing(ApplicationCredential.member, in: "request body")
            }
            let name = try Self.name(fields)
            let secret = try Self.string(fields, "secret") ?? Base64URL.encode(random(64))
            var expiresAt: Int64?
            if let text = try Self.string(fields, "expires_at") {
                guard let time = KeystoneTime.parse(text) else { throw .badRequest("Invalid input for field 'expires_at'.") }
                expiresAt = time
            }
            // The roles asked for, by id or name, must be among the caller's; default: all of them.
            var roles: [IdentityRole] = []
            let held = caller.roles
            var asked = fields["roles"]?.array ?? []
            if asked.isEmpty { asked = held.map { ["id": .string($0.id)] } }
            for role in asked {
                guard let match = held.first(where: { $0.id == role["id"]?.string || $0.name == role["name"]?.string }) else {
                    throw .badRequest("Invalid input for field 'roles': the user does not hold every role asked for.")
                }
                roles.append(IdentityRole(id: match.id, name: match.name))
            }
            // Every field is checked before the secret is hashed (a third of a second).
            let description = try Self.string(fields, "description")
            let unrestricted = try Self.bool(fields, "unrestricted") ?? false
            let secretHash = await PasswordWork.make(secret, salt: random(16), rounds: configuration.passwordRounds)
            let credential = ApplicationCredential(
                id: newID(), name: name, description: description, userID: userID, projectID: projectID,
                secretHash: secretHash, expiresAt: expiresAt, unrestricted: unrestricted, roles: roles)
            try await store.claimName(kind: "application_credential", scope: userID, name: name, id: credential.id)
            try await store.put(credential, create: true)
            guard case .object(var rendered) = credential.rendered(baseURL: base) else { throw .unavailable }
            rendered["secret"] = .string(secret)  // shown this once, never again
            return IdentityResponse(status: 201, body: [ApplicationCredential.member: .object(rendered)])
        case ("GET", 3):
            var credentials = try await store.list(ApplicationCredential.self).filter { $0.userID == userID }
            if let name = request.query["name"] { credentials = credentials.filter { $0.name == name } }
            credentials.sort { $0.id < $1.id }
            return IdentityResponse(status: 200, body: [
                ApplicationCredential.collection: .array(credentials.map { $0.rendered(baseURL: base) }),
                "links": Self.links(base + "/users/\(userID)/application_credentials")])
        case ("GET", 4), ("DELETE", 4):
            guard let credential = try await store.get(ApplicationCredential.self, path[3]), credential.userID == userID else {
                throw .notFound("Application Credential", path[3])
            }
            if method == "GET" { return IdentityResponse(status: 200, body: [ApplicationCredential.member: credential.rendered(baseURL: base)]) }
            try await store.delete(ApplicationCredential.self, credential.id)
            try await store.releaseName(kind: "application_credential", scope: userID, name: credential.name)
            try await revoke(.applicationCredential(credential.id))
            return IdentityResponse(status: 204)
        default:
            throw Self.methodNotAllowed
        }
    }

    /// Logs in with an application credential: always scoped to its project, with the roles
    /// it and the user both still hold.
    func issueToken(_ request: IdentityRequest, credentialID: String?, name: String?, user reference: AuthRequest.UserReference?,
                    secret: String, time: Int64) async throws(KeystoneError) -> IdentityResponse {
        var credential: ApplicationCredential?
        if let credentialID {
            credential = try await store.get(ApplicationCredential.self, credentialID)
        } else if let name, let reference, let owner = try await findUser(reference),
                  let id = try await store.lookupName(kind: "application_credential", scope: owner.id, name: name) {
            credential = try await store.get(ApplicationCredential.self, id)
        }
        guard let credential, credential.expiresAt.map({ $0 > time }) ?? true,
              !limiter.isLocked(credential.id, now: time) else { throw .unauthorized }
        guard await PasswordWork.verify(secret, against: credential.secretHash) else {
            limiter.failed(credential.id, now: time)
            throw .unauthorized
        }
        guard let user = try await store.get(IdentityUser.self, credential.userID), user.enabled,
              let userDomain = try await store.get(IdentityDomain.self, user.domainID), userDomain.enabled else { throw .unauthorized }
        let (scope, current) = try await resolveScope(.project(.id(credential.projectID)), user: user)
        let allowed = Set(credential.roles.map(\.id))
        let roles = current.filter { allowed.contains($0.id) }
        guard !roles.isEmpty else { throw .unauthorized }
        var expiresAt = time + configuration.tokenLifetime
        if let limit = credential.expiresAt { expiresAt = min(expiresAt, limit) }
        let token = KeystoneToken(
            user: user.named, userDomain: userDomain.named, methods: ["application_credential"], scope: scope, roles: roles,
            issuedAt: time, expiresAt: expiresAt, auditIDs: [Base64URL.encode(random(16))],
            applicationCredential: credential.named)
        guard let text = try? sealer.seal(token, nonce: random(12)) else { throw .unavailable }
        let catalog = request.query["nocatalog"] == nil ? try await catalog(for: token, request) : nil
        return IdentityResponse(status: 201, headers: ["X-Subject-Token": text, "Content-Type": "application/json"],
                                body: TokenDocument.render(token, catalog: catalog))
    }
}
