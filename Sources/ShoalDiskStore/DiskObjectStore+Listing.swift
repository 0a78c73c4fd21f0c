import ShoalCore
import ShoalPorts

extension DiskObjectStore {
    public func partitions() async throws -> [Int] {
        try await io.run {
            try PosixFile.list(self.objectsPath).compactMap { name in
                guard let value = Int(name), value >= 0, String(value) == name else { return nil }
                return value
            }.sorted()
        }
    }

    public func hashes(in partition: Int) async throws -> [String: String] {
        PartitionObject.suffixHashes(try await objects(inPartition: partition))
    }

    public func objects(inPartition partition: Int) async throws -> [PartitionObject] {
        try await io.run {
            let partitionPath = "\(self.objectsPath)/\(partition)"
            var found: [PartitionObject] = []
            for suffix in try PosixFile.list(partitionPath) where ObjectHash.isSuffix(suffix) {
                for name in try PosixFile.list(partitionPath + "/" + suffix) {
                    guard let hash = ObjectHash(hex: name), hash.suffix == suffix else { continue }
                    let state = try self.scan(self.hashDirectory(partition: partition, hash: hash))
                    guard let newest = state.newest else { continue }
                    found.append(PartitionObject(hash: hash, timestamp: newest.timestamp, isTombstone: newest.kind == .tombstone,
                                                 metaTimestamp: state.meta?.timestamp))
                }
            }
            return found.sorted { $0.hash < $1.hash }
        }
    }
}
