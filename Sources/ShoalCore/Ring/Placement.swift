/// Which devices a proxy talks to for one partition, as OpenStack Swift's proxy picks them:
/// the write set (primaries, with a handoff standing in for each down primary) and the
/// read order (live primaries, the local node first, then live handoffs). Pure: the
/// caller says which nodes are down and which node it runs on.
public enum Placement {
    /// One device a write goes to.
    public struct WriteTarget: Hashable, Sendable {
        public let device: DeviceRecord
        /// The replica slot (index into the partition's primaries) this device fills; a
        /// handoff takes the slot of the primary it stands in for, so per-replica pairings
        /// (container updates) stay one to one.
        public let replicaIndex: Int
        public let isHandoff: Bool

        public init(device: DeviceRecord, replicaIndex: Int, isHandoff: Bool) {
            self.device = device
            self.replicaIndex = replicaIndex
            self.isHandoff = isHandoff
        }
    }

    /// The partition of a path in `ring`.
    public static func partition(of hasher: PathHasher, in ring: Ring, account: String, container: String? = nil,
                                 object: String? = nil) -> Int {
        hasher.partition(account: account, container: container, object: object, partPower: ring.parameters.partPower)
    }

    /// Live primaries in slot order; each down primary replaced by the next live handoff
    /// (each handoff used once). Fewer targets than replicas only when too few devices live.
    public static func writeTargets(partition: Int, ring: Ring, isDown: (DeviceRecord) -> Bool) -> [WriteTarget] {
        guard ring.replicaCount > 0 else { return [] }
        var handoffs = ring.handoffs(of: partition).filter { !isDown($0) }.makeIterator()
        var targets: [WriteTarget] = []
        for (index, primary) in ring.primaries(of: partition).enumerated() {
            if !isDown(primary) {
                targets.append(WriteTarget(device: primary, replicaIndex: index, isHandoff: false))
            } else if let handoff = handoffs.next() {
                targets.append(WriteTarget(device: handoff, replicaIndex: index, isHandoff: true))
            }
        }
        return targets
    }

    /// Devices to read from, in order: live primaries (those on `localNode` first, the
    /// rest in ring order), then live handoffs, at most `limit` in all (Swift's
    /// `request_node_count`, 2 × replicas by default).
    public static func readOrder(partition: Int, ring: Ring, localNode: NodeID?, isDown: (DeviceRecord) -> Bool,
                                 limit: Int? = nil) -> [DeviceRecord] {
        let primaries = ring.primaries(of: partition).filter { !isDown($0) }
        let local = primaries.filter { $0.node == localNode }
        let remote = primaries.filter { $0.node != localNode }
        let handoffs = ring.handoffs(of: partition).filter { !isDown($0) }
        let bound = limit ?? 2 * ring.replicaCount
        return Array((local + remote + handoffs).prefix(bound))
    }

    /// Which container replicas each object replica slot updates (Swift's
    /// `_backend_requests`): container `j` goes to slot `j % objectReplicas`, so with as
    /// many container replicas as object replicas the pairing is one to one, and extra
    /// container replicas ride along on the first slots.
    public static func updatePairing<Device>(slots: Int, updates: [Device]) -> [[Device]] {
        guard slots > 0 else { return [] }
        var pairing = [[Device]](repeating: [], count: slots)
        for (index, device) in updates.enumerated() { pairing[index % slots].append(device) }
        return pairing
    }
}
