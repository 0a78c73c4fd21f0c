import Crypto
import Foundation
import ShoalCore

/// Who a token speaks for: the storage account it opens, the user, the groups TempAuth
/// grants (`.admin`, `.reseller_admin`, the account and user names), and its expiry.
public struct AuthIdentity: Hashable, Sendable, Codable {
    public var account: String
    public var user: String
    public var groups: [String]
    /// Seconds since 1970 after which the token is refused.
    public var expiresAt: Int64

    public init(account: String, user: String, groups: [String], expiresAt: Int64) {
        self.account = account
        self.user = user
        self.groups = groups
        self.expiresAt = expiresAt
    }

    public var isAdmin: Bool { groups.contains(".admin") || isResellerAdmin }
    public var isResellerAdmin: Bool { groups.contains(".reseller_admin") }
}

/// Stateless tokens: the identity, encrypted and authenticated with a key derived from
/// the cluster secret (ChaCha20-Poly1305), so any node validates any token with no lookup
/// and clients learn nothing from it. Text form: `AUTH_tk` + base64url.
///
/// Pure: the caller supplies the nonce bytes and the current time.
public struct AuthTokenSealer: Sendable {
    public static let prefix = "AUTH_tk"
    private let key: SymmetricKey

    public init(secret: ClusterSecret, purpose: String = "shoal tempauth token v1") {
        key = SymmetricKey(data: secret.derive(purpose))
    }

    public enum OpenError: Error, Hashable, Sendable {
        case malformed
        case forged
        case expired
    }

    /// Seals `identity`; `nonce` must be 12 fresh random bytes.
    public func seal(_ identity: AuthIdentity, nonce: [UInt8]) throws -> String {
        let payload = try JSONEncoder().encode(identity)
        let box = try ChaChaPoly.seal(payload, using: key, nonce: ChaChaPoly.Nonce(data: nonce))
        return AuthTokenSealer.prefix + Base64URL.encode(Array(box.combined))
    }

    /// The identity in `token`, if it was sealed with this cluster's key and has not expired at `now`.
    public func open(_ token: String, now: Int64) throws(OpenError) -> AuthIdentity {
        guard token.hasPrefix(AuthTokenSealer.prefix), token.utf8.count < 4096,
              let combined = Base64URL.decode(String(token.dropFirst(AuthTokenSealer.prefix.count))),
              combined.count > 28
        else { throw .malformed }
        let identity: AuthIdentity
        do {
            let box = try ChaChaPoly.SealedBox(combined: combined)
            identity = try JSONDecoder().decode(AuthIdentity.self, from: ChaChaPoly.open(box, using: key))
        } catch {
            throw .forged
        }
        guard identity.expiresAt > now else { throw .expired }
        return identity
    }
}
