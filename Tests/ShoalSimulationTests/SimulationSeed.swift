import Foundation

/// Seeds for simulation tests: `SHOAL_SEED` when set (to replay a failure), otherwise the
/// test's own fixed seed. Every assertion message carries the seed.
enum SimulationSeed {
    static func seed(default fixed: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["SHOAL_SEED"].flatMap { UInt64($0) } ?? fixed
    }

    static func replay(_ seed: UInt64) -> String { "replay with SHOAL_SEED=\(seed)" }
}
