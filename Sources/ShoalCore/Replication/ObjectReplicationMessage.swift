/// Requests on the object-replication channel, one replicator to the replication server of
/// a peer (Swift's `REPLICATE` verb and ssync, as one small protocol): compare suffix hashes
/// of many partitions in one round trip, list the objects of the suffixes that differ, and
/// push the versions the peer lacks. Addressed to one device of the peer.
public enum ObjectReplicationRequest: Hashable, Sendable {
    /// Suffix hashes of each partition (absent partitions answer an empty map).
    case hashes(device: DeviceID, partitions: [Int])
    /// Suffix hashes of each partition, leaving out every partition whose
    /// ``PartitionObject/digest(ofSuffixHashes:)`` here is the one `known` gives for it (the
    /// asker's): what a replication pass sends, so partitions at rest cost no map either
    /// way. A partition without a known digest is answered in full (a handoff's, whose
    /// removal needs the peer's map).
    case differingHashes(device: DeviceID, partitions: [Int], known: [Int: UInt64])
    /// The objects of `suffixes` in `partition`.
    case objects(device: DeviceID, partition: Int, suffixes: [String])
    /// Store `replica`'s chosen parts; the data's body streams as the request body.
    case push(device: DeviceID, partition: Int, replica: ObjectReplica, parts: ReplicaParts)

    /// Most partitions one ``hashes(device:partitions:)`` asks about.
    public static let maximumPartitions = 1_024
    /// Most suffixes one ``objects(device:partition:suffixes:)`` lists (a partition has 4,096).
    public static let maximumSuffixes = 4_096

    public var device: DeviceID {
        switch self {
        case .hashes(let device, _), .differingHashes(let device, _, _), .objects(let device, _, _),
             .push(let device, _, _, _): device
        }
    }
}

/// Answers to ``ObjectReplicationRequest``.
public enum ObjectReplicationResponse: Hashable, Sendable {
    case hashes([Int: [String: String]])
    case objects([PartitionObject])
    /// The push was applied (or the peer already had something as new).
    case pushed
    /// Not done: unknown device, a body that failed its checksum, a disk error. For humans.
    case refused(String)
    /// Not done because the device is full (Swift's 507): the replicator gives the version
    /// to a handoff instead, which holds it until the device has room.
    case full
}

extension ObjectReplicationRequest: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.write(UInt8(1))  // format version
        switch self {
        case .hashes(let device, let partitions):
            writer.write(UInt8(1))
            writer.writeString(device.rawValue)
            writer.writeVarint(partitions.count)
            for partition in partitions { writer.writeVarint(partition) }
        case .objects(let device, let partition, let suffixes):
            writer.write(UInt8(2))
            writer.writeString(device.rawValue)
            writer.writeVarint(partition)
            writer.writeVarint(suffixes.count)
            for suffix in suffixes { writer.writeString(suffix) }
        case .push(let device, let partition, let replica, let parts):
            writer.write(UInt8(3))
            writer.writeString(device.rawValue)
            writer.writeVarint(partition)
            replica.encode(into: &writer)
            writer.write(parts.base)
            writer.write(parts.meta)
        case .differingHashes(let device, let partitions, let known):
            writer.write(UInt8(4))
            writer.writeString(device.rawValue)
            writer.writeVarint(partitions.count)
            for partition in partitions {
                writer.writeVarint(partition)
                if let digest = known[partition] {
                    writer.write(true)
                    writer.write(digest)
                } else {
                    writer.write(false)
                }
            }
        }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        try reader.expectFormatVersion(1)
        let tag = try reader.readUInt8()
        guard let device = DeviceID(try reader.readString(field: "device", limit: 64)) else { throw .invalidValue(field: "device") }
        switch tag {
        case 1:
            let count = try reader.readItemCount(field: "partitions", limit: Self.maximumPartitions)
            var partitions: [Int] = []
            partitions.reserveCapacity(count)
            for _ in 0..<count { partitions.append(try Self.readPartition(&reader)) }
            self = .hashes(device: device, partitions: partitions)
        case 2:
            let partition = try Self.readPartition(&reader)
            let count = try reader.readItemCount(field: "suffixes", minimumItemBytes: 4, limit: Self.maximumSuffixes)
            var suffixes: [String] = []
            for _ in 0..<count {
                let suffix = try reader.readString(field: "suffix", limit: 3)
                guard ObjectHash.isSuffix(suffix) else { throw .invalidValue(field: "suffix") }
                suffixes.append(suffix)
            }
            self = .objects(device: device, partition: partition, suffixes: suffixes)
        case 3:
            let partition = try Self.readPartition(&reader)
            let replica = try ObjectReplica(from: &reader)
            let parts = ReplicaParts(base: try reader.readBool(field: "base"), meta: try reader.readBool(field: "meta"))
            self = .push(device: device, partition: partition, replica: replica, parts: parts)
        case 4:
            let count = try reader.readItemCount(field: "partitions", minimumItemBytes: 2, limit: Self.maximumPartitions)
            var partitions: [Int] = []
            var known: [Int: UInt64] = [:]
            partitions.reserveCapacity(count)
            for _ in 0..<count {
                let partition = try Self.readPartition(&reader)
                partitions.append(partition)
                if try reader.readBool(field: "digest present") { known[partition] = try reader.readUInt64() }
            }
            self = .differingHashes(device: device, partitions: partitions, known: known)
        default:
            throw .unknownTag(field: "replication request", value: UInt64(tag))
        }
    }

    private static func readPartition(_ reader: inout ByteReader) throws(WireError) -> Int {
        try reader.readCount(field: "partition", limit: Int(UInt32.max))
    }
}

extension ObjectReplicationResponse: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.write(UInt8(1))
        switch self {
        case .hashes(let partitions):
            writer.write(UInt8(1))
            writer.writeVarint(partitions.count)
            for (partition, suffixes) in partitions.sorted(by: { $0.key < $1.key }) {
                writer.writeVarint(partition)
                writer.writeVarint(suffixes.count)
                for (suffix, hash) in suffixes.sorted(by: { $0.key < $1.key }) {
                    writer.writeString(suffix)
                    writer.writeString(hash)
                }
            }
        case .objects(let objects):
            writer.write(UInt8(2))
            writer.writeVarint(objects.count)
            for object in objects { object.encode(into: &writer) }
        case .pushed:
            writer.write(UInt8(3))
        case .refused(let reason):
            writer.write(UInt8(4))
            writer.writeString(reason)
        case .full:
            writer.write(UInt8(5))
        }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        try reader.expectFormatVersion(1)
        let tag = try reader.readUInt8()
        switch tag {
        case 1:
            let count = try reader.readItemCount(field: "partitions", minimumItemBytes: 2)
            var partitions: [Int: [String: String]] = [:]
            for _ in 0..<count {
                let partition = try reader.readCount(field: "partition", limit: Int(UInt32.max))
                let suffixCount = try reader.readItemCount(field: "suffixes", minimumItemBytes: 6,
                                                           limit: ObjectReplicationRequest.maximumSuffixes)
                var suffixes: [String: String] = [:]
                for _ in 0..<suffixCount {
                    let suffix = try reader.readString(field: "suffix", limit: 3)
                    suffixes[suffix] = try reader.readString(field: "suffix hash", limit: 32)
                }
                partitions[partition] = suffixes
            }
            self = .hashes(partitions)
        case 2:
            let count = try reader.readItemCount(field: "objects", minimumItemBytes: 36)
            var objects: [PartitionObject] = []
            objects.reserveCapacity(count)
            for _ in 0..<count { objects.append(try PartitionObject(from: &reader)) }
            self = .objects(objects)
        case 3:
            self = .pushed
        case 4:
            self = .refused(try reader.readString(field: "reason", limit: 4_096))
        case 5:
            self = .full
        default:
            throw .unknownTag(field: "replication response", value: UInt64(tag))
        }
    }
}
