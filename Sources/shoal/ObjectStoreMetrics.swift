import Metrics
import ShoalDiskStore
import Synchronization

/// The object store's counters on `/metrics`. The store keeps its own
/// (``DiskStoreStatistics``); each scrape adds what they grew by since the last one.
/// Quarantines count every bad file moved aside, by a read (a version that does not decode,
/// or a body that fails its checksum) or by the auditor, whose own
/// `shoal_auditor_quarantined_total` counts only its part.
final class ObjectStoreMetrics: Sendable {
    private let quarantined = Counter(label: "shoal_object_store_quarantined_total")
    /// Flush calls: a lone writer's fdatasync and directory fsyncs, or one shared syncfs.
    private let flushes = Counter(label: "shoal_object_store_flushes_total")
    private let last = Mutex((quarantined: 0, flushes: 0))

    /// Brings the counters up to `statistics` now.
    func observe(_ statistics: DiskStoreStatistics) {
        let now = (quarantined: statistics.quarantined, flushes: statistics.syncs)
        let previous = last.withLock { last in
            defer { last = now }
            return last
        }
        if now.quarantined > previous.quarantined { quarantined.increment(by: now.quarantined - previous.quarantined) }
        if now.flushes > previous.flushes { flushes.increment(by: now.flushes - previous.flushes) }
    }
}
