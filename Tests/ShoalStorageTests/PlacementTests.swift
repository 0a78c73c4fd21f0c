import Testing
import ShoalCore

struct PlacementTests {
    static let writer = NodeID("test-writer")!

    static func ring(nodes: Int, zones: Int, replicas: Int = 3) -> Ring {
        var set = DeviceSet()
        for index in 0..<nodes {
            let node = NodeID("node\(index)")!
            set.join(DeviceSpec(id: DeviceID(node: node, index: 0), node: node, zone: "z\(index % zones)",
                                address: ClusterAddress(host: "10.0.0.\(index + 1)", port: 7000)), by: writer)
        }
        return Ring(deviceSet: set, parameters: RingParameters(partPower: 6, replicas: replicas)!)
    }

    @Test func allPrimariesUpAreTheWriteTargets() {
        let ring = Self.ring(nodes: 6, zones: 3)
        for partition in 0..<ring.partitionCount {
            let targets = Placement.writeTargets(partition: partition, ring: ring, isDown: { _ in false })
            #expect(targets.map(\.device) == ring.primaries(of: partition))
            #expect(targets.map(\.replicaIndex) == [0, 1, 2])
            #expect(targets.allSatisfy { !$0.isHandoff })
        }
    }

    @Test func downPrimariesAreReplacedByDistinctHandoffsInTheirSlots() {
        let ring = Self.ring(nodes: 8, zones: 4)
        for partition in 0..<ring.partitionCount {
            let primaries = ring.primaries(of: partition)
            let down: Set<NodeID> = [primaries[0].node, primaries[2].node]
            let targets = Placement.writeTargets(partition: partition, ring: ring, isDown: { down.contains($0.node) })
            #expect(targets.count == 3)
            #expect(targets.map(\.replicaIndex) == [0, 1, 2])
            #expect(targets[1].device == primaries[1] && !targets[1].isHandoff)
            #expect(targets[0].isHandoff && targets[2].isHandoff)
            #expect(Set(targets.map(\.device.id)).count == 3)
            #expect(targets.allSatisfy { !down.contains($0.device.node) })
            let liveHandoffs = ring.handoffs(of: partition).filter { !down.contains($0.node) }
            #expect(targets[0].device == liveHandoffs[0] && targets[2].device == liveHandoffs[1])
        }
    }

    @Test func tooFewLiveDevicesGiveFewerTargets() {
        let ring = Self.ring(nodes: 3, zones: 3)
        let primaries = ring.primaries(of: 5)
        let targets = Placement.writeTargets(partition: 5, ring: ring, isDown: { $0 == primaries[1] })
        #expect(targets.map(\.device) == [primaries[0], primaries[2]])
        #expect(targets.map(\.replicaIndex) == [0, 2])
    }

    @Test func readOrderPutsTheLocalPrimaryFirstThenHandoffs() {
        let ring = Self.ring(nodes: 6, zones: 3)
        for partition in 0..<ring.partitionCount {
            let primaries = ring.primaries(of: partition)
            let order = Array(Placement.readOrder(partition: partition, ring: ring, localNode: primaries[2].node, isDown: { _ in false }))
            #expect(order.count == 6)
            #expect(Array(order.prefix(3)) == [primaries[2], primaries[0], primaries[1]])
            #expect(Array(order.dropFirst(3)) == Array(ring.handoffs(of: partition).prefix(3)))
        }
    }

    @Test func readOrderSkipsDownDevices() {
        let ring = Self.ring(nodes: 6, zones: 3)
        let primaries = ring.primaries(of: 9)
        let order = Array(Placement.readOrder(partition: 9, ring: ring, localNode: NodeID("elsewhere")!,
                                              isDown: { $0 == primaries[0] }))
        #expect(Array(order.prefix(2)) == [primaries[1], primaries[2]])
        #expect(!order.contains(primaries[0]))
    }

    @Test func readOrderRanksHandoffsOnlyWhenAReadGetsPastTheOwners() {
        let ring = Self.ring(nodes: 12, zones: 3)
        let primaries = ring.primaries(of: 4)
        let handoffs = ring.handoffs(of: 4)
        var asked: Set<DeviceID> = []
        let order = Placement.readOrder(partition: 4, ring: ring, localNode: primaries[1].node, isDown: { device in
            asked.insert(device.id)
            return device == handoffs[0]
        })
        // The owners alone: no handoff was looked at.
        #expect(Array(order.prefix(3)) == [primaries[1], primaries[0], primaries[2]])
        #expect(asked == Set(primaries.map(\.id)))
        // Past them: live handoffs in rank order (the down one skipped), up to 2 × replicas.
        #expect(Array(order) == [primaries[1], primaries[0], primaries[2], handoffs[1], handoffs[2], handoffs[3]])
        #expect(asked.isSuperset(of: handoffs.map(\.id)))
        #expect(Array(Placement.readOrder(partition: 4, ring: ring, localNode: nil, isDown: { _ in false }, limit: 4)).count == 4)
    }

    @Test func writeTargetsRankHandoffsOnlyForADownPrimary() {
        let ring = Self.ring(nodes: 12, zones: 3)
        let primaries = ring.primaries(of: 7)
        var asked = 0
        let targets = Placement.writeTargets(partition: 7, ring: ring) { _ in
            asked += 1
            return false
        }
        #expect(targets.map(\.device) == primaries)
        #expect(asked == primaries.count)
    }

    @Test func updatePairingIsOneToOneAndSpreadsExtras() {
        let swift = { (slots: Int, updates: [String]) in
            Placement.updatePairing(slots: Array(0..<slots), updates: updates) { _, _ in false }
        }
        #expect(swift(3, ["a", "b", "c"]) == [["a"], ["b"], ["c"]])
        #expect(swift(2, ["a", "b", "c"]) == [["a", "c"], ["b"]])
        #expect(swift(3, ["a"]) == [["a"], [], []])
    }

    /// Slots and updates named `<node>.<thing>`: a slot updates the replica on its own node.
    static func pairLocally(_ slots: [String], _ updates: [String]) -> [[String]] {
        Placement.updatePairing(slots: slots, updates: updates) { $0.split(separator: ".")[0] == $1.split(separator: ".")[0] }
    }

    @Test func aSlotUpdatesTheReplicaOnItsOwnNodeFirst() {
        #expect(Self.pairLocally(["n1.o", "n2.o", "n3.o"], ["n3.c", "n1.c", "n2.c"]) == [["n1.c"], ["n2.c"], ["n3.c"]])
        // Without a local one, Swift's order to the slots left.
        #expect(Self.pairLocally(["n1.o", "n2.o", "n4.o"], ["n3.c", "n2.c", "n5.c"]) == [["n3.c"], ["n2.c"], ["n5.c"]])
        #expect(Self.pairLocally(["n1.o", "n2.o"], ["n3.c", "n2.c", "n1.c"]) == [["n1.c", "n3.c"], ["n2.c"]])
        // Two replicas on one node: the slot takes one, the other goes by the rule.
        #expect(Self.pairLocally(["n1.o", "n2.o", "n3.o"], ["n1.a", "n1.b", "n3.c"]) == [["n1.a"], ["n1.b"], ["n3.c"]])
        #expect(Self.pairLocally([], ["n1.c"]) == [])
    }

    @Test func everyUpdateGoesToExactlyOneSlotAndNoSlotTakesMoreThanItsShare() {
        var random = SeededRandom(seed: 0x9A1E)
        for _ in 0..<2_000 {
            let nodes = Int.random(in: 1...6, using: &random)
            let slots = (0..<Int.random(in: 1...5, using: &random)).map { "n\(Int.random(in: 0..<nodes, using: &random)).o\($0)" }
            let updates = (0..<Int.random(in: 0...5, using: &random)).map { "n\(Int.random(in: 0..<nodes, using: &random)).c\($0)" }
            let pairing = Self.pairLocally(slots, updates)
            #expect(pairing.count == slots.count)
            #expect(pairing.flatMap { $0 }.sorted() == updates.sorted())
            let share = (updates.count + slots.count - 1) / slots.count
            #expect(pairing.allSatisfy { $0.count <= share })
            // An update goes to another node's slot only when every slot on its own node
            // already updates a replica of that node.
            let node = { (name: String) in name.split(separator: ".")[0] }
            for (index, assigned) in pairing.enumerated() {
                for update in assigned where node(update) != node(slots[index]) {
                    for (other, slot) in slots.enumerated() where node(slot) == node(update) {
                        #expect(pairing[other].contains { node($0) == node(slot) }, "\(slots) \(updates) \(pairing)")
                    }
                }
            }
        }
    }
}
