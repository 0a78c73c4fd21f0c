/// The CURVE key material every node derives from the cluster secret.
///
/// The transport adapter (``ShoalZeroMQ``) uses it to configure CURVE: the ROUTER of every
/// node is a CURVE server with ``curveServerSecretKey``, and every DEALER a CURVE client
/// with ``curveClientSecretKey``; only clients presenting the client key's public half are
/// admitted. Public keys are computed by the adapter (these are X25519 secret keys, so any
/// 32 bytes are valid). Bump the version in the purposes to rotate both keys at once.
public struct ClusterKeys: Sendable, Equatable {
    public static let curveServerPurpose = "shoal curve server v1"
    public static let curveClientPurpose = "shoal curve client v1"

    /// The 32-byte CURVE secret key of every node's ROUTER (the server side).
    public let curveServerSecretKey: [UInt8]
    /// The 32-byte CURVE secret key of every node's DEALERs (the client side).
    public let curveClientSecretKey: [UInt8]

    /// Deterministic: the same secret gives the same keys on every node.
    public init(secret: ClusterSecret) {
        curveServerSecretKey = secret.derive(ClusterKeys.curveServerPurpose)
        curveClientSecretKey = secret.derive(ClusterKeys.curveClientPurpose)
    }
}
