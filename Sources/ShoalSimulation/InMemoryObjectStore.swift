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
        case tombstone(SwiftTimestamp)

        var timestamp: SwiftTimestamp {
            switch self {
            case .data(let metadata, _, _): metadata.timestamp
            case .tombstone(let timestamp): timestamp
            }
        }
    }

    private struct Entry {
        var version: Version
        /// A POST newer than the data, if any.
        var meta: ObjectMetadataUpdate?
    }

    private var contents: [Int: [ObjectHash: Entry]] = [:]
    private let chunkBytes: Int

    /// `chunkBytes` is the size of the chunks a GET body yields.
    public init(chunkBytes: Int = 64 * 1024) {
        self.chunkBytes = max(1, chunkBytes)
    }

    public func put(_ key: ObjectKey, metadata: ObjectMetadata, body: ChunkStream, expectedETag: String?) async throws -> StoredObject {
        do { try metadata.validate() } catch { throw ObjectStoreError.invalidMetadata(error) }
        try checkNotOutdated(key, timestamp: metadata.timestamp)
        var hasher = ETagHasher()
        var bytes: [UInt8] = []
        for try await chunk in body {
            hasher.update(chunk)
            bytes.append(contentsOf: chunk)
        }
        let etag = hasher.finalize()
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
        contents[key.partition, default: [:]][key.hash] = Entry(version: .data(stored, path: key.path, body: bytes), meta: meta)
        return StoredObject(timestamp: stored.timestamp, etag: etag, sizeBytes: bytes.count)
    }

    public func get(_ key: ObjectKey, range: ClosedRange<Int>?) async throws -> ObjectReader? {
        guard case .present(let metadata, let path) = state(of: key),
              case .data(_, _, let body)? = contents[key.partition]?[key.hash]?.version
        else { return nil }
        guard let range else {
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
        if let existing, existing.version.timestamp >= timestamp { return .outdated(existing: existing.version.timestamp) }
        contents[key.partition, default: [:]][key.hash] = Entry(version: .tombstone(timestamp), meta: nil)
        if case .data? = existing?.version { return .deleted(hadObject: true) }
        return .deleted(hadObject: false)
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
        (contents[partition] ?? [:]).map { hash, entry in
            let isTombstone: Bool
            if case .tombstone = entry.version { isTombstone = true } else { isTombstone = false }
            return PartitionObject(hash: hash, timestamp: entry.version.timestamp, isTombstone: isTombstone,
                                   metaTimestamp: entry.meta?.timestamp)
        }.sorted { $0.hash < $1.hash }
    }

    private func state(of key: ObjectKey) -> ObjectState {
        guard let entry = contents[key.partition]?[key.hash] else { return .missing }
        switch entry.version {
        case .tombstone(let timestamp):
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
