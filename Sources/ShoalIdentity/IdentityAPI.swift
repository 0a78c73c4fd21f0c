import Foundation
import Logging
import Synchronization
import ShoalCore
import ShoalKeystoneAPI
import ShoalPorts

/// One Identity API request, as the REST layer hands it over.
public struct IdentityRequest: Sendable {
    public var method: String
    /// Path components after `/identity` (`["v3", "auth", "tokens"]`), percent-decoded.
    public var path: [String]
    public var query: [String: String]
    public var headers: HeaderFields
    public var body: [UInt8]
    /// `http://host:port` as the client reached this node.
    public var nodeURL: String

    public init(method: String, path: [String], query: [String: String] = [:], headers: HeaderFields = [:],
                body: [UInt8] = [], nodeURL: String) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.nodeURL = nodeURL
    }

    /// Where `links.self` point: `<node>/identity/v3`.
    public var baseURL: String { nodeURL + "/identity/v3" }
}

public struct IdentityResponse: Sendable {
    public var status: Int
    public var headers: HeaderFields
    public var body: JSONValue?

    public init(status: Int, headers: HeaderFields = [:], body: JSONValue? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Keystone's Identity v3 API on every node: tokens, the catalog, domains, projects, users,
/// roles, grants, services, endpoints and regions, over records in ``IdentityStore``.
/// Tokens are sealed (``KeystoneTokenSealer``), so validating one needs no lookup, only the
/// revocation list every node keeps current.
public struct IdentityAPI: Sendable {
    public struct Configuration: Sendable {
        /// Seconds a token lives (Keystone's `[token] expiration`).
        public var tokenLifetime: Int64 = 3600
        /// Failed password logins per user and node before further attempts wait.
        public var failuresBeforeLockout = 6
        public var lockoutSeconds: Int64 = 60
        public var passwordRounds = PasswordHash.defaultRounds

        public init() {}
    }

    let store: IdentityStore
    let sealer: KeystoneTokenSealer
    public let revocations: RevocationList
    let configuration: Configuration
    let now: @Sendable () -> Int64
    let random: @Sendable (Int) -> [UInt8]
    let limiter: LoginLimiter
    let logger: Logger
    /// Tells the other nodes of a revocation at once (gossip); the store is the durable copy.
    let announce: @Sendable (RevocationList.Event, Int64) async -> Void

    public init(store: IdentityStore, secret: ClusterSecret, revocations: RevocationList, configuration: Configuration = .init(),
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
                random: @escaping @Sendable (Int) -> [UInt8] = { count in
                    var generator = SystemRandomNumberGenerator()
                    return (0..<count).map { _ in generator.next() }
                },
                logger: Logger = Logger(label: "shoal.identity"),
                announce: @escaping @Sendable (RevocationList.Event, Int64) async -> Void = { _, _ in }) {
        self.store = store
        sealer = KeystoneTokenSealer(secret: secret, maximumLifetime: max(configuration.tokenLifetime, 86_400))
        self.revocations = revocations
        self.configuration = configuration
        self.now = now
        self.random = random
        limiter = LoginLimiter(failures: configuration.failuresBeforeLockout, seconds: configuration.lockoutSeconds)
        self.logger = logger
        self.announce = announce
    }

    public func handle(_ request: IdentityRequest) async -> IdentityResponse {
        do {
            return try await route(request)
        } catch {
            var headers: HeaderFields = ["Content-Type": "application/json"]
            if error.status == 401 { headers["WWW-Authenticate"] = "Keystone uri=\"\(request.baseURL)\"" }
            return IdentityResponse(status: error.status, headers: headers, body: error.body)
        }
    }

    func route(_ request: IdentityRequest) async throws(KeystoneError) -> IdentityResponse {
        let path = request.path.filter { !$0.isEmpty }
        let method = request.method == "HEAD" ? "GET" : request.method
        guard let version = path.first else { return versions(request) }
        guard version == "v3" else { throw .notFound("version", version) }
        let rest = Array(path.dropFirst())
        if rest.isEmpty { return IdentityResponse(status: 200, body: ["version": versionDocument(request)]) }
        if rest == ["auth", "tokens"] {
            switch method {
            case "POST": return try await issueToken(request)
            case "GET": return try await validateToken(request, head: request.method == "HEAD")
            case "DELETE": return try await revokeToken(request)
            default: throw Self.methodNotAllowed
            }
        }
        let caller = try authenticatedCaller(request)
        switch (method, rest.count, rest[0]) {
        case ("GET", 2, "auth"): return try await authListing(rest[1], caller: caller, request)
        case ("GET", 1, "role_assignments"): return try await listAssignments(request, caller: caller)
        default: break
        }
        if ["projects", "domains"].contains(rest[0]), rest.count >= 5, ["users", "groups"].contains(rest[2]), rest[4] == "roles" {
            return try await grant(request, method: method, path: rest, caller: caller)
        }
        if rest[0] == "groups", rest.count >= 3, rest[2] == "users" {
            return try await groupMembers(request, method: method, path: rest, caller: caller)
        }
        if rest[0] == "users", rest.count == 3, rest[2] == "groups", method == "GET" {
            return try await userGroups(request, userID: rest[1], caller: caller)
        }
        if rest[0] == "users", rest.count >= 3, rest[2] == "application_credentials" {
            return try await applicationCredentials(request, method: method, path: rest, caller: caller)
        }
        if rest[0] == "users", rest.count == 3 {
            switch (method, rest[2]) {
            case ("POST", "password"): return try await changePassword(request, userID: rest[1], caller: caller)
            case ("GET", "projects"): return try await userProjects(request, userID: rest[1], caller: caller)
            default: break
            }
        }
        return try await resource(request, method: method, path: rest, caller: caller)
    }

    static let methodNotAllowed = KeystoneError(status: 405, message: "The method is not allowed for the requested URL.")

    // MARK: Versions

    func versionDocument(_ request: IdentityRequest) -> JSONValue {
        ["id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
         "links": [["rel": "self", "href": .string(request.baseURL + "/")]],
         "media-types": [["base": "application/json", "type": "application/vnd.openstack.identity-v3+json"]]]
    }

    func versions(_ request: IdentityRequest) -> IdentityResponse {
        IdentityResponse(status: 300, headers: ["Location": request.baseURL + "/"],
                         body: ["versions": ["values": [versionDocument(request)]]])
    }

    // MARK: Callers

    /// The caller's token (X-Auth-Token), or 401.
    func authenticatedCaller(_ request: IdentityRequest) throws(KeystoneError) -> KeystoneToken {
        guard let text = request.headers["X-Auth-Token"], let token = try? sealer.open(text, now: now()),
              !revocations.isRevoked(token) else { throw .unauthorized }
        return token
    }

    func requireAdmin(_ caller: KeystoneToken, _ action: String) throws(KeystoneError) {
        guard IdentityPolicy.isAdmin(caller) else { throw .forbidden(action: "identity:\(action)") }
    }

    static func parseBody(_ request: IdentityRequest) throws(KeystoneError) -> JSONValue {
        guard !request.body.isEmpty else { return .object([:]) }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(request.body)), value.object != nil else {
            throw .badRequest("The request body must be a JSON object.")
        }
        return value
    }

    func newID() -> String { Hex.encode(random(16)) }
}

/// Counts failed password logins per user on this node; after `failures` within `seconds`,
/// further attempts are refused without checking until the window passes.
final class LoginLimiter: Sendable {
    private let state = Mutex<[String: (count: Int, since: Int64)]>([:])
    let failures: Int
    let seconds: Int64

    init(failures: Int, seconds: Int64) {
        self.failures = max(1, failures)
        self.seconds = max(1, seconds)
    }

    func isLocked(_ user: String, now: Int64) -> Bool {
        state.withLock { entries in
            guard let entry = entries[user] else { return false }
            if now - entry.since >= seconds {
                entries[user] = nil
                return false
            }
            return entry.count >= failures
        }
    }

    func failed(_ user: String, now: Int64) {
        state.withLock { entries in
            let entry = entries[user].flatMap { now - $0.since < seconds ? $0 : nil } ?? (count: 0, since: now)
            entries[user] = (count: entry.count + 1, since: entry.since)
        }
    }

    func succeeded(_ user: String) { state.withLock { $0[user] = nil } }
}
