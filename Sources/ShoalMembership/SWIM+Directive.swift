extension SWIM {
    /// What the shell must do after an event: the only way ``Instance`` acts on the world.
    public enum Directive: Hashable, Sendable {
        /// Send `message` (encoded with its ``WireCodable`` codec) to `address`, best effort.
        case send(Message, to: ClusterAddress)
        /// A member was added or changed status, incarnation or meta.
        case memberChanged(MemberChange)
        /// The device set changed (these records were news); the ring must be recomputed.
        case deviceSetChanged([DeviceRecord])
        /// A broadcast heard for the first time: hand it to its topic's subscribers.
        case deliver(Broadcast)
    }
}

import ShoalCore
