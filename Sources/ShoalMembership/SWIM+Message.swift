import ShoalCore

extension SWIM {
    /// One SWIM datagram between two nodes. Every message names its sender and the address
    /// to answer at, and carries piggybacked ``Gossip`` (push-pull carries full state instead).
    ///
    /// Encoding (``formatVersion`` 1): version byte, payload tag, sender id, sender address,
    /// payload fields, gossip count, gossip items. Counts are bounded and checked against
    /// the bytes left, so decoding untrusted input never traps nor over-allocates.
    public struct Message: Hashable, Sendable {
        public static let formatVersion: UInt8 = 1
        public static let maxGossipItems = 1_024
        public static let maxPushPullMembers = 1 << 20

        public var sender: NodeID
        public var senderAddress: ClusterAddress
        public var payload: Payload
        public var gossip: [Gossip]

        public init(sender: NodeID, senderAddress: ClusterAddress, payload: Payload, gossip: [Gossip] = []) {
            self.sender = sender
            self.senderAddress = senderAddress
            self.payload = payload
            self.gossip = gossip
        }

        /// What the message asks or answers.
        public enum Payload: Hashable, Sendable {
            /// "Are you `target`?": answered by ``ack(sequence:target:)`` to the sender.
            case ping(sequence: UInt64, target: NodeID)
            /// "Please ping `target` for me": the ack (or a nack) comes back to the sender.
            case pingRequest(sequence: UInt64, target: NodeID, targetAddress: ClusterAddress)
            /// `target` answered the probe numbered `sequence` (directly or relayed).
            case ack(sequence: UInt64, target: NodeID)
            /// Lifeguard: the relay is alive but `target` did not answer it in time.
            case nack(sequence: UInt64, target: NodeID)
            /// Full state for anti-entropy and joining; a request is answered with a reply.
            case pushPull(PushPull)
            /// Nothing but the piggybacked gossip: how broadcasts are pushed between probes.
            case gossip
        }
    }

    /// The full state two nodes exchange: every member and the whole device set.
    public struct PushPull: Hashable, Sendable {
        public var isReply: Bool
        public var members: [MemberState]
        public var devices: DeviceSet

        public init(isReply: Bool, members: [MemberState], devices: DeviceSet) {
            self.isReply = isReply
            self.members = members
            self.devices = devices
        }
    }
}

extension SWIM.Message: WireCodable {
    private enum Tag: UInt8 {
        case ping = 1, pingRequest, ack, nack, pushPull, gossip
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(Self.formatVersion)
        switch payload {
        case .ping: writer.write(Tag.ping.rawValue)
        case .pingRequest: writer.write(Tag.pingRequest.rawValue)
        case .ack: writer.write(Tag.ack.rawValue)
        case .nack: writer.write(Tag.nack.rawValue)
        case .pushPull: writer.write(Tag.pushPull.rawValue)
        case .gossip: writer.write(Tag.gossip.rawValue)
        }
        sender.encode(into: &writer)
        senderAddress.encode(into: &writer)
        switch payload {
        case .ping(let sequence, let target), .ack(let sequence, let target), .nack(let sequence, let target):
            writer.writeVarint(sequence)
            target.encode(into: &writer)
        case .pingRequest(let sequence, let target, let targetAddress):
            writer.writeVarint(sequence)
            target.encode(into: &writer)
            targetAddress.encode(into: &writer)
        case .pushPull(let state):
            writer.write(state.isReply)
            writer.writeVarint(state.members.count)
            for member in state.members { member.encode(into: &writer) }
            state.devices.encode(into: &writer)
        case .gossip:
            break
        }
        writer.writeVarint(gossip.count)
        for item in gossip { item.encode(into: &writer) }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let version = try reader.readUInt8()
        guard version == Self.formatVersion else { throw .unsupportedVersion(version) }
        let rawTag = try reader.readUInt8()
        guard let tag = Tag(rawValue: rawTag) else { throw .unknownTag(field: "swim message", value: UInt64(rawTag)) }
        let sender = try NodeID(from: &reader)
        let senderAddress = try ClusterAddress(from: &reader)
        let payload: Payload
        switch tag {
        case .ping, .ack, .nack:
            let sequence = try reader.readVarint(field: "sequence")
            let target = try NodeID(from: &reader)
            payload = switch tag {
            case .ping: .ping(sequence: sequence, target: target)
            case .ack: .ack(sequence: sequence, target: target)
            default: .nack(sequence: sequence, target: target)
            }
        case .pingRequest:
            let sequence = try reader.readVarint(field: "sequence")
            let target = try NodeID(from: &reader)
            payload = .pingRequest(sequence: sequence, target: target, targetAddress: try ClusterAddress(from: &reader))
        case .pushPull:
            let isReply = try reader.readBool(field: "push-pull reply")
            let count = try reader.readItemCount(field: "member count", minimumItemBytes: 8, limit: Self.maxPushPullMembers)
            var members: [SWIM.MemberState] = []
            members.reserveCapacity(count)
            for _ in 0..<count { members.append(try SWIM.MemberState(from: &reader)) }
            payload = .pushPull(SWIM.PushPull(isReply: isReply, members: members, devices: try DeviceSet(from: &reader)))
        case .gossip:
            payload = .gossip
        }
        let gossipCount = try reader.readItemCount(field: "gossip count", minimumItemBytes: 3, limit: Self.maxGossipItems)
        var gossip: [SWIM.Gossip] = []
        gossip.reserveCapacity(gossipCount)
        for _ in 0..<gossipCount { gossip.append(try SWIM.Gossip(from: &reader)) }
        self.init(sender: sender, senderAddress: senderAddress, payload: payload, gossip: gossip)
    }
}
