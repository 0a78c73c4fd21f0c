import Foundation
import Testing
@testable import ShoalCore

@Suite("Ring placement")
struct RingTests {
    let parameters = RingParameters(partPower: 16, replicas: 3)!

    @Test("the same device set gives a byte-identical ring whatever order it was learned in")
    func determinism() {
        var (seed, random) = TestSeed.generator(default: 0x5EED_0001)
        let set = RingFixtures.deviceSet(RingFixtures.devices(count: 9, zones: 3))
        let reference = Ring(deviceSet: set, parameters: parameters)
        for _ in 0..<5 {
            let shuffled = DeviceSet(set.sortedRecords.shuffled(using: &random))
            let ring = Ring(deviceSet: shuffled, parameters: parameters)
            #expect(ring.checksum == reference.checksum, "seed \(seed)")
            #expect(ring.table == reference.table, "seed \(seed)")
        }
        #expect(reference.checksum.count == 64)
        #expect(reference.version == set.version)
    }

    @Test("a different device set gives a different checksum")
    func checksumSeesChanges() {
        let set = RingFixtures.deviceSet(RingFixtures.devices(count: 4, zones: 4))
        var changed = set
        changed.join(RingFixtures.devices(count: 1, zones: 4, weights: [2], firstIndex: 0)[0], by: RingFixtures.writer)
        #expect(Ring(deviceSet: set, parameters: parameters).checksum != Ring(deviceSet: changed, parameters: parameters).checksum)
    }

    @Test("each device holds its weighted share within ±3%", arguments: [(4, 4), (5, 5), (6, 3), (8, 4), (12, 4), (16, 16)])
    func balance(devices: Int, zones: Int) {
        let set = RingFixtures.deviceSet(RingFixtures.devices(count: devices, zones: zones))
        let ring = Ring(deviceSet: set, parameters: parameters)
        let share = Double(parameters.replicas * parameters.partitionCount) / Double(devices)
        for (device, count) in ring.assignmentCounts() {
            let deviation = abs(Double(count) - share) / share
            #expect(deviation <= 0.03, "\(device) holds \(count), share \(share)")
        }
    }

    @Test("unequal weights: shares follow weights within ±3%")
    func weightedBalance() {
        let weights: [Double] = [1, 1.5, 2, 1, 1.5, 2, 1, 1.5, 2, 1, 1.5, 2]
        let set = RingFixtures.deviceSet(RingFixtures.devices(count: weights.count, zones: weights.count, weights: weights))
        let ring = Ring(deviceSet: set, parameters: parameters)
        let total = weights.reduce(0, +)
        let counts = ring.assignmentCounts()
        for (index, weight) in weights.enumerated() {
            let share = Double(parameters.replicas * parameters.partitionCount) * weight / total
            let count = counts[DeviceID(node: NodeID("node\(index)")!, index: 0)]!
            #expect(abs(Double(count) - share) / share <= 0.03, "node\(index) weight \(weight): \(count) vs \(share)")
        }
    }

    @Test("adding one device moves at most 1.05× the minimum", arguments: [3, 4, 5, 8, 11])
    func movementOnAdd(existing: Int) {
        let before = RingFixtures.deviceSet(RingFixtures.devices(count: existing, zones: existing))
        var after = before
        after.join(RingFixtures.devices(count: 1, zones: existing + 1, firstIndex: existing)[0], by: RingFixtures.writer)
        let moved = Ring.movedReplicas(from: Ring(deviceSet: before, parameters: parameters), to: Ring(deviceSet: after, parameters: parameters))
        let minimum = Double(parameters.replicas * parameters.partitionCount) / Double(existing + 1)
        #expect(Double(moved) <= 1.05 * minimum, "moved \(moved), minimum \(minimum)")
        #expect(moved > 0)
    }

    @Test("adding a device to an existing zone moves only what it wins")
    func movementWithinZone() {
        let before = RingFixtures.deviceSet(RingFixtures.devices(count: 8, zones: 4))
        var after = before
        let newcomer = RingFixtures.devices(count: 1, zones: 4, firstIndex: 8)[0]
        after.join(newcomer, by: RingFixtures.writer)
        let newRing = Ring(deviceSet: after, parameters: parameters)
        let moved = Ring.movedReplicas(from: Ring(deviceSet: before, parameters: parameters), to: newRing)
        #expect(moved == newRing.assignmentCounts()[newcomer.id])
    }

    @Test("removing a device moves only its own partition-replicas")
    func movementOnRemove() {
        let before = RingFixtures.deviceSet(RingFixtures.devices(count: 6, zones: 6))
        var after = before
        let victim = DeviceID(node: NodeID("node2")!, index: 0)
        after.remove(victim, by: RingFixtures.writer)
        let oldRing = Ring(deviceSet: before, parameters: parameters)
        let newRing = Ring(deviceSet: after, parameters: parameters)
        #expect(Ring.movedReplicas(from: oldRing, to: newRing) == oldRing.assignmentCounts()[victim])
        for partition in 0..<parameters.partitionCount {
            let old = Set(oldRing.primaries(of: partition).map(\.id))
            let new = Set(newRing.primaries(of: partition).map(\.id))
            if !old.contains(victim) { #expect(old == new, "partition \(partition) moved without the victim") }
            #expect(!new.contains(victim))
        }
    }

    @Test("no two replicas of a partition share a zone while zones ≥ replicas", arguments: [(3, 3), (7, 3), (10, 5), (9, 4)])
    func zoneDispersion(devices: Int, zones: Int) {
        let ring = Ring(deviceSet: RingFixtures.deviceSet(RingFixtures.devices(count: devices, zones: zones)), parameters: parameters)
        for partition in 0..<parameters.partitionCount {
            let zonesUsed = ring.primaries(of: partition).map(\.zone)
            #expect(Set(zonesUsed).count == parameters.replicas, "partition \(partition): \(zonesUsed)")
        }
    }

    @Test("fewer zones than replicas: distinct nodes before doubling up")
    func nodeDispersion() {
        var specs = RingFixtures.devices(count: 4, zones: 2)
        // A second device on node0: it must never hold a replica beside node0's first one.
        specs.append(DeviceSpec(id: DeviceID(node: NodeID("node0")!, index: 1), node: NodeID("node0")!, zone: "z0",
                                address: specs[0].address))
        let ring = Ring(deviceSet: RingFixtures.deviceSet(specs), parameters: RingParameters(partPower: 10, replicas: 3)!)
        for partition in 0..<ring.partitionCount {
            let primaries = ring.primaries(of: partition)
            #expect(Set(primaries.map(\.node)).count == 3)
            #expect(Set(primaries.map(\.zone)).count == 2)
        }
    }

    @Test("fewer devices than replicas places every device once")
    func smallCluster() {
        let ring = Ring(deviceSet: RingFixtures.deviceSet(RingFixtures.devices(count: 2, zones: 2)), parameters: parameters)
        #expect(ring.replicaCount == 2)
        #expect(Set(ring.primaries(of: 17).map(\.id)).count == 2)
        let empty = Ring(deviceSet: DeviceSet(), parameters: parameters)
        #expect(empty.replicaCount == 0)
        #expect(empty.primaries(of: 0).isEmpty)
    }

    @Test("handoffs are every other device, fresh zones first")
    func handoffs() {
        let ring = Ring(deviceSet: RingFixtures.deviceSet(RingFixtures.devices(count: 8, zones: 4)), parameters: parameters)
        for partition in [0, 99, 65535] {
            let primaries = ring.primaries(of: partition)
            let handoffs = ring.handoffs(of: partition)
            #expect(handoffs.count == 5)
            #expect(Set(handoffs.map(\.id)).isDisjoint(with: primaries.map(\.id)))
            #expect(!Set(primaries.map(\.zone)).contains(handoffs[0].zone))
        }
    }

    @Test("weight zero and removed devices take no partitions")
    func inactiveDevices() {
        var set = RingFixtures.deviceSet(RingFixtures.devices(count: 5, zones: 5, weights: [1, 1, 1, 1, 0]))
        set.remove(DeviceID(node: NodeID("node3")!, index: 0), by: RingFixtures.writer)
        let ring = Ring(deviceSet: set, parameters: parameters)
        #expect(ring.devices.map(\.node.rawValue) == ["node0", "node1", "node2"])
    }
}

@Suite("Path hashing")
struct PathHasherTests {
    @Test("partition is the top bits of the salted MD5, as OpenStack Swift computes it")
    func matchesSwift() {
        // Expected values computed with Python's hashlib and struct.unpack_from('>I', ...).
        let plain = PathHasher(prefix: "", suffix: "")
        #expect(Hex.encode(plain.digest(account: "a", container: "c", object: "o")) == "8ac2bf59556b61bb5cc521ccb51c200a")
        #expect(plain.partition(account: "a", container: "c", object: "o", partPower: 16) == 35522)
        let salted = PathHasher(prefix: "pre", suffix: "suf")
        #expect(Hex.encode(salted.digest(account: "AUTH_test", container: "photos", object: "cat.jpg")) == "7abccbb64ac39553294325bb4dc0ecf8")
        #expect(salted.partition(account: "AUTH_test", container: "photos", object: "cat.jpg", partPower: 10) == 490)
        #expect(PathHasher.partition(ofDigest: [0xFF, 0xFF, 0xFF, 0xFF], partPower: 16) == 65535)
        #expect(PathHasher.partition(ofDigest: [0x80, 0, 0, 0], partPower: 1) == 1)
    }
}

@Suite("Stable arithmetic")
struct StableHashTests {
    @Test("log agrees with the true logarithm to 1e-15 relative")
    func logAccuracy() {
        var (seed, random) = TestSeed.generator(default: 7)
        for _ in 0..<10_000 {
            let x = StableHash.unitInterval(random.next())
            let expected = Foundation.log(x)
            #expect(abs(StableHash.log(x) - expected) <= 1e-15 * max(1, abs(expected)), "x=\(x) seed \(seed)")
        }
        #expect(StableHash.log(1) == 0)
        #expect(abs(StableHash.log(2) - 0.6931471805599453) < 1e-16)
    }

    @Test("stable hash is fixed across builds")
    func fixedValues() {
        #expect(StableHash.of("") == StableHash.mix(0xCBF2_9CE4_8422_2325))
        #expect(StableHash.of("node1-d0") != StableHash.of("node2-d0"))
    }
}
