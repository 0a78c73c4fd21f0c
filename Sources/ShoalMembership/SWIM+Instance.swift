import ShoalCore

extension SWIM {
    /// One node's view of the cluster and its SWIM + Lifeguard decisions, as a value.
    ///
    /// The shell owns one instance and feeds it events — ``onTick(now:)``,
    /// ``onMessage(_:from:now:)``, ``join(seeds:now:)``, ``joinDevices(_:now:)``,
    /// ``removeNode(_:now:)``, ``updateMeta(_:now:)`` — and carries out the returned
    /// ``Directive``s. `now` is the time since an arbitrary origin of the shell's clock;
    /// it must never go backwards.
    ///
    /// Ticking: the shell calls ``onTick(now:)`` once ``nextDeadline`` has passed,
    /// re-reading ``nextDeadline`` after every event (the simulation does exactly this), or
    /// simply every ~`probeTimeout / 5` (a real shell may; early ticks are harmless).
    ///
    /// Incarnation rules (as SWIM/memberlist): `alive(i)` replaces any state with a lower
    /// incarnation; `suspect(i)` replaces `alive(j ≤ i)`; `dead(i)` replaces alive and
    /// suspect at `j ≤ i`; `left(i)` replaces everything at `j ≤ i` and only `alive(j > i)`
    /// brings the member back. Hearing itself suspected or dead (at ≥ its incarnation), a
    /// node refutes with a higher incarnation; hearing itself `left`, it stops.
    public struct Instance: Sendable {
        public let myself: NodeID
        public let settings: Settings
        public internal(set) var myMeta: MemberMeta
        public internal(set) var incarnation: UInt64
        /// Lifeguard local health multiplier, `0...settings.maxLocalHealth`.
        public internal(set) var localHealth: Int = 0
        /// The cluster's devices, merged from gossip and push-pull.
        public internal(set) var deviceSet: DeviceSet
        /// True once this node has been removed from the cluster (it then does nothing).
        public internal(set) var hasLeft = false

        var random: SeededRandom
        var memberTable: [NodeID: Member] = [:]
        /// Every known member (self first) in the order first heard of: deterministic iteration.
        var memberOrder: [NodeID] = []
        var statusCounts: [Int] = Array(repeating: 0, count: 5)
        var probeOrder: [NodeID] = []
        var probeIndex = 0
        var probe: Probe?
        var nextProbeAt: Duration
        var nextPushPullAt: Duration
        var nextSequence: UInt64 = 0
        var relays: [UInt64: Relay] = [:]
        var suspicions: [NodeID: Suspicion] = [:]
        var earliestSuspicionDeadline: Duration?
        var gossipQueue = GossipQueue()
        var broadcastMemory = BroadcastMemory()
        var joinSeeds: [ClusterAddress] = []
        var nextJoinAttemptAt: Duration?

        /// The probe of the current protocol period.
        struct Probe: Sendable {
            var target: NodeID
            var sequence: UInt64
            var directDeadline: Duration
            var indirectSent = false
            var expectedNacks = 0
            var receivedNacks = 0
        }

        /// An indirect probe this node carries out for another member.
        struct Relay: Sendable {
            var requester: ClusterAddress
            var requesterSequence: UInt64
            var target: NodeID
            var deadline: Duration
        }

        /// Creates the instance of node `myself`. `random` is the only source of randomness;
        /// `incarnation` may be a persisted value (0 for a fresh node).
        public init(
            myself: NodeID, meta: MemberMeta, settings: Settings, random: SeededRandom,
            deviceSet: DeviceSet = DeviceSet(), now: Duration, incarnation: UInt64 = 0
        ) {
            self.myself = myself
            self.myMeta = meta
            self.settings = settings
            self.random = random
            self.deviceSet = deviceSet
            self.incarnation = incarnation
            self.nextProbeAt = now + settings.probeInterval.scaled(by: Double(self.random.next() % 1_000) / 1_000)
            self.nextPushPullAt = now + settings.pushPullInterval.scaled(by: Double(self.random.next() % 1_000) / 1_000)
            let me = Member(node: myself, meta: meta, status: .alive, incarnation: incarnation, statusChangedAt: now)
            memberTable[myself] = me
            memberOrder.append(myself)
            statusCounts[Int(Status.alive.rawValue)] += 1
        }

        // MARK: Read-only views

        /// Every known member, this node first, then in the order first heard of.
        public var members: [Member] { memberOrder.map { memberTable[$0]! } }

        public func member(_ node: NodeID) -> Member? { memberTable[node] }

        public func count(of status: Status) -> Int { statusCounts[Int(status.rawValue)] }

        /// Members (this node included) believed alive.
        public var aliveCount: Int { count(of: .alive) }

        /// Members that take part in probing: alive or suspect (this node included).
        public var activeCount: Int { count(of: .alive) + count(of: .suspect) }

        /// Updates waiting to be piggybacked.
        public var pendingGossipCount: Int { gossipQueue.count }

        /// SHA-256 of the device set's canonical encoding, for status pages and comparisons.
        public var deviceSetDigest: [UInt8] { deviceSet.digest }

        /// The earliest time at which ``onTick(now:)`` has something to do (far in the
        /// future once the node has left).
        public var nextDeadline: Duration {
            guard !hasLeft else { return .seconds(Int64(1) << 30) }
            var deadline = min(nextProbeAt, nextPushPullAt)
            if let probe, !probe.indirectSent { deadline = min(deadline, probe.directDeadline) }
            if let suspicion = earliestSuspicionDeadline { deadline = min(deadline, suspicion) }
            if let join = nextJoinAttemptAt { deadline = min(deadline, join) }
            for relay in relays.values { deadline = min(deadline, relay.deadline) }
            return deadline
        }

        // MARK: Derived timing

        /// `value * (localHealth + 1)`: Lifeguard's slowdown of a node that is itself unwell.
        func healthScaled(_ value: Duration) -> Duration { value * (localHealth + 1) }

        /// How many times each update is piggybacked.
        var transmitLimit: Int {
            var digits = 1
            var bound = 10
            while bound < activeCount + 1 { digits += 1; bound *= 10 }
            return settings.retransmitMultiplier * digits
        }

        /// The push-pull interval, stretched beyond 32 members (memberlist's `pushPullScale`).
        var scaledPushPullInterval: Duration {
            let n = activeCount
            guard n > 32 else { return settings.pushPullInterval }
            var steps = 0
            var size = 32
            while size < n { size *= 2; steps += 1 }
            return settings.pushPullInterval * (steps + 1)
        }

        mutating func adjustHealth(by delta: Int) {
            localHealth = min(settings.maxLocalHealth, max(0, localHealth + delta))
        }

        // MARK: Ticks

        /// Runs everything due at `now`: probe steps, relay nacks, suspicion expiry,
        /// push-pull, join retries. Call when ``nextDeadline`` has passed.
        public mutating func onTick(now: Duration) -> [Directive] {
            var out: [Directive] = []
            guard !hasLeft else { return out }
            expireRelays(now: now, into: &out)
            forgetOldBroadcasts(now: now)
            if var current = probe, !current.indirectSent, now >= current.directDeadline {
                sendIndirectProbes(&current, now: now, into: &out)
                probe = current
            }
            if now >= nextProbeAt {
                finishProbe(now: now, into: &out)
                startProbe(now: now, into: &out)
            }
            expireSuspicions(now: now, into: &out)
            if now >= nextPushPullAt {
                nextPushPullAt = now + scaledPushPullInterval
                pushPullPeriodically(now: now, into: &out)
            }
            if let attempt = nextJoinAttemptAt, now >= attempt {
                if activeCount > 1 {
                    nextJoinAttemptAt = nil
                } else {
                    sendJoin(now: now, into: &out)
                }
            }
            return out
        }

        /// Handles one message from the network; `address` is where it came from
        /// (replies go to `message.senderAddress`).
        public mutating func onMessage(_ message: Message, from address: ClusterAddress, now: Duration) -> [Directive] {
            var out: [Directive] = []
            guard !hasLeft, message.sender != myself else { return out }
            var heardBroadcast = false
            for item in message.gossip {
                let news = apply(item, now: now, into: &out)
                if news, case .broadcast = item { heardBroadcast = true }
            }
            // A broadcast heard first-hand is forwarded at once (not only piggybacked).
            if heardBroadcast { pushGossip(excluding: message.sender, into: &out) }
            switch message.payload {
            case .ping(let sequence, let target):
                guard target == myself else { break }
                // A removed member still probing is told of its removal at once.
                var leading: [Gossip] = []
                if let sender = memberTable[message.sender], sender.status == .left {
                    leading = [.left(node: sender.node, incarnation: sender.incarnation)]
                }
                send(.ack(sequence: sequence, target: myself), to: message.senderAddress, leading: leading, into: &out)
            case .pingRequest(let sequence, let target, let targetAddress):
                relayProbe(sequence: sequence, target: target, targetAddress: targetAddress, requester: message.senderAddress, now: now, into: &out)
            case .ack(let sequence, let target):
                onAck(sequence: sequence, target: target, now: now, into: &out)
            case .nack(let sequence, _):
                if var current = probe, current.sequence == sequence {
                    current.receivedNacks += 1
                    probe = current
                }
            case .pushPull(let state):
                onPushPull(state, from: message, now: now, into: &out)
            case .gossip:
                break
            }
            return out
        }

        // MARK: Sending

        /// Sends `payload` with as much piggybacked gossip as the budget allows.
        mutating func send(_ payload: Message.Payload, to address: ClusterAddress, leading: [Gossip] = [], into out: inout [Directive]) {
            var gossip = leading
            let budget = settings.gossipBudgetBytes - leading.reduce(0) { $0 + $1.wireBytes().count }
            gossip += gossipQueue.select(
                budgetBytes: budget, maxItems: settings.gossipMaxItems - leading.count, transmitLimit: transmitLimit)
            out.append(.send(Message(sender: myself, senderAddress: myMeta.clusterAddress, payload: payload, gossip: gossip), to: address))
        }

        /// Queues `gossip` for piggybacking, keeping the queue within its limit.
        mutating func enqueueGossip(_ gossip: Gossip) {
            gossipQueue.enqueue(gossip)
            if gossipQueue.count > settings.gossipQueueLimit { gossipQueue.trim(to: settings.gossipQueueLimit) }
        }
    }
}

extension Duration {
    /// `self * factor` for a factor in 0...1 and beyond; used for jitter and Lifeguard.
    func scaled(by factor: Double) -> Duration { self * factor }
}
