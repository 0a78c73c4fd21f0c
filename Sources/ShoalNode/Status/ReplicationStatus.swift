/// Where one node's replication stands: served at `/cluster/replication` and gathered from
/// every member by `shoal status`, which shows moves in progress with a bar and an estimate.
public struct ReplicationStatus: Codable, Sendable, Equatable {
    public var node: String
    /// Partitions held at the start of the pass in progress (or the last), and done so far.
    public var partitions: Int
    public var partitionsDone: Int
    /// Handoff partitions (held here, owned elsewhere) at the start of the pass, and emptied.
    public var handoffPartitions: Int
    public var handoffsCleared: Int
    /// Handoff partitions still waiting after the last finished pass.
    public var pendingHandoffs: Int
    public var bytesMoved: Int
    public var passes: Int
    public var lastPassSeconds: Double
    public var running: Bool
    /// Seconds the pass in progress has run.
    public var passElapsedSeconds: Double
    /// The ring checksum on which every replicator of this node last passed and left
    /// nothing to hand over: its moves for that ring are done. Nil while they are not.
    public var cleanRing: String?

    public init(node: String, partitions: Int, partitionsDone: Int, handoffPartitions: Int, handoffsCleared: Int,
                pendingHandoffs: Int, bytesMoved: Int, passes: Int, lastPassSeconds: Double, running: Bool,
                passElapsedSeconds: Double, cleanRing: String? = nil) {
        self.cleanRing = cleanRing
        self.node = node
        self.partitions = partitions
        self.partitionsDone = partitionsDone
        self.handoffPartitions = handoffPartitions
        self.handoffsCleared = handoffsCleared
        self.pendingHandoffs = pendingHandoffs
        self.bytesMoved = bytesMoved
        self.passes = passes
        self.lastPassSeconds = lastPassSeconds
        self.running = running
        self.passElapsedSeconds = passElapsedSeconds
    }

    /// Partition moves still to do: the handoffs of the pass in progress not yet emptied,
    /// or those the last pass left.
    public var movesWaiting: Int { running ? max(0, handoffPartitions - handoffsCleared) : pendingHandoffs }

    /// Seconds until the pass in progress ends, from its rate so far (nil when idle or too early).
    public var estimateSeconds: Double? {
        guard running, partitionsDone > 0, passElapsedSeconds > 0 else { return nil }
        return passElapsedSeconds / Double(partitionsDone) * Double(partitions - partitionsDone)
    }

    enum CodingKeys: String, CodingKey {
        case node, partitions, passes, running
        case partitionsDone = "partitions_done"
        case handoffPartitions = "handoff_partitions"
        case handoffsCleared = "handoffs_cleared"
        case pendingHandoffs = "pending_handoffs"
        case bytesMoved = "bytes_moved"
        case lastPassSeconds = "last_pass_seconds"
        case passElapsedSeconds = "pass_elapsed_seconds"
        case cleanRing = "clean_ring"
    }
}
