import Foundation
import ShoalCore

/// The seed of a randomized test: `SHOAL_SEED` when set (to replay a failure), else a
/// fixed default. Every randomized test names its seed in its failure messages.
enum TestSeed {
    static func value(default fallback: UInt64) -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["SHOAL_SEED"], let seed = UInt64(text) { return seed }
        return fallback
    }

    static func generator(default fallback: UInt64) -> (seed: UInt64, random: SeededRandom) {
        let seed = value(default: fallback)
        return (seed, SeededRandom(seed: seed))
    }
}
