import Logging
import Metrics
import ServiceLifecycle
import ShoalCore
import ShoalMembership
import ShoalPorts
import Synchronization

/// The shell around the pure ``SWIM/Instance``: feeds it time and messages, carries out
/// its directives over the cluster transport, recomputes the ring when the device set
/// changes, and answers status questions.
///
/// It is a `Service` in the node's service group; the transport calls it for every
/// message on the membership channel.
public actor MembershipService: Service, TransportHandler, ClusterStatusProvider, ClusterView {
    public struct Configuration: Sendable {
        public var node: NodeID
        public var meta: SWIM.MemberMeta
        public var settings: SWIM.Settings
        public var ring: RingParameters
        public var secretFingerprint: String
        /// Addresses to join through (flags and the peers remembered from the last run).
        public var seeds: [ClusterAddress]
        /// The devices this node serves; joined to the device set once the node knows the cluster.
        public var devices: [DeviceSpec]
        /// Seed of the instance's random generator (from the system in production).
        public var randomSeed: UInt64

        public init(node: NodeID, meta: SWIM.MemberMeta, settings: SWIM.Settings, ring: RingParameters,
                    secretFingerprint: String, seeds: [ClusterAddress], devices: [DeviceSpec], randomSeed: UInt64) {
            self.node = node
            self.meta = meta
            self.settings = settings
            self.ring = ring
            self.secretFingerprint = secretFingerprint
            self.seeds = seeds
            self.devices = devices
            self.randomSeed = randomSeed
        }
    }

    /// The longest the loop sleeps before looking at the instance's deadlines again.
    static let tickGranularity: Duration = .milliseconds(50)

    private var instance: SWIM.Instance
    private let configuration: Configuration
    private let transport: any ClusterTransport
    private let dataDirectory: DataDirectory?
    private let logger: Logger
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    private var pendingDevices: [DeviceSpec]
    private var lastSavedPeers: [ClusterAddress] = []
    public private(set) var ring: Ring
    private var ringCounts: [DeviceID: Int]
    private let metrics = MembershipMetrics()
    private let subscribers = BroadcastSubscribers()
    /// What ``snapshot()`` answers, published again after every change to the instance (all
    /// go through ``perform(_:)``), so that a request reads it without a hop onto this actor:
    /// every proxied request takes one.
    private let published: Mutex<ClusterSnapshot>

    public init(configuration: Configuration, transport: any ClusterTransport, dataDirectory: DataDirectory?, logger: Logger) {
        self.configuration = configuration
        self.transport = transport
        self.dataDirectory = dataDirectory
        self.logger = logger
        origin = clock.now
        let deviceSet = dataDirectory?.loadDeviceSet() ?? DeviceSet()
        instance = SWIM.Instance(
            myself: configuration.node, meta: configuration.meta, settings: configuration.settings,
            random: SeededRandom(seed: configuration.randomSeed), deviceSet: deviceSet, now: .zero)
        ring = Ring(deviceSet: deviceSet, parameters: configuration.ring)
        ringCounts = ring.assignmentCounts()
        published = Mutex(ClusterSnapshot(ring: ring, localNode: configuration.node,
                                          downNodes: Self.downNodes(of: instance.members)))
        pendingDevices = configuration.devices.filter { spec in
            guard let current = deviceSet.records[spec.id], current.isPresent else { return true }
            // A draining device stays out of the ring across restarts.
            if current.state == .draining { return false }
            return current.node != spec.node || current.zone != spec.zone || current.address != spec.address || current.weight != spec.weight
        }
    }

    private var now: Duration { clock.now - origin }

    /// Runs the protocol until the service group shuts down.
    public func run() async throws {
        await transport.register(self, for: .membership)
        let seeds = configuration.seeds.filter { $0 != configuration.meta.clusterAddress }
        logger.info("membership starting", metadata: [
            "node": "\(configuration.node)", "seeds": "\(seeds.map(\.description))", "ring": "\(ring.version)/\(ring.checksum.prefix(12))",
        ])
        await perform(instance.join(seeds: seeds, now: now))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled, await !self.instance.hasLeft {
                let wait = await self.step()
                try? await Task.sleep(for: wait)
            }
        }
        if instance.hasLeft {
            // Returning ends the service group: a removed node shuts itself down.
            logger.warning("this node was removed from the cluster; stopping")
        } else {
            logger.info("membership stopped")
        }
    }

    /// Does what is due; returns how long to sleep before the next step.
    private func step() async -> Duration {
        await perform(joinDevicesWhenReady())
        if instance.nextDeadline <= now { await perform(instance.onTick(now: now)) }
        metrics.observe(instance)
        return min(max(instance.nextDeadline - now, .milliseconds(1)), Self.tickGranularity)
    }

    /// A new node adds its devices once it has heard from the cluster, so their versions
    /// come after everything the cluster has written (the ring version then moves forward).
    private func joinDevicesWhenReady() -> [SWIM.Directive] {
        guard !pendingDevices.isEmpty else { return [] }
        let alone = configuration.seeds.filter { $0 != configuration.meta.clusterAddress }.isEmpty
        guard alone || instance.aliveCount > 1 else { return [] }
        let devices = pendingDevices
        pendingDevices = []
        // A node started without seeds founds the cluster; a node given seeds joins it and
        // fills up in steps (even if it has not learned the others' devices yet).
        let founding = alone && instance.deviceSet.records.values.allSatisfy { !$0.isPresent }
        logger.info("joining devices", metadata: ["devices": "\(devices.map(\.id.rawValue))", "founding": "\(founding)"])
        return instance.joinDevices(devices, as: founding ? .active : .joining, now: now)
    }

    // MARK: Transport

    public func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async {
        let message: SWIM.Message
        do { message = try SWIM.Message(wireBytes: payload) } catch {
            metrics.decodeFailures.increment()
            logger.debug("dropped malformed membership message", metadata: ["error": "\(error)"])
            return
        }
        metrics.received.increment()
        await perform(instance.onMessage(message, from: message.senderAddress, now: now))
    }

    public func respond(to request: TransportRequest) async -> TransportResponse {
        TransportResponse(status: .badRequest)
    }

    // MARK: Directives

    private func perform(_ directives: [SWIM.Directive]) async {
        var deviceSetChanged = false
        var membersChanged = false
        for directive in directives {
            switch directive {
            case .send(let message, let address):
                let sent = await transport.send(message.wireBytes(), on: .membership, to: address)
                (sent ? metrics.sent : metrics.sendFailures).increment()
            case .memberChanged(let change):
                membersChanged = true
                log(change)
            case .deviceSetChanged:
                deviceSetChanged = true
            case .deliver(let broadcast):
                metrics.broadcastsDelivered.increment()
                subscribers.deliver(broadcast)
            }
        }
        if deviceSetChanged { recomputeRing() }
        if membersChanged { rememberPeers() }
        // After every step, not only those that announced a change: a status SWIM changed
        // without a directive would otherwise be missed, and this costs microseconds per tick.
        let snapshot = ClusterSnapshot(ring: ring, localNode: configuration.node, downNodes: Self.downNodes(of: instance.members))
        published.withLock { $0 = snapshot }
    }

    private static func downNodes(of members: [SWIM.Member]) -> Set<NodeID> {
        Set(members.filter { $0.status == .dead || $0.status == .left }.map(\.node))
    }

    private func log(_ change: SWIM.MemberChange) {
        let member = change.member
        guard member.node != configuration.node || member.status != .alive else { return }
        let level: Logger.Level = member.status == .alive ? .info : .notice
        logger.log(level: level, "member \(member.status)", metadata: [
            "member": "\(member.node)", "previous": "\(change.previousStatus.map(\.description) ?? "new")",
            "incarnation": "\(member.incarnation)", "address": "\(member.meta.clusterAddress)",
        ])
    }

    private func recomputeRing() {
        let previous = ring
        ring = Ring(deviceSet: instance.deviceSet, parameters: configuration.ring)
        ringCounts = ring.assignmentCounts()
        guard ring.checksum != previous.checksum else { return }
        logger.notice("ring changed", metadata: [
            "version": "\(ring.version)", "checksum": "\(ring.checksum.prefix(16))", "devices": "\(ring.devices.count)",
            "moving": "\(ring.movingPartitions)",
        ])
        metrics.ringVersion.record(Int64(ring.version))
        metrics.movingPartitions.record(Int64(ring.movingPartitions))
        do { try dataDirectory?.save(instance.deviceSet) } catch {
            logger.error("cannot save the device set", metadata: ["error": "\(error)"])
        }
    }

    /// Keeps the addresses of live members on disk, so a restart can rejoin with no flags.
    private func rememberPeers() {
        let peers = instance.members.filter { $0.node != configuration.node && $0.status == .alive }
            .map(\.meta.clusterAddress).sorted()
        guard !peers.isEmpty, peers != lastSavedPeers else { return }
        lastSavedPeers = peers
        try? dataDirectory?.savePeers(peers)
    }

    // MARK: Broadcasts

    /// Spreads news to every live member by gossip (``SWIM/Broadcast``); false when it is
    /// too large for one message. Members deliver it to their ``broadcasts(topic:)``
    /// subscribers once; this node does not (it has the news already).
    @discardableResult
    public func broadcast(topic: String, id: [UInt8], payload: [UInt8] = []) async -> Bool {
        guard let broadcast = SWIM.Broadcast(topic: topic, id: id, payload: payload) else { return false }
        metrics.broadcastsSent.increment()
        await perform(instance.broadcast(broadcast, now: now))
        return true
    }

    /// The broadcasts on `topic` this node hears from now on.
    public nonisolated func broadcasts(topic: String) -> AsyncStream<SWIM.Broadcast> {
        subscribers.subscribe(topic: topic)
    }

    // MARK: Administration and views

    /// Removes `node` from the ring and membership; returns how many devices it had.
    public func removeNode(_ node: NodeID) async -> Int {
        let devices = instance.deviceSet.records.values.filter { $0.node == node && $0.isPresent }.count
        guard devices > 0 else { return 0 }
        await perform(instance.removeNode(node, now: now))
        return devices
    }

    /// Takes `node`'s devices out of the ring; the node leaves once its data has moved
    /// (``isDrained``). Returns how many devices started draining.
    public func drainNode(_ node: NodeID) async -> Int {
        let records = instance.drainNode(node)
        await perform(records)
        return records.isEmpty ? 0 : instance.deviceSet.records.values.filter { $0.node == node && $0.state == .draining }.count
    }

    /// This node's joining devices that may turn active now: those of the oldest change in
    /// flight (the ring moves their replicas before any later change's), so that once every
    /// member's replication has finished on this ring, they have everything.
    public var devicesReadyToSettle: [DeviceID] {
        guard let oldest = instance.deviceSet.changesInFlight.first,
              oldest.node == configuration.node, oldest.state == .joining else { return [] }
        return [oldest.id]
    }

    /// Marks this node's joining devices `ids` active; returns how many changed.
    public func activate(_ ids: [DeviceID]) async -> Int {
        let directives = instance.activateDevices(ids)
        await perform(directives)
        return directives.isEmpty ? 0 : ids.count
    }

    /// Members SWIM holds alive (this node too), with their cluster addresses.
    public var liveMembers: [(node: NodeID, address: ClusterAddress)] {
        instance.members.filter { $0.status == .alive }.map { ($0.node, $0.meta.clusterAddress) }
    }

    /// Whether a device of `node` is still a primary of some partition in the current ring
    /// (a draining device is one until the ring has moved every replica off it).
    public func holdsPrimaries(_ node: NodeID) -> Bool {
        ring.devices.contains { $0.node == node && (ringCounts[$0.id] ?? 0) > 0 }
    }

    /// Whether this node's devices are all draining (it should leave once empty).
    public var isDraining: Bool {
        let mine = instance.deviceSet.records.values.filter { $0.node == configuration.node && $0.isPresent }
        return !mine.isEmpty && mine.allSatisfy { $0.state == .draining }
    }

    /// Members as this node sees them.
    public var members: [SWIM.Member] { instance.members }

    /// The ring and the nodes SWIM holds dead or gone, for the proxy's next request.
    public nonisolated func snapshot() -> ClusterSnapshot {
        published.withLock { $0 }
    }

    public func clusterStatus() -> ClusterStatus {
        let totalWeight = ring.devices.filter(\.takesPartitions).reduce(0) { $0 + $1.weight }
        let slots = Double(ring.replicaCount * ring.partitionCount)
        let devices = ring.devices.map { device in
            let count = ringCounts[device.id] ?? 0
            let share = totalWeight > 0 ? slots * device.weight / totalWeight : 0
            return ClusterStatus.Device(
                id: device.id.rawValue, node: device.node.rawValue, zone: device.zone, weight: device.weight,
                partitions: count, balancePercent: share > 0 ? (Double(count) / share * 1000).rounded() / 10 : 0,
                state: device.state.description)
        }
        let members = instance.members.map { member in
            ClusterStatus.Member(
                id: member.node.rawValue, status: member.status.description, incarnation: member.incarnation,
                zone: member.meta.zone, clusterAddress: member.meta.clusterAddress.description,
                restURL: member.meta.restURL, resources: member.meta.resources)
        }
        return ClusterStatus(
            node: configuration.node.rawValue, secretFingerprint: configuration.secretFingerprint, members: members,
            ring: .init(version: ring.version, checksum: ring.checksum, partPower: ring.parameters.partPower,
                        replicas: ring.parameters.replicas, devices: devices, moving: ring.movingPartitions),
            draining: nodes(in: .draining), joining: nodes(in: .joining))
    }

    private func nodes(in state: DeviceRecord.State) -> [String] {
        Set(instance.deviceSet.records.values.filter { $0.state == state }.map(\.node.rawValue)).sorted()
    }
}

/// Who listens to which broadcast topic. Subscribing needs no trip through the actor, so a
/// role can subscribe while it is being built.
final class BroadcastSubscribers: Sendable {
    private let streams = Mutex<[String: [AsyncStream<SWIM.Broadcast>.Continuation]]>([:])

    func subscribe(topic: String) -> AsyncStream<SWIM.Broadcast> {
        let (stream, continuation) = AsyncStream.makeStream(of: SWIM.Broadcast.self, bufferingPolicy: .bufferingNewest(10_000))
        streams.withLock { $0[topic, default: []].append(continuation) }
        return stream
    }

    func deliver(_ broadcast: SWIM.Broadcast) {
        for continuation in streams.withLock({ $0[broadcast.topic] ?? [] }) { continuation.yield(broadcast) }
    }
}
