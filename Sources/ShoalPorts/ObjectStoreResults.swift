import ShoalCore

/// What a successful ``ObjectStore/put(_:metadata:body:expectedETag:)`` stored.
public struct StoredObject: Hashable, Sendable {
    public let timestamp: SwiftTimestamp
    /// MD5 of the body, lowercase hex.
    public let etag: String
    public let sizeBytes: Int

    public init(timestamp: SwiftTimestamp, etag: String, sizeBytes: Int) {
        self.timestamp = timestamp
        self.etag = etag
        self.sizeBytes = sizeBytes
    }
}

/// An open object version from ``ObjectStore/get(_:range:)``: its metadata and its body,
/// read lazily. Consume `body` once; the file stays readable until the stream ends, even if a
/// newer version replaces it meanwhile.
public struct ObjectReader: Sendable {
    /// Merged metadata (`.data` plus the newest `.meta`); `contentLength` is the whole size.
    public let metadata: ObjectMetadata
    /// `/account/container/object` as stored.
    public let path: String
    /// The byte range `body` yields, or nil for the whole (possibly empty) body.
    public let range: ClosedRange<Int>?
    public let body: ChunkStream

    public init(metadata: ObjectMetadata, path: String, range: ClosedRange<Int>?, body: ChunkStream) {
        self.metadata = metadata
        self.path = path
        self.range = range
        self.body = body
    }
}

/// What ``ObjectStore/head(_:)`` found.
public enum ObjectState: Hashable, Sendable {
    /// Nothing stored under this hash.
    case missing
    /// The newest version is a tombstone written at this time.
    case deleted(SwiftTimestamp)
    /// A live version with its merged metadata and stored path.
    case present(ObjectMetadata, path: String)
}

/// What ``ObjectStore/delete(_:timestamp:)`` did.
public enum DeleteOutcome: Hashable, Sendable {
    /// A tombstone was written; `hadObject` says whether a live version existed (Swift's
    /// 204 versus 404).
    case deleted(hadObject: Bool)
    /// Nothing written: a version at `existing` is as new or newer (Swift's 409).
    case outdated(existing: SwiftTimestamp)
}

/// What ``ObjectStore/post(_:metadata:)`` did.
public enum PostOutcome: Hashable, Sendable {
    case updated
    /// No live object: missing, or deleted at the given tombstone time (404).
    case notFound(deletedAt: SwiftTimestamp?)
    /// Nothing written: the object or its metadata is as new or newer (409).
    case outdated(existing: SwiftTimestamp)
}

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
