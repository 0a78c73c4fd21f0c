/// Requests on the cluster's control channel: what a joining node asks its seed, and
/// what `shoal remove` asks a running node. Only holders of the cluster secret can reach
/// this channel (the transport is encrypted and authenticated with keys from it).
public enum ControlRequest: Hashable, Sendable {
    /// "Which cluster is this?" — asked by a new node before it joins.
    case clusterInfo
    /// Remove a node's devices from the ring and the node from membership at once.
    case removeNode(NodeID)
    /// Take a node's devices out of the ring; the node leaves once its data has moved.
    case drainNode(NodeID)
    /// "On which ring have your replicators finished every move?" — asked of every member
    /// by a joining node before it turns its device active.
    case movesDone
}

/// Answers to ``ControlRequest``.
public enum ControlResponse: Hashable, Sendable {
    case clusterInfo(ClusterInfo)
    /// The node was removed; `devices` tombstones were written.
    case removed(node: NodeID, devices: Int)
    /// The request could not be carried out; `reason` is for humans.
    case refused(reason: String)
    /// The node's `devices` are draining.
    case draining(node: NodeID, devices: Int)
    /// The checksum of the ring on which this node's replicators last passed and left
    /// nothing to hand over; nil while moves remain (or it stores nothing yet).
    case movesDone(ring: String?)
}

/// What a seed tells a joining node about the cluster.
public struct ClusterInfo: Hashable, Sendable {
    public let ring: RingParameters
    public let secretFingerprint: String
    /// The node that answered.
    public let node: NodeID

    public init(ring: RingParameters, secretFingerprint: String, node: NodeID) {
        self.ring = ring
        self.secretFingerprint = secretFingerprint
        self.node = node
    }
}

extension ControlRequest: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.write(UInt8(1))  // format version
        switch self {
        case .clusterInfo:
            writer.write(UInt8(1))
        case .removeNode(let node):
            writer.write(UInt8(2))
            node.encode(into: &writer)
        case .drainNode(let node):
            writer.write(UInt8(3))
            node.encode(into: &writer)
        case .movesDone:
            writer.write(UInt8(4))
        }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        try reader.expectFormatVersion(1)
        let tag = try reader.readUInt8()
        switch tag {
        case 1: self = .clusterInfo
        case 2: self = .removeNode(try NodeID(from: &reader))
        case 3: self = .drainNode(try NodeID(from: &reader))
        case 4: self = .movesDone
        default: throw .unknownTag(field: "control request", value: UInt64(tag))
        }
    }
}

extension ControlResponse: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.write(UInt8(1))
        switch self {
        case .clusterInfo(let info):
            writer.write(UInt8(1))
            info.ring.encode(into: &writer)
            writer.writeString(info.secretFingerprint)
            info.node.encode(into: &writer)
        case .removed(let node, let devices):
            writer.write(UInt8(2))
            node.encode(into: &writer)
            writer.writeVarint(devices)
        case .refused(let reason):
            writer.write(UInt8(3))
            writer.writeString(reason)
        case .draining(let node, let devices):
            writer.write(UInt8(4))
            node.encode(into: &writer)
            writer.writeVarint(devices)
        case .movesDone(let ring):
            writer.write(UInt8(5))
            writer.writeString(ring ?? "")
        }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        try reader.expectFormatVersion(1)
        let tag = try reader.readUInt8()
        switch tag {
        case 1:
            let ring = try RingParameters(from: &reader)
            let fingerprint = try reader.readString(field: "fingerprint", limit: 64)
            self = .clusterInfo(ClusterInfo(ring: ring, secretFingerprint: fingerprint, node: try NodeID(from: &reader)))
        case 2:
            let node = try NodeID(from: &reader)
            self = .removed(node: node, devices: try reader.readCount(field: "devices", limit: 1 << 20))
        case 3:
            self = .refused(reason: try reader.readString(field: "reason", limit: 4096))
        case 4:
            let node = try NodeID(from: &reader)
            self = .draining(node: node, devices: try reader.readCount(field: "devices", limit: 1 << 20))
        case 5:
            let ring = try reader.readString(field: "ring checksum", limit: 64)
            self = .movesDone(ring: ring.isEmpty ? nil : ring)
        default:
            throw .unknownTag(field: "control response", value: UInt64(tag))
        }
    }
}
