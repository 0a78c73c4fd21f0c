import Testing
import ShoalCore
@testable import ShoalMembership

@Suite("SWIM incarnation rules")
struct IncarnationRulesTests {
    @Test func aliveOverridesLowerIncarnationOnly() {
        var instance = Fixture.instance()
        _ = Fixture.deliver([.suspect(node: Fixture.id(3), incarnation: 2, suspector: Fixture.id(4))], to: &instance)
        #expect(instance.member(Fixture.id(3))?.status == .suspect)
        _ = Fixture.deliver([.alive(node: Fixture.id(3), incarnation: 2, meta: Fixture.meta(3))], to: &instance)
        #expect(instance.member(Fixture.id(3))?.status == .suspect, "alive at equal incarnation must not clear suspicion")
        _ = Fixture.deliver([.alive(node: Fixture.id(3), incarnation: 3, meta: Fixture.meta(3))], to: &instance)
        #expect(instance.member(Fixture.id(3))?.status == .alive)
        #expect(instance.member(Fixture.id(3))?.incarnation == 3)
    }

    @Test func suspectNeedsAtLeastCurrentIncarnation() {
        var instance = Fixture.instance()
        _ = Fixture.deliver([.alive(node: Fixture.id(2), incarnation: 5, meta: Fixture.meta(2))], to: &instance)
        _ = Fixture.deliver([.suspect(node: Fixture.id(2), incarnation: 4, suspector: Fixture.id(1))], to: &instance)
        #expect(instance.member(Fixture.id(2))?.status == .alive)
        _ = Fixture.deliver([.suspect(node: Fixture.id(2), incarnation: 5, suspector: Fixture.id(1))], to: &instance)
        #expect(instance.member(Fixture.id(2))?.status == .suspect)
    }

    @Test func deadOverridesAliveAndSuspectAndIsNotUndoneAtSameIncarnation() {
        var instance = Fixture.instance()
        _ = Fixture.deliver([.dead(node: Fixture.id(5), incarnation: 0, declaredBy: Fixture.id(1))], to: &instance)
        #expect(instance.member(Fixture.id(5))?.status == .dead)
        _ = Fixture.deliver([.suspect(node: Fixture.id(5), incarnation: 0, suspector: Fixture.id(1))], to: &instance)
        _ = Fixture.deliver([.alive(node: Fixture.id(5), incarnation: 0, meta: Fixture.meta(5))], to: &instance)
        #expect(instance.member(Fixture.id(5))?.status == .dead)
        _ = Fixture.deliver([.alive(node: Fixture.id(5), incarnation: 1, meta: Fixture.meta(5))], to: &instance)
        #expect(instance.member(Fixture.id(5))?.status == .alive)
    }

    @Test func unknownMembersLearnedOnlyFromAlive() {
        var instance = Fixture.instance(members: 3)
        _ = Fixture.deliver([.suspect(node: Fixture.id(7), incarnation: 0, suspector: Fixture.id(1))], to: &instance)
        #expect(instance.member(Fixture.id(7)) == nil)
        let out = Fixture.deliver([.alive(node: Fixture.id(7), incarnation: 0, meta: Fixture.meta(7))], to: &instance)
        #expect(instance.member(Fixture.id(7))?.status == .alive)
        #expect(out.contains { if case .memberChanged(let change) = $0 { change.previousStatus == nil } else { false } })
    }

    @Test func refutesSuspicionAndDeathWithHigherIncarnation() {
        var instance = Fixture.instance()
        _ = Fixture.deliver([.suspect(node: Fixture.id(0), incarnation: 0, suspector: Fixture.id(1))], to: &instance)
        #expect(instance.incarnation == 1)
        #expect(instance.localHealth == 1, "refuting counts against local health")
        _ = Fixture.deliver([.dead(node: Fixture.id(0), incarnation: 4, declaredBy: Fixture.id(1))], to: &instance)
        #expect(instance.incarnation == 5)
        #expect(instance.member(Fixture.id(0))?.status == .alive)
        // The refutation is piggybacked on the next message.
        let ack = instance.onMessage(Fixture.message(from: 2, .ping(sequence: 1, target: Fixture.id(0))),
                                     from: Fixture.meta(2).clusterAddress, now: .zero)
        let gossip = Fixture.sends(ack).first?.0.gossip ?? []
        #expect(gossip.contains(.alive(node: Fixture.id(0), incarnation: 5, meta: Fixture.meta(0))))
    }

    @Test func staleSuspicionOfSelfIsIgnored() {
        var instance = Fixture.instance()
        _ = instance.updateMeta(Fixture.meta(0), now: .zero)
        _ = instance.updateMeta(Fixture.meta(0), now: .zero)
        #expect(instance.incarnation == 2)
        _ = Fixture.deliver([.suspect(node: Fixture.id(0), incarnation: 1, suspector: Fixture.id(1))], to: &instance)
        #expect(instance.incarnation == 2)
        #expect(instance.localHealth == 0)
    }

    @Test func restartedNodeHearingHigherAliveClaimsAbove() {
        var instance = Fixture.instance()
        _ = Fixture.deliver([.alive(node: Fixture.id(0), incarnation: 7, meta: Fixture.meta(0))], to: &instance)
        #expect(instance.incarnation == 8)
    }

    @Test func updateMetaBumpsIncarnationAndGossips() {
        var instance = Fixture.instance()
        var meta = Fixture.meta(0)
        meta.resources["disk_free_bytes"] = 1 << 40
        let out = instance.updateMeta(meta, now: .seconds(1))
        #expect(instance.incarnation == 1)
        #expect(instance.member(Fixture.id(0))?.meta == meta)
        #expect(out.count == 1)
        #expect(instance.pendingGossipCount == 1)
    }
}
