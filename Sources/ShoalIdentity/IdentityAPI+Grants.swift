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
        let actor: RoleAssignment.Actor = path[2] == "groups" ? .group : .user
        let targetID = path[1], actorID = path[3]
        switch target {
        case .project: guard try await store.get(IdentityProject.self, targetID) != nil else { throw .notFound("project", targetID) }
        case .domain: guard try await store.get(IdentityDomain.self, targetID) != nil else { throw .notFound("domain", targetID) }
        }
        switch actor {
        case .user: guard try await store.get(IdentityUser.self, actorID) != nil else { throw .notFound("user", actorID) }
        case .group: guard try await store.get(IdentityGroup.self, actorID) != nil else { throw .notFound("group", actorID) }
        }
        let mayRead = IdentityPolicy.isAdmin(caller) || (actor == .user && caller.user.id == actorID)
        let prefix = RoleAssignment.prefix(target: target, id: targetID, actor: actor, actorID: actorID)
        if path.count == 5 {
            guard method == "GET" else { throw Self.methodNotAllowed }
            guard mayRead else { throw .forbidden(action: "identity:list_grants") }
            var roles: [IdentityRole] = []
            for assignment in try await store.list(RoleAssignment.self, prefix: prefix) {
                if let role = try await store.get(IdentityRole.self, assignment.roleID) { roles.append(role) }
            }
            let url = request.baseURL + "/" + path.joined(separator: "/")
            return IdentityResponse(status: 200, body: ["roles": .array(roles.map { $0.rendered(baseURL: request.baseURL) }),
                                                        "links": Self.links(url)])
        }
        guard path.count == 6 else { throw .notFound("resource", path.joined(separator: "/")) }
        let roleID = path[5]
        guard try await store.get(IdentityRole.self, roleID) != nil else { throw .notFound("role", roleID) }
        let assignment = RoleAssignment(targetKind: target, targetID: targetID, actorKind: actor, actorID: actorID, roleID: roleID)
        let missing = KeystoneError(status: 404, message: "Could not find role assignment with role: \(roleID), user or group: "
                                    + "\(actorID), project, domain, or system: \(targetID).")
        switch method {
        case "PUT":
            try requireAdmin(caller, "create_grant")
            try await store.put(assignment)
        case "GET":
            guard mayRead else { throw .forbidden(action: "identity:check_grant") }
            guard try await store.get(RoleAssignment.self, assignment.id) != nil else { throw missing }
        case "DELETE":
            try requireAdmin(caller, "revoke_grant")
            guard try await store.delete(RoleAssignment.self, assignment.id) else { throw missing }
            // Tokens carry their roles: the users' tokens go, and new ones see the change.
            for user in try await users(holding: [assignment]) { try await revoke(.user(user)) }
        default:
            throw Self.methodNotAllowed
        }
        return IdentityResponse(status: 204)
    }

    /// `PUT`/`HEAD`/`GET`/`DELETE /v3/groups/{group}/users/{user}` and `GET /v3/groups/{group}/users`.
    func groupMembers(_ request: IdentityRequest, method: String, path: [String], caller: KeystoneToken) async throws(KeystoneError)
        -> IdentityResponse
    {
        let groupID = path[1]
        guard try await store.get(IdentityGroup.self, groupID) != nil else { throw .notFound("group", groupID) }
        if path.count == 3 {
            guard method == "GET" else { throw Self.methodNotAllowed }
            try requireAdmin(caller, "list_users_in_group")
            var users: [IdentityUser] = []
            for membership in try await members(of: groupID) {
                if let user = try await store.get(IdentityUser.self, membership.userID) { users.append(user) }
            }
            return IdentityResponse(status: 200, body: ["users": .array(users.map { $0.rendered(baseURL: request.baseURL) }),
                                                        "links": Self.links(request.baseURL + "/groups/\(groupID)/users")])
        }
        guard path.count == 4 else { throw .notFound("resource", path.joined(separator: "/")) }
        let userID = path[3]
        guard try await store.get(IdentityUser.self, userID) != nil else { throw .notFound("user", userID) }
        let membership = GroupMembership(userID: userID, groupID: groupID)
        switch method {
        case "PUT":
            try requireAdmin(caller, "add_user_to_group")
            try await store.put(membership)
        case "GET":
            guard IdentityPolicy.isSelfOrAdmin(caller, userID: userID) else { throw .forbidden(action: "identity:check_user_in_group") }
            guard try await store.get(GroupMembership.self, membership.id) != nil else {
                throw KeystoneError(status: 404, message: "\(userID) is not a member of group \(groupID).")
            }
        case "DELETE":
            try requireAdmin(caller, "remove_user_from_group")
            guard try await store.delete(GroupMembership.self, membership.id) else {
                throw KeystoneError(status: 404, message: "\(userID) is not a member of group \(groupID).")
            }
            try await revoke(.user(userID))
        default:
            throw Self.methodNotAllowed
        }
        return IdentityResponse(status: 204)
    }

    /// `GET /v3/users/{user}/groups`.
    func userGroups(_ request: IdentityRequest, userID: String, caller: KeystoneToken) async throws(KeystoneError) -> IdentityResponse {
        guard IdentityPolicy.isSelfOrAdmin(caller, userID: userID) else { throw .forbidden(action: "identity:list_groups_for_user") }
        var groups: [IdentityGroup] = []
        for id in try await self.groups(of: userID) {
            if let group = try await store.get(IdentityGroup.self, id) { groups.append(group) }
        }
        return IdentityResponse(status: 200, body: ["groups": .array(groups.map { $0.rendered(baseURL: request.baseURL) }),
                                                    "links": Self.links(request.baseURL + "/users/\(userID)/groups")])
    }

    /// The groups `user` belongs to.
    func groups(of user: String) async throws(KeystoneError) -> [String] {
        try await store.list(GroupMembership.self, prefix: user + ".").map(\.groupID)
    }

    func members(of group: String) async throws(KeystoneError) -> [GroupMembership] {
        try await store.list(GroupMembership.self).filter { $0.groupID == group }
    }

    /// The grants that reach `user`, directly or through its groups, whose ids start with `prefix`.
    func grants(of user: String, prefix: String) async throws(KeystoneError) -> [RoleAssignment] {
        let groups = Set(try await groups(of: user))
        return try await store.list(RoleAssignment.self, prefix: prefix).filter {
            $0.actorKind == .user ? $0.actorID == user : groups.contains($0.actorID)
        }
    }

    /// Every user `assignments` reach (group grants through the groups' members).
    func users(holding assignments: [RoleAssignment]) async throws(KeystoneError) -> Set<String> {
        var users: Set<String> = []
        for assignment in assignments {
            switch assignment.actorKind {
            case .user: users.insert(assignment.actorID)
            case .group: for membership in try await members(of: assignment.actorID) { users.insert(membership.userID) }
            }
        }
        return users
    }

    /// `GET /v3/role_assignments` with `user.id`, `group.id`, `role.id`, `scope.project.id`,
    /// `scope.domain.id`, `effective` (group grants expanded into their members' entries)
    /// and `include_names`.
    func listAssignments(_ request: IdentityRequest, caller: KeystoneToken) async throws(KeystoneError) -> IdentityResponse {
        let query = request.query
        let forSelf = query["user.id"] == caller.user.id
        guard IdentityPolicy.isAdmin(caller) || forSelf else { throw .forbidden(action: "identity:list_role_assignments") }
        var assignments = try await store.list(RoleAssignment.self)
        var via: [String: String] = [:]  // expanded entry id → the group it came through
        if Self.flag(query["effective"]) {
            var expanded: [RoleAssignment] = []
            for assignment in assignments {
                guard assignment.actorKind == .group else {
                    expanded.append(assignment)
                    continue
                }
                for membership in try await members(of: assignment.actorID) {
                    let entry = RoleAssignment(targetKind: assignment.targetKind, targetID: assignment.targetID,
                                               actorID: membership.userID, roleID: assignment.roleID)
                    via[entry.id] = assignment.actorID
                    expanded.append(entry)
                }
            }
            assignments = expanded
        }
        if let user = query["user.id"] { assignments = assignments.filter { $0.actorKind == .user && $0.actorID == user } }
        if let group = query["group.id"] { assignments = assignments.filter { $0.actorKind == .group && $0.actorID == group } }
        if let role = query["role.id"] { assignments = assignments.filter { $0.roleID == role } }
        if let project = query["scope.project.id"] {
            assignments = assignments.filter { $0.targetKind == .project && $0.targetID == project }
        }
        if let domain = query["scope.domain.id"] {
            assignments = assignments.filter { $0.targetKind == .domain && $0.targetID == domain }
        }
        assignments.sort { $0.id < $1.id }
        let names = Self.flag(query["include_names"])
        var rendered: [JSONValue] = []
        for assignment in assignments {
            guard case .object(var fields) = assignment.rendered(baseURL: request.baseURL) else { continue }
            if let group = via[assignment.id] {
                fields["links"] = ["assignment": .string("\(request.baseURL)/\(assignment.targetKind.rawValue)s/\(assignment.targetID)/groups/\(group)/roles/\(assignment.roleID)"),
                                   "membership": .string("\(request.baseURL)/groups/\(group)/users/\(assignment.actorID)")]
            }
            if names { try await addNames(to: &fields, for: assignment) }
            rendered.append(.object(fields))
        }
        let suffix = query.isEmpty ? "" : "?" + query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return IdentityResponse(status: 200, body: ["role_assignments": .array(rendered),
                                                    "links": Self.links(request.baseURL + "/role_assignments" + suffix)])
    }

    /// A bare `?effective` counts as true; `0`/`false` as false.
    static func flag(_ value: String?) -> Bool {
        guard let value else { return false }
        return !["0", "false", "False"].contains(value)
    }

    /// `include_names`: the role's, actor's and scope's names (with their domains).
    func addNames(to fields: inout [String: JSONValue], for assignment: RoleAssignment) async throws(KeystoneError) {
        func domain(_ id: String) async throws(KeystoneError) -> JSONValue? {
            guard let domain = try await store.get(IdentityDomain.self, id) else { return nil }
            return ["id": .string(domain.id), "name": .string(domain.name)]
        }
        if let role = try await store.get(IdentityRole.self, assignment.roleID) {
            fields["role"] = ["id": .string(role.id), "name": .string(role.name)]
        }
        switch assignment.actorKind {
        case .user:
            if let user = try await store.get(IdentityUser.self, assignment.actorID), let owner = try await domain(user.domainID) {
                fields["user"] = ["id": .string(user.id), "name": .string(user.name), "domain": owner]
            }
        case .group:
            if let group = try await store.get(IdentityGroup.self, assignment.actorID), let owner = try await domain(group.domainID) {
                fields["group"] = ["id": .string(group.id), "name": .string(group.name), "domain": owner]
            }
        }
        switch assignment.targetKind {
        case .project:
            if let project = try await store.get(IdentityProject.self, assignment.targetID), let owner = try await domain(project.domainID) {
                fields["scope"] = ["project": ["id": .string(project.id), "name": .string(project.name), "domain": owner]]
            }
        case .domain:
            if let scope = try await domain(assignment.targetID) { fields["scope"] = ["domain": scope] }
        }
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
        guard let hash = user.passwordHash, await PasswordWork.verify(original, against: hash) else { throw .unauthorized }
        user.passwordHash = await PasswordWork.make(password, salt: random(16), rounds: configuration.passwordRounds)
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
