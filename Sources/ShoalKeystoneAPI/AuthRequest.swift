import ShoalCore

/// A `POST /v3/auth/tokens` body, checked as Keystone's schema checks it.
public struct AuthRequest: Hashable, Sendable {
    public enum DomainReference: Hashable, Sendable {
        case id(String)
        case name(String)
    }

    public enum UserReference: Hashable, Sendable {
        case id(String)
        case name(String, domain: DomainReference)
    }

    public enum ProjectReference: Hashable, Sendable {
        case id(String)
        case name(String, domain: DomainReference)
    }

    public enum Method: Hashable, Sendable {
        case password(UserReference, password: String)
        case token(String)
        case applicationCredential(id: String?, name: String?, user: UserReference?, secret: String)
    }

    public enum ScopeRequest: Hashable, Sendable {
        /// No `scope`: the user's default project if it has a role there, else unscoped.
        case defaultProject
        case unscoped
        case project(ProjectReference)
        case domain(DomainReference)
    }

    public var method: Method
    public var scope: ScopeRequest

    public init(method: Method, scope: ScopeRequest) {
        self.method = method
        self.scope = scope
    }

    public static func parse(_ body: JSONValue) throws(KeystoneError) -> AuthRequest {
        guard let auth = body["auth"]?.object else { throw .missing("auth", in: "request body") }
        guard let identity = auth["identity"]?.object else { throw .missing("identity", in: "auth") }
        guard let methods = identity["methods"]?.array?.compactMap(\.string), let first = methods.first else {
            throw .missing("methods", in: "identity")
        }
        let method: Method
        switch first {
        case "password":
            guard let user = identity["password"]?["user"] else { throw .missing("user", in: "password") }
            guard let password = user["password"]?.string else { throw .missing("password", in: "user") }
            method = .password(try userReference(user, field: "identity/password/user"), password: password)
        case "token":
            guard let id = identity["token"]?["id"]?.string, !id.isEmpty else { throw .missing("id", in: "token") }
            method = .token(id)
        case "application_credential":
            guard let credential = identity["application_credential"] else {
                throw .missing("application_credential", in: "identity")
            }
            guard let secret = credential["secret"]?.string else { throw .missing("secret", in: "application_credential") }
            let id = credential["id"]?.string, name = credential["name"]?.string
            guard id != nil || name != nil else { throw .missing("id or name", in: "application_credential") }
            let user = try credential["user"].map { value throws(KeystoneError) in
                try userReference(value, field: "identity/application_credential/user")
            }
            if id == nil, user == nil { throw .missing("user", in: "application_credential") }
            method = .applicationCredential(id: id, name: name, user: user, secret: secret)
            if auth["scope"] != nil { throw .unauthorized }  // application credentials cannot request a scope
        default:
            throw KeystoneError(status: 401, message: "The request you have made requires authentication.")
        }
        return AuthRequest(method: method, scope: try scope(auth["scope"]))
    }

    static func userReference(_ user: JSONValue, field: String) throws(KeystoneError) -> UserReference {
        if let id = user["id"]?.string, !id.isEmpty { return .id(id) }
        guard let name = user["name"]?.string, !name.isEmpty else {
            throw .badRequest("Invalid input for field '\(field)': id or name must be present.")
        }
        guard let domain = user["domain"] else { throw .missing("domain", in: "user") }
        return .name(name, domain: try domainReference(domain))
    }

    static func domainReference(_ domain: JSONValue) throws(KeystoneError) -> DomainReference {
        if let id = domain["id"]?.string, !id.isEmpty { return .id(id) }
        if let name = domain["name"]?.string, !name.isEmpty { return .name(name) }
        throw .badRequest("Invalid input for field 'domain': id or name must be present.")
    }

    static func scope(_ scope: JSONValue?) throws(KeystoneError) -> ScopeRequest {
        guard let scope else { return .defaultProject }
        if scope.string == "unscoped" || scope["unscoped"] != nil { return .unscoped }
        let kinds = ["project", "domain", "system", "OS-TRUST:trust"].filter { scope[$0] != nil }
        guard kinds.count == 1 else {
            throw .missing("system, project, domain, OS-TRUST:trust or unscoped", in: "scope")
        }
        switch kinds[0] {
        case "project":
            let project = scope["project"]!
            if let id = project["id"]?.string, !id.isEmpty { return .project(.id(id)) }
            guard let name = project["name"]?.string, !name.isEmpty else {
                throw .badRequest("Invalid input for field 'scope/project': id or name must be present.")
            }
            guard let domain = project["domain"] else { throw .missing("domain", in: "project") }
            return .project(.name(name, domain: try domainReference(domain)))
        case "domain":
            return .domain(try domainReference(scope["domain"]!))
        default:
            throw .badRequest("System and trust scopes are not supported.")
        }
    }
}
