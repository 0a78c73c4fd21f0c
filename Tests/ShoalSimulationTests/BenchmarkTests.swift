import Foundation
import Testing
import ShoalMembership
@testable import ShoalSimulation

@Suite("Membership benchmark")
struct BenchmarkTests {
    /// A small run of the benchmark `shoal-bench` uses; `SHOAL_BENCH_NODES` makes it larger.
    @Test func benchmarkReportsConvergenceDetectionAndLoad() {
        let seed = SimulationSeed.seed(default: 42)
        let nodes = ProcessInfo.processInfo.environment["SHOAL_BENCH_NODES"].flatMap { Int($0) } ?? 100
        let report = SimulationBenchmark.run(nodes: nodes, seed: seed)
        print("SimulationBenchmark: \(report)")
        #expect(report.joinConvergenceSeconds != nil, "\(report); \(SimulationSeed.replay(seed))")
        #expect(report.deathDetectionSeconds != nil, "\(report); \(SimulationSeed.replay(seed))")
        #expect(report.falseDeaths == 0, "\(report); \(SimulationSeed.replay(seed))")
        #expect(report.messagesPerNodePerSecond > 1 && report.messagesPerNodePerSecond < 10, "\(report)")
    }
}
