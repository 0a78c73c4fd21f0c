import Foundation
import ShoalCore

/// Runs `count` operations with `concurrency` in flight and reports the rate and latencies:
/// the loop every HTTP benchmark here shares.
struct LoadPhase {
    let elapsed: Double
    let latencies: [Double]
    let failures: Int

    static func run(count: Int, concurrency: Int, _ operation: @escaping @Sendable (Int) async -> Bool) async -> LoadPhase {
        let start = ContinuousClock.now
        let (latencies, failures) = await withTaskGroup(of: (Double, Bool).self) { group in
            var latencies: [Double] = []
            var failures = 0
            var issued = 0
            func issue() {
                let index = issued
                issued += 1
                group.addTask {
                    let began = ContinuousClock.now
                    let ok = await operation(index)
                    return ((ContinuousClock.now - began).inSeconds, ok)
                }
            }
            for _ in 0..<min(concurrency, count) { issue() }
            while let (latency, ok) = await group.next() {
                latencies.append(latency)
                if !ok { failures += 1 }
                if issued < count { issue() }
            }
            return (latencies, failures)
        }
        return LoadPhase(elapsed: (ContinuousClock.now - start).inSeconds, latencies: latencies, failures: failures)
    }

    /// `  NAME   1234 ops/s  p50 1.2 ms  p99 3.4 ms  failures 0  (1.23 s)`.
    func line(_ name: String) -> String {
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            return String(format: "%.1f ms", sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000)
        }
        return String(format: "  %@ %8.0f ops/s  p50 %@  p99 %@  failures %d  (%.2f s)",
                      name.padding(toLength: 11, withPad: " ", startingAt: 0), Double(latencies.count) / max(elapsed, 1e-9),
                      percentile(0.5), percentile(0.99), failures, elapsed)
    }
}
