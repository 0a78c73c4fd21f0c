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
            let order = Placement.readOrder(partition: partition, ring: ring, localNode: primaries[2].node, isDown: { _ in false })
            #expect(order.count == 6)
            #expect(Array(order.prefix(3)) == [primaries[2], primaries[0], primaries[1]])
            #expect(Array(order.dropFirst(3)) == Array(ring.handoffs(of: partition).prefix(3)))
        }
    }

    @Test func readOrderSkipsDownDevices() {
        let ring = Self.ring(nodes: 6, zones: 3)
        let primaries = ring.primaries(of: 9)
        let order = Placement.readOrder(partition: 9, ring: ring, localNode: NodeID("elsewhere")!,
                                        isDown: { $0 == primaries[0] })
        #expect(Array(order.prefix(2)) == [primaries[1], primaries[2]])
        #expect(!order.contains(primaries[0]))
    }

    @Test func updatePairingIsOneToOneAndSpreadsExtras() {
        #expect(Placement.updatePairing(slots: 3, updates: ["a", "b", "c"]) == [["a"], ["b"], ["c"]])
        #expect(Placement.updatePairing(slots: 2, updates: ["a", "b", "c"]) == [["a", "c"], ["b"]])
        #expect(Placement.updatePairing(slots: 3, updates: ["a"]) == [["a"], [], []])
    }
}
