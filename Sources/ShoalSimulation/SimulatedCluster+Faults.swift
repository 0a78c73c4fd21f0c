import ShoalCore
import ShoalMembership

extension SimulatedCluster {
    /// Stops a node at once: its ticks stop and messages to it are lost.
    public mutating func kill(_ node: NodeID) {
        guard let index = indexByNode[node] else { return }
        nodes[index].isUp = false
        nodes[index].tickGeneration += 1
        nodes[index].scheduledTickNanoseconds = .max
    }

    /// Starts a killed node again with the same id, a fresh instance at incarnation
    /// `incarnation` (0 = nothing persisted) and its persisted device set; it rejoins
    /// through up to three random up nodes.
    public mutating func restart(_ node: NodeID, incarnation: UInt64 = 0) {
        guard let index = indexByNode[node], !nodes[index].isUp else { return }
        let old = nodes[index]
        nodes[index].instance = SWIM.Instance(
            myself: old.id, meta: old.meta, settings: settings, random: random.split(),
            deviceSet: old.instance.deviceSet, now: now, incarnation: incarnation)
        nodes[index].isUp = true
        let seeds = randomUpNodes(count: 3, excluding: index).map { nodes[$0].meta.clusterAddress }
        let directives = nodes[index].instance.join(seeds: seeds, now: now)
        carryOut(directives, from: index)
        reschedule(index)
    }

    /// Adds a new node with its devices; it joins through one random up node. Returns its id.
    @discardableResult
    public mutating func addNode() -> NodeID {
        let index = nodes.count
        let id = Self.nodeID(forIndex: index)
        let meta = Self.meta(forIndex: index)
        var instance = SWIM.Instance(myself: id, meta: meta, settings: settings, random: random.split(), now: now)
        _ = instance.joinDevices(Self.devices(of: id, meta: meta, count: devicesPerNode), now: now)
        let seeds = randomUpNodes(count: 1, excluding: nil).map { nodes[$0].meta.clusterAddress }
        indexByAddress[meta.clusterAddress] = index
        indexByNode[id] = index
        nodes.append(Node(id: id, meta: meta, instance: instance, isUp: true))
        messagesSent.append(0)
        bytesSent.append(0)
        partitionSide.append(0)
        let directives = nodes[index].instance.join(seeds: seeds, now: now)
        carryOut(directives, from: index)
        reschedule(index)
        return id
    }

    /// Cuts every link between a node of `sideA` and a node of `sideB`.
    public mutating func partition(_ sideA: [NodeID], _ sideB: [NodeID]) {
        for node in sideA { if let index = indexByNode[node] { partitionSide[index] = 1 } }
        for node in sideB { if let index = indexByNode[node] { partitionSide[index] = 2 } }
    }

    /// Restores every link.
    public mutating func heal() {
        for index in partitionSide.indices { partitionSide[index] = 0 }
    }

    /// Up to `count` distinct random up nodes other than `excluded`.
    mutating func randomUpNodes(count: Int, excluding excluded: Int?) -> [Int] {
        var candidates = nodes.indices.filter { nodes[$0].isUp && $0 != excluded }
        var chosen: [Int] = []
        while chosen.count < count, !candidates.isEmpty {
            let pick = Int(random.next() % UInt64(candidates.count))
            candidates.swapAt(pick, candidates.count - 1)
            chosen.append(candidates.removeLast())
        }
        return chosen
    }
}

extension SimulatedCluster {
    /// Puts back an instance a test drove directly (an admin call such as
    /// `removeNode`), then sends whatever it queued with the next messages.
    public mutating func replaceInstance(of node: NodeID, with instance: SWIM.Instance) {
        guard let index = indexByNode[node] else { return }
        nodes[index].instance = instance
        reschedule(index)
    }
}
