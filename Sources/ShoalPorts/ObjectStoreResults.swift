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
/// Either way it carries what was current when the store looked, in the same step as the
/// write, which is all the object server needs for its answer (Swift's 204, 404 or 409).
public enum DeleteOutcome: Hashable, Sendable {
    /// A tombstone was written over `previous`.
    case deleted(previous: ObjectState)
    /// Nothing written: `current` (data or tombstone) is as new as the delete or newer.
    case outdated(current: ObjectState)

    /// Whether a tombstone was written.
    public var wroteTombstone: Bool {
        if case .deleted = self { true } else { false }
    }

    /// Whether a live version (data) was current when the store looked.
    public var hadObject: Bool {
        switch self {
        case .deleted(let state), .outdated(let state):
            if case .present = state { true } else { false }
        }
    }
}

extension ObjectState {
    /// The time of the current version: the data's, the tombstone's, nil when missing.
    public var timestamp: SwiftTimestamp? {
        switch self {
        case .missing: nil
        case .deleted(let timestamp): timestamp
        case .present(let metadata, _): metadata.timestamp
        }
    }
}

/// What ``ObjectStore/post(_:metadata:)`` did.
public enum PostOutcome: Hashable, Sendable {
    case updated
    /// No live object: missing, or deleted at the given tombstone time (404).
    case notFound(deletedAt: SwiftTimestamp?)
    /// Nothing written: the object or its metadata is as new or newer (409).
    case outdated(existing: SwiftTimestamp)
}
