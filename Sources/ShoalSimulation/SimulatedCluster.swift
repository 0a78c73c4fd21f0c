import ShoalCore
import ShoalMembership

/// Many ``SWIM/Instance``s on one simulated clock and network, every choice drawn from one
/// seed: the same seed replays the same run, event for event.
///
/// Events (ticks and message deliveries) sit in a queue ordered by (time, sequence). A
/// node's tick is scheduled at its instance's ``SWIM/Instance/nextDeadline``, re-read
/// after every event — exactly what a real shell does. Tests and the benchmark drive it
/// with ``run(until:)``, faults (``kill(_:)``, ``restart(_:)``, ``partition(_:_:)``,
/// ``heal()``) and the invariants in `SimulatedCluster+Invariants.swift`.
public struct SimulatedCluster {
    /// One simulated machine.
    public struct Node {
        public let id: NodeID
        public let meta: SWIM.MemberMeta
        public internal(set) var instance: SWIM.Instance
        public internal(set) var isUp: Bool
        /// Each broadcast delivered to this node, with the times it was (once, if all is well).
        public internal(set) var delivered: [SWIM.Broadcast: [Duration]] = [:]
        var tickGeneration: UInt64 = 0
        var scheduledTickNanoseconds: Int64 = .max
    }

    /// A member declared dead by an observer; `wasUp` marks a false death.
    public struct DeathDeclaration: Hashable, Sendable {
        public var observer: NodeID
        public var node: NodeID
        public var at: Duration
        public var wasUp: Bool
    }

    enum Event {
        case tick(node: Int, generation: UInt64)
        case deliver(node: Int, message: SWIM.Message, from: ClusterAddress)
        case join(node: Int, seeds: [ClusterAddress])
    }

    public let seed: UInt64
    public let settings: SWIM.Settings
    public var network: SimulatedNetwork
    public internal(set) var nodes: [Node] = []
    public internal(set) var messagesSent: [Int] = []
    public internal(set) var bytesSent: [Int] = []
    public internal(set) var messagesDropped = 0
    public internal(set) var messagesDelivered = 0
    public internal(set) var codecFailures = 0
    public internal(set) var eventsProcessed = 0
    public internal(set) var deathDeclarations: [DeathDeclaration] = []

    var random: SeededRandom
    var queue = EventQueue<Event>()
    var nowNanoseconds: Int64 = 0
    var partitionSide: [UInt8] = []
    var indexByAddress: [ClusterAddress: Int] = [:]
    var indexByNode: [NodeID: Int] = [:]
    let devicesPerNode: Int

    /// The simulated time.
    public var now: Duration { .nanoseconds(nowNanoseconds) }

    /// Builds `count` nodes named `n0`, `n1`, … each with `devicesPerNode` devices.
    /// `startConverged` gives every node the full member list and device set at time 0
    /// (a cluster that has been running); otherwise each node knows only itself and joins
    /// through `n0` at a random moment within the first probe interval.
    public init(
        nodes count: Int, seed: UInt64, settings: SWIM.Settings = .fast,
        network: SimulatedNetwork = .lan, devicesPerNode: Int = 1, startConverged: Bool = true
    ) {
        self.seed = seed
        self.settings = settings
        self.network = network
        self.devicesPerNode = devicesPerNode
        self.random = SeededRandom(seed: seed)
        let metas = (0..<count).map(Self.meta(forIndex:))
        let ids = (0..<count).map(Self.nodeID(forIndex:))
        var allDevices: [DeviceRecord] = []
        for index in 0..<count {
            allDevices += Self.devices(of: ids[index], meta: metas[index], count: devicesPerNode).map {
                DeviceRecord(id: $0.id, node: $0.node, zone: $0.zone, address: $0.address, weight: $0.weight,
                             version: DeviceVersion(counter: 1, writer: $0.node))
            }
        }
        let fullSet = DeviceSet(allDevices)
        let states = (0..<count).map { SWIM.MemberState(node: ids[$0], status: .alive, incarnation: 0, meta: metas[$0]) }
        for index in 0..<count {
            var instance = SWIM.Instance(
                myself: ids[index], meta: metas[index], settings: settings, random: random.split(),
                deviceSet: startConverged ? fullSet : DeviceSet(), now: .zero)
            if startConverged {
                instance.restore(members: states, now: .zero)
            } else {
                _ = instance.joinDevices(Self.devices(of: ids[index], meta: metas[index], count: devicesPerNode), now: .zero)
            }
            append(Node(id: ids[index], meta: metas[index], instance: instance, isUp: true))
            if !startConverged, index > 0 {
                let at = Int64(random.next() % UInt64(max(1, settings.probeInterval.nanosecondCount)))
                queue.push(at: at, .join(node: index, seeds: [metas[0].clusterAddress]))
            }
        }
        for index in 0..<count { reschedule(index) }
    }

    static func nodeID(forIndex index: Int) -> NodeID { NodeID("n\(index)")! }

    static func meta(forIndex index: Int) -> SWIM.MemberMeta {
        let address = ClusterAddress(host: "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)", port: 7946)
        return SWIM.MemberMeta(
            clusterAddress: address, restURL: "http://\(address.host):8080", zone: "z\(index % 3)",
            resources: ["cpus": 8, "memory_bytes": 32 << 30])
    }

    static func devices(of node: NodeID, meta: SWIM.MemberMeta, count: Int) -> [DeviceSpec] {
        (0..<count).map { DeviceSpec(id: DeviceID(node: node, index: $0), node: node, zone: meta.zone, address: meta.clusterAddress) }
    }

    private mutating func append(_ node: Node) {
        indexByAddress[node.meta.clusterAddress] = nodes.count
        indexByNode[node.id] = nodes.count
        nodes.append(node)
        messagesSent.append(0)
        bytesSent.append(0)
        partitionSide.append(0)
    }

    public func index(of node: NodeID) -> Int? { indexByNode[node] }

    public func instance(of node: NodeID) -> SWIM.Instance { nodes[indexByNode[node]!].instance }

    // MARK: Running

    /// Processes every event up to and including `time`, then sets the clock to it.
    public mutating func run(until time: Duration) {
        let limit = time.nanosecondCount
        while let earliest = queue.earliestTime, earliest <= limit {
            let event = queue.pop()!
            nowNanoseconds = max(nowNanoseconds, event.timeNanoseconds)
            process(event.payload)
        }
        nowNanoseconds = max(nowNanoseconds, limit)
    }

    public mutating func run(forSimulated duration: Duration) { run(until: now + duration) }

    /// Runs until `condition` holds (checked every `interval`) or `timeout` has passed;
    /// returns the simulated time at which it first held, nil on timeout.
    public mutating func run(
        atMost timeout: Duration, checkingEvery interval: Duration, until condition: (SimulatedCluster) -> Bool
    ) -> Duration? {
        let end = now + timeout
        while now < end {
            if condition(self) { return now }
            run(until: min(end, now + interval))
        }
        return condition(self) ? now : nil
    }

    private mutating func process(_ event: Event) {
        eventsProcessed += 1
        switch event {
        case .tick(let index, let generation):
            guard nodes[index].isUp, nodes[index].tickGeneration == generation else { return }
            nodes[index].scheduledTickNanoseconds = .max
            let directives = nodes[index].instance.onTick(now: now)
            carryOut(directives, from: index)
            reschedule(index, afterTick: true)
        case .deliver(let index, let message, let from):
            guard nodes[index].isUp else {
                messagesDropped += 1
                return
            }
            messagesDelivered += 1
            let directives = nodes[index].instance.onMessage(message, from: from, now: now)
            carryOut(directives, from: index)
            reschedule(index)
        case .join(let index, let seeds):
            guard nodes[index].isUp else { return }
            let directives = nodes[index].instance.join(seeds: seeds, now: now)
            carryOut(directives, from: index)
            reschedule(index)
        }
    }

    /// Makes sure node `index` has a tick at or before its instance's next deadline.
    mutating func reschedule(_ index: Int, afterTick: Bool = false) {
        guard nodes[index].isUp else { return }
        var deadline = max(nowNanoseconds, nodes[index].instance.nextDeadline.nanosecondCount)
        if afterTick { deadline = max(deadline, nowNanoseconds + 1_000_000) }
        guard deadline < nodes[index].scheduledTickNanoseconds else { return }
        nodes[index].tickGeneration += 1
        nodes[index].scheduledTickNanoseconds = deadline
        queue.push(at: deadline, .tick(node: index, generation: nodes[index].tickGeneration))
    }

    /// Node `index` spreads `broadcast`, as an application running on it would.
    public mutating func broadcast(_ broadcast: SWIM.Broadcast, from index: Int) {
        guard nodes[index].isUp else { return }
        let directives = nodes[index].instance.broadcast(broadcast, now: now)
        carryOut(directives, from: index)
        reschedule(index)
    }

    /// Carries out a node's directives: messages go onto the simulated network.
    mutating func carryOut(_ directives: [SWIM.Directive], from index: Int) {
        for directive in directives {
            switch directive {
            case .send(let message, let address):
                send(message, to: address, from: index)
            case .memberChanged(let change):
                if change.member.status == .dead, change.previousStatus != .dead {
                    let wasUp = indexByNode[change.member.node].map { nodes[$0].isUp } ?? false
                    deathDeclarations.append(DeathDeclaration(
                        observer: nodes[index].id, node: change.member.node, at: now, wasUp: wasUp))
                }
            case .deviceSetChanged:
                break
            case .deliver(let broadcast):
                nodes[index].delivered[broadcast, default: []].append(now)
            }
        }
    }

    private mutating func send(_ message: SWIM.Message, to address: ClusterAddress, from index: Int) {
        messagesSent[index] += 1
        var delivered = message
        if network.encodesMessages {
            let bytes = message.wireBytes()
            bytesSent[index] += bytes.count
            guard let decoded = try? SWIM.Message(wireBytes: bytes), decoded == message else {
                codecFailures += 1
                return
            }
            delivered = decoded
        }
        guard let destination = indexByAddress[address] else {
            messagesDropped += 1
            return
        }
        let sides = (partitionSide[index], partitionSide[destination])
        if sides.0 != 0, sides.1 != 0, sides.0 != sides.1 {
            messagesDropped += 1
            return
        }
        if network.lossProbability > 0, unitRandom() < network.lossProbability {
            messagesDropped += 1
            return
        }
        let low = network.minimumDelay.nanosecondCount
        let spread = UInt64(max(0, network.maximumDelay.nanosecondCount - low)) + 1
        let delay = low + Int64(random.next() % spread)
        queue.push(at: nowNanoseconds + delay, .deliver(node: destination, message: delivered, from: nodes[index].meta.clusterAddress))
    }

    mutating func unitRandom() -> Double { Double(random.next() >> 11) / Double(UInt64(1) << 53) }
}
