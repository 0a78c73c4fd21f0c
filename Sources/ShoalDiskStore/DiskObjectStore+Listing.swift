import ShoalCore
import ShoalPorts
import Synchronization

extension DiskObjectStore {
    public func partitions() async throws -> [Int] {
        try await io.run {
            try PosixFile.list(self.objectsPath).compactMap { name in
                guard let value = Int(name), value >= 0, String(value) == name else { return nil }
                return value
            }.sorted()
        }
    }

    /// Suffix hashes from the cache where a suffix has not changed since it was computed,
    /// so a replication pass reads only the suffixes written to since the last one.
    public func hashes(in partition: Int) async throws -> [String: String] {
        try await io.run { try self.hashesNow(in: partition) }
    }

    /// Many partitions' hashes in one trip to the disk threads; a partition whose folder
    /// cannot be read is left out. An unchanged partition costs no system call at all
    /// (``SuffixHashCache``), so a replication pass over a device whose data is at rest
    /// is a few dictionary lookups per partition.
    public func hashes(in partitions: [Int]) async throws -> [Int: [String: String]] {
        try await io.run {
            var result: [Int: [String: String]] = [:]
            for partition in partitions { result[partition] = try? self.hashesNow(in: partition) }
            return result
        }
    }

    /// One partition's hashes. Blocking.
    func hashesNow(in partition: Int) throws -> [String: String] {
        if let cached = suffixHashes.cached(partition: partition) { return cached }
        let token = suffixHashes.beginListing(partition: partition)
        statistics.countListing()
        var result: [String: String] = [:]
        for suffix in try PosixFile.list("\(objectsPath)/\(partition)") where ObjectHash.isSuffix(suffix) {
            if let cached = suffixHashes.cached(partition: partition, suffix: suffix) {
                result[suffix] = cached
                continue
            }
            let token = suffixHashes.beginComputing(partition: partition, suffix: suffix)
            let objects = try objects(partition: partition, suffix: suffix)
            guard let hash = PartitionObject.suffixHashes(objects)[suffix] else { continue }
            suffixHashes.store(hash, partition: partition, suffix: suffix, token: token)
            result[suffix] = hash
        }
        suffixHashes.store(result, partition: partition, token: token)
        return result
    }

    public func objects(inPartition partition: Int) async throws -> [PartitionObject] {
        try await io.run {
            let partitionPath = "\(self.objectsPath)/\(partition)"
            var found: [PartitionObject] = []
            for suffix in try PosixFile.list(partitionPath) where ObjectHash.isSuffix(suffix) {
                found += try self.objects(partition: partition, suffix: suffix)
            }
            return found.sorted { $0.hash < $1.hash }
        }
    }

    /// The objects of one suffix folder, from one listing of it, which also removes the
    /// temporary files a gone process left there. Blocking.
    func objects(partition: Int, suffix: String) throws -> [PartitionObject] {
        statistics.countSuffixListing()
        let directory = suffixDirectory(partition: partition, suffix: suffix)
        let stored = try PosixFile.list(directory)
        removeAbandonedTemporaries(stored, in: directory)
        return Self.objects(Self.group(stored, suffix: suffix))
    }

    /// A suffix folder's stored names, each object's version names under its hash.
    static func group(_ stored: [String], suffix: String) -> [ObjectHash: [String]] {
        var names: [ObjectHash: [String]] = [:]
        for stored in stored {
            guard let (hash, name) = ObjectFiles.split(stored), hash.suffix == suffix else { continue }
            names[hash, default: []].append(name)
        }
        return names
    }

    /// The objects whose version names ``group(_:suffix:)`` gathered.
    static func objects(_ names: [ObjectHash: [String]]) -> [PartitionObject] {
        names.compactMap { hash, names in
            let state = HashDirectory(names: names)
            guard let newest = state.newest else { return nil }
            return PartitionObject(hash: hash, timestamp: newest.timestamp, isTombstone: newest.kind == .tombstone,
                                   metaTimestamp: state.meta?.timestamp)
        }
    }

    /// Forgets a suffix's cached hash: called after every change to a file in it. Returns
    /// the token a hash computed from a listing taken after this call is stored under.
    @discardableResult
    func invalidateHashes(partition: Int, suffix: String) -> UInt64 {
        suffixHashes.invalidate(partition: partition, suffix: suffix)
    }
}

/// Swift's `hashes.pkl`, in memory, at two levels: each suffix's hash as last computed,
/// and each partition's whole map (which suffix folders exist, with their hashes). A change
/// to a file drops its suffix's hash and its partition's map. A computation racing a
/// change does not store its result (the change bumps the generation it started from), so
/// the cache never holds a stale hash.
///
/// Every change goes through this store, so a cached map stays right; still, as Swift's
/// replicator lists one partition in ten on each pass, a map serves ``relistEvery``
/// lookups and then the partition folder is read again, so a folder changed behind the
/// store's back (an operator removing a bad suffix, say) is seen within a few passes.
/// The first budget is spread by partition number, so the relistings of a device spread
/// over passes too.
final class SuffixHashCache: Sendable {
    static let relistEvery = 10

    private struct Key: Hashable {
        let partition: Int
        let suffix: String
    }

    private struct Entry {
        var hash: String?
        var generation: UInt64 = 0
    }

    private struct PartitionEntry {
        var hashes: [String: String]?
        var generation: UInt64 = 0
        var lookupsLeft = 0
        var listings = 0
    }

    private struct State {
        var suffixes: [Key: Entry] = [:]
        var partitions: [Int: PartitionEntry] = [:]
    }

    private let state = Mutex(State())

    func cached(partition: Int, suffix: String) -> String? {
        state.withLock { $0.suffixes[Key(partition: partition, suffix: suffix)]?.hash }
    }

    /// The generation a computation starts from.
    func beginComputing(partition: Int, suffix: String) -> UInt64 {
        state.withLock { $0.suffixes[Key(partition: partition, suffix: suffix), default: Entry()].generation }
    }

    func store(_ hash: String, partition: Int, suffix: String, token: UInt64) {
        state.withLock {
            let key = Key(partition: partition, suffix: suffix)
            if $0.suffixes[key, default: Entry()].generation == token { $0.suffixes[key, default: Entry()].hash = hash }
        }
    }

    /// A partition's whole map, if nothing in it changed since it was listed and its
    /// lookup budget is not spent.
    func cached(partition: Int) -> [String: String]? {
        state.withLock { state in
            guard var entry = state.partitions[partition], let hashes = entry.hashes else { return nil }
            guard entry.lookupsLeft > 0 else { return nil }
            entry.lookupsLeft -= 1
            state.partitions[partition] = entry
            return hashes
        }
    }

    /// The generation a listing of the partition folder starts from.
    func beginListing(partition: Int) -> UInt64 {
        state.withLock { $0.partitions[partition, default: PartitionEntry()].generation }
    }

    func store(_ hashes: [String: String], partition: Int, token: UInt64) {
        state.withLock { state in
            var entry = state.partitions[partition, default: PartitionEntry()]
            guard entry.generation == token else { return }
            entry.hashes = hashes
            entry.lookupsLeft = Self.relistEvery - (entry.listings == 0 ? partition % Self.relistEvery : 0)
            entry.listings += 1
            state.partitions[partition] = entry
        }
    }

    /// Drops the suffix's hash and its partition's map; returns the suffix's new generation
    /// (what a hash computed from a listing taken after this call is stored under).
    @discardableResult
    func invalidate(partition: Int, suffix: String) -> UInt64 {
        state.withLock { state in
            let key = Key(partition: partition, suffix: suffix)
            var entry = state.suffixes[key, default: Entry()]
            entry.hash = nil
            entry.generation &+= 1
            state.suffixes[key] = entry
            var whole = state.partitions[partition, default: PartitionEntry()]
            whole.hashes = nil
            whole.generation &+= 1
            state.partitions[partition] = whole
            return entry.generation
        }
    }
}
