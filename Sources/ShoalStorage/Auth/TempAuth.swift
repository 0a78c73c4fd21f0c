import Foundation
import Logging
import ShoalCore
import ShoalKeystoneAPI
import ShoalPorts
import ShoalSwiftAPI
import Synchronization

/// OpenStack Swift's TempAuth over stateless tokens, as a stage of the storage pipeline.
///
/// - `/auth/v1.0` (``authenticate(user:key:storageURLBase:)``) checks `account:user` and
///   key — the admin against the key derived from the cluster secret, everyone else
///   against a ``UserRecord`` stored in the cluster — and answers a sealed token that any
///   node can open with no lookup.
/// - Every other request (``handle(_:)``) is authorized as TempAuth does: reseller admins
///   anywhere, `.admin` users in their own account, everyone else through container ACLs
///   (X-Container-Read/-Write, `.r:` referrers and `.rlistings` for anonymous reads).
/// - Users live as objects in a reserved account no client request can reach.
/// - Identity (Keystone) tokens are accepted too, as Swift's keystoneauth accepts them: a
///   project-scoped token opens `AUTH_<project id>`; the operator roles (`admin`,
///   `swiftoperator`, `member`) own it and `ResellerAdmin` owns every account; container
///   ACLs name `<project>:<user>` (ids or names, `*` for any). The token is opened with a
///   key from the cluster secret and checked against the revocation list, with no lookup.
public struct TempAuth: StorageHandler {
    /// The account user records are kept in; names starting with `.` are reserved.
    public static let reservedAccount = ".shoal_auth"
    public static let usersContainer = "users"
    /// Set in `StorageRequest.environment` by a middleware that already authorized the
    /// request (TempURL): the value names who did.
    public static let authorizedBy = "shoal.authorized_by"
    public static let identityKey = "shoal.identity"
    /// "true" in `environment` when the requester is a reseller admin (for account quotas).
    public static let resellerKey = "shoal.reseller_admin"
    /// Identity roles that own their project's account (Swift's `operator_roles`, plus
    /// `member` as DevStack configures it).
    public static let operatorRoles = ["admin", "swiftoperator", "member"]
    public static let resellerAdminRole = "ResellerAdmin"

    public struct Configuration: Sendable {
        /// Seconds a token stays valid (TempAuth's `token_life`).
        public var tokenLifetime: Int64 = 86_400

        public init(tokenLifetime: Int64 = 86_400) {
            self.tokenLifetime = tokenLifetime
        }
    }

    let next: any StorageHandler
    let sealer: AuthTokenSealer
    let identityTokens: KeystoneTokenSealer
    let revocations: RevocationList?
    let credentials: Credentials
    let configuration: Configuration
    let now: @Sendable () -> Int64
    let nonce: @Sendable () -> [UInt8]
    let logger: Logger
    let opened = OpenedTokens()

    public init(
        next: any StorageHandler, secret: ClusterSecret, configuration: Configuration = Configuration(),
        revocations: RevocationList? = nil,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        nonce: @escaping @Sendable () -> [UInt8] = { var random = SystemRandomNumberGenerator(); return (0..<12).map { _ in random.next() } },
        logger: Logger = Logger(label: "shoal.tempauth")
    ) {
        self.next = next
        sealer = AuthTokenSealer(secret: secret)
        identityTokens = KeystoneTokenSealer(secret: secret)
        self.revocations = revocations
        credentials = Credentials(secret: secret)
        self.configuration = configuration
        self.now = now
        self.nonce = nonce
        self.logger = logger
    }

    // MARK: Tokens

    /// Answers `GET /auth/v1.0`: 200 with X-Auth-Token, X-Storage-Token, X-Storage-Url and
    /// X-Auth-Token-Expires, or 401. `storageURLBase` is `http://host:port` as the client
    /// reached this node.
    public func authenticate(user: String?, key: String?, storageURLBase: String) async -> StorageResponse {
        guard let user, let key, let (account, name) = Credentials.splitUser(user), !key.isEmpty else {
            return StorageResponse(.unauthorized)
        }
        let groups: [String]
        if credentials.isAdmin(account: account, user: name, key: key) {
            groups = Credentials.groups(account: account, user: name, admin: true, resellerAdmin: true)
        } else {
            switch await loadUser(account: account, user: name) {
            case .found(let record) where credentials.verify(record, key: key):
                groups = record.groups
            case .found, .missing:
                logger.notice("authentication failed", metadata: ["user": "\(account):\(name)"])
                return StorageResponse(.unauthorized)
            case .unavailable:
                return StorageResponse(.serviceUnavailable)
            }
        }
        let expiresAt = now() + configuration.tokenLifetime
        let identity = AuthIdentity(account: account, user: name, groups: groups, expiresAt: expiresAt)
        guard let token = try? sealer.seal(identity, nonce: nonce()) else { return StorageResponse(.serviceUnavailable) }
        let storageURL = storageURLBase + "/v1/" + Self.percentEncode(Credentials.resellerPrefix + account)
        return StorageResponse(status: 200, headers: [
            "X-Auth-Token": token, "X-Storage-Token": token, "X-Storage-Url": storageURL,
            "X-Auth-Token-Expires": String(configuration.tokenLifetime),
            "Content-Type": "text/plain; charset=UTF-8", "Content-Length": "0",
        ])
    }

    /// The identity of a token, or nil when it is missing, forged, expired or revoked.
    public func identity(token: String?) -> AuthIdentity? {
        guard let token, !token.isEmpty else { return nil }
        if token.hasPrefix(KeystoneTokenSealer.prefix) { return identity(keystoneToken: token) }
        let now = now()
        if let identity = opened.identity(of: token, now: now) { return identity }
        guard let identity = try? sealer.open(token, now: now) else { return nil }
        opened.keep(identity, of: token)
        return identity
    }

    /// A project-scoped Identity token as keystoneauth sees it: the project's account, owned
    /// by the operator roles; ACL groups for the project and user by id and by name.
    func identity(keystoneToken text: String) -> AuthIdentity? {
        guard let token = try? identityTokens.open(text, now: now()), revocations?.isRevoked(token) != true,
              case .project(let project, _, _) = token.scope else { return nil }
        var groups: [String] = []
        for (projectName, userName) in [(project.id, token.user.id), (project.name, token.user.name)] {
            groups += ["\(projectName):\(userName)", "\(projectName):*", "*:\(userName)"]
        }
        groups += ["*:*"] + token.roleNames
        if Self.operatorRoles.contains(where: token.hasRole) { groups.append(".admin") }
        if token.hasRole(Self.resellerAdminRole) { groups.append(".reseller_admin") }
        return AuthIdentity(account: project.id, user: token.user.id, groups: groups, expiresAt: token.expiresAt)
    }

    // MARK: Authorization

    public func handle(_ request: StorageRequest) async -> StorageResponse {
        if request.account.hasPrefix(".") { return StorageResponse(.forbidden) }
        var request = request
        let identity = identity(token: request.headers["X-Auth-Token"] ?? request.headers["X-Storage-Token"])
        if let identity {
            request.environment[Self.identityKey] = "\(identity.account):\(identity.user)"
            request.environment[Self.resellerKey] = identity.isResellerAdmin ? "true" : nil
        }
        if request.environment[Self.authorizedBy] != nil { return await next.handle(request) }
        if request.container == nil, request.headers.contains(AccountACL.header) {
            return await setAccountACL(request, identity: identity)
        }
        switch await authorize(request, identity: identity) {
        case .allowed:
            if request.container == nil, request.method == "GET" || request.method == "HEAD", isOwner(identity, of: request.account) {
                var response = await next.handle(request)
                if let acl = response.headers[AccountACL.sysmeta], !acl.isEmpty { response.headers[AccountACL.header] = acl }
                return response
            }
            return await next.handle(request)
        case .denied: return StorageResponse(identity == nil ? .unauthorized : .forbidden)
        case .unavailable: return StorageResponse(.serviceUnavailable)
        }
    }

    enum Decision { case allowed, denied, unavailable }

    func authorize(_ request: StorageRequest, identity: AuthIdentity?) async -> Decision {
        if request.method == "OPTIONS" { return .allowed }
        if let identity {
            if identity.isResellerAdmin { return .allowed }
            if identity.isAdmin, request.account == Credentials.resellerPrefix + identity.account { return .allowed }
        }
        if let identity, let level = await accountACLLevel(account: request.account, groups: identity.groups) {
            let isRead = request.method == "GET" || request.method == "HEAD"
            switch level {
            case .admin: return .allowed
            case .readWrite:
                let changesACL = ["X-Container-Read", "X-Container-Write"].contains { request.headers.contains($0) }
                if isRead || (request.container != nil && !changesACL) { return .allowed }
            case .readOnly:
                if isRead { return .allowed }
            }
        }
        // Only an account's admins may change ACLs or touch the account itself.
        guard let container = request.container else { return .denied }
        let isRead = request.method == "GET" || request.method == "HEAD"
        let isObjectWrite = request.object != nil && ["PUT", "POST", "DELETE", "COPY"].contains(request.method)
        guard isRead || isObjectWrite else { return .denied }
        let info = await next.handle(StorageRequest(method: "HEAD", account: request.account, container: container,
                                                    environment: [Self.authorizedBy: "tempauth"]))
        guard info.isSuccess else { return info.status >= 500 ? .unavailable : .denied }
        let groups = identity?.groups ?? []
        if isRead {
            let acl = ContainerACL(header: info.headers["X-Container-Read"])
            if acl.admits(groups: groups) { return .allowed }
            if acl.admitsReferrer(request.headers["Referer"]), request.object != nil || acl.allowsListings { return .allowed }
            return .denied
        }
        return ContainerACL(header: info.headers["X-Container-Write"]).admits(groups: groups) ? .allowed : .denied
    }

    // MARK: Account ACLs

    func isOwner(_ identity: AuthIdentity?, of account: String) -> Bool {
        guard let identity else { return false }
        return identity.isResellerAdmin || (identity.isAdmin && account == Credentials.resellerPrefix + identity.account)
    }

    /// The level `groups` hold in `account`'s ACL, nil when none (or no ACL).
    func accountACLLevel(account: String, groups: [String]) async -> AccountACL.Level? {
        let info = await next.handle(StorageRequest(method: "HEAD", account: account, environment: [Self.authorizedBy: "tempauth"]))
        guard info.isSuccess, let text = info.headers[AccountACL.sysmeta], !text.isEmpty, let acl = AccountACL(json: text) else {
            return nil
        }
        return acl.level(for: groups)
    }

    /// `POST` (or `PUT`) of an account with `X-Account-Access-Control`: only its owners
    /// (and ACL admins) may, and the value must be a valid ACL; it is stored as sysmeta.
    func setAccountACL(_ request: StorageRequest, identity: AuthIdentity?) async -> StorageResponse {
        guard request.method == "POST" || request.method == "PUT" else { return StorageResponse(.badRequest("Bad request")) }
        var allowed = isOwner(identity, of: request.account)
        if !allowed, let identity { allowed = await accountACLLevel(account: request.account, groups: identity.groups) == .admin }
        guard allowed else { return StorageResponse(identity == nil ? .unauthorized : .forbidden) }
        var forwarded = request
        let value = request.headers[AccountACL.header] ?? ""
        forwarded.headers[AccountACL.header] = nil
        if value.trimmingWhitespace().isEmpty {
            forwarded.headers[AccountACL.sysmeta] = ""
        } else {
            guard let acl = AccountACL(json: value) else {
                return StorageResponse(.badRequest("Invalid X-Account-Access-Control"))
            }
            forwarded.headers[AccountACL.sysmeta] = acl.json
        }
        return await next.handle(forwarded)
    }

    // MARK: Users

    enum UserLookup { case found(UserRecord), missing, unavailable }

    func loadUser(account: String, user: String) async -> UserLookup {
        let response = await next.handle(StorageRequest(
            method: "GET", account: Self.reservedAccount, container: Self.usersContainer, object: "\(account):\(user)",
            environment: [Self.authorizedBy: "tempauth"]))
        if response.status == 404 { return .missing }
        guard response.isSuccess, let body = try? await response.body?.collect(upTo: 64 * 1024),
              let record = try? JSONDecoder().decode(UserRecord.self, from: Data(body)),
              record.account == account, record.user == user
        else { return response.status >= 500 || response.isSuccess ? .unavailable : .missing }
        return .found(record)
    }

    /// Creates or replaces a user (swauth's `PUT /auth/v2/<account>/<user>`), on behalf of
    /// `requester`: reseller admins for anyone, an account's admins for plain users of
    /// their own account. 201 on success.
    public func putUser(account: String, user: String, key: String, admin: Bool, resellerAdmin: Bool,
                        requester: AuthIdentity?) async -> StorageResponse {
        guard let requester else { return StorageResponse(.unauthorized) }
        let allowed = requester.isResellerAdmin || (requester.isAdmin && requester.account == account && !resellerAdmin)
        guard allowed else { return StorageResponse(.forbidden) }
        guard Credentials.splitUser("\(account):\(user)") != nil, !key.isEmpty, key.utf8.count <= 512 else {
            return StorageResponse(.badRequest("Invalid account, user or key"))
        }
        guard !(account == Credentials.adminAccount && user == Credentials.adminUser) else {
            return StorageResponse(.conflict)
        }
        let trusted = [Self.authorizedBy: "tempauth"]
        let container = await next.handle(StorageRequest(
            method: "PUT", account: Self.reservedAccount, container: Self.usersContainer, headers: ["Content-Length": "0"],
            body: .empty, environment: trusted))
        guard container.isSuccess else { return StorageResponse(.serviceUnavailable) }
        let record = UserRecord(account: account, user: user, keyDigest: credentials.digest(account: account, user: user, key: key),
                                admin: admin, resellerAdmin: resellerAdmin)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let body = try? encoder.encode(record) else { return StorageResponse(.serviceUnavailable) }
        let stored = await next.handle(StorageRequest(
            method: "PUT", account: Self.reservedAccount, container: Self.usersContainer, object: "\(account):\(user)",
            headers: ["Content-Length": String(body.count), "Content-Type": "application/json"],
            body: .bytes(Array(body)), environment: trusted))
        guard stored.status == 201 else { return StorageResponse(.serviceUnavailable) }
        logger.notice("user stored", metadata: ["user": "\(account):\(user)", "by": "\(requester.account):\(requester.user)"])
        return StorageResponse(status: 201, headers: ["Content-Type": "text/plain; charset=UTF-8", "Content-Length": "0"])
    }

    /// Removes a user (swauth's `DELETE /auth/v2/<account>/<user>`); 204, or 404 when absent.
    public func deleteUser(account: String, user: String, requester: AuthIdentity?) async -> StorageResponse {
        guard let requester else { return StorageResponse(.unauthorized) }
        guard requester.isResellerAdmin || (requester.isAdmin && requester.account == account) else { return StorageResponse(.forbidden) }
        let response = await next.handle(StorageRequest(
            method: "DELETE", account: Self.reservedAccount, container: Self.usersContainer, object: "\(account):\(user)",
            environment: [Self.authorizedBy: "tempauth"]))
        switch response.status {
        case 204: return StorageResponse(status: 204, headers: ["Content-Type": "text/plain; charset=UTF-8"])
        case 404: return StorageResponse(.notFound)
        default: return StorageResponse(.serviceUnavailable)
        }
    }

    // MARK: Helpers

    static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// Tokens opened lately, by their text: a client sends the same token with every request,
/// and opening one (decrypt, then JSON) costs more than the rest of the check. Only what
/// ``AuthTokenSealer/open(_:now:)`` accepted is kept, and its expiry is checked on every
/// use as the sealer checks it; the table is emptied when it reaches ``capacity``.
final class OpenedTokens: Sendable {
    static let capacity = 4_096
    private let table = Mutex<[String: AuthIdentity]>([:])

    func identity(of token: String, now: Int64) -> AuthIdentity? {
        guard let identity = table.withLock({ $0[token] }) else { return nil }
        return identity.expiresAt > now ? identity : nil
    }

    func keep(_ identity: AuthIdentity, of token: String) {
        table.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[token] = identity
        }
    }
}
