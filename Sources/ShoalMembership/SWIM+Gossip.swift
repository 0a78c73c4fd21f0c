import ShoalCore

extension SWIM {
    /// One update piggybacked on probes: a member's new status, or a device record.
    public enum Gossip: Hashable, Sendable {
        case alive(node: NodeID, incarnation: UInt64, meta: MemberMeta)
        /// `suspector` is who suspects; distinct suspectors are Lifeguard confirmations.
        case suspect(node: NodeID, incarnation: UInt64, suspector: NodeID)
        case dead(node: NodeID, incarnation: UInt64, declaredBy: NodeID)
        case left(node: NodeID, incarnation: UInt64)
        case device(DeviceRecord)
        /// An application's news (``Broadcast``), delivered once to every member.
        case broadcast(Broadcast)

        /// What the update is about: a newer update about the same key replaces it in the queue.
        var key: GossipKey {
            switch self {
            case .alive(let node, _, _), .suspect(let node, _, _), .dead(let node, _, _), .left(let node, _):
                .member(node)
            case .device(let record):
                .device(record.id)
            case .broadcast(let broadcast):
                .broadcast(broadcast.key)
            }
        }
    }

    /// The subject of a ``Gossip``.
    enum GossipKey: Hashable, Sendable {
        case member(NodeID)
        case device(DeviceID)
        case broadcast(Broadcast.Key)
    }
}

extension SWIM.Gossip: WireCodable {
    private enum Tag: UInt8 {
        case alive = 1, suspect, dead, left, device, broadcast
    }

    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .alive(let node, let incarnation, let meta):
            writer.write(Tag.alive.rawValue)
            node.encode(into: &writer)
            writer.writeVarint(incarnation)
            meta.encode(into: &writer)
        case .suspect(let node, let incarnation, let suspector):
            writer.write(Tag.suspect.rawValue)
            node.encode(into: &writer)
            writer.writeVarint(incarnation)
            suspector.encode(into: &writer)
        case .dead(let node, let incarnation, let declaredBy):
            writer.write(Tag.dead.rawValue)
            node.encode(into: &writer)
            writer.writeVarint(incarnation)
            declaredBy.encode(into: &writer)
        case .left(let node, let incarnation):
            writer.write(Tag.left.rawValue)
            node.encode(into: &writer)
            writer.writeVarint(incarnation)
        case .device(let record):
            writer.write(Tag.device.rawValue)
            record.encode(into: &writer)
        case .broadcast(let broadcast):
            writer.write(Tag.broadcast.rawValue)
            broadcast.encode(into: &writer)
        }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let rawTag = try reader.readUInt8()
        guard let tag = Tag(rawValue: rawTag) else { throw .unknownTag(field: "gossip", value: UInt64(rawTag)) }
        switch tag {
        case .alive:
            let node = try NodeID(from: &reader)
            let incarnation = try reader.readVarint(field: "incarnation")
            self = .alive(node: node, incarnation: incarnation, meta: try SWIM.MemberMeta(from: &reader))
        case .suspect:
            let node = try NodeID(from: &reader)
            let incarnation = try reader.readVarint(field: "incarnation")
            self = .suspect(node: node, incarnation: incarnation, suspector: try NodeID(from: &reader))
        case .dead:
            let node = try NodeID(from: &reader)
            let incarnation = try reader.readVarint(field: "incarnation")
            self = .dead(node: node, incarnation: incarnation, declaredBy: try NodeID(from: &reader))
        case .left:
            let node = try NodeID(from: &reader)
            self = .left(node: node, incarnation: try reader.readVarint(field: "incarnation"))
        case .device:
            self = .device(try DeviceRecord(from: &reader))
        case .broadcast:
            self = .broadcast(try SWIM.Broadcast(from: &reader))
        }
    }
}
