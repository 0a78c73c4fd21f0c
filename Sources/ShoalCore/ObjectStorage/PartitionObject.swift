/// One object's current files in a partition, for the replicator to compare and ship.
public struct PartitionObject: Hashable, Sendable {
    public let hash: ObjectHash
    /// Timestamp of the newest `.data` or `.ts`.
    public let timestamp: SwiftTimestamp
    public let isTombstone: Bool
    /// Timestamp of a newer `.meta`, if any.
    public let metaTimestamp: SwiftTimestamp?

    public init(hash: ObjectHash, timestamp: SwiftTimestamp, isTombstone: Bool, metaTimestamp: SwiftTimestamp?) {
        self.hash = hash
        self.timestamp = timestamp
        self.isTombstone = isTombstone
        self.metaTimestamp = metaTimestamp
    }

    /// The file names this object's hash directory holds (`<ts>.data` or `<ts>.ts`, then
    /// `<ts>.meta`): what suffix hashes are computed from, the same in every adapter.
    public var fileNames: [String] {
        var names = [timestamp.internal + (isTombstone ? ".ts" : ".data")]
        if let metaTimestamp { names.append(metaTimestamp.internal + ".meta") }
        return names
    }

    /// Swift-style suffix hashes: per suffix, MD5 over `hash/fileName` lines of its objects,
    /// in hash order. Shared by the adapters so replicas compare equal.
    public static func suffixHashes(_ objects: [PartitionObject]) -> [String: String] {
        let bySuffix = Dictionary(grouping: objects, by: { $0.hash.suffix })
        return bySuffix.mapValues { members in
            var hasher = ETagHasher()
            for object in members.sorted(by: { $0.hash < $1.hash }) {
                for name in object.fileNames { hasher.update(object.hash.hex + "/" + name + "\n") }
            }
            return hasher.finalize()
        }
    }
}
