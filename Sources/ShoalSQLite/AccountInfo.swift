import ShoalCore

/// What an account database says about its account: the answer to an account HEAD.
public struct AccountInfo: Hashable, Sendable {
    public var account: String
    public var createdAt: SwiftTimestamp
    public var putTimestamp: SwiftTimestamp
    public var deleteTimestamp: SwiftTimestamp
    public var statusChangedAt: SwiftTimestamp
    /// Containers not deleted.
    public var containerCount: Int64
    /// Sums of the last usage each container reported.
    public var objectCount: Int64
    public var bytesUsed: Int64
    public var metadata: TimestampedMetadata
    public var id: String
    public var maxRow: Int64
    /// Marked deleted (`status = 'DELETED'`).
    public var statusDeleted: Bool
    /// Swift's rule: marked deleted, or no containers and a delete newer than the last put.
    public var isDeleted: Bool { statusDeleted || (containerCount == 0 && deleteTimestamp > putTimestamp) }
}
