import ShoalCore

/// What a node remembers about itself between starts (`<data>/node.json`): its id and the
/// cluster it belongs to. Written once at first start, read at every later one.
public struct NodeRecord: Codable, Equatable, Sendable {
    public var nodeID: NodeID
    public var partPower: Int
    public var replicas: Int
    /// The fingerprint of the cluster secret, to catch a node started with the wrong one.
    public var secretFingerprint: String
    /// Seconds since 1970 when the node was created (for humans).
    public var createdAt: Double

    public init(nodeID: NodeID, ring: RingParameters, secretFingerprint: String, createdAt: Double) {
        self.nodeID = nodeID
        self.partPower = ring.partPower
        self.replicas = ring.replicas
        self.secretFingerprint = secretFingerprint
        self.createdAt = createdAt
    }

    public var ring: RingParameters? { RingParameters(partPower: partPower, replicas: replicas) }

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id"
        case partPower = "part_power"
        case replicas
        case secretFingerprint = "secret_fingerprint"
        case createdAt = "created_at"
    }
}
