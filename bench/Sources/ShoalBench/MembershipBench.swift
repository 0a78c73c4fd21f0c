import ArgumentParser
import ShoalMembership
import ShoalSimulation

/// SWIM on the simulated network (default settings: 1 s probe period): convergence after a
/// join, time for every node to declare a killed node dead, and message load per node.
struct MembershipBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "membership", abstract: "Simulated SWIM at scale.")

    @Option(help: "Cluster sizes to simulate.") var nodes: [Int] = [100, 1_000]
    @Option(help: "Simulation seed.") var seed: UInt64 = 42

    func run() async throws {
        print("== membership (simulated network, default settings: 1 s probe period, 3 indirect probes)")
        for count in nodes {
            let report = SimulationBenchmark.run(nodes: count, seed: seed)
            print(report.description)
        }
    }
}
