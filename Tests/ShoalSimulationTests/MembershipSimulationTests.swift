import Testing
import ShoalCore
import ShoalMembership
@testable import ShoalSimulation

@Suite("SWIM on a simulated network")
struct MembershipSimulationTests {
    @Test func hundredNodesJoiningThroughOneSeedConverge() {
        let seed = SimulationSeed.seed(default: 100)
        var cluster = SimulatedCluster(nodes: 100, seed: seed, settings: .fast, startConverged: false)
        let converged = cluster.run(atMost: .seconds(60), checkingEvery: .milliseconds(500)) { $0.isConverged }
        #expect(converged != nil, "100 nodes did not converge in 60 s; \(SimulationSeed.replay(seed))")
        #expect(cluster.falseDeaths.isEmpty, "false deaths \(cluster.falseDeaths); \(SimulationSeed.replay(seed))")
        #expect(cluster.nodes.allSatisfy { $0.instance.deviceSet.activeDevices.count == 100 }, "\(SimulationSeed.replay(seed))")
    }

    @Test func killedNodeIsDeclaredDeadByAllWithinBound() {
        let seed = SimulationSeed.seed(default: 7)
        let settings = SWIM.Settings.fast
        let n = 50
        var cluster = SimulatedCluster(nodes: n, seed: seed, settings: settings)
        cluster.run(forSimulated: .seconds(2))
        let victim = cluster.nodes[17].id
        cluster.kill(victim)
        let killedAt = cluster.now
        // Bound: someone probes the victim within 10 periods (each node's shuffled pass puts
        // it at a uniform position: P(no probe in 10 of 49 periods) ≈ e^-10); suspicion then
        // lasts at most max * log10(n) * interval; the dead update reaches everyone within
        // two retransmit windows of periods.
        let interval = settings.probeInterval
        let maxSuspicion = interval * (settings.suspicionMaxMultiplier * Swift.max(1, log10(Double(n))))
        let transmitLimit = settings.retransmitMultiplier * 2
        let bound = interval * 10 + maxSuspicion + interval * (2 * transmitLimit)
        let declared = cluster.run(atMost: bound, checkingEvery: .milliseconds(10)) { $0.allUpNodesSee(victim, as: .dead) }
        #expect(declared != nil, "not all nodes declared \(victim) dead within \(bound); \(SimulationSeed.replay(seed))")
        if let declared { print("killed node declared dead by all \(n - 1) in \(declared - killedAt) (bound \(bound)), seed \(seed)") }
        #expect(cluster.falseDeaths.isEmpty, "false deaths \(cluster.falseDeaths); \(SimulationSeed.replay(seed))")
    }

    @Test func partitionHealsAndMembershipReconverges() {
        let seed = SimulationSeed.seed(default: 31)
        let settings = SWIM.Settings.fast
        var cluster = SimulatedCluster(nodes: 30, seed: seed, settings: settings)
        cluster.run(forSimulated: .seconds(1))
        let ids = cluster.nodes.map(\.id)
        cluster.partition(Array(ids[..<15]), Array(ids[15...]))
        let split = cluster.run(atMost: .seconds(60), checkingEvery: .milliseconds(100)) { cluster in
            cluster.allUpNodesSee(ids[0], as: .dead) == false && cluster.countOfUpNodesSeeing(ids[0], as: .dead) == 15
                && cluster.countOfUpNodesSeeing(ids[29], as: .dead) == 15
        }
        #expect(split != nil, "the sides never declared each other dead; \(SimulationSeed.replay(seed))")
        cluster.heal()
        let healedAt = cluster.now
        let healed = cluster.run(atMost: .seconds(60), checkingEvery: .milliseconds(100)) { $0.isConverged }
        #expect(healed != nil, "membership did not re-converge after healing; \(SimulationSeed.replay(seed))")
        if let healed { print("partition healed: re-converged \(healed - healedAt) after heal, seed \(seed)") }
        let digests = Set(cluster.nodes.map(\.instance.deviceSetDigest))
        #expect(digests.count == 1, "\(SimulationSeed.replay(seed))")
    }

    @Test func noFalseDeathWithFivePercentLossOverTenMinutes() {
        let seed = SimulationSeed.seed(default: 5)
        let network = SimulatedNetwork(minimumDelay: .microseconds(300), maximumDelay: .milliseconds(5), lossProbability: 0.05)
        var cluster = SimulatedCluster(nodes: 40, seed: seed, settings: .default, network: network)
        cluster.run(forSimulated: .seconds(600))
        #expect(cluster.falseDeaths.isEmpty, "false deaths \(cluster.falseDeaths.prefix(5)); \(SimulationSeed.replay(seed))")
        // Under loss a member may be suspect for a moment; once loss stops all must be alive.
        cluster.network.lossProbability = 0
        let settled = cluster.run(atMost: .seconds(60), checkingEvery: .milliseconds(500)) { $0.isConverged }
        #expect(settled != nil, "not converged after loss stopped; \(SimulationSeed.replay(seed))")
        let maxHealth = cluster.nodes.map(\.instance.localHealth).max() ?? 0
        print("5% loss, 40 nodes, 600 s: \(cluster.totalMessagesSent) messages, \(cluster.messagesDropped) dropped, max local health \(maxHealth), seed \(seed)")
    }

    @Test func restartedNodeRejoinsAndIsAliveEverywhere() {
        let seed = SimulationSeed.seed(default: 11)
        var cluster = SimulatedCluster(nodes: 20, seed: seed, settings: .fast, network: SimulatedNetwork(encodesMessages: true))
        cluster.run(forSimulated: .seconds(1))
        let node = cluster.nodes[5].id
        cluster.kill(node)
        let dead = cluster.run(atMost: .seconds(30), checkingEvery: .milliseconds(50)) { $0.allUpNodesSee(node, as: .dead) }
        #expect(dead != nil, "\(SimulationSeed.replay(seed))")
        cluster.restart(node)
        let rejoined = cluster.run(atMost: .seconds(30), checkingEvery: .milliseconds(50)) { $0.isConverged }
        #expect(rejoined != nil, "restarted \(node) not seen alive by all; \(SimulationSeed.replay(seed))")
        #expect(cluster.instance(of: node).incarnation > 0, "it refuted its death with a higher incarnation")
        #expect(cluster.codecFailures == 0 && cluster.totalBytesSent > 0, "\(SimulationSeed.replay(seed))")
    }

    @Test func sameSeedReplaysExactly() {
        let seed = SimulationSeed.seed(default: 3)
        func run() -> ([Int], Int, [SimulatedCluster.DeathDeclaration]) {
            var cluster = SimulatedCluster(nodes: 15, seed: seed, network: SimulatedNetwork(lossProbability: 0.1))
            cluster.kill(cluster.nodes[3].id)
            cluster.run(forSimulated: .seconds(10))
            return (cluster.messagesSent, cluster.eventsProcessed, cluster.deathDeclarations)
        }
        let first = run()
        let second = run()
        #expect(first.0 == second.0 && first.1 == second.1 && first.2 == second.2, "\(SimulationSeed.replay(seed))")
    }

    @Test func removedNodeIsLeftEverywhereAndItsDevicesAreGone() {
        let seed = SimulationSeed.seed(default: 13)
        var cluster = SimulatedCluster(nodes: 12, seed: seed)
        let removed = cluster.nodes[4].id
        let admin = cluster.nodes[0].id
        var instance = cluster.instance(of: admin)
        _ = instance.removeNode(removed, now: cluster.now)
        cluster.replaceInstance(of: admin, with: instance)
        let done = cluster.run(atMost: .seconds(10), checkingEvery: .milliseconds(50)) { cluster in
            cluster.allUpNodesSee(removed, as: .left) && cluster.instance(of: removed).hasLeft
                && cluster.nodes.allSatisfy { $0.id == removed || !$0.instance.deviceSet.activeNodes.contains(removed) }
        }
        #expect(done != nil, "removal did not reach every node; \(SimulationSeed.replay(seed))")
    }
}

private func log10(_ value: Double) -> Double {
    var result = 0.0
    var rest = value
    while rest >= 10 { rest /= 10; result += 1 }
    // Good enough for a bound: linear interpolation within the decade overestimates nothing
    // by more than 0.2, and only makes the bound looser.
    return result + (rest - 1) / 9 + 0.2
}

@Suite("SWIM broadcasts on a simulated network")
struct BroadcastSimulationTests {
    /// A revocation-sized broadcast from one node of 100 on a lossy network (5 % of messages
    /// lost) reaches every live node exactly once, and fast: pushed at once and forwarded by
    /// each first hearer, it needs about log(n) hops of a few milliseconds; piggybacking on
    /// probes covers what the losses cut off. A node down at the time never hears it.
    @Test func aBroadcastReachesEveryLiveNodeOnceDespiteLosses() throws {
        let seed = SimulationSeed.seed(default: 12)
        let network = SimulatedNetwork(lossProbability: 0.05, encodesMessages: true)
        var cluster = SimulatedCluster(nodes: 100, seed: seed, settings: .fast, network: network)
        cluster.run(forSimulated: .seconds(1))
        cluster.kill(cluster.nodes[42].id)
        let news = try #require(SWIM.Broadcast(topic: "identity.revocation", id: Array("1795000000 audit.Zm9vYmFy".utf8), payload: []))
        let sentAt = cluster.now
        cluster.broadcast(news, from: 3)
        let everyone = cluster.run(atMost: .seconds(10), checkingEvery: .milliseconds(5)) { cluster in
            cluster.nodes.enumerated().allSatisfy { index, node in index == 3 || !node.isUp || node.delivered[news] != nil }
        }
        #expect(everyone != nil, "not every live node heard the broadcast; \(SimulationSeed.replay(seed))")
        cluster.run(forSimulated: .seconds(5))
        for (index, node) in cluster.nodes.enumerated() where index != 3 {
            #expect(node.delivered[news]?.count == (node.isUp ? 1 : nil), "node \(index); \(SimulationSeed.replay(seed))")
        }
        let latest = cluster.nodes.compactMap { $0.delivered[news]?.first }.max().map { $0 - sentAt }
        if let latest { print("broadcast reached all 98 live nodes in \(latest) with 5% loss, seed \(seed)") }
        #expect(cluster.codecFailures == 0)
    }

    @Test func theSameSeedReplaysTheSameDeliveries() throws {
        func run() throws -> [Duration] {
            var cluster = SimulatedCluster(nodes: 40, seed: 77, settings: .fast, network: SimulatedNetwork(lossProbability: 0.1))
            cluster.run(forSimulated: .milliseconds(500))
            let news = try #require(SWIM.Broadcast(topic: "t", id: [1, 2, 3], payload: [4]))
            cluster.broadcast(news, from: 0)
            cluster.run(forSimulated: .seconds(3))
            return cluster.nodes.map { $0.delivered[news]?.first ?? .zero }
        }
        #expect(try run() == run())
    }
}
