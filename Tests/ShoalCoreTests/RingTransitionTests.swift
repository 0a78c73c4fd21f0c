import Testing
@testable import ShoalCore

/// Ring changes in flight: devices joining and draining move one replica of a partition at
/// a time, oldest change first, each replica straight to its final device.
@Suite("Ring transitions")
struct RingTransitionTests {
    let parameters = RingParameters(partPower: 10, replicas: 3)!
    let writer = RingFixtures.writer

    func ids(_ ring: Ring, _ partition: Int) -> Set<DeviceID> { Set(ring.primaries(of: partition).map(\.id)) }

    /// Partition-replicas that arrive on a device between two rings.
    func arrivals(_ old: Ring, _ new: Ring) -> Int {
        (0..<parameters.partitionCount).reduce(0) { $0 + ids(new, $1).subtracting(ids(old, $1)).count }
    }

    /// The placement the devices held before the changes in flight: joining devices left
    /// out, draining ones still in.
    func heldRing(_ set: DeviceSet) -> Ring {
        let records = set.sortedRecords.filter(\.heldPartitions).map { $0.with(state: .active, at: $0.version) }
        return Ring(deviceSet: DeviceSet(records), parameters: parameters)
    }

    /// Checks the invariants of a ring in flight against the placement its devices held.
    func expectOneMoveEach(_ set: DeviceSet, comment: String) {
        let ring = Ring(deviceSet: set, parameters: parameters), held = heldRing(set)
        for partition in 0..<parameters.partitionCount {
            let now = ids(ring, partition), before = ids(held, partition)
            #expect(now.subtracting(before).count <= 1, "\(comment): partition \(partition) moves more than one replica")
            if let leaving = ring.leaving(of: partition) {
                let arriving = ring.arriving(of: partition)
                #expect(before.contains(leaving.id) && !now.contains(leaving.id), "\(comment): \(partition)")
                #expect(arriving.map { now.contains($0.id) && !before.contains($0.id) } == true, "\(comment): \(partition)")
            } else {
                #expect(now == before, "\(comment): partition \(partition) changed without a move")
            }
        }
    }

    @Test("a device joining a full ring takes each partition it wins by one move, and the device it replaces is leaving")
    func oneJoin() {
        let specs = RingFixtures.devices(count: 6, zones: 3)
        var set = RingFixtures.deviceSet(Array(specs.prefix(5)))
        let held = Ring(deviceSet: set, parameters: parameters)
        set.join(specs[5], as: .joining, by: writer)
        let moving = Ring(deviceSet: set, parameters: parameters)
        expectOneMoveEach(set, comment: "one join")
        #expect(arrivals(held, moving) == moving.movingPartitions)
        let newcomer = specs[5].id
        let wins = (0..<parameters.partitionCount).filter { ids(moving, $0).contains(newcomer) }
        #expect(!wins.isEmpty && moving.movingPartitions == wins.count)
        #expect(wins.allSatisfy { moving.arriving(of: $0)?.id == newcomer })

        set.activate(newcomer, by: writer)
        let settled = Ring(deviceSet: set, parameters: parameters)
        #expect(settled.movingPartitions == 0)
        #expect((0..<parameters.partitionCount).allSatisfy { ids(settled, $0) == ids(moving, $0) },
                "turning active changes no placement")
    }

    @Test("two devices joining together: at most one replica of a partition moves at a time, the older join's all first, and each replica moves once")
    func twoJoins() {
        let specs = RingFixtures.devices(count: 7, zones: 7)
        var set = RingFixtures.deviceSet(Array(specs.prefix(5)))
        let held = Ring(deviceSet: set, parameters: parameters)
        set.join(specs[5], as: .joining, by: writer)
        set.join(specs[6], as: .joining, by: writer)
        let first = specs[5].id, second = specs[6].id
        #expect(set.changesInFlight.map(\.id) == [first, second])

        var target = set
        target.activate(first, by: writer)
        target.activate(second, by: writer)
        let final = Ring(deviceSet: target, parameters: parameters)

        let stage1 = Ring(deviceSet: set, parameters: parameters)
        expectOneMoveEach(set, comment: "stage 1")
        for partition in 0..<parameters.partitionCount where ids(final, partition).contains(first) {
            #expect(ids(stage1, partition).contains(first), "the oldest join has all its partitions at once: \(partition)")
        }
        let doubles = (0..<parameters.partitionCount).filter { ids(final, $0).isSuperset(of: [first, second]) }
        #expect(!doubles.isEmpty, "the fixture should give some partitions both newcomers")
        #expect(doubles.allSatisfy { !ids(stage1, $0).contains(second) })

        set.activate(first, by: writer)
        let stage2 = Ring(deviceSet: set, parameters: parameters)
        expectOneMoveEach(set, comment: "stage 2")
        let changed = (0..<parameters.partitionCount).filter { ids(stage2, $0) != ids(stage1, $0) }
        #expect(changed == doubles, "only the second newcomer's remaining replicas move next")

        set.activate(second, by: writer)
        let stage3 = Ring(deviceSet: set, parameters: parameters)
        #expect(stage3.movingPartitions == 0)
        #expect(stage3.checksum == final.checksum)
        #expect((0..<parameters.partitionCount).allSatisfy { ids(stage3, $0) == ids(stage2, $0) })
        let minimum = arrivals(held, final)
        #expect(arrivals(held, stage1) + arrivals(stage1, stage2) + arrivals(stage2, stage3) == minimum,
                "every replica moves once, straight to its final device")
    }

    @Test("a drain and a join together: the older drain moves every replica off its device first, and each replica moves once")
    func drainAndJoin() {
        let specs = RingFixtures.devices(count: 7, zones: 7)
        var set = RingFixtures.deviceSet(Array(specs.prefix(6)))
        let held = Ring(deviceSet: set, parameters: parameters)
        let drained = specs[0].id, newcomer = specs[6].id
        set.drain(drained, by: writer)
        set.join(specs[6], as: .joining, by: writer)

        var target = set
        target.activate(newcomer, by: writer)
        target.remove(drained, by: writer)
        let final = Ring(deviceSet: target, parameters: parameters)

        let stage1 = Ring(deviceSet: set, parameters: parameters)
        expectOneMoveEach(set, comment: "drain first")
        #expect(stage1.assignmentCounts()[drained] == 0, "the draining device is a primary of nothing")
        #expect((0..<parameters.partitionCount).allSatisfy { !stage1.handoffs(of: $0).contains { $0.id == drained } })

        set.remove(drained, by: writer)  // the drained node leaves once it has handed everything over
        let stage2 = Ring(deviceSet: set, parameters: parameters)
        expectOneMoveEach(set, comment: "then the join")
        set.activate(newcomer, by: writer)
        let stage3 = Ring(deviceSet: set, parameters: parameters)
        #expect(stage3.checksum == final.checksum)
        #expect(arrivals(held, stage1) + arrivals(stage1, stage2) + arrivals(stage2, stage3) == arrivals(held, final))
    }

    @Test("a cluster with fewer devices than replicas fills up directly: replicas are added, not moved")
    func fillingUp() {
        let specs = RingFixtures.devices(count: 3, zones: 3)
        var set = RingFixtures.deviceSet([specs[0]])
        set.join(specs[1], as: .joining, by: writer)
        set.join(specs[2], as: .joining, by: writer)
        let ring = Ring(deviceSet: set, parameters: parameters)
        #expect(ring.replicaCount == 3 && ring.movingPartitions == 0)
        #expect((0..<parameters.partitionCount).allSatisfy { ids(ring, $0).count == 3 })
    }

    @Test("a moving ring is the same on every node whatever order it learned the records in, and its checksum sees the states")
    func determinism() {
        var (seed, random) = TestSeed.generator(default: 0x7E57_0004)
        let specs = RingFixtures.devices(count: 8, zones: 4)
        var set = RingFixtures.deviceSet(Array(specs.prefix(6)))
        set.join(specs[6], as: .joining, by: writer)
        set.join(specs[7], as: .joining, by: writer)
        set.drain(specs[1].id, by: writer)
        let reference = Ring(deviceSet: set, parameters: parameters)
        #expect(reference.movingPartitions > 0)
        for _ in 0..<4 {
            let shuffled = DeviceSet(set.sortedRecords.shuffled(using: &random))
            let ring = Ring(deviceSet: shuffled, parameters: parameters)
            #expect(ring.checksum == reference.checksum, "seed \(seed)")
            #expect((0..<parameters.partitionCount).allSatisfy { ring.leaving(of: $0)?.id == reference.leaving(of: $0)?.id })
        }
        var settled = set
        settled.activate(specs[6].id, by: writer)
        #expect(Ring(deviceSet: settled, parameters: parameters).checksum != reference.checksum)
    }

    @Test("a device a replica leaves is written outside the quorum and read before the newcomer")
    func placementDuringAMove() throws {
        let specs = RingFixtures.devices(count: 5, zones: 5)
        var set = RingFixtures.deviceSet(Array(specs.prefix(4)))
        set.join(specs[4], as: .joining, by: writer)
        let ring = Ring(deviceSet: set, parameters: parameters)
        let partition = try #require((0..<parameters.partitionCount).first { ring.leaving(of: $0) != nil })
        let leaving = try #require(ring.leaving(of: partition)), arriving = try #require(ring.arriving(of: partition))

        let targets = Placement.writeTargets(partition: partition, ring: ring) { _ in false }
        #expect(targets.count == 4)
        #expect(targets.filter(\.isLeaving).map(\.device.id) == [leaving.id])
        #expect(Set(targets.filter { !$0.isLeaving }.map(\.device.id)) == ids(ring, partition))
        let withoutLeaving = Placement.writeTargets(partition: partition, ring: ring) { $0.id == leaving.id }
        #expect(withoutLeaving.count == 3 && !withoutLeaving.contains { $0.isLeaving })

        let order = Array(Placement.readOrder(partition: partition, ring: ring, localNode: nil, isDown: { _ in false }))
        let position = { (id: DeviceID) in order.firstIndex { $0.id == id }! }
        #expect(position(leaving.id) == 2 && position(arriving.id) == 3, "settled primaries, then the leaving device, then the newcomer")
        #expect(!ring.handoffs(of: partition).contains { $0.id == leaving.id })
    }
}
