import Crypto

/// The key material every node derives from the cluster secret.
///
/// Nodes share one secret (given at `join`); everything else is derived from it with
/// HKDF-SHA256 so that a node holding the secret can talk to the cluster and a process
/// without it cannot. The transport adapter (``ShoalZeroMQ``) calls this to configure
/// CURVE: the ROUTER of every node is a CURVE server with ``curveServerSecretKey``, and
/// every DEALER is a CURVE client with ``curveClientSecretKey``. Public keys are computed
/// by the adapter from these (they are X25519 keys, so any 32 bytes are a valid secret).
public struct ClusterKeys: Sendable, Equatable {
    /// HKDF salt shared by every derivation from the cluster secret.
    public static let salt = Array("shoal cluster keys".utf8)
    /// HKDF info strings; bump the version to rotate every derived key at once.
    public static let curveServerInfo = Array("shoal curve server v1".utf8)
    public static let curveClientInfo = Array("shoal curve client v1".utf8)

    /// The 32-byte CURVE secret key of every node's ROUTER (the server side).
    public let curveServerSecretKey: [UInt8]
    /// The 32-byte CURVE secret key of every node's DEALERs (the client side).
    public let curveClientSecretKey: [UInt8]

    /// Derives the keys from the cluster secret's bytes. Deterministic: the same secret
    /// gives the same keys on every node.
    public init(clusterSecret: [UInt8]) {
        let material = SymmetricKey(data: clusterSecret)
        curveServerSecretKey = ClusterKeys.derive(material, info: ClusterKeys.curveServerInfo)
        curveClientSecretKey = ClusterKeys.derive(material, info: ClusterKeys.curveClientInfo)
    }

    private static func derive(_ material: SymmetricKey, info: [UInt8]) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: material, salt: salt, info: info, outputByteCount: 32
        )
        return key.withUnsafeBytes { Array($0) }
    }
}
