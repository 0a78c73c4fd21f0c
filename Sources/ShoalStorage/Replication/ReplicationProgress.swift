import Metrics
import Synchronization

/// Where this node's object replication stands, for `shoal status` (moves in progress with
/// a progress bar and an estimate) and `/metrics`: the pass in progress (partitions done of
/// those held, handoff partitions still to move, bytes moved) and the last finished pass.
///
/// It also tells whether this node has finished moving data for a ring (``cleanRing``):
/// the last pass of the object replicator and of each database replicator started on that
/// ring and left nothing to hand over. A joining device turns active once every member says
/// so for the current ring.
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
        /// The ring checksum the pass in progress started on, and the last finished one's.
        public var passRing = ""
        public var lastPassRing = ""
        /// When (Unix seconds) the pass in progress started, and the last finished one.
        public var passStartedAt = 0.0
        public var lastPassStartedAt = 0.0
        /// The ring every replicator's last pass started on and left no handoff behind, if any.
        public var cleanRing: String?

        public init() {}
    }

    /// One database replicator's last pass: its ring and the handoff databases it left.
    private struct DatabasePass: Sendable {
        var ring: String
        var pending: Int
    }

    private let state = Mutex(Snapshot())
    private let passStarted = Mutex(ContinuousClock.now)
    private let databasePasses: Mutex<[String: DatabasePass?]>

    /// `databaseKinds`: the database replicators (`container`, `account`) whose passes must
    /// also be clean for ``Snapshot/cleanRing``.
    public init(databaseKinds: [String] = []) {
        databasePasses = Mutex(Dictionary(uniqueKeysWithValues: databaseKinds.map { ($0, nil) }))
    }

    public var snapshot: Snapshot {
        var current = state.withLock { $0 }
        if current.running { current.passElapsedSeconds = (ContinuousClock.now - passStarted.withLock { $0 }).inSeconds }
        let databases = databasePasses.withLock { $0 }
        let objectsClean = current.passes > 0 && current.pendingHandoffs == 0 && !current.lastPassRing.isEmpty
        if objectsClean, databases.values.allSatisfy({ $0.map { $0.ring == current.lastPassRing && $0.pending == 0 } ?? false }) {
            current.cleanRing = current.lastPassRing
        }
        return current
    }

    func begin(partitions: Int, handoffs: Int, ring: String, at time: Double) {
        passStarted.withLock { $0 = .now }
        state.withLock {
            $0.passRing = ring
            $0.passStartedAt = time
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
            $0.lastPassRing = $0.passRing
            $0.lastPassStartedAt = $0.passStartedAt
            $0.passes += 1
            $0.lastPassSeconds = seconds
            $0.pendingHandoffs = max(0, $0.handoffPartitions - $0.handoffsCleared)
        }
    }
}

extension ReplicationProgress {
    /// A database replicator finished a pass that started on `ring` and left `pending`
    /// handoff databases that not every primary acknowledged.
    func databasePassFinished(kind: String, ring: String, pending: Int) {
        databasePasses.withLock { $0[kind] = DatabasePass(ring: ring, pending: pending) }
    }
}

/// The replicator's figures on `/metrics`.
struct ReplicationMetrics: Sendable {
    static let shared = ReplicationMetrics()

    let objectsPushed = Counter(label: "shoal_replication_objects_pushed_total")
    let bytesPushed = Counter(label: "shoal_replication_bytes_moved_total")
    let handoffObjectsRemoved = Counter(label: "shoal_replication_handoff_objects_removed_total")
    let standIns = Counter(label: "shoal_replication_stand_ins_total")
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
        standIns.increment(by: pass.standIns)
        tombstonesReclaimed.increment(by: pass.tombstonesReclaimed)
        failures.increment(by: pass.failures)
        suffixesDiffering.increment(by: pass.suffixesDiffering)
        handoffPartitions.record(pass.handoffPartitions)
        passSeconds.record(seconds)
        lastPassCompleted.record(finishedAt)
    }
}
