import Metrics
import Synchronization

/// Prometheus counters that follow a component's own running totals (the transport's
/// ``TransportStatistics``, the object store's counters): the component counts without
/// knowing about metrics, and each scrape adds what every total grew by since the last one.
public final class FollowedCounters<Source>: Sendable {
    /// One Prometheus counter and the total it follows.
    public struct Series: Sendable {
        let counter: Counter
        let value: @Sendable (Source) -> Int

        public init(_ label: String, _ dimensions: [(String, String)] = [], _ value: @escaping @Sendable (Source) -> Int) {
            counter = Counter(label: label, dimensions: dimensions)
            self.value = value
        }
    }

    private let series: [Series]
    private let last: Mutex<[Int]>

    public init(_ series: [Series]) {
        self.series = series
        last = Mutex([Int](repeating: 0, count: series.count))
    }

    /// Brings the counters up to `source`'s totals now.
    public func observe(_ source: Source) {
        let now = series.map { $0.value(source) }
        let previous = last.withLock { last in
            defer { last = now }
            return last
        }
        for (one, (current, before)) in zip(series, zip(now, previous)) where current > before {
            one.counter.increment(by: current - before)
        }
    }
}
