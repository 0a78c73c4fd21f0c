import ShoalCore
import ShoalKeystoneAPI
import ShoalPorts

/// Role grants (`/projects|domains/{id}/users/{user}/roles[/{role}]`), the
/// `/role_assignments` listing, and a user's password and projects.
extension IdentityAPI {
    func grant(_ request: IdentityRequest, method: String, path: [String], caller: KeystoneToken) async throws(KeystoneError)
        -> IdentityResponse
    {
        let target: RoleAssignment.Target = path[0] == "projects" ? .project : .domain
        let targetID = path[1], userID = path[3]
        switch target {
        case .project: guard try await store.get(IdentityProject.self, targetID) != nil else { throw .notFound("project", targetID) }
        case .domain: guard try await store.get(IdentityDomain.self, targetID) != nil else { throw .notFound("domain", targetID) }
        }
        guard try await store.get(IdentityUser.self, userID) != nil else { throw .notFound("user", userID) }
        if path.count == 5 {
            guard method == "GET" else { throw Self.methodNotAllowed }
            guard IdentityPolicy.isSelfOrAdmin(caller, userID: userID) else { throw .forbidden(action: "identity:list_grants") }
            var roles: [IdentityRole] = []
            for assignment in try await store.list(RoleAssignment.self, prefix: "\(target.rawValue).\(targetID).\(userID).") {
                if let role = try await store.get(IdentityRole.self, assignment.roleID) { roles.append(role) }
            }
            let url = request.baseURL + "/" + path.joined(separator: "/")
            return IdentityResponse(status: 200, body: ["roles": .array(roles.map { $0.rendered(baseURL: request.baseURL) }),
                                                        "links": Self.links(url)])
        }
        guard path.count == 6 else { throw .notFound("resource", path.joined(separator: "/")) }
        let roleID = path[5]
        guard try await store.get(IdentityRole.self, roleID) != nil else { throw .notFound("role", roleID) }
        let assignment = RoleAssignment(targetKind: target, targetID: targetID, userID: userID, roleID: roleID)
        let missing = KeystoneError(status: 404, message: "Could not find role assignment with role: \(roleID), user or group: "
                                    + "\(userID), project, domain, or system: \(targetID).")
        switch method {
        case "PUT":
            try requireAdmin(caller, "create_grant")
            try await store.put(assignment)
        case "GET":
            guard IdentityPolicy.isSelfOrAdmin(caller, userID: userID) else { throw .forbidden(action: "identity:check_grant") }
            guard try await store.get(RoleAssignment.self, assignment.id) != nil else { throw missing }
        case "DELETE":
            try requireAdmin(caller, "revoke_grant")
            guard try await store.delete(RoleAssignment.self, assignment.id) else { throw missing }
            // Tokens carry their roles: the user's tokens go, and new ones see the change.
            try await revoke(.user(userID))
        default:
            throw Self.methodNotAllowed
        }
        return IdentityResponse(status: 204)
    }

    /// `GET /v3/role_assignments` with `user.id`, `role.id`, `scope.project.id`,
    /// `scope.domain.id`, `effective` and `include_names`.
    func listAssignments(_ request: IdentityRequest, caller: KeystoneToken) async throws(KeystoneError) -> IdentityResponse {
        let query = request.query
        let forSelf = query["user.id"] == caller.user.id
        guard IdentityPolicy.isAdmin(caller) || forSelf else { throw .forbidden(action: "identity:list_role_assignments") }
        var assignments = try await store.list(RoleAssignment.self)
        if let user = query["user.id"] { assignments = assignments.filter { $0.userID == user } }
        if let role = query["role.id"] { assignments = assignments.filter { $0.roleID == role } }
        if let project = query["scope.project.id"] {
            assignments = assignments.filter { $0.targetKind == .project && $0.targetID == project }
        }
        if let domain = query["scope.domain.id"] {
            assignments = assignments.filter { $0.targetKind == .domain && $0.targetID == domain }
        }
        assignments.sort { $0.id < $1.id }
        let names = query["include_names"].map { !["0", "false", "False"].contains($0) } ?? false
        var rendered: [JSONValue] = []
        for assignment in assignments {
            guard names, case .object(var fields) = assignment.rendered(baseURL: request.baseURL) else {
                rendered.append(assignment.rendered(baseURL: request.baseURL))
                continue
            }
            if let role = try await store.get(IdentityRole.self, assignment.roleID) {
                fields["role"] = ["id": .string(role.id), "name": .string(role.name)]
            }
            if let user = try await store.get(IdentityUser.self, assignment.userID),
               let domain = try await store.get(IdentityDomain.self, user.domainID) {
                fields["user"] = ["id": .string(user.id), "name": .string(user.name),
                                  "domain": ["id": .string(domain.id), "name": .string(domain.name)]]
            }
            switch assignment.targetKind {
            case .project:
                if let project = try await store.get(IdentityProject.self, assignment.targetID),
                   let domain = try await store.get(IdentityDomain.self, project.domainID) {
                    fields["scope"] = ["project": ["id": .string(project.id), "name": .string(project.name),
                                                   "domain": ["id": .string(domain.id), "name": .string(domain.name)]]]
                }
            case .domain:
                if let domain = try await store.get(IdentityDomain.self, assignment.targetID) {
                    fields["scope"] = ["domain": ["id": .string(domain.id), "name": .string(domain.name)]]
                }
            }
            rendered.append(.object(fields))
        }
        let suffix = query.isEmpty ? "" : "?" + query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return IdentityResponse(status: 200, body: ["role_assignments": .array(rendered),
                                                    "links": Self.links(request.baseURL + "/role_assignments" + suffix)])
    }

    /// `POST /v3/users/{id}/password` with the original and the new password: 204, and every
    /// token of the user is revoked.
    func changePassword(_ request: IdentityRequest, userID: String, caller: KeystoneToken) async throws(KeystoneError)
        -> IdentityResponse
    {
        guard caller.user.id == userID else { throw .forbidden(action: "identity:update_password") }
        let body = try Self.parseBody(request)
        guard let original = body["user"]?["original_password"]?.string else { throw .missing("original_password", in: "user") }
        guard let password = body["user"]?["password"]?.string, !password.isEmpty else { throw .missing("password", in: "user") }
        guard var user = try await store.get(IdentityUser.self, userID) else { throw .notFound("user", userID) }
        guard let hash = user.passwordHash, PasswordHash.verify(original, against: hash) else { throw .unauthorized }
        user.passwordHash = PasswordHash.make(password, salt: random(16), rounds: configuration.passwordRounds)
        try await store.put(user)
        try await revoke(.user(userID))
        return IdentityResponse(status: 204)
    }

    func userProjects(_ request: IdentityRequest, userID: String, caller: KeystoneToken) async throws(KeystoneError) -> IdentityResponse {
        guard IdentityPolicy.isSelfOrAdmin(caller, userID: userID) else { throw .forbidden(action: "identity:list_user_projects") }
        guard try await store.get(IdentityUser.self, userID) != nil else { throw .notFound("user", userID) }
        let projects = try await projects(of: userID)
        return IdentityResponse(status: 200, body: ["projects": .array(projects.map { $0.rendered(baseURL: request.baseURL) }),
                                                    "links": Self.links(request.baseURL + "/users/\(userID)/projects")])
    }
}
