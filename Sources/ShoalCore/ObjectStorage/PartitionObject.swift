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

    /// A fingerprint of one partition's suffix hashes (what ``suffixHashes(_:)`` gives), the
    /// same on every node for the same map: the wrapping sum over its entries of a
    /// ``StableHash`` of the suffix and of its hash, so no order and no allocation. A
    /// replicator sends it instead of the map, and the peer answers the map only when its
    /// own fingerprint differs: at rest, a partition costs 9 bytes on the wire and no
    /// dictionary on either side. Not cryptographic (peers are authenticated by the
    /// transport); two different maps agree by chance with odds of 2⁻⁶⁴, and then only until
    /// either changes again.
    public static func digest(ofSuffixHashes hashes: [String: String]) -> UInt64 {
        var sum: UInt64 = 0
        for (suffix, hash) in hashes {
            // The odd multiplier tells the suffix's part from the hash's.
            sum &+= StableHash.mix(StableHash.of(suffix) &* 0x9E37_79B9_7F4A_7C15 ^ StableHash.of(hash))
        }
        return StableHash.mix(sum ^ UInt64(hashes.count))
    }
}
