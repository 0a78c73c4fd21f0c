import ShoalCore

/// What a container database says about its container (Swift's `get_info()` plus the
/// metadata): the answer to a container HEAD and the usage reported to the account.
public struct ContainerInfo: Hashable, Sendable {
    public var account: String
    public var container: String
    /// When this replica's database was created (the first put timestamp it saw).
    public var createdAt: SwiftTimestamp
    public var putTimestamp: SwiftTimestamp
    /// Zero (`0000000000.00000`) until the container is deleted.
    public var deleteTimestamp: SwiftTimestamp
    public var statusChangedAt: SwiftTimestamp
    public var objectCount: Int64
    public var bytesUsed: Int64
    public var metadata: TimestampedMetadata
    /// This replica's database id (a UUID), for replication sync points.
    public var id: String
    /// The largest ROWID in the object table (`-1` when it is empty), Swift's `max_row`.
    public var maxRow: Int64
    /// Swift's rule: no objects and a delete newer than the last put.
    public var isDeleted: Bool { objectCount == 0 && deleteTimestamp > putTimestamp }
}
