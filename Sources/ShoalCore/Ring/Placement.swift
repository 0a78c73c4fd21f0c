/// Which devices a proxy talks to for one partition, as OpenStack Swift's proxy picks them:
/// the write set (primaries, with a handoff standing in for each down primary) and the
/// read order (live primaries, the local node first, then live handoffs). While a replica
/// of the partition moves, the device it leaves is written too (outside the quorum) and
/// read before the device it moves to. Pure: the caller says which nodes are down and
/// which node it runs on.
public enum Placement {
    /// One device a write goes to.
    public struct WriteTarget: Hashable, Sendable {
        public let device: DeviceRecord
        /// The replica slot (index into the partition's primaries) this device fills; a
        /// handoff takes the slot of the primary it stands in for, so per-replica pairings
        /// (container updates) stay one to one.
        public let replicaIndex: Int
        public let isHandoff: Bool
        /// The device a replica is moving away from: written so that it stays current while
        /// it is read first, but its answer does not count toward the quorum (the new
        /// owners must hold every acknowledged write) and it sends no listing updates.
        public let isLeaving: Bool

        public init(device: DeviceRecord, replicaIndex: Int, isHandoff: Bool, isLeaving: Bool = false) {
            self.device = device
            self.replicaIndex = replicaIndex
            self.isHandoff = isHandoff
            self.isLeaving = isLeaving
        }
    }

    /// The partition of a path in `ring`.
    public static func partition(of hasher: PathHasher, in ring: Ring, account: String, container: String? = nil,
                                 object: String? = nil) -> Int {
        hasher.partition(account: account, container: container, object: object, partPower: ring.parameters.partPower)
    }

    /// Live primaries in slot order; each down primary replaced by the next live handoff
    /// (each handoff used once); then, while a replica moves, the live device it leaves.
    /// Fewer quorum targets than replicas only when too few devices live.
    public static func writeTargets(partition: Int, ring: Ring, isDown: (DeviceRecord) -> Bool) -> [WriteTarget] {
        guard ring.replicaCount > 0 else { return [] }
        // Ranked only once a primary is down: ranking scores every device of the ring.
        var handoffs: IndexingIterator<[DeviceRecord]>?
        var targets: [WriteTarget] = []
        for (index, primary) in ring.primaries(of: partition).enumerated() {
            if !isDown(primary) {
                targets.append(WriteTarget(device: primary, replicaIndex: index, isHandoff: false))
                continue
            }
            if handoffs == nil { handoffs = ring.handoffs(of: partition).filter { !isDown($0) }.makeIterator() }
            if let handoff = handoffs?.next() {
                targets.append(WriteTarget(device: handoff, replicaIndex: index, isHandoff: true))
            }
        }
        if let leaving = ring.leaving(of: partition), !isDown(leaving) {
            targets.append(WriteTarget(device: leaving, replicaIndex: targets.count, isHandoff: false, isLeaving: true))
        }
        return targets
    }

    /// Devices to read from, in order: live primaries (those on `localNode` first, the
    /// rest in ring order), then live handoffs, at most `limit` in all (Swift's
    /// `request_node_count`, 2 × replicas by default). While a replica moves, the device
    /// it leaves (which has everything) comes before the one it moves to (which may not yet).
    public static func readOrder(partition: Int, ring: Ring, localNode: NodeID?, isDown: @escaping (DeviceRecord) -> Bool,
                                 limit: Int? = nil) -> ReadOrder {
        let arriving = ring.arriving(of: partition)
        let moving = [ring.leaving(of: partition), arriving].compactMap { $0 }.filter { !isDown($0) }
        let settled = ring.primaries(of: partition).filter { !isDown($0) && $0.id != arriving?.id }
        let local = settled.filter { $0.node == localNode }
        let remote = settled.filter { $0.node != localNode }
        return ReadOrder(owners: local + remote + moving, ring: ring, partition: partition, isDown: isDown,
                         bound: limit ?? 2 * ring.replicaCount)
    }

    /// The devices a read tries, in ``Placement/readOrder(partition:ring:localNode:isDown:limit:)``'s
    /// order. The live handoffs are ranked only when a read gets past the owners, which on a
    /// healthy cluster it almost never does: ranking scores every device of the ring, and
    /// used to be done for every read.
    public struct ReadOrder: Sequence {
        /// The live primaries (local first) and the moving replica's two ends.
        public let owners: [DeviceRecord]
        let ring: Ring
        let partition: Int
        let isDown: (DeviceRecord) -> Bool
        let bound: Int

        public func makeIterator() -> Iterator { Iterator(order: self) }

        public struct Iterator: IteratorProtocol {
            let order: ReadOrder
            var given = 0
            var handoffs: IndexingIterator<[DeviceRecord]>?

            public mutating func next() -> DeviceRecord? {
                guard given < order.bound else { return nil }
                let device: DeviceRecord?
                if given < order.owners.count {
                    device = order.owners[given]
                } else {
                    if handoffs == nil {
                        handoffs = order.ring.handoffs(of: order.partition).filter { !order.isDown($0) }.makeIterator()
                    }
                    device = handoffs?.next()
                }
                if device != nil { given += 1 }
                return device
            }
        }
    }

    /// Which container replicas each object replica slot updates. Swift's rule
    /// (`_backend_requests`) sends container `j` to slot `j % objectReplicas`: one to one
    /// when the counts match, extra container replicas riding on the first slots. Here each
    /// slot is first given a container replica on its own node when there is one (its
    /// update then never leaves the node); the others follow in Swift's order, each to the
    /// slot with the fewest so far (which is Swift's rule exactly when nothing is local).
    /// Every container replica goes to exactly one slot, at most ⌈updates ÷ slots⌉ to a
    /// slot, and every node that computes the pairing from the same ring gets the same one.
    /// Inlinable so that each caller gets it specialized to its types: called generically
    /// across the module boundary it was 1.9 % of a proxy's work under 4 KiB PUTs.
    @inlinable
    public static func updatePairing<Slot, Device>(
        slots: [Slot], updates: [Device], sameNode: (Slot, Device) -> Bool
    ) -> [[Device]] {
        guard !slots.isEmpty else { return [] }
        var pairing = [[Device]](repeating: [], count: slots.count)
        var rest: [Device] = []
        for device in updates {
            if let slot = slots.indices.first(where: { pairing[$0].isEmpty && sameNode(slots[$0], device) }) {
                pairing[slot].append(device)
            } else {
                rest.append(device)
            }
        }
        for device in rest {
            let fewest = pairing.indices.min { pairing[$0].count < pairing[$1].count }!
            pairing[fewest].append(device)
        }
        return pairing
    }
}
