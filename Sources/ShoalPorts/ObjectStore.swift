import ShoalCore

/// Where the ETag of a body being stored comes from.
public enum BodyDigest: Sendable {
    /// The store computes the body's MD5 as it streams (what a replica pushed by the
    /// replicator, or a body of unknown length, gets).
    case computed
    /// The sender hashed the body on its way in and sends the MD5 after it (the proxy's
    /// footer): `digest` is asked once the body stream has ended, and nil means it never
    /// came. The store does not hash the body again; the auditor proves it later.
    case supplied(_ digest: @Sendable () -> String?)

    /// Whether `text` is an MD5 as an ETag spells it: 32 lowercase hex digits.
    public static func isMD5(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The ETag of a body that streamed: the supplied one (checked to be an MD5), or
    /// `computed()`'s. Throws ``ObjectStoreError/invalidDigest(_:)``.
    public func etag(computed: () -> String) throws -> String {
        switch self {
        case .computed:
            return computed()
        case .supplied(let digest):
            let supplied = digest()
            guard let etag = supplied, Self.isMD5(etag) else { throw ObjectStoreError.invalidDigest(supplied ?? "none") }
            return etag
        }
    }

    /// Whether the store hashes the body itself.
    public var isComputed: Bool {
        if case .computed = self { true } else { false }
    }
}

/// The object role's storage on one device: OpenStack Swift's DiskFile contract.
///
/// The object server calls it for PUT, GET, HEAD, DELETE and POST; the replicator calls
/// the listing and replication helpers and the auditor ``audit(_:inPartition:)``. Versions are ordered by ``SwiftTimestamp`` (last writer wins): a
/// write older than or as old as what is stored changes nothing and says so. Adapters:
/// `DiskObjectStore` (files, durable) and `InMemoryObjectStore` (the twin for tests); both
/// pass the same behavioural suite.
public protocol ObjectStore: Sendable {
    /// Streams `body` into a new version at `metadata.timestamp`; the stored metadata gets
    /// the ETag `digest` gives (the MD5 computed on the way, or the one the sender supplies)
    /// and the size. Durable when it returns.
    /// Throws ``ObjectStoreError/etagMismatch(expected:actual:)`` when `expectedETag` is
    /// given and differs, ``ObjectStoreError/outdated(existing:)`` when a version at the
    /// same or a newer timestamp (data or tombstone) is already stored,
    /// ``ObjectStoreError/invalidDigest(_:)`` when a supplied digest is not an MD5; nothing
    /// becomes visible then.
    func put(_ key: ObjectKey, metadata: ObjectMetadata, body: ChunkStream, expectedETag: String?,
             digest: BodyDigest) async throws -> StoredObject

    /// The current version with its body (whole, or `range` of it, inclusive byte offsets,
    /// the upper bound clamped to the size), or nil when absent or deleted (``head(_:)`` tells
    /// which). The body is read in chunks as it is consumed. Throws
    /// ``ObjectStoreError/rangeNotSatisfiable(sizeBytes:)`` when the range starts past the end.
    /// A whole read checks the body as it streams (against a checksum stored with it, or its
    /// MD5; the audit checks the MD5) and never yields a bad body whole: the replica goes
    /// to quarantine and the stream fails before its last chunk (or, when the body was
    /// already read at open, `get` answers nil).
    func get(_ key: ObjectKey, range: ClosedRange<Int>?) async throws -> ObjectReader?

    /// The current state: present with merged metadata, deleted at a tombstone's
    /// timestamp (for X-Backend-Timestamp), or missing.
    func head(_ key: ObjectKey) async throws -> ObjectState

    /// Writes a tombstone at `timestamp` unless a version at that time or newer is stored,
    /// and says what was current (as ``head(_:)`` would, looked at in the same step).
    func delete(_ key: ObjectKey, timestamp: SwiftTimestamp) async throws -> DeleteOutcome

    /// Swift's fast POST: stores `metadata` as a `.meta` version that replaces the user
    /// metadata and POST-able headers on every read; content fields stay.
    func post(_ key: ObjectKey, metadata: ObjectMetadataUpdate) async throws -> PostOutcome

    /// Partitions that hold anything on this device, ascending.
    func partitions() async throws -> [Int]

    /// For each suffix directory of `partition`, an MD5 (hex) of the file names it holds;
    /// two replicas with equal maps hold the same versions. (Swift's per-suffix hashes.)
    func hashes(in partition: Int) async throws -> [String: String]

    /// ``hashes(in:)`` of many partitions at once (a replication pass asks for hundreds); a
    /// partition whose hashes cannot be read is left out of the answer.
    func hashes(in partitions: [Int]) async throws -> [Int: [String: String]]

    /// Every object (by hash) in `partition` with the timestamps of its current files.
    func objects(inPartition partition: Int) async throws -> [PartitionObject]

    // MARK: Replication and audit

    /// One object's current versions (its `.data` metadata as stored, or its tombstone,
    /// and a newer `.meta`) for the replicator to ship; nil when nothing is stored. The
    /// data's body is read with ``get(_:range:)``.
    func replica(of hash: ObjectHash, inPartition partition: Int) async throws -> ObjectReplica?

    /// Removes an object's files when they are still exactly `object` — a handoff's copy
    /// once every primary holds it. False (nothing removed) when it changed meanwhile.
    func remove(_ object: PartitionObject, inPartition partition: Int) async throws -> Bool

    /// Removes tombstones written before `cutoff` (Swift's reclaim age); returns how many.
    func reclaimTombstones(inPartition partition: Int, before cutoff: SwiftTimestamp) async throws -> Int

    /// Re-reads an object's current `.data` whole and checks it against its stored MD5 and
    /// length (Swift's auditor). A bad replica is moved to quarantine, so it leaves the
    /// partition's hashes and the replicator restores a good copy from a peer.
    func audit(_ hash: ObjectHash, inPartition partition: Int) async throws -> AuditOutcome
}

extension ObjectStore {
    /// One partition after another; a store with a cheaper way overrides it.
    public func hashes(in partitions: [Int]) async throws -> [Int: [String: String]] {
        var result: [Int: [String: String]] = [:]
        for partition in partitions { result[partition] = try? await hashes(in: partition) }
        return result
    }
}

/// What ``ObjectStore/audit(_:inPartition:)`` found.
public enum AuditOutcome: Hashable, Sendable {
    /// The body matched; this many bytes were read.
    case verified(bytes: Int)
    /// The replica was bad and is now in quarantine; why, for the log.
    case quarantined(reason: String)
    /// No live data to check (a tombstone, or nothing stored).
    case noData
}

extension ObjectStore {
    /// A PUT whose ETag the store computes.
    public func put(_ key: ObjectKey, metadata: ObjectMetadata, body: ChunkStream, expectedETag: String?) async throws -> StoredObject {
        try await put(key, metadata: metadata, body: body, expectedETag: expectedETag, digest: .computed)
    }
}
