import Crypto
import ShoalCore

/// TempAuth's users, the way Shoal keeps them: the cluster's admin is derived from the
/// cluster secret (so every node knows it with no lookup and a new cluster has one at
/// once); other users are records stored in the cluster whose keys are kept only as keyed
/// digests. Pure: no storage, no clock.
public struct Credentials: Sendable {
    /// The account TempAuth gives the cluster admin (`admin:admin`, groups `.admin` and `.reseller_admin`).
    public static let adminAccount = "admin"
    public static let adminUser = "admin"
    /// Storage accounts are the auth account with this prefix (TempAuth's `reseller_prefix`).
    public static let resellerPrefix = "AUTH_"

    private let digestKey: SymmetricKey
    /// The admin's key: 32 hex digits derived from the secret.
    public let adminKey: String

    public init(secret: ClusterSecret) {
        digestKey = SymmetricKey(data: secret.derive("shoal tempauth user key v1"))
        adminKey = String(Hex.encode(secret.derive("shoal tempauth admin key v1", byteCount: 16)))
    }

    /// The keyed digest a user record stores instead of the key (hex HMAC-SHA256 over the
    /// account, user and key, so a record copied to another user does not verify).
    public func digest(account: String, user: String, key: String) -> String {
        let message = Array("\(account)\u{0}\(user)\u{0}\(key)".utf8)
        return Hex.encode(HMAC<SHA256>.authenticationCode(for: message, using: digestKey))
    }

    /// Whether `key` is the one `record` was made with (constant time in the digest).
    public func verify(_ record: UserRecord, key: String) -> Bool {
        let expected = Array(digest(account: record.account, user: record.user, key: key).utf8)
        let stored = Array(record.keyDigest.utf8)
        guard expected.count == stored.count else { return false }
        return zip(expected, stored).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public func isAdmin(account: String, user: String, key: String) -> Bool {
        guard account == Self.adminAccount, user == Self.adminUser else { return false }
        let a = Array(key.utf8), b = Array(adminKey.utf8)
        return a.count == b.count && zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The groups TempAuth gives a user: its account, `account:user`, its storage account,
    /// and `.admin` / `.reseller_admin` when it is one.
    public static func groups(account: String, user: String, admin: Bool, resellerAdmin: Bool) -> [String] {
        var groups = [account, "\(account):\(user)", resellerPrefix + account]
        if admin || resellerAdmin { groups.append(".admin") }
        if resellerAdmin { groups.append(".reseller_admin") }
        return groups
    }

    /// Splits TempAuth's `X-Auth-User: account:user`; nil when either part is missing.
    public static func splitUser(_ text: String) -> (account: String, user: String)? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let account = String(text[..<colon]), user = String(text[text.index(after: colon)...])
        guard !account.isEmpty, !user.isEmpty, !account.contains("/"), account.utf8.count <= 200, user.utf8.count <= 200
        else { return nil }
        return (account, user)
    }
}

/// A user as stored in the cluster (JSON in the reserved auth account).
public struct UserRecord: Codable, Hashable, Sendable {
    public var account: String
    public var user: String
    public var keyDigest: String
    public var admin: Bool
    public var resellerAdmin: Bool

    public init(account: String, user: String, keyDigest: String, admin: Bool, resellerAdmin: Bool) {
        self.account = account
        self.user = user
        self.keyDigest = keyDigest
        self.admin = admin
        self.resellerAdmin = resellerAdmin
    }

    public var groups: [String] {
        Credentials.groups(account: account, user: user, admin: admin, resellerAdmin: resellerAdmin)
    }

    enum CodingKeys: String, CodingKey {
        case account, user, admin
        case keyDigest = "key_digest"
        case resellerAdmin = "reseller_admin"
    }
}
