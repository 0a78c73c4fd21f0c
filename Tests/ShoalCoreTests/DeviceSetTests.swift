import Testing
@testable import ShoalCore

/// The CRDT laws of the device set, checked on random replicas drawn from one seed.
@Suite("Device set CRDT")
struct DeviceSetTests {
    /// A random record over a small pool of ids and writers, so collisions are common.
    static func randomRecord(_ random: inout SeededRandom) -> DeviceRecord {
        let node = NodeID("n\(Int.random(in: 0..<4, using: &random))")!
        let writer = NodeID("w\(Int.random(in: 0..<3, using: &random))")!
        return DeviceRecord(
            id: DeviceID(node: node, index: Int.random(in: 0..<2, using: &random)), node: node,
            zone: "z\(Int.random(in: 0..<3, using: &random))",
            address: ClusterAddress(host: "127.0.0.1", port: UInt16.random(in: 7000...7003, using: &random)),
            weight: [0.5, 1, 2].randomElement(using: &random)!,
            state: Bool.random(using: &random) ? .active : .removed,
            version: DeviceVersion(counter: UInt64.random(in: 1...5, using: &random), writer: writer)
        )
    }

    static func randomSet(_ random: inout SeededRandom) -> DeviceSet {
        DeviceSet((0..<Int.random(in: 0...8, using: &random)).map { _ in randomRecord(&random) })
    }

    @Test("a loopback set has one device per node, zones round-robin, consecutive ports")
    func loopbackSet() {
        let set = DeviceSet.loopback(nodes: 5, zones: 2, firstPort: 9000)
        let devices = set.activeDevices
        #expect(devices.map(\.id.rawValue) == ["node0-d0", "node1-d0", "node2-d0", "node3-d0", "node4-d0"])
        #expect(devices.map(\.zone) == ["z0", "z1", "z0", "z1", "z0"])
        #expect(devices.map(\.address.port) == [9000, 9001, 9002, 9003, 9004])
        #expect(Set(devices.map(\.address.host)) == ["127.0.0.1"])
    }

    @Test("merge is commutative, associative and idempotent")
    func laws() {
        var (seed, random) = TestSeed.generator(default: 0xC4D7)
        for _ in 0..<2_000 {
            let a = Self.randomSet(&random), b = Self.randomSet(&random), c = Self.randomSet(&random)
            #expect(a.merged(with: b) == b.merged(with: a), "commutative, seed \(seed)")
            #expect(a.merged(with: b).merged(with: c) == a.merged(with: b.merged(with: c)), "associative, seed \(seed)")
            #expect(a.merged(with: a) == a, "idempotent, seed \(seed)")
            #expect(a.merged(with: b).merged(with: b) == a.merged(with: b), "idempotent, seed \(seed)")
        }
    }

    @Test("records applied in any order give the same set")
    func orderIndependence() {
        var (seed, random) = TestSeed.generator(default: 0x0DE7)
        for _ in 0..<500 {
            let records = (0..<12).map { _ in Self.randomRecord(&random) }
            #expect(DeviceSet(records) == DeviceSet(records.shuffled(using: &random)), "seed \(seed)")
            #expect(DeviceSet(records).digest == DeviceSet(records.reversed()).digest, "seed \(seed)")
        }
    }

    @Test("a tombstone is not undone by an older record")
    func tombstones() {
        let alice = NodeID("alice")!
        var set = DeviceSet()
        let spec = RingFixtures.devices(count: 1, zones: 1)[0]
        let joined = set.join(spec, by: alice)
        let tombstone = set.remove(spec.id, by: alice)!
        #expect(tombstone.version > joined.version)
        #expect(set.apply(joined) == false)
        #expect(set.activeDevices.isEmpty)
        #expect(set.remove(spec.id, by: alice) == nil)
        // An explicit re-join writes a newer version and brings it back.
        set.join(spec, by: alice)
        #expect(set.activeDevices.map(\.id) == [spec.id])
    }

    @Test("writes are stamped after everything seen, so a later join wins everywhere")
    func lamportStamps() {
        var a = RingFixtures.deviceSet(RingFixtures.devices(count: 3, zones: 3))
        var b = a
        let moved = DeviceSpec(id: DeviceID(node: NodeID("node0")!, index: 0), node: NodeID("node0")!, zone: "z9",
                               address: ClusterAddress(host: "127.0.0.1", port: 9000))
        let record = b.join(moved, by: NodeID("zed")!)
        #expect(record.version.counter == a.version + 1)
        #expect(a.merge(b) == [record])
        #expect(a.records[moved.id]?.zone == "z9")
        #expect(b.merge(a).isEmpty)
    }

    @Test("removeNode tombstones all of a node's devices, and only those")
    func removeNode() {
        var set = RingFixtures.deviceSet(RingFixtures.devices(count: 4, zones: 2))
        let node = NodeID("node1")!
        set.join(DeviceSpec(id: DeviceID(node: node, index: 1), node: node, zone: "z1",
                            address: ClusterAddress(host: "127.0.0.1", port: 7001)), by: node)
        let tombstones = set.removeNode(node, by: NodeID("admin")!)
        #expect(tombstones.count == 2)
        #expect(!set.activeNodes.contains(node))
        #expect(set.activeNodes.count == 3)
    }

    @Test("a draining node leaves the ring but stays a member until it is removed")
    func drainNode() throws {
        var set = RingFixtures.deviceSet(RingFixtures.devices(count: 4, zones: 2))
        let node = try #require(set.activeDevices.first?.node)
        let admin = NodeID("admin")!
        let drained = set.drainNode(node, by: admin)
        #expect(drained.count == 1 && drained.allSatisfy { $0.state == .draining })
        #expect(!set.activeDevices.contains { $0.node == node })
        #expect(set.activeNodes.contains(node))
        #expect(set.drainNode(node, by: admin).isEmpty)
        // The state survives the wire and merges like any record.
        #expect(try DeviceSet(wireBytes: set.wireBytes()) == set)
        #expect(set.removeNode(node, by: admin).count == 1)
        #expect(!set.activeNodes.contains(node))
        #expect(set.drainNode(node, by: admin).isEmpty)
    }

    @Test("a new device joins in the state asked for, a present one keeps its state, and a joining one turns active once")
    func joiningAndActivation() throws {
        var set = RingFixtures.deviceSet(RingFixtures.devices(count: 3, zones: 3))
        let admin = NodeID("admin")!
        let newcomer = RingFixtures.devices(count: 1, zones: 3, firstIndex: 3)[0]
        #expect(set.join(newcomer, as: .joining, by: admin).state == .joining)
        #expect(set.changesInFlight.map(\.id) == [newcomer.id])
        // A restart with a new address keeps the device joining.
        let moved = DeviceSpec(id: newcomer.id, node: newcomer.node, zone: newcomer.zone,
                               address: ClusterAddress(host: "127.0.0.1", port: 7999))
        #expect(set.join(moved, as: .active, by: admin).state == .joining)
        let existing = try #require(set.activeDevices.first)
        let refused = set.activate(existing.id, by: admin)
        #expect(refused == nil, "only a joining device turns active")
        let activated = set.activate(newcomer.id, by: admin)
        #expect(activated?.state == .active && activated?.address.port == 7999)
        #expect(set.changesInFlight.isEmpty)
        let again = set.activate(newcomer.id, by: admin)
        #expect(again == nil)
        // Changes in flight are ordered by when they were written.
        set.drain(existing.id, by: admin)
        let later = RingFixtures.devices(count: 1, zones: 3, firstIndex: 4)[0]
        set.join(later, as: .joining, by: admin)
        #expect(set.changesInFlight.map(\.id) == [existing.id, later.id])
        #expect(try DeviceSet(wireBytes: set.wireBytes()) == set)
    }

    @Test("the wire form round-trips and rejects corruption without trapping")
    func codec() throws {
        var (seed, random) = TestSeed.generator(default: 0xB17E)
        for _ in 0..<300 {
            let set = Self.randomSet(&random)
            let bytes = set.wireBytes()
            #expect(try DeviceSet(wireBytes: bytes) == set, "seed \(seed)")
            var mutated = bytes
            if !mutated.isEmpty {
                mutated[Int.random(in: 0..<mutated.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                _ = try? DeviceSet(wireBytes: mutated)
                _ = try? DeviceSet(wireBytes: Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random))))
            }
        }
    }
}
