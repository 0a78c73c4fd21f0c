import ShoalCore

/// One row of an account database: a container with the timestamps and usage its
/// container servers last reported. Passed to ``AccountBroker/merge(items:)`` and handed
/// back by ``AccountBroker/items(afterRow:limit:)``.
public struct ContainerRecord: Hashable, Sendable, Codable {
    public var name: String
    public var putTimestamp: SwiftTimestamp
    public var deleteTimestamp: SwiftTimestamp
    public var objectCount: Int64
    public var bytesUsed: Int64
    /// Deleted: a delete newer than the put and no objects (set by the broker on merge).
    public var deleted: Bool
    public var rowID: Int64

    public init(
        name: String, putTimestamp: SwiftTimestamp, deleteTimestamp: SwiftTimestamp,
        objectCount: Int64, bytesUsed: Int64, rowID: Int64 = 0
    ) {
        self.name = name
        self.putTimestamp = putTimestamp
        self.deleteTimestamp = deleteTimestamp
        self.objectCount = objectCount
        self.bytesUsed = bytesUsed
        self.deleted = deleteTimestamp > putTimestamp && objectCount == 0
        self.rowID = rowID
    }
}
