import Foundation
import Testing

/// The storage simulation (``StorageSimulation``) on a few seeds: faults between the
/// steps, the checkers after every one, quiet points where replicas and listings must
/// agree. `SHOAL_SEED=<seed>` runs that seed alone, to replay a failure.
@Suite("Storage simulation with faults")
struct StorageSimulationTests {
    static let seeds: [UInt64] = ProcessInfo.processInfo.environment["SHOAL_SEED"].flatMap(UInt64.init).map { [$0] } ?? [1, 2, 3]

    @Test(arguments: seeds)
    func acknowledgedWritesSurviveAndReplicasConverge(seed: UInt64) async throws {
        try await withStorageCluster(nodes: 5, replicas: 3, seed: seed) { cluster in
            let stack = SwiftStack(storage: cluster)
            let simulation = StorageSimulation(seed: seed, stack: stack)
            await simulation.run(steps: 150, quietEvery: 50)
            await stack.shutdown()
            print("storage simulation seed \(seed): \(simulation.tally)")
            let tally = simulation.tally
            #expect(simulation.failed || tally.quietPoints == 3, "seed \(seed)")
            #expect(tally.nodeFaults > 0 && tally.tornWrites > 0 && tally.rotted > 0 && tally.acknowledged > 0,
                    "seed \(seed) left a kind of fault out: \(tally)")
        }
    }
}
