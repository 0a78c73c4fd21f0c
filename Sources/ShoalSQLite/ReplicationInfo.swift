import ShoalCore

/// What one replica of a container or account database tells another when they replicate
/// (the `info` of OpenStack Swift's db_replicator `sync` call): the names, the timestamps
/// and status that merge newest-wins, the metadata that merges per key, the database id the
/// sync points are kept under, and the largest row.
///
/// Made by ``ReplicatedDatabase/replicationInfo()``, merged into another replica with
/// ``ReplicatedDatabase/merge(replicationInfo:)`` or used to create one
/// (``ReplicatedDatabase/create(replicaOf:)``). Codable: it crosses the wire as JSON.
public struct ReplicationInfo: Hashable, Sendable, Codable {
    public var account: String
    /// Nil for an account database.
    public var container: String?
    public var createdAt: SwiftTimestamp
    public var putTimestamp: SwiftTimestamp
    public var deleteTimestamp: SwiftTimestamp
    public var statusChangedAt: SwiftTimestamp
    /// Marked deleted (`status = 'DELETED'`, Swift's `delete_db`).
    public var statusDeleted: Bool
    public var metadata: TimestampedMetadata
    /// This replica's database id (a UUID): the key of the sync points other replicas keep.
    public var id: String
    /// The largest row id (`-1` when there are no rows), Swift's `max_row`.
    public var maxRow: Int64
}
