import ShoalCore
import ShoalMembership

/// The membership benchmark `shoal-bench` runs: a converged cluster of `nodes` on a
/// simulated LAN, measured in steady state, while a node joins, and after a node dies.
///
/// Every node holds the full member table, so memory grows with nodes² (about 1 KB per
/// member per node with devices): 1,000 nodes take well under 1 GB; 10,000 would need
/// tens of GB in one process.
public enum SimulationBenchmark {
    /// What one run measured. Simulated times are on the cluster's clock; `probeRounds`
    /// divide them by the (unscaled) probe interval.
    public struct Report: Hashable, Sendable, CustomStringConvertible {
        public var nodes: Int
        public var seed: UInt64
        /// Messages (and bytes) sent per node per simulated second in steady state.
        public var messagesPerNodePerSecond: Double
        public var bytesPerNodePerSecond: Double
        /// From a new node's join request until every up node sees it alive; nil if not within the limit.
        public var joinConvergenceSeconds: Double?
        public var joinConvergenceProbeRounds: Double?
        /// From a kill until every up node sees the killed node dead; nil if not within the limit.
        public var deathDetectionSeconds: Double?
        public var deathDetectionProbeRounds: Double?
        /// Declarations of death about running nodes (should be 0).
        public var falseDeaths: Int
        public var simulatedSeconds: Double
        public var eventsProcessed: Int
        public var wallClockSeconds: Double

        public var description: String {
            func format(_ value: Double?) -> String { value.map { String(Int(($0 * 100).rounded())).withDecimal } ?? "timeout" }
            return """
                nodes=\(nodes) seed=\(seed) msgs/node/s=\(format(messagesPerNodePerSecond)) \
                bytes/node/s=\(format(bytesPerNodePerSecond)) join=\(format(joinConvergenceSeconds))s \
                (\(format(joinConvergenceProbeRounds)) rounds) death=\(format(deathDetectionSeconds))s \
                (\(format(deathDetectionProbeRounds)) rounds) falseDeaths=\(falseDeaths) \
                simulated=\(format(simulatedSeconds))s events=\(eventsProcessed) wall=\(format(wallClockSeconds))s
                """
        }
    }

    /// Runs the benchmark. `encodesMessages` round-trips every message through the codec
    /// (slower, but counts bytes).
    public static func run(
        nodes: Int, seed: UInt64, settings: SWIM.Settings = .default,
        network: SimulatedNetwork = SimulatedNetwork(encodesMessages: true),
        limit: Duration = .seconds(600)
    ) -> Report {
        let clock = ContinuousClock()
        let started = clock.now
        var cluster = SimulatedCluster(nodes: max(2, nodes - 1), seed: seed, settings: settings, network: network)
        let interval = settings.probeInterval
        let intervalSeconds = interval.inSeconds

        // Steady state: warm up, then count messages over ten probe intervals.
        cluster.run(forSimulated: interval * 5)
        let (sentBefore, bytesBefore, windowStart) = (cluster.totalMessagesSent, cluster.totalBytesSent, cluster.now)
        cluster.run(forSimulated: interval * 10)
        let window = (cluster.now - windowStart).inSeconds * Double(cluster.nodes.count)
        let messagesRate = Double(cluster.totalMessagesSent - sentBefore) / window
        let bytesRate = Double(cluster.totalBytesSent - bytesBefore) / window

        // Join: until every up node sees the newcomer alive.
        let joinStart = cluster.now
        let newcomer = cluster.addNode()
        let joined = cluster.run(atMost: limit, checkingEvery: interval / 10) { $0.allUpNodesSee(newcomer, as: .alive) }

        // Death: kill a random old node; until every up node sees it dead.
        var picker = SeededRandom(seed: seed ^ 0x5EED)
        let victim = cluster.nodes[Int(picker.next() % UInt64(cluster.nodes.count - 1))].id
        cluster.kill(victim)
        let killedAt = cluster.now
        let dead = cluster.run(atMost: limit, checkingEvery: interval / 10) { $0.allUpNodesSee(victim, as: .dead) }

        let joinSeconds = joined.map { ($0 - joinStart).inSeconds }
        let deathSeconds = dead.map { ($0 - killedAt).inSeconds }
        return Report(
            nodes: cluster.nodes.count, seed: seed,
            messagesPerNodePerSecond: messagesRate, bytesPerNodePerSecond: bytesRate,
            joinConvergenceSeconds: joinSeconds, joinConvergenceProbeRounds: joinSeconds.map { $0 / intervalSeconds },
            deathDetectionSeconds: deathSeconds, deathDetectionProbeRounds: deathSeconds.map { $0 / intervalSeconds },
            falseDeaths: cluster.falseDeaths.count, simulatedSeconds: cluster.now.inSeconds,
            eventsProcessed: cluster.eventsProcessed, wallClockSeconds: (clock.now - started).inSeconds)
    }
}

extension String {
    /// "1234" (hundredths) as "12.34".
    fileprivate var withDecimal: String {
        let negative = hasPrefix("-")
        var digits = negative ? String(dropFirst()) : self
        while digits.count < 3 { digits = "0" + digits }
        return (negative ? "-" : "") + digits.dropLast(2) + "." + digits.suffix(2)
    }
}
