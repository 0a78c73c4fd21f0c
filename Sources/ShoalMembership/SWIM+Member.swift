import ShoalCore

extension SWIM {
    /// What a member is believed to be. At equal incarnation a later status wins
    /// (`alive < suspect < dead < left`); see ``Instance`` for the full rules.
    public enum Status: UInt8, Hashable, Comparable, Sendable, CaseIterable, CustomStringConvertible {
        case alive = 1
        case suspect = 2
        case dead = 3
        /// Removed explicitly (`shoal remove`); only a higher incarnation brings it back.
        case left = 4

        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String {
            switch self {
            case .alive: "alive"
            case .suspect: "suspect"
            case .dead: "dead"
            case .left: "left"
            }
        }
    }

    /// One member as this instance sees it: the read-only view for status pages and shells.
    public struct Member: Hashable, Sendable {
        public var node: NodeID
        public var meta: MemberMeta
        public var status: Status
        public var incarnation: UInt64
        /// When (on the instance's clock) the status last changed.
        public var statusChangedAt: Duration

        public init(node: NodeID, meta: MemberMeta, status: Status, incarnation: UInt64, statusChangedAt: Duration) {
            self.node = node
            self.meta = meta
            self.status = status
            self.incarnation = incarnation
            self.statusChangedAt = statusChangedAt
        }

        /// The member's entry in a push-pull exchange.
        public var state: MemberState { MemberState(node: node, status: status, incarnation: incarnation, meta: meta) }
    }

    /// A member's entry in a full-state (push-pull) exchange, or in a persisted snapshot
    /// handed to ``Instance/restore(members:now:)``.
    public struct MemberState: Hashable, Sendable {
        public var node: NodeID
        public var status: Status
        public var incarnation: UInt64
        public var meta: MemberMeta

        public init(node: NodeID, status: Status, incarnation: UInt64, meta: MemberMeta) {
            self.node = node
            self.status = status
            self.incarnation = incarnation
            self.meta = meta
        }
    }

    /// A change the shell may want to act on (log it, update metrics, rebuild views).
    /// `previousStatus` is nil when the member was unknown; equal statuses mean the meta
    /// or incarnation changed.
    public struct MemberChange: Hashable, Sendable {
        public var member: Member
        public var previousStatus: Status?

        public init(member: Member, previousStatus: Status?) {
            self.member = member
            self.previousStatus = previousStatus
        }
    }
}

extension SWIM.MemberState: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        node.encode(into: &writer)
        writer.write(status.rawValue)
        writer.writeVarint(incarnation)
        meta.encode(into: &writer)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let node = try NodeID(from: &reader)
        let rawStatus = try reader.readUInt8()
        guard let status = SWIM.Status(rawValue: rawStatus) else {
            throw .unknownTag(field: "member status", value: UInt64(rawStatus))
        }
        let incarnation = try reader.readVarint(field: "incarnation")
        self.init(node: node, status: status, incarnation: incarnation, meta: try SWIM.MemberMeta(from: &reader))
    }
}
