import ShoalCore

/// One row of a container database: an object version or its tombstone. What updaters
/// and replication pass to ``ContainerBroker/merge(items:)`` and what
/// ``ContainerBroker/items(afterRow:limit:)`` hands back for replication.
public struct ObjectRecord: Hashable, Sendable, Codable {
    public var name: String
    /// The write's `X-Timestamp`; the larger one wins.
    public var timestamp: SwiftTimestamp
    public var size: Int64
    public var contentType: String
    public var etag: String
    /// A tombstone left by a DELETE.
    public var deleted: Bool
    /// The row's ROWID in the database it was read from; 0 for a record not read from one.
    public var rowID: Int64

    public init(
        name: String, timestamp: SwiftTimestamp, size: Int64, contentType: String, etag: String,
        deleted: Bool = false, rowID: Int64 = 0
    ) {
        self.name = name
        self.timestamp = timestamp
        self.size = size
        self.contentType = contentType
        self.etag = etag
        self.deleted = deleted
        self.rowID = rowID
    }

    /// The tombstone Swift writes for a DELETE (`delete_object`): size 0,
    /// `application/deleted`, etag `noetag`.
    public static func tombstone(name: String, timestamp: SwiftTimestamp) -> ObjectRecord {
        ObjectRecord(name: name, timestamp: timestamp, size: 0, contentType: "application/deleted", etag: "noetag", deleted: true)
    }
}
