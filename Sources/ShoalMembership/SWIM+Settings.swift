extension SWIM {
    /// Timing and budget knobs of the protocol. The defaults suit a real LAN cluster;
    /// ``fast`` is a tenfold-quicker preset for tests on a simulated clock.
    public struct Settings: Hashable, Sendable {
        /// Time between two probes when the node is healthy (local health 0).
        public var probeInterval: Duration = .seconds(1)
        /// How long to wait for a direct ack before asking others to probe (healthy node).
        public var probeTimeout: Duration = .milliseconds(500)
        /// How many members are asked to probe indirectly (k in the SWIM paper).
        public var indirectProbes: Int = 3
        /// Lifeguard: the suspicion timeout shrinks to
        /// `suspicionMinMultiplier * max(1, log10(n)) * probeInterval` once
        /// ``suspicionConfirmations`` independent suspicions have arrived.
        public var suspicionMinMultiplier: Double = 4
        /// Lifeguard: with no confirmation the suspicion timeout is
        /// `suspicionMaxMultiplier * max(1, log10(n)) * probeInterval`.
        public var suspicionMaxMultiplier: Double = 24
        /// Independent suspicions after which the timeout has shrunk to its minimum.
        public var suspicionConfirmations: Int = 3
        /// Lifeguard local health multiplier ceiling: probe interval and timeout scale by
        /// `(localHealth + 1)`, so at most by `maxLocalHealth + 1`.
        public var maxLocalHealth: Int = 8
        /// Each update is piggybacked about `retransmitMultiplier * ceil(log10(n + 1))` times.
        public var retransmitMultiplier: Int = 4
        /// Time between full-state exchanges with one random member; scaled up beyond 32
        /// members as in memberlist (`ceil(log2(n) - log2(32)) + 1`).
        public var pushPullInterval: Duration = .seconds(30)
        /// Time between join attempts while no other member is known. Short, because a
        /// seed's answer to a node that just (re)started is often lost while the seed's
        /// connection to it is still being re-established.
        public var joinRetryInterval: Duration = .seconds(1)
        /// Bytes of piggybacked gossip one message may carry.
        public var gossipBudgetBytes: Int = 1_400
        /// Updates one message may carry.
        public var gossipMaxItems: Int = 24
        /// Updates waiting to be gossiped beyond which the oldest, most-sent ones are dropped.
        public var gossipQueueLimit: Int = 50_000
        /// How long a member relaying an indirect probe waits before answering with a nack;
        /// also the cap on relays in flight (`maxRelays`).
        public var relayTimeout: Duration = .milliseconds(400)
        public var maxRelays: Int = 256
        /// Members a new broadcast is pushed to at once, by its origin and by each member
        /// on first hearing it.
        public var broadcastFanout: Int = 3
        /// How long a member remembers a broadcast it heard (and so ignores repeats).
        public var broadcastMemory: Duration = .seconds(600)
        /// Broadcasts remembered at most; the oldest are forgotten first.
        public var broadcastMemoryLimit: Int = 100_000

        public init() {}

        /// The LAN defaults.
        public static let `default` = Settings()

        /// Ten times quicker timing for tests and simulations with millisecond latencies.
        public static var fast: Settings {
            var settings = Settings()
            settings.probeInterval = .milliseconds(100)
            settings.probeTimeout = .milliseconds(50)
            settings.relayTimeout = .milliseconds(40)
            settings.pushPullInterval = .seconds(3)
            settings.joinRetryInterval = .milliseconds(100)
            return settings
        }
    }
}
