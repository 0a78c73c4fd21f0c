import Metrics
import Synchronization

/// Where this node's object replication stands, for `shoal status` (moves in progress with
/// a progress bar and an estimate) and `/metrics`: the pass in progress (partitions done of
/// those held, handoff partitions still to move, bytes moved) and the last finished pass.
public final class ReplicationProgress: Sendable {
    public struct Snapshot: Hashable, Sendable {
        /// Partitions held at the start of the pass in progress, and done so far.
        public var partitions = 0
        public var partitionsDone = 0
        /// Handoff partitions at the start of the pass, and those emptied so far.
        public var handoffPartitions = 0
        public var handoffsCleared = 0
        /// Bytes pushed to peers since the node started.
        public var bytesMoved = 0
        /// Handoff partitions left after the last finished pass (0: nothing waits to move).
        public var pendingHandoffs = 0
        /// Length of the last finished pass, and how many passes finished.
        public var lastPassSeconds = 0.0
        public var passes = 0
        public var running = false
        /// Seconds the pass in progress has run.
        public var passElapsedSeconds = 0.0

        public init() {}
    }

    private let state = Mutex(Snapshot())
    private let passStarted = Mutex(ContinuousClock.now)

    public init() {}

    public var snapshot: Snapshot {
        var current = state.withLock { $0 }
        if current.running { current.passElapsedSeconds = (ContinuousClock.now - passStarted.withLock { $0 }).inSeconds }
        return current
    }

    func begin(partitions: Int, handoffs: Int) {
        passStarted.withLock { $0 = .now }
        state.withLock {
            $0.partitions = partitions
            $0.partitionsDone = 0
            $0.handoffPartitions = handoffs
            $0.handoffsCleared = 0
            $0.running = true
        }
    }

    func partitionDone(cleared: Bool) {
        state.withLock {
            $0.partitionsDone += 1
            if cleared { $0.handoffsCleared += 1 }
        }
    }

    func moved(bytes: Int) {
        state.withLock { $0.bytesMoved += bytes }
    }

    func finish(seconds: Double) {
        state.withLock {
            $0.running = false
            $0.passes += 1
            $0.lastPassSeconds = seconds
            $0.pendingHandoffs = max(0, $0.handoffPartitions - $0.handoffsCleared)
        }
    }
}

/// The replicator's figures on `/metrics`.
struct ReplicationMetrics: Sendable {
    static let shared = ReplicationMetrics()

    let objectsPushed = Counter(label: "shoal_replication_objects_pushed_total")
    let bytesPushed = Counter(label: "shoal_replication_bytes_moved_total")
    let handoffObjectsRemoved = Counter(label: "shoal_replication_handoff_objects_removed_total")
    let tombstonesReclaimed = Counter(label: "shoal_replication_tombstones_reclaimed_total")
    let failures = Counter(label: "shoal_replication_failures_total")
    let suffixesDiffering = Counter(label: "shoal_replication_suffixes_differing_total")
    let handoffPartitions = Gauge(label: "shoal_replication_handoff_partitions")
    let passSeconds = Gauge(label: "shoal_replication_pass_seconds")
    let lastPassCompleted = Gauge(label: "shoal_replication_last_pass_completed_seconds")

    func record(_ pass: ObjectReplicator.Pass, seconds: Double, finishedAt: Double) {
        objectsPushed.increment(by: pass.objectsPushed)
        bytesPushed.increment(by: pass.bytesPushed)
        handoffObjectsRemoved.increment(by: pass.handoffObjectsRemoved)
        tombstonesReclaimed.increment(by: pass.tombstonesReclaimed)
        failures.increment(by: pass.failures)
        suffixesDiffering.increment(by: pass.suffixesDiffering)
        handoffPartitions.record(pass.handoffPartitions)
        passSeconds.record(seconds)
        lastPassCompleted.record(finishedAt)
    }
}
