import Testing
import ShoalCore
@testable import ShoalMembership

@Suite("SWIM probing, suspicion and Lifeguard")
struct ProbeAndSuspicionTests {
    /// Runs the first probe of `instance` and returns its ping.
    static func firstPing(_ instance: inout SWIM.Instance) -> (sequence: UInt64, target: NodeID, at: Duration) {
        let start = instance.nextDeadline
        for (message, _) in Fixture.sends(instance.onTick(now: start)) {
            if case .ping(let sequence, let target) = message.payload { return (sequence, target, start) }
        }
        Issue.record("no ping sent")
        return (0, Fixture.id(0), start)
    }

    @Test func unansweredProbeGoesIndirectThenSuspectThenDead() {
        let settings = SWIM.Settings.fast
        var instance = Fixture.instance(members: 10, settings: settings)
        let ping = Self.firstPing(&instance)
        // Past the probe timeout: k ping requests to other members.
        let indirect = Fixture.sends(instance.onTick(now: ping.at + settings.probeTimeout))
        let requests = indirect.filter { if case .pingRequest(_, let target, _) = $0.0.payload { target == ping.target } else { false } }
        #expect(requests.count == settings.indirectProbes)
        // Past the protocol period: suspect.
        _ = instance.onTick(now: ping.at + settings.probeInterval)
        #expect(instance.member(ping.target)?.status == .suspect)
        #expect(instance.localHealth == settings.indirectProbes, "each missed nack counts against local health")
        // With no confirmation the suspicion lasts max * log10(n) * interval.
        let maxTimeout = settings.probeInterval * settings.suspicionMaxMultiplier
        let minTimeout = settings.probeInterval * settings.suspicionMinMultiplier
        _ = Fixture.tick(&instance, from: ping.at + settings.probeInterval, to: ping.at + settings.probeInterval + minTimeout)
        #expect(instance.member(ping.target)?.status == .suspect)
        let out = Fixture.tick(&instance, from: ping.at + settings.probeInterval + minTimeout, to: ping.at + settings.probeInterval * 2 + maxTimeout)
        #expect(instance.member(ping.target)?.status == .dead)
        #expect(out.contains { if case .memberChanged(let change) = $0 { change.member.status == .dead } else { false } })
    }

    @Test func confirmationsShortenSuspicionToMinimum() {
        let settings = SWIM.Settings.fast
        var instance = Fixture.instance(members: 10, settings: settings)
        let suspect = Fixture.id(4)
        _ = Fixture.deliver([.suspect(node: suspect, incarnation: 0, suspector: Fixture.id(1))], to: &instance)
        for confirmer in 2...4 {
            _ = Fixture.deliver([.suspect(node: suspect, incarnation: 0, suspector: Fixture.id(confirmer + 3))], to: &instance)
        }
        let minTimeout = settings.probeInterval * settings.suspicionMinMultiplier
        _ = instance.onTick(now: minTimeout - .milliseconds(1))
        #expect(instance.member(suspect)?.status == .suspect)
        _ = instance.onTick(now: minTimeout)
        #expect(instance.member(suspect)?.status == .dead)
    }

    @Test func suspicionTimeoutShrinksLogarithmically() {
        var suspicion = SWIM.Suspicion(
            incarnation: 0, suspector: Fixture.id(1), startedAt: .zero,
            minTimeout: .seconds(4), maxTimeout: .seconds(24), expectedConfirmations: 3)
        #expect(suspicion.deadline == .seconds(24))
        let firstConfirmation = suspicion.confirm(by: Fixture.id(2))
        #expect(firstConfirmation)
        #expect(suspicion.deadline == .seconds(14), "log(2)/log(4) = 1/2 of the way")
        let repeated = suspicion.confirm(by: Fixture.id(2))
        #expect(!repeated, "the same suspector counts once")
        _ = suspicion.confirm(by: Fixture.id(3))
        _ = suspicion.confirm(by: Fixture.id(4))
        #expect(suspicion.deadline == .seconds(4))
    }

    @Test func ackedProbeIsHealthyAndLowersLocalHealth() {
        let settings = SWIM.Settings.fast
        var instance = Fixture.instance(members: 5, settings: settings)
        _ = Fixture.deliver([.suspect(node: Fixture.id(0), incarnation: 0, suspector: Fixture.id(1))], to: &instance)
        #expect(instance.localHealth == 1)
        let ping = Self.firstPing(&instance)
        let index = Int(ping.target.rawValue.dropFirst())!
        _ = instance.onMessage(Fixture.message(from: index, .ack(sequence: ping.sequence, target: ping.target)),
                               from: Fixture.meta(index).clusterAddress, now: ping.at + .milliseconds(2))
        #expect(instance.localHealth == 0)
        _ = Fixture.tick(&instance, from: ping.at, to: ping.at + settings.probeInterval)
        #expect(instance.member(ping.target)?.status == .alive)
    }

    @Test func localHealthScalesProbeIntervalAndIsCapped() {
        var settings = SWIM.Settings.fast
        settings.indirectProbes = 0
        settings.suspicionMinMultiplier = 1_000  // nobody dies during the test
        settings.suspicionMaxMultiplier = 1_000
        var instance = Fixture.instance(members: 5, settings: settings)
        var pingTimes: [Duration] = []
        for _ in 0..<1_000 where pingTimes.count < 14 {
            let now = instance.nextDeadline
            let sent = Fixture.sends(instance.onTick(now: now))
            if sent.contains(where: { if case .ping = $0.0.payload { true } else { false } }) { pingTimes.append(now) }
        }
        let gaps = zip(pingTimes.dropFirst(), pingTimes).map { $0 - $1 }
        #expect(instance.localHealth == settings.maxLocalHealth)
        #expect(gaps.last == settings.probeInterval * (settings.maxLocalHealth + 1))
        #expect(gaps[1] == settings.probeInterval * 2, "after one failed probe the period doubles")
    }

    @Test func relaysPingAndForwardsAckOrNack() {
        var instance = Fixture.instance(members: 5)
        let request = Fixture.message(from: 1, .pingRequest(sequence: 77, target: Fixture.id(2), targetAddress: Fixture.meta(2).clusterAddress))
        let out = Fixture.sends(instance.onMessage(request, from: Fixture.meta(1).clusterAddress, now: .zero))
        guard case .ping(let relaySequence, let target)? = out.first?.0.payload else {
            Issue.record("no relayed ping")
            return
        }
        #expect(target == Fixture.id(2) && out.first?.1 == Fixture.meta(2).clusterAddress)
        let ack = Fixture.message(from: 2, .ack(sequence: relaySequence, target: Fixture.id(2)))
        let forwarded = Fixture.sends(instance.onMessage(ack, from: Fixture.meta(2).clusterAddress, now: .milliseconds(3)))
        #expect(forwarded.first?.0.payload == .ack(sequence: 77, target: Fixture.id(2)))
        #expect(forwarded.first?.1 == Fixture.meta(1).clusterAddress)
        // A second request that goes unanswered ends in a nack.
        _ = instance.onMessage(request, from: Fixture.meta(1).clusterAddress, now: .seconds(1))
        let nack = Fixture.sends(instance.onTick(now: .seconds(1) + instance.settings.relayTimeout))
        #expect(nack.contains { $0.0.payload == .nack(sequence: 77, target: Fixture.id(2)) })
    }

    @Test func roundRobinProbesEveryMemberOncePerPass() {
        var instance = Fixture.instance(members: 8)
        var targets: [NodeID] = []
        var now = Duration.zero
        for _ in 0..<14 {
            now = instance.nextDeadline
            for (message, address) in Fixture.sends(instance.onTick(now: now)) {
                if case .ping(let sequence, let target) = message.payload {
                    targets.append(target)
                    let index = Int(target.rawValue.dropFirst())!
                    _ = instance.onMessage(Fixture.message(from: index, .ack(sequence: sequence, target: target)), from: address, now: now)
                }
            }
        }
        #expect(Set(targets.prefix(7)).count == 7)
        #expect(Set(targets.suffix(7)).count == 7)
    }
}
