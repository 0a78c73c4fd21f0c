import Foundation
import ShoalCore

/// Runs `count` operations with `concurrency` in flight and reports the rate and latencies:
/// the loop every HTTP benchmark here shares. With a `deadline`, no operation starts after
/// it (a phase bounded by time rather than count). The benchmark's own CPU time over the
/// phase is reported too, so a reader can tell whether the load generator was the limit.
struct LoadPhase {
    let elapsed: Double
    let latencies: [Double]
    let failures: Int
    /// User + system CPU seconds this process used during the phase.
    let clientCPU: Double

    var operations: Int { latencies.count }

    static func run(count: Int, concurrency: Int, deadline: ContinuousClock.Instant? = nil,
                    _ operation: @escaping @Sendable (Int) async -> Bool) async -> LoadPhase {
        let start = ContinuousClock.now
        let cpuBefore = processCPUSeconds()
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
            func mayIssue() -> Bool { issued < count && deadline.map { ContinuousClock.now < $0 } ?? true }
            for _ in 0..<min(concurrency, count) where mayIssue() { issue() }
            while let (latency, ok) = await group.next() {
                latencies.append(latency)
                if !ok { failures += 1 }
                if mayIssue() { issue() }
            }
            return (latencies, failures)
        }
        return LoadPhase(elapsed: (ContinuousClock.now - start).inSeconds, latencies: latencies, failures: failures,
                         clientCPU: processCPUSeconds() - cpuBefore)
    }

    /// User + system CPU seconds of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    var rate: Double { Double(latencies.count) / max(elapsed, 1e-9) }

    /// The latency at quantile `p` (0...1) in seconds; nil with no operations.
    func percentile(_ p: Double) -> Double? {
        let sorted = latencies.sorted()
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    /// `  NAME   1234 ops/s  p50 1.2 ms  p99 3.4 ms  failures 0  (1.23 s)`.
    func line(_ name: String) -> String {
        func milliseconds(_ p: Double) -> String { percentile(p).map { String(format: "%.1f ms", $0 * 1000) } ?? "-" }
        return String(format: "  %@ %8.0f ops/s  p50 %@  p99 %@  failures %d  (%.2f s)",
                      name.padding(toLength: 11, withPad: " ", startingAt: 0), rate,
                      milliseconds(0.5), milliseconds(0.99), failures, elapsed)
    }
}
