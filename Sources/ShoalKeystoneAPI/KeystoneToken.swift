import Crypto
import ShoalCore
import ShoalSwiftAPI
import Synchronization

/// What an Identity token says: who, by which methods, scoped to what, with which roles,
/// from when to when, and its audit ids. Everything a node needs to validate the token
/// and render Keystone's token document is inside, so no node looks anything up.
public struct KeystoneToken: Hashable, Sendable {
    public struct Named: Hashable, Sendable {
        public var id: String
        public var name: String

        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    public enum Scope: Hashable, Sendable {
        case unscoped
        case project(Named, domain: Named, isDomain: Bool)
        case domain(Named)
    }

    public var user: Named
    public var userDomain: Named
    /// `password`, `token`, `application_credential`.
    public var methods: [String]
    public var scope: Scope
    /// Effective roles on the scope (empty when unscoped).
    public var roles: [Named]
    public var issuedAt: Int64
    public var expiresAt: Int64
    /// This token's audit id first, then the audit chain it was issued from (token method).
    public var auditIDs: [String]
    /// The application credential the token was issued for, if any.
    public var applicationCredential: Named?

    public init(user: Named, userDomain: Named, methods: [String], scope: Scope, roles: [Named], issuedAt: Int64,
                expiresAt: Int64, auditIDs: [String], applicationCredential: Named? = nil) {
        self.user = user
        self.userDomain = userDomain
        self.methods = methods
        self.scope = scope
        self.roles = roles
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.auditIDs = auditIDs
        self.applicationCredential = applicationCredential
    }

    public var projectID: String? {
        if case .project(let project, _, _) = scope { return project.id }
        return nil
    }

    public var roleNames: [String] { roles.map(\.name) }

    /// Whether the token carries `role` (case-insensitively, as Swift's keystoneauth compares).
    public func hasRole(_ role: String) -> Bool { roles.contains { $0.name.lowercased() == role.lowercased() } }
}

extension KeystoneToken: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.write(UInt8(1))  // format version
        func write(_ named: Named) {
            writer.writeString(named.id)
            writer.writeString(named.name)
        }
        write(user)
        write(userDomain)
        writer.writeVarint(methods.count)
        for method in methods { writer.writeString(method) }
        switch scope {
        case .unscoped:
            writer.write(UInt8(0))
        case .project(let project, let domain, let isDomain):
            writer.write(UInt8(1))
            write(project)
            write(domain)
            writer.write(isDomain)
        case .domain(let domain):
            writer.write(UInt8(2))
            write(domain)
        }
        writer.writeVarint(roles.count)
        for role in roles { write(role) }
        writer.write(issuedAt)
        writer.write(expiresAt)
        writer.writeVarint(auditIDs.count)
        for id in auditIDs { writer.writeString(id) }
        writer.write(applicationCredential != nil)
        if let applicationCredential { write(applicationCredential) }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        try reader.expectFormatVersion(1)
        func named(_ field: String) throws(WireError) -> Named {
            Named(id: try reader.readString(field: field + " id", limit: 255), name: try reader.readString(field: field + " name", limit: 255))
        }
        user = try named("user")
        userDomain = try named("user domain")
        var methods: [String] = []
        for _ in 0..<(try reader.readCount(field: "methods", limit: 8)) { methods.append(try reader.readString(field: "method", limit: 64)) }
        self.methods = methods
        let tag = try reader.readUInt8()
        switch tag {
        case 0: scope = .unscoped
        case 1: scope = .project(try named("project"), domain: try named("project domain"), isDomain: try reader.readBool())
        case 2: scope = .domain(try named("domain"))
        default: throw .unknownTag(field: "scope", value: UInt64(tag))
        }
        var roles: [Named] = []
        for _ in 0..<(try reader.readCount(field: "roles", limit: 256)) { roles.append(try named("role")) }
        self.roles = roles
        issuedAt = try reader.readInt64()
        expiresAt = try reader.readInt64()
        var audits: [String] = []
        for _ in 0..<(try reader.readCount(field: "audit ids", limit: 16)) { audits.append(try reader.readString(field: "audit id", limit: 64)) }
        auditIDs = audits
        applicationCredential = try reader.readBool() ? try named("application credential") : nil
    }
}

/// Seals and opens Identity tokens: AES-256-GCM with keys derived from the cluster secret,
/// one key per rotation period (a day by default). A token names its period in clear, so a
/// node opens it with that period's key; keys rotate with no state to share, and a key
/// older than the longest token life is never accepted again. Text form: `gAAAA` (as
/// Fernet tokens begin, which some tools expect) + base64url.
public struct KeystoneTokenSealer: Sendable {
    public static let prefix = "gAAAA"
    public static let maximumLength = 2048

    public enum OpenError: Error, Hashable, Sendable {
        /// Not a token of this format, or not sealed with this cluster's keys.
        case unrecognized
        case expired
    }

    private let secret: ClusterSecret
    /// Keys derived so far, by period (a handful: the periods a token may still come from).
    private let keys = KeyCache()
    /// Seconds per key; a token's period is its issue time divided by this.
    public let rotationSeconds: Int64
    /// The longest a token may live; older keys are refused.
    public let maximumLifetime: Int64

    public init(secret: ClusterSecret, rotationSeconds: Int64 = 86_400, maximumLifetime: Int64 = 86_400) {
        self.secret = secret
        self.rotationSeconds = max(60, rotationSeconds)
        self.maximumLifetime = maximumLifetime
    }

    func key(period: UInt32) -> SymmetricKey {
        keys.key(period) { SymmetricKey(data: secret.derive("shoal keystone token key v1 period \(period)")) }
    }

    /// Seals `token`; `nonce` must be 12 fresh random bytes.
    public func seal(_ token: KeystoneToken, nonce: [UInt8]) throws -> String {
        let period = UInt32(clamping: max(0, token.issuedAt / rotationSeconds))
        var header = ByteWriter()
        header.write(period)
        let box = try AES.GCM.seal(token.wireBytes(), using: key(period: period), nonce: AES.GCM.Nonce(data: nonce),
                                   authenticating: header.bytes)
        return Self.prefix + Base64URL.encode(header.bytes + Array(box.combined!))
    }

    /// The token in `text`, if this cluster sealed it with a key still in use and it has not
    /// expired at `now`.
    public func open(_ text: String, now: Int64) throws(OpenError) -> KeystoneToken {
        guard text.hasPrefix(Self.prefix), text.utf8.count <= Self.maximumLength,
              let bytes = Base64URL.decode(text.dropFirst(Self.prefix.count)), bytes.count > 4 + 28 else {
            throw .unrecognized
        }
        var reader = ByteReader(Array(bytes[0..<4]))
        guard let period = try? reader.readUInt32() else { throw .unrecognized }
        let current = now / rotationSeconds
        let oldest = (now - maximumLifetime) / rotationSeconds - 1
        guard Int64(period) <= current + 1, Int64(period) >= oldest else { throw .unrecognized }
        let token: KeystoneToken
        do {
            let box = try AES.GCM.SealedBox(combined: bytes[4...])
            token = try KeystoneToken(wireBytes: Array(AES.GCM.open(box, using: key(period: period), authenticating: bytes[0..<4])))
        } catch {
            throw .unrecognized
        }
        guard token.expiresAt > now else { throw .expired }
        return token
    }
}

/// The token keys derived so far; the oldest are dropped past a few periods.
final class KeyCache: Sendable {
    private let keys = Mutex<[UInt32: SymmetricKey]>([:])

    func key(_ period: UInt32, derive: () -> SymmetricKey) -> SymmetricKey {
        if let known = keys.withLock({ $0[period] }) { return known }
        let key = derive()
        keys.withLock { keys in
            if keys.count >= 16, let oldest = keys.keys.min() { keys[oldest] = nil }
            keys[period] = key
        }
        return key
    }
}
