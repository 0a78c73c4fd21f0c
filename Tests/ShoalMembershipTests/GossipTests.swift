import Testing
import ShoalCore
@testable import ShoalMembership

@Suite("SWIM gossip, push-pull and devices")
struct GossipTests {
    @Test func eachUpdateIsPiggybackedTransmitLimitTimes() {
        var instance = Fixture.instance(members: 10)
        let limit = instance.transmitLimit
        #expect(limit == instance.settings.retransmitMultiplier * 2, "ceil(log10(11)) = 2")
        _ = instance.updateMeta(Fixture.meta(0), now: .zero)
        var carried = 0
        for round in 0..<(limit * 3) {
            let out = instance.onMessage(Fixture.message(from: 1, .ping(sequence: UInt64(round), target: Fixture.id(0))),
                                         from: Fixture.meta(1).clusterAddress, now: .zero)
            carried += Fixture.sends(out).filter { !$0.0.gossip.isEmpty }.count
        }
        #expect(carried == limit)
        #expect(instance.pendingGossipCount == 0)
    }

    @Test func queuePrefersLeastTransmittedAndRespectsBudget() {
        var queue = SWIM.GossipQueue()
        for index in 1...50 { queue.enqueue(.alive(node: Fixture.id(index), incarnation: 1, meta: Fixture.meta(index))) }
        let size = SWIM.Gossip.alive(node: Fixture.id(10), incarnation: 1, meta: Fixture.meta(10)).wireBytes().count
        let first = queue.select(budgetBytes: size * 10 + 5, maxItems: 100, transmitLimit: 3)
        #expect(first.count == 10)
        let second = queue.select(budgetBytes: 100_000, maxItems: 40, transmitLimit: 3)
        #expect(second.count == 40)
        #expect(Set(first).isDisjoint(with: Set(second)), "untransmitted updates go first")
        let third = queue.select(budgetBytes: 100_000, maxItems: 1_000, transmitLimit: 3)
        #expect(third.count == 50)
        _ = queue.select(budgetBytes: 100_000, maxItems: 1_000, transmitLimit: 3)
        #expect(queue.count == 0)
    }

    @Test func newerUpdateReplacesOlderInQueue() {
        var queue = SWIM.GossipQueue()
        queue.enqueue(.alive(node: Fixture.id(1), incarnation: 1, meta: Fixture.meta(1)))
        queue.enqueue(.suspect(node: Fixture.id(1), incarnation: 1, suspector: Fixture.id(2)))
        let chosen = queue.select(budgetBytes: 10_000, maxItems: 10, transmitLimit: 5)
        #expect(chosen == [.suspect(node: Fixture.id(1), incarnation: 1, suspector: Fixture.id(2))])
    }

    @Test func pushPullMergesMembersAndDevices() {
        var a = SWIM.Instance(myself: Fixture.id(1), meta: Fixture.meta(1), settings: .fast, random: SeededRandom(seed: 1), now: .zero)
        var b = SWIM.Instance(myself: Fixture.id(2), meta: Fixture.meta(2), settings: .fast, random: SeededRandom(seed: 2), now: .zero)
        b.restore(members: [Fixture.state(3), Fixture.state(4, .dead, incarnation: 2)], now: .zero)
        _ = a.joinDevices([DeviceSpec(id: DeviceID(node: Fixture.id(1), index: 0), node: Fixture.id(1), zone: "z1", address: Fixture.meta(1).clusterAddress)], now: .zero)
        _ = b.joinDevices([DeviceSpec(id: DeviceID(node: Fixture.id(2), index: 0), node: Fixture.id(2), zone: "z2", address: Fixture.meta(2).clusterAddress)], now: .zero)
        let join = Fixture.sends(a.join(seeds: [Fixture.meta(2).clusterAddress], now: .zero))
        #expect(join.count == 1)
        let reply = Fixture.sends(b.onMessage(join[0].0, from: Fixture.meta(1).clusterAddress, now: .milliseconds(1)))
        #expect(reply.count == 1 && reply[0].1 == Fixture.meta(1).clusterAddress)
        _ = a.onMessage(reply[0].0, from: Fixture.meta(2).clusterAddress, now: .milliseconds(2))
        #expect(a.member(Fixture.id(2))?.status == .alive)
        #expect(a.member(Fixture.id(3))?.status == .alive)
        #expect(a.member(Fixture.id(4))?.status == .suspect, "a remote death only raises suspicion")
        #expect(b.member(Fixture.id(1))?.status == .alive)
        #expect(a.deviceSet == b.deviceSet && a.deviceSetDigest == b.deviceSetDigest)
        #expect(a.deviceSet.activeDevices.count == 2)
    }

    @Test func removeNodeTombstonesDevicesAndMarksLeft() {
        var instance = Fixture.instance(members: 5)
        let spec = DeviceSpec(id: DeviceID(node: Fixture.id(3), index: 0), node: Fixture.id(3), zone: "z0", address: Fixture.meta(3).clusterAddress)
        _ = instance.joinDevices([spec], now: .zero)
        let out = instance.removeNode(Fixture.id(3), now: .seconds(1))
        #expect(instance.member(Fixture.id(3))?.status == .left)
        #expect(instance.deviceSet.activeDevices.isEmpty)
        #expect(out.contains { if case .deviceSetChanged(let records) = $0 { records.allSatisfy { !$0.isActive } } else { false } })
        let leftAt = instance.member(Fixture.id(3))!.incarnation
        _ = Fixture.deliver([.alive(node: Fixture.id(3), incarnation: leftAt, meta: Fixture.meta(3))], to: &instance)
        _ = Fixture.deliver([.dead(node: Fixture.id(3), incarnation: leftAt + 5, declaredBy: Fixture.id(1))], to: &instance)
        #expect(instance.member(Fixture.id(3))?.status == .left)
        _ = Fixture.deliver([.alive(node: Fixture.id(3), incarnation: leftAt + 1, meta: Fixture.meta(3))], to: &instance)
        #expect(instance.member(Fixture.id(3))?.status == .alive, "only a higher incarnation brings a left member back")
    }

    @Test func removedNodeHearingItsRemovalStops() {
        var instance = Fixture.instance(members: 4)
        _ = Fixture.deliver([.left(node: Fixture.id(0), incarnation: 1)], to: &instance)
        #expect(instance.hasLeft)
        #expect(instance.member(Fixture.id(0))?.status == .left)
        #expect(instance.onTick(now: .seconds(10)).isEmpty)
    }

    @Test func receivedDeviceRecordsAreAppliedAndRegossipedOnce() {
        var instance = Fixture.instance(members: 4)
        let record = DeviceRecord(id: DeviceID(node: Fixture.id(2), index: 0), node: Fixture.id(2), zone: "z2",
                                  address: Fixture.meta(2).clusterAddress, weight: 1, version: DeviceVersion(counter: 3, writer: Fixture.id(2)))
        let first = Fixture.deliver([.device(record)], to: &instance)
        #expect(first.contains(.deviceSetChanged([record])))
        #expect(instance.pendingGossipCount == 1)
        let again = Fixture.deliver([.device(record)], to: &instance)
        #expect(!again.contains(.deviceSetChanged([record])))
    }
}
