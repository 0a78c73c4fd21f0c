import ShoalCore
import ShoalKeystoneAPI
import ShoalPorts

/// How one collection is created, changed, named and filtered.
struct ResourceKind<Record: IdentityResource>: Sendable {
    /// Unique-name kind (`domain`, `project`, `user`, `role`) and the record's (scope, name).
    var uniqueName: (kind: String, key: @Sendable (Record) -> (scope: String, name: String))?
    var create: @Sendable (JSONValue, _ id: String) async throws(KeystoneError) -> Record
    var update: @Sendable (Record, JSONValue) async throws(KeystoneError) -> Record
    /// Exact-match list filters (`?name=`, `?domain_id=`...).
    var filters: [String: @Sendable (Record) -> String?]
}

extension IdentityAPI {
    func resource(_ request: IdentityRequest, method: String, path: [String], caller: KeystoneToken) async throws(KeystoneError)
        -> IdentityResponse
    {
        switch path[0] {
        case "domains": return try await crud(Self.domains, request, method, path, caller)
        case "projects": return try await crud(Self.projects, request, method, path, caller)
        case "users": return try await crud(users, request, method, path, caller)
        case "roles": return try await crud(Self.roles, request, method, path, caller)
        case "services": return try await crud(Self.services, request, method, path, caller)
        case "endpoints": return try await crud(Self.endpoints, request, method, path, caller)
        case "regions": return try await crud(Self.regions, request, method, path, caller)
        case "groups": return try await crud(Self.groups, request, method, path, caller)
        default: throw .notFound("resource", path[0])
        }
    }

    func crud<Record: IdentityResource>(_ kind: ResourceKind<Record>, _ request: IdentityRequest, _ method: String,
                                        _ path: [String], _ caller: KeystoneToken) async throws(KeystoneError) -> IdentityResponse {
        let base = request.baseURL
        let collection = Record.collection, member = Record.member
        switch (method, path.count) {
        case ("GET", 1):
            try requireAdmin(caller, "list_\(collection)")
            var records = try await store.list(Record.self)
            for (key, value) in request.query {
                guard let field = kind.filters[key] else { continue }
                records = records.filter { field($0) == value }
            }
            records.sort { $0.id < $1.id }
            let query = request.query.isEmpty ? "" : "?" + request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            return IdentityResponse(status: 200, body: [collection: .array(records.map { $0.rendered(baseURL: base) }),
                                                        "links": Self.links(base + "/" + collection + query)])
        case ("POST", 1), ("PUT", 2) where Record.self == IdentityRegion.self:
            try requireAdmin(caller, "create_\(member)")
            let body = try Self.parseBody(request)
            guard let fields = body[member], fields.object != nil else { throw .missing(member, in: "request body") }
            let id = path.count == 2 ? path[1] : (fields["id"]?.string.flatMap { Record.self == IdentityRegion.self ? $0 : nil } ?? newID())
            guard IdentityStore.isValidName(id) else { throw .badRequest("Invalid id.") }
            let record = try await kind.create(fields, id)
            if let unique = kind.uniqueName {
                let key = unique.key(record)
                try await store.claimName(kind: unique.kind, scope: key.scope, name: key.name, id: record.id)
            }
            try await store.put(record, create: true)
            logger.info("identity record created", metadata: ["kind": "\(member)", "id": "\(record.id)"])
            return IdentityResponse(status: 201, body: [member: record.rendered(baseURL: base)])
        case ("GET", 2):
            guard let record = try await store.get(Record.self, path[1]) else { throw .notFound(member, path[1]) }
            guard IdentityPolicy.isAdmin(caller) || (record as? IdentityUser)?.id == caller.user.id
                || ((record as? IdentityProject)?.id == caller.projectID && caller.projectID != nil) else {
                throw .forbidden(action: "identity:get_\(member)")
            }
            return IdentityResponse(status: 200, body: [member: record.rendered(baseURL: base)])
        case ("PATCH", 2):
            try requireAdmin(caller, "update_\(member)")
            guard let record = try await store.get(Record.self, path[1]) else { throw .notFound(member, path[1]) }
            let body = try Self.parseBody(request)
            guard let fields = body[member], fields.object != nil else { throw .missing(member, in: "request body") }
            let updated = try await kind.update(record, fields)
            if let unique = kind.uniqueName, unique.key(updated) != unique.key(record) {
                let (old, new) = (unique.key(record), unique.key(updated))
                try await store.claimName(kind: unique.kind, scope: new.scope, name: new.name, id: record.id)
                try await store.releaseName(kind: unique.kind, scope: old.scope, name: old.name)
            }
            try await store.put(updated)
            try await revokeIfDisabled(before: record, after: updated)
            return IdentityResponse(status: 200, body: [member: updated.rendered(baseURL: base)])
        case ("DELETE", 2):
            try requireAdmin(caller, "delete_\(member)")
            guard let record = try await store.get(Record.self, path[1]) else { throw .notFound(member, path[1]) }
            if let domain = record as? IdentityDomain, domain.enabled {
                throw KeystoneError(status: 403, message: "Cannot delete a domain that is enabled, please disable it first.")
            }
            try await store.delete(Record.self, record.id)
            if let unique = kind.uniqueName {
                let key = unique.key(record)
                try await store.releaseName(kind: unique.kind, scope: key.scope, name: key.name)
            }
            try await afterDelete(record)
            logger.info("identity record deleted", metadata: ["kind": "\(member)", "id": "\(record.id)"])
            return IdentityResponse(status: 204)
        default:
            throw Self.methodNotAllowed
        }
    }

    /// A user or project that was disabled loses its tokens on every node.
    func revokeIfDisabled<Record: IdentityResource>(before: Record, after: Record) async throws(KeystoneError) {
        if let old = before as? IdentityUser, let new = after as? IdentityUser,
           (old.enabled && !new.enabled) || old.passwordHash != new.passwordHash {
            try await revoke(.user(new.id))
        }
        if let old = before as? IdentityProject, let new = after as? IdentityProject, old.enabled && !new.enabled {
            try await revoke(.project(new.id))
        }
    }

    /// A deleted user or project takes its grants along and loses its tokens.
    func afterDelete<Record: IdentityResource>(_ record: Record) async throws(KeystoneError) {
        let grants: [RoleAssignment]
        switch record {
        case let user as IdentityUser:
            grants = try await store.list(RoleAssignment.self).filter { $0.actorKind == .user && $0.actorID == user.id }
            for membership in try await store.list(GroupMembership.self, prefix: user.id + ".") {
                try await store.delete(GroupMembership.self, membership.id)
            }
            try await revoke(.user(user.id))
        case let group as IdentityGroup:
            grants = try await store.list(RoleAssignment.self).filter { $0.actorKind == .group && $0.actorID == group.id }
            for membership in try await members(of: group.id) {
                try await store.delete(GroupMembership.self, membership.id)
                try await revoke(.user(membership.userID))
            }
        case let project as IdentityProject:
            grants = try await store.list(RoleAssignment.self, prefix: "project.\(project.id).")
            try await revoke(.project(project.id))
        case let role as IdentityRole:
            grants = try await store.list(RoleAssignment.self).filter { $0.roleID == role.id }
            for user in try await users(holding: grants) { try await revoke(.user(user)) }
        default:
            grants = []
        }
        for grant in grants { try await store.delete(RoleAssignment.self, grant.id) }
    }

    // MARK: Kinds

    static func string(_ fields: JSONValue, _ key: String) throws(KeystoneError) -> String? {
        guard let value = fields[key], !value.isNull else { return nil }
        guard let text = value.string else { throw .badRequest("Invalid input for field '\(key)': expected a string.") }
        return text
    }

    static func bool(_ fields: JSONValue, _ key: String) throws(KeystoneError) -> Bool? {
        guard let value = fields[key], !value.isNull else { return nil }
        guard let flag = value.bool else { throw .badRequest("Invalid input for field '\(key)': expected a boolean.") }
        return flag
    }

    static func name(_ fields: JSONValue) throws(KeystoneError) -> String {
        guard let name = try string(fields, "name") else { throw .missing("name", in: "request body") }
        guard !name.isEmpty, name.utf8.count <= 255 else { throw .badRequest("Invalid input for field 'name': length must be 1-255.") }
        return name
    }

    static func tags(_ fields: JSONValue) -> [String]? { fields["tags"]?.array?.compactMap(\.string) }

    static let domains = ResourceKind<IdentityDomain>(
        uniqueName: ("domain", { ("", $0.name) }),
        create: { fields, id throws(KeystoneError) in
            IdentityDomain(id: id, name: try name(fields), description: try string(fields, "description") ?? "",
                           enabled: try bool(fields, "enabled") ?? true, tags: tags(fields) ?? [])
        },
        update: { record, fields throws(KeystoneError) in
            var record = record
            if fields["name"] != nil { record.name = try name(fields) }
            if let description = try string(fields, "description") { record.description = description }
            if let enabled = try bool(fields, "enabled") { record.enabled = enabled }
            if let tags = tags(fields) { record.tags = tags }
            return record
        },
        filters: ["name": { $0.name }, "enabled": { String($0.enabled) }])

    static let projects = ResourceKind<IdentityProject>(
        uniqueName: ("project", { ($0.domainID, $0.name) }),
        create: { fields, id throws(KeystoneError) in
            let domain = try string(fields, "domain_id") ?? Bootstrap.defaultDomainID
            return IdentityProject(id: id, name: try name(fields), domainID: domain, description: try string(fields, "description") ?? "",
                                   enabled: try bool(fields, "enabled") ?? true, parentID: try string(fields, "parent_id"),
                                   tags: tags(fields) ?? [])
        },
        update: { record, fields throws(KeystoneError) in
            var record = record
            if fields["name"] != nil { record.name = try name(fields) }
            if let description = try string(fields, "description") { record.description = description }
            if let enabled = try bool(fields, "enabled") { record.enabled = enabled }
            if let tags = tags(fields) { record.tags = tags }
            return record
        },
        filters: ["name": { $0.name }, "domain_id": { $0.domainID }, "parent_id": { $0.parentID }, "enabled": { String($0.enabled) }])

    var users: ResourceKind<IdentityUser> {
        let rounds = configuration.passwordRounds, random = random
        @Sendable func hash(_ fields: JSONValue) async throws(KeystoneError) -> String? {
            guard let password = try Self.string(fields, "password") else { return nil }
            guard password.utf8.count <= 4096 else { throw .badRequest("Invalid input for field 'password': too long.") }
            return await PasswordWork.make(password, salt: random(16), rounds: rounds)
        }
        @Sendable func extra(_ fields: JSONValue) -> [String: String] {
            (fields.object ?? [:]).filter { !["id", "name", "password", "domain_id", "enabled", "default_project_id", "options", "links"]
                .contains($0.key) }.compactMapValues(\.string)
        }
        return ResourceKind<IdentityUser>(
            uniqueName: ("user", { ($0.domainID, $0.name) }),
            create: { fields, id async throws(KeystoneError) in
                // Every field is checked before the password is hashed (a third of a second).
                let name = try Self.name(fields)
                let domainID = try Self.string(fields, "domain_id") ?? Bootstrap.defaultDomainID
                let enabled = try Self.bool(fields, "enabled") ?? true
                let defaultProjectID = try Self.string(fields, "default_project_id")
                return IdentityUser(id: id, name: name, domainID: domainID, enabled: enabled, defaultProjectID: defaultProjectID,
                                    passwordHash: try await hash(fields), extra: extra(fields))
            },
            update: { record, fields async throws(KeystoneError) in
                var record = record
                if fields["name"] != nil { record.name = try Self.name(fields) }
                if let enabled = try Self.bool(fields, "enabled") { record.enabled = enabled }
                if fields["default_project_id"] != nil { record.defaultProjectID = try Self.string(fields, "default_project_id") }
                if let hash = try await hash(fields) { record.passwordHash = hash }
                record.extra.merge(extra(fields)) { _, new in new }
                return record
            },
            filters: ["name": { $0.name }, "domain_id": { $0.domainID }, "enabled": { String($0.enabled) }])
    }

    static let roles = ResourceKind<IdentityRole>(
        uniqueName: ("role", { ("", $0.name) }),
        create: { fields, id throws(KeystoneError) in
            IdentityRole(id: id, name: try name(fields), description: try string(fields, "description"))
        },
        update: { record, fields throws(KeystoneError) in
            var record = record
            if fields["name"] != nil { record.name = try name(fields) }
            if fields["description"] != nil { record.description = try string(fields, "description") }
            return record
        },
        filters: ["name": { $0.name }])

    static let services = ResourceKind<IdentityService>(
        uniqueName: nil,
        create: { fields, id throws(KeystoneError) in
            guard let type = try string(fields, "type"), !type.isEmpty else { throw .missing("type", in: "service") }
            return IdentityService(id: id, type: type, name: try string(fields, "name") ?? "",
                                   description: try string(fields, "description") ?? "", enabled: try bool(fields, "enabled") ?? true)
        },
        update: { record, fields throws(KeystoneError) in
            var record = record
            if let type = try string(fields, "type") { record.type = type }
            if let name = try string(fields, "name") { record.name = name }
            if let description = try string(fields, "description") { record.description = description }
            if let enabled = try bool(fields, "enabled") { record.enabled = enabled }
            return record
        },
        filters: ["type": { $0.type }, "name": { $0.name }])

    static let endpoints = ResourceKind<IdentityEndpoint>(
        uniqueName: nil,
        create: { fields, id throws(KeystoneError) in
            guard let interface = try string(fields, "interface"), ["public", "internal", "admin"].contains(interface) else {
                throw .badRequest("Invalid input for field 'interface': must be public, internal or admin.")
            }
            guard let url = try string(fields, "url"), !url.isEmpty else { throw .missing("url", in: "endpoint") }
            guard let service = try string(fields, "service_id") else { throw .missing("service_id", in: "endpoint") }
            var region = try string(fields, "region_id")
            if region == nil { region = try string(fields, "region") }
            let regionID = region ?? Bootstrap.region
            return IdentityEndpoint(id: id, interface: interface, regionID: regionID, url: url, serviceID: service,
                                    enabled: try bool(fields, "enabled") ?? true)
        },
        update: { record, fields throws(KeystoneError) in
            var record = record
            if let interface = try string(fields, "interface") { record.interface = interface }
            if let url = try string(fields, "url") { record.url = url }
            if let region = try string(fields, "region_id") { record.regionID = region }
            if let enabled = try bool(fields, "enabled") { record.enabled = enabled }
            return record
        },
        filters: ["interface": { $0.interface }, "service_id": { $0.serviceID }, "region_id": { $0.regionID }])

    static let groups = ResourceKind<IdentityGroup>(
        uniqueName: ("group", { ($0.domainID, $0.name) }),
        create: { fields, id throws(KeystoneError) in
            IdentityGroup(id: id, name: try name(fields), domainID: try string(fields, "domain_id") ?? Bootstrap.defaultDomainID,
                          description: try string(fields, "description") ?? "")
        },
        update: { record, fields throws(KeystoneError) in
            var record = record
            if fields["name"] != nil { record.name = try name(fields) }
            if let description = try string(fields, "description") { record.description = description }
            return record
        },
        filters: ["name": { $0.name }, "domain_id": { $0.domainID }])

    static let regions = ResourceKind<IdentityRegion>(
        uniqueName: nil,
        create: { fields, id throws(KeystoneError) in
            IdentityRegion(id: id, description: try string(fields, "description") ?? "",
                           parentRegionID: try string(fields, "parent_region_id"))
        },
        update: { record, fields throws(KeystoneError) in
            var record = record
            if let description = try string(fields, "description") { record.description = description }
            return record
        },
        filters: ["parent_region_id": { $0.parentRegionID }])
}
