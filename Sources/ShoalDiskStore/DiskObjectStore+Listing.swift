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
        try await io.run {
            let partitionPath = "\(self.objectsPath)/\(partition)"
            var result: [String: String] = [:]
            for suffix in try PosixFile.list(partitionPath) where ObjectHash.isSuffix(suffix) {
                if let cached = self.suffixHashes.cached(partition: partition, suffix: suffix) {
                    result[suffix] = cached
                    continue
                }
                let token = self.suffixHashes.beginComputing(partition: partition, suffix: suffix)
                let objects = try self.objects(partition: partition, suffix: suffix)
                guard let hash = PartitionObject.suffixHashes(objects)[suffix] else { continue }
                self.suffixHashes.store(hash, partition: partition, suffix: suffix, token: token)
                result[suffix] = hash
            }
            return result
        }
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

    /// The objects of one suffix directory. Blocking.
    func objects(partition: Int, suffix: String) throws -> [PartitionObject] {
        var found: [PartitionObject] = []
        for name in try PosixFile.list("\(objectsPath)/\(partition)/\(suffix)") {
            guard let hash = ObjectHash(hex: name), hash.suffix == suffix else { continue }
            let state = try scan(hashDirectory(partition: partition, hash: hash))
            guard let newest = state.newest else { continue }
            found.append(PartitionObject(hash: hash, timestamp: newest.timestamp, isTombstone: newest.kind == .tombstone,
                                         metaTimestamp: state.meta?.timestamp))
        }
        return found
    }

    /// Forgets a suffix's cached hash: called after every change to a file in it.
    func invalidateHashes(partition: Int, suffix: String) {
        suffixHashes.invalidate(partition: partition, suffix: suffix)
    }
}

/// Swift's `hashes.pkl`, in memory: each suffix's hash as last computed, dropped whenever a
/// file under the suffix changes. A computation racing a change does not store its result
/// (the change bumps the suffix's generation), so the cache never holds a stale hash.
final class SuffixHashCache: Sendable {
    private struct Entry {
        var hash: String?
        var generation: UInt64 = 0
    }

    private let entries = Mutex<[String: Entry]>([:])

    private func key(_ partition: Int, _ suffix: String) -> String { "\(partition)/\(suffix)" }

    func cached(partition: Int, suffix: String) -> String? {
        entries.withLock { $0[key(partition, suffix)]?.hash }
    }

    /// The generation a computation starts from.
    func beginComputing(partition: Int, suffix: String) -> UInt64 {
        entries.withLock { $0[key(partition, suffix), default: Entry()].generation }
    }

    func store(_ hash: String, partition: Int, suffix: String, token: UInt64) {
        entries.withLock {
            let key = key(partition, suffix)
            if $0[key, default: Entry()].generation == token { $0[key, default: Entry()].hash = hash }
        }
    }

    func invalidate(partition: Int, suffix: String) {
        entries.withLock {
            let key = key(partition, suffix)
            var entry = $0[key, default: Entry()]
            entry.hash = nil
            entry.generation &+= 1
            $0[key] = entry
        }
    }
}
