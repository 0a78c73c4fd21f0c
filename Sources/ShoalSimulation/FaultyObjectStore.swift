#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalCore
import ShoalPorts
import Synchronization

/// A simulated disk: an ``ObjectStore`` over another whose next write a simulation can
/// tear — the body fails part-way, as when the process dies or the disk errors while an
/// upload or a replication push streams in — or that a simulation can fill, so that every
/// write fails with `ENOSPC` as a full device's do. The ``ObjectStore`` contract says a
/// failed write leaves nothing visible; simulations check that the store underneath keeps
/// it. Every other call passes through.
public final class FaultyObjectStore: ObjectStore {
    /// The error a torn write's body fails with.
    public struct TornWrite: Error, Hashable {
        public let afterBytes: Int
    }

    /// A write that was torn: which object, and the version it would have stored.
    public struct Torn: Hashable, Sendable {
        public let key: ObjectKey
        public let timestamp: SwiftTimestamp
    }

    private struct State {
        /// The next write fails after this many body bytes.
        var tearAfter: Int?
        var torn: [Torn] = []
        var full = false
        /// Runs before the next `get` reaches the store underneath (another writer getting in
        /// between a server's look at an object and its read).
        var beforeNextGet: (@Sendable () async throws -> Void)?
        var heads = 0
        var gets = 0
    }

    public let base: any ObjectStore
    private let state = Mutex(State())

    public init(_ base: any ObjectStore) {
        self.base = base
    }

    /// The next ``put(_:metadata:body:expectedETag:)`` (from any caller) fails after
    /// `bytes` bytes of its body have reached the store underneath.
    public func tearNextWrite(afterBytes bytes: Int) { state.withLock { $0.tearAfter = max(0, bytes) } }

    /// Whether a tear is armed and has not fired yet.
    public var isArmed: Bool { state.withLock { $0.tearAfter != nil } }

    /// Disarms a tear that has not fired.
    public func disarm() { state.withLock { $0.tearAfter = nil } }

    /// Every write (a body, a tombstone, a `.meta`) fails with `ENOSPC` from now on, until
    /// ``free()``; reads keep working, as on a full disk.
    public func fill() { state.withLock { $0.full = true } }

    /// Writes succeed again (space was freed).
    public func free() { state.withLock { $0.full = false } }

    /// The error a full disk's writes fail with.
    public static let outOfSpace = ObjectStoreError.io(operation: "write", errno: ENOSPC)

    private func checkSpace() throws {
        if state.withLock({ $0.full }) { throw Self.outOfSpace }
    }

    /// Runs `action` when the next ``get(_:range:)`` comes, before it reads: a simulation
    /// puts another version in between a server's look at an object and its read.
    public func beforeNextGet(_ action: @escaping @Sendable () async throws -> Void) {
        state.withLock { $0.beforeNextGet = action }
    }

    /// How many ``head(_:)`` and ``get(_:range:)`` calls came so far: what a read costs the disk.
    public var reads: (heads: Int, gets: Int) { state.withLock { ($0.heads, $0.gets) } }

    /// The writes torn since the last call, oldest first; the list starts empty again.
    public func takeTornWrites() -> [Torn] {
        state.withLock { state in
            defer { state.torn = [] }
            return state.torn
        }
    }

    public func put(_ key: ObjectKey, metadata: ObjectMetadata, body: ChunkStream, expectedETag: String?,
                    digest: BodyDigest) async throws -> StoredObject {
        try checkSpace()
        guard let limit = state.withLock({ state in
            defer { state.tearAfter = nil }
            return state.tearAfter
        }) else {
            return try await base.put(key, metadata: metadata, body: body, expectedETag: expectedETag, digest: digest)
        }
        state.withLock { $0.torn.append(Torn(key: key, timestamp: metadata.timestamp)) }
        return try await base.put(key, metadata: metadata, body: try await Self.tear(body, after: limit), expectedETag: expectedETag,
                                  digest: digest)
    }

    /// The first `limit` bytes of `body`, then ``TornWrite`` where its end would be.
    private static func tear(_ body: ChunkStream, after limit: Int) async throws -> ChunkStream {
        var kept: [UInt8] = []
        for try await chunk in body {
            kept += chunk.prefix(limit - kept.count)
            if kept.count >= limit { break }
        }
        // A chunk stream keeps its state in its closure, so each pull may take a fresh iterator.
        let head = ChunkStream.bytes(kept, chunkSize: 4_096)
        return ChunkStream {
            var iterator = head.makeAsyncIterator()
            guard let chunk = try await iterator.next() else { throw TornWrite(afterBytes: limit) }
            return chunk
        }
    }

    public func get(_ key: ObjectKey, range: ClosedRange<Int>?) async throws -> ObjectReader? {
        let action = state.withLock { state in
            defer { state.beforeNextGet = nil }
            state.gets += 1
            return state.beforeNextGet
        }
        try await action?()
        return try await base.get(key, range: range)
    }

    public func head(_ key: ObjectKey) async throws -> ObjectState {
        state.withLock { $0.heads += 1 }
        return try await base.head(key)
    }

    public func delete(_ key: ObjectKey, timestamp: SwiftTimestamp) async throws -> DeleteOutcome {
        try checkSpace()
        return try await base.delete(key, timestamp: timestamp)
    }

    public func post(_ key: ObjectKey, metadata: ObjectMetadataUpdate) async throws -> PostOutcome {
        try checkSpace()
        return try await base.post(key, metadata: metadata)
    }

    public func partitions() async throws -> [Int] { try await base.partitions() }

    public func hashes(in partition: Int) async throws -> [String: String] { try await base.hashes(in: partition) }

    public func hashes(in partitions: [Int]) async throws -> [Int: [String: String]] {
        try await base.hashes(in: partitions)
    }

    public func objects(inPartition partition: Int) async throws -> [PartitionObject] {
        try await base.objects(inPartition: partition)
    }

    public func replica(of hash: ObjectHash, inPartition partition: Int) async throws -> ObjectReplica? {
        try await base.replica(of: hash, inPartition: partition)
    }

    public func remove(_ object: PartitionObject, inPartition partition: Int) async throws -> Bool {
        try await base.remove(object, inPartition: partition)
    }

    public func reclaimTombstones(inPartition partition: Int, before cutoff: SwiftTimestamp) async throws -> Int {
        try await base.reclaimTombstones(inPartition: partition, before: cutoff)
    }

    public func audit(_ hash: ObjectHash, inPartition partition: Int) async throws -> AuditOutcome {
        try await base.audit(hash, inPartition: partition)
    }
}
