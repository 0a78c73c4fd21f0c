import ShoalDiskStore
import ShoalNode

/// The object store's counters on `/metrics`, following its ``DiskStoreStatistics``.
/// Quarantines count every bad file moved aside, by a read (a version that does not decode,
/// or a body that fails its checksum) or by the auditor, whose own
/// `shoal_auditor_quarantined_total` counts only its part. Flushes are a lone writer's
/// fdatasync and directory fsyncs, or one shared syncfs.
enum ObjectStoreMetrics {
    static func make() -> FollowedCounters<DiskStoreStatistics> {
        FollowedCounters([
            .init("shoal_object_store_quarantined_total") { $0.quarantined },
            .init("shoal_object_store_flushes_total") { $0.syncs },
        ])
    }
}
