/// The name of a storage device, unique in the cluster (by convention `<node>-d<N>`).
public struct DeviceID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ rawValue: String) {
        guard NodeID.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// The `index`th device of `node`.
    public init(node: NodeID, index: Int) {
        self.rawValue = "\(node.rawValue.prefix(58))-d\(index)"
    }

    public var description: String { rawValue }
    public static func < (lhs: DeviceID, rhs: DeviceID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Orders writes to one device record: a Lamport counter, then the writer's id to break ties.
public struct DeviceVersion: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let counter: UInt64
    public let writer: NodeID

    public init(counter: UInt64, writer: NodeID) {
        self.counter = counter
        self.writer = writer
    }

    public static func < (lhs: DeviceVersion, rhs: DeviceVersion) -> Bool {
        (lhs.counter, lhs.writer) < (rhs.counter, rhs.writer)
    }

    public var description: String { "\(counter)@\(writer)" }
}

/// One device as the cluster knows it: who serves it, where, in which zone, with what
/// weight, and where it stands in a ring change.
///
/// A new device of a running cluster starts `joining`: the ring moves partitions to it one
/// replica at a time (see ``Ring``) and its node marks it `active` once every move has
/// finished. A draining device (`shoal remove`) takes no partitions but its node stays in
/// the cluster until its data has moved to the new owners; a removed device stays as a
/// tombstone (`state == .removed`) so that a stale copy cannot bring it back.
public struct DeviceRecord: Hashable, Sendable, Codable {
    public enum State: UInt8, Hashable, Sendable, Codable, CustomStringConvertible {
        case active = 1
        case removed = 2
        /// Leaving: out of the ring, its node still serving and pushing its data away.
        case draining = 3
        /// Arriving: in the target ring, receiving its partitions; active once they have all moved.
        case joining = 4

        public var description: String {
            switch self {
            case .active: "active"
            case .removed: "removed"
            case .draining: "draining"
            case .joining: "joining"
            }
        }
    }

    public let id: DeviceID
    public let node: NodeID
    /// Failure domain: replicas of a partition go to distinct zones first. 1–64 characters.
    public let zone: String
    /// The cluster (ZeroMQ) address of the node serving the device.
    public let address: ClusterAddress
    /// Relative capacity; 0 takes no partitions.
    public let weight: Double
    public let state: State
    public let version: DeviceVersion

    public init(
        id: DeviceID, node: NodeID, zone: String, address: ClusterAddress,
        weight: Double, state: State = .active, version: DeviceVersion
    ) {
        self.id = id
        self.node = node
        self.zone = zone
        self.address = address
        self.weight = weight.isFinite && weight > 0 ? weight : 0
        self.state = state
        self.version = version
    }

    /// Settled in the ring: holds its partitions and takes new ones.
    public var isActive: Bool { state == .active }
    /// Not removed yet: active, joining or draining (its node is still a member).
    public var isPresent: Bool { state != .removed }
    /// Owns partitions once the changes in flight finish: active or joining.
    public var takesPartitions: Bool { state == .active || state == .joining }
    /// Held partitions before the changes in flight: active or draining.
    public var heldPartitions: Bool { state == .active || state == .draining }
    /// Part of a ring change still in flight: joining or draining.
    public var isChanging: Bool { state == .joining || state == .draining }

    /// The same device in `state`, written at `version`.
    public func with(state: State, at version: DeviceVersion) -> DeviceRecord {
        DeviceRecord(id: id, node: node, zone: zone, address: address, weight: weight, state: state, version: version)
    }

    /// Last writer wins by version; two different records with one version (which correct
    /// nodes never write) are ordered by their encoding, so merging stays deterministic.
    public func supersedes(_ other: DeviceRecord) -> Bool {
        if version != other.version { return version > other.version }
        return wireBytes().lexicographicallyPrecedes(other.wireBytes()) == false && self != other
    }
}

extension DeviceRecord: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.writeString(id.rawValue)
        node.encode(into: &writer)
        writer.writeString(zone)
        address.encode(into: &writer)
        writer.write(weight)
        writer.write(state.rawValue)
        writer.writeVarint(version.counter)
        version.writer.encode(into: &writer)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        guard let id = DeviceID(try reader.readString(field: "device id", limit: 64)) else {
            throw .invalidValue(field: "device id")
        }
        let node = try NodeID(from: &reader)
        let zone = try reader.readString(field: "zone", limit: 64)
        guard !zone.isEmpty else { throw .invalidValue(field: "zone") }
        let address = try ClusterAddress(from: &reader)
        let weight = try reader.readDouble()
        guard weight.isFinite, weight >= 0 else { throw .invalidValue(field: "weight") }
        let rawState = try reader.readUInt8()
        guard let state = State(rawValue: rawState) else { throw .unknownTag(field: "device state", value: UInt64(rawState)) }
        let counter = try reader.readVarint(field: "version counter")
        let writer = try NodeID(from: &reader)
        self.init(
            id: id, node: node, zone: zone, address: address, weight: weight, state: state,
            version: DeviceVersion(counter: counter, writer: writer)
        )
    }
}
