import ShoalCore
import ShoalPorts

/// The in-memory twin of `DiskObjectStore` (Swift's `mem_diskfile.py`): the same
/// ``ObjectStore`` semantics — last writer wins, tombstones, `.meta`-style POSTs, the same
/// suffix hashes — with bodies held in memory. For simulations and tests of the services
/// above the store; the shared behavioural suite runs against both.
public actor InMemoryObjectStore: ObjectStore {
    /// The winning version of one object: live data or a tombstone.
    private enum Version {
        case data(ObjectMetadata, path: String, body: [UInt8])
        case tombstone(SwiftTimestamp, path: String)

        var timestamp: SwiftTimestamp {
            switch self {
            case .data(let metadata, _, _): metadata.timestamp
            case .tombstone(let timestamp, _): timestamp
            }
        }
    }

    private struct Entry {
        var version: Version
        /// A POST newer than the data, if any.
        var meta: ObjectMetadataUpdate?
        /// The digest of the body as stored, which a whole read checks: the twin of the disk
        /// store's checksum, so a read trusts a supplied ETag as that store's does and only
        /// the audit compares the body with the ETag.
        var checksum: String?
    }

    private var contents: [Int: [ObjectHash: Entry]] = [:]
    private let chunkBytes: Int
    /// Replicas moved out of the way by a failed check, oldest first.
    public private(set) var quarantined: [ObjectHash] = []

    /// `chunkBytes` is the size of the chunks a GET body yields.
    public init(chunkBytes: Int = 64 * 1024) {
        self.chunkBytes = max(1, chunkBytes)
    }

    public func put(_ key: ObjectKey, metadata: ObjectMetadata, body: ChunkStream, expectedETag: String?,
                    digest: BodyDigest) async throws -> StoredObject {
        do { try metadata.validate() } catch { throw ObjectStoreError.invalidMetadata(error) }
        try checkNotOutdated(key, timestamp: metadata.timestamp)
        var hasher = ETagHasher()
        var bytes: [UInt8] = []
        for try await chunk in body {
            hasher.update(chunk)
            bytes.append(contentsOf: chunk)
        }
        // A supplied digest is stored as given, as the disk store does: audits prove it.
        let checksum = hasher.finalize()
        let etag = try digest.etag { checksum }
        if let expectedETag, expectedETag.lowercased() != etag {
            throw ObjectStoreError.etagMismatch(expected: expectedETag, actual: etag)
        }
        // The actor may have run other calls while the body streamed: check again.
        try checkNotOutdated(key, timestamp: metadata.timestamp)
        var stored = metadata
        stored.etag = etag
        stored.contentLength = bytes.count
        var meta = contents[key.partition]?[key.hash]?.meta
        if let existing = meta, existing.timestamp <= stored.timestamp { meta = nil }
        contents[key.partition, default: [:]][key.hash] = Entry(version: .data(stored, path: key.path, body: bytes), meta: meta,
                                                                  checksum: checksum)
        return StoredObject(timestamp: stored.timestamp, etag: etag, sizeBytes: bytes.count)
    }

    public func get(_ key: ObjectKey, range: ClosedRange<Int>?) async throws -> ObjectReader? {
        guard case .present(let metadata, let path) = state(of: key), let entry = contents[key.partition]?[key.hash],
              case .data(let stored, _, let body) = entry.version
        else { return nil }
        guard let range else {
            // The whole body is at hand: a bad one is quarantined, never served.
            if ETagHasher.hex(of: body) != entry.checksum ?? stored.etag {
                quarantine(key.hash, inPartition: key.partition)
                return nil
            }
            return ObjectReader(metadata: metadata, path: path, range: nil, body: .bytes(body, chunkSize: chunkBytes))
        }
        guard range.lowerBound >= 0, range.lowerBound < body.count else {
            throw ObjectStoreError.rangeNotSatisfiable(sizeBytes: body.count)
        }
        let served = range.lowerBound...min(range.upperBound, body.count - 1)
        return ObjectReader(metadata: metadata, path: path, range: served,
                            body: .bytes(Array(body[served]), chunkSize: chunkBytes))
    }

    public func head(_ key: ObjectKey) async throws -> ObjectState { state(of: key) }

    public func delete(_ key: ObjectKey, timestamp: SwiftTimestamp) async throws -> DeleteOutcome {
        let existing = contents[key.partition]?[key.hash]
        let current = state(of: key)
        if let existing, existing.version.timestamp >= timestamp { return .outdated(current: current) }
        contents[key.partition, default: [:]][key.hash] = Entry(version: .tombstone(timestamp, path: key.path), meta: nil)
        return .deleted(previous: current)
    }

    public func post(_ key: ObjectKey, metadata: ObjectMetadataUpdate) async throws -> PostOutcome {
        do { try metadata.validate() } catch { throw ObjectStoreError.invalidMetadata(error) }
        guard var entry = contents[key.partition]?[key.hash] else { return .notFound(deletedAt: nil) }
        guard case .data = entry.version else { return .notFound(deletedAt: entry.version.timestamp) }
        let newest = entry.meta?.timestamp ?? entry.version.timestamp
        if newest >= metadata.timestamp { return .outdated(existing: newest) }
        entry.meta = metadata
        contents[key.partition]?[key.hash] = entry
        return .updated
    }

    public func partitions() async throws -> [Int] {
        contents.filter { !$0.value.isEmpty }.keys.sorted()
    }

    public func hashes(in partition: Int) async throws -> [String: String] {
        PartitionObject.suffixHashes(try await objects(inPartition: partition))
    }

    public func objects(inPartition partition: Int) async throws -> [PartitionObject] {
        (contents[partition] ?? [:]).map { summary($0.key, $0.value) }.sorted { $0.hash < $1.hash }
    }

    public func replica(of hash: ObjectHash, inPartition partition: Int) async throws -> ObjectReplica? {
        guard let entry = contents[partition]?[hash] else { return nil }
        switch entry.version {
        case .data(let metadata, let path, _): return ObjectReplica(path: path, base: .data(metadata), meta: entry.meta)
        case .tombstone(let timestamp, let path): return ObjectReplica(path: path, base: .tombstone(timestamp), meta: nil)
        }
    }

    public func remove(_ object: PartitionObject, inPartition partition: Int) async throws -> Bool {
        guard let current = contents[partition]?[object.hash], summary(object.hash, current) == object else { return false }
        drop(object.hash, inPartition: partition)
        return true
    }

    public func reclaimTombstones(inPartition partition: Int, before cutoff: SwiftTimestamp) async throws -> Int {
        var reclaimed = 0
        for (hash, entry) in contents[partition] ?? [:] {
            if case .tombstone(let timestamp, _) = entry.version, timestamp < cutoff {
                drop(hash, inPartition: partition)
                reclaimed += 1
            }
        }
        return reclaimed
    }

    public func audit(_ hash: ObjectHash, inPartition partition: Int) async throws -> AuditOutcome {
        guard case .data(let metadata, _, let body)? = contents[partition]?[hash]?.version else { return .noData }
        let digest = ETagHasher.hex(of: body)
        guard digest == metadata.etag, body.count == metadata.contentLength else {
            quarantine(hash, inPartition: partition)
            return .quarantined(reason: "body MD5 \(digest) is not the stored \(metadata.etag)")
        }
        return .verified(bytes: body.count)
    }

    // MARK: Faults, for simulations

    /// Bit rot: flips one bit of a stored body (at `offset` modulo its size); false when
    /// there is no non-empty body to damage. The stored MD5 keeps its old value.
    @discardableResult
    public func corrupt(_ hash: ObjectHash, inPartition partition: Int, offset: Int = 0) -> Bool {
        guard var entry = contents[partition]?[hash], case .data(let metadata, let path, var body) = entry.version,
              !body.isEmpty
        else { return false }
        body[offset % body.count] ^= 0x01
        entry.version = .data(metadata, path: path, body: body)
        contents[partition]?[hash] = entry
        return true
    }

    /// The body as stored, unchecked and without quarantining a bad one: what a
    /// simulation's checkers compare across replicas. Nil when there is no data.
    public func storedBody(of hash: ObjectHash, inPartition partition: Int) -> [UInt8]? {
        guard case .data(_, _, let body)? = contents[partition]?[hash]?.version else { return nil }
        return body
    }

    private func quarantine(_ hash: ObjectHash, inPartition partition: Int) {
        drop(hash, inPartition: partition)
        quarantined.append(hash)
    }

    private func drop(_ hash: ObjectHash, inPartition partition: Int) {
        contents[partition]?[hash] = nil
        if contents[partition]?.isEmpty == true { contents[partition] = nil }
    }

    private func summary(_ hash: ObjectHash, _ entry: Entry) -> PartitionObject {
        let isTombstone: Bool
        if case .tombstone = entry.version { isTombstone = true } else { isTombstone = false }
        return PartitionObject(hash: hash, timestamp: entry.version.timestamp, isTombstone: isTombstone,
                               metaTimestamp: entry.meta?.timestamp)
    }

    private func state(of key: ObjectKey) -> ObjectState {
        guard let entry = contents[key.partition]?[key.hash] else { return .missing }
        switch entry.version {
        case .tombstone(let timestamp, _):
            return .deleted(timestamp)
        case .data(let metadata, let path, _):
            return .present(entry.meta.map { metadata.applying($0) } ?? metadata, path: path)
        }
    }

    private func checkNotOutdated(_ key: ObjectKey, timestamp: SwiftTimestamp) throws {
        if let existing = contents[key.partition]?[key.hash]?.version.timestamp, existing >= timestamp {
            throw ObjectStoreError.outdated(existing: existing)
        }
    }
}
