import Synchronization

/// Counters a disk store keeps for tests and metrics: bytes of bodies held in memory
/// (now and at peak — what proves a large object streams instead of buffering) and the
/// number of fsync/fdatasync calls and quarantines. Read by tests, the benchmark and later /metrics.
public final class DiskStoreStatistics: Sendable {
    private struct Counters {
        var bufferedBytes = 0
        var peakBufferedBytes = 0
        var syncs = 0
        var quarantined = 0
        var listings = 0
        var suffixListings = 0
        var directReads = 0
        var writebackStarts = 0
        var abandonedTemporaries = 0
    }

    private let counters = Mutex(Counters())

    public init() {}

    /// Body bytes held in memory by in-flight puts and gets right now.
    public var bufferedBytes: Int { counters.withLock { $0.bufferedBytes } }
    /// The most body bytes ever held at once.
    public var peakBufferedBytes: Int { counters.withLock { $0.peakBufferedBytes } }
    /// fsync and fdatasync calls made so far.
    public var syncs: Int { counters.withLock { $0.syncs } }
    /// Bad files moved to quarantine so far (by GETs and the auditor).
    public var quarantined: Int { counters.withLock { $0.quarantined } }

    func hold(_ bytes: Int) {
        counters.withLock {
            $0.bufferedBytes += bytes
            $0.peakBufferedBytes = max($0.peakBufferedBytes, $0.bufferedBytes)
        }
    }

    func release(_ bytes: Int) { counters.withLock { $0.bufferedBytes -= bytes } }

    /// Partition folders listed for their suffix hashes so far (an unchanged partition's
    /// hashes come from memory).
    public var partitionListings: Int { counters.withLock { $0.listings } }

    func countListing() { counters.withLock { $0.listings += 1 } }

    /// Suffix folders listed for their objects so far, by replication (a write through the
    /// store leaves its suffix's new hash behind, so a pass need not list it).
    public var suffixListings: Int { counters.withLock { $0.suffixListings } }

    func countSuffixListing() { counters.withLock { $0.suffixListings += 1 } }

    /// Bodies read past the page cache so far (whole reads of large objects).
    public var directReads: Int { counters.withLock { $0.directReads } }

    func countDirectRead() { counters.withLock { $0.directReads += 1 } }

    /// Writebacks started while a large body streamed in, so far (one per append).
    public var writebackStarts: Int { counters.withLock { $0.writebackStarts } }

    func countWritebackStart() { counters.withLock { $0.writebackStarts += 1 } }

    /// Temporary files a gone process left in suffix folders, removed so far.
    public var abandonedTemporaries: Int { counters.withLock { $0.abandonedTemporaries } }

    func countAbandonedTemporary() { counters.withLock { $0.abandonedTemporaries += 1 } }

    func countSyncs(_ count: Int) { counters.withLock { $0.syncs += count } }

    func countQuarantine() { counters.withLock { $0.quarantined += 1 } }

    /// Forgets the peak (the benchmark resets between phases).
    public func resetPeak() { counters.withLock { $0.peakBufferedBytes = $0.bufferedBytes } }
}
