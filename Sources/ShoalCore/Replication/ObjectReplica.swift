/// One object's current versions as replication ships them from one device to another
/// (Swift's ssync sends the same three things): the stored path, the winning version — live
/// data with its own metadata (the `.data`), or a tombstone — and a newer POST (`.meta`).
/// The data's body travels beside it as a stream, checked against `etag` on arrival.
public struct ObjectReplica: Hashable, Sendable {
    public enum Base: Hashable, Sendable {
        case data(ObjectMetadata)
        case tombstone(SwiftTimestamp)

        public var timestamp: SwiftTimestamp {
            switch self {
            case .data(let metadata): metadata.timestamp
            case .tombstone(let timestamp): timestamp
            }
        }
    }

    /// `/account/container/object`.
    public let path: String
    public let base: Base
    public let meta: ObjectMetadataUpdate?

    public init(path: String, base: Base, meta: ObjectMetadataUpdate?) {
        self.path = path
        self.base = base
        self.meta = meta
    }

    /// The path's three names, when it is a well-formed object path.
    public var names: (account: String, container: String, object: String)? {
        guard path.hasPrefix("/") else { return nil }
        let parts = path.dropFirst().split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }

    /// What `self` says about its object, as a listing entry.
    public func summary(hash: ObjectHash) -> PartitionObject {
        var isTombstone = false
        if case .tombstone = base { isTombstone = true }
        return PartitionObject(hash: hash, timestamp: base.timestamp, isTombstone: isTombstone, metaTimestamp: meta?.timestamp)
    }
}

extension ObjectReplica: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.writeString(path)
        switch base {
        case .data(let metadata):
            writer.write(UInt8(1))
            metadata.encode(into: &writer)
        case .tombstone(let timestamp):
            writer.write(UInt8(2))
            timestamp.encode(into: &writer)
        }
        writer.write(meta != nil)
        meta?.encode(into: &writer)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        path = try reader.readString(field: "path", limit: 2_048)
        let tag = try reader.readUInt8()
        switch tag {
        case 1: base = .data(try ObjectMetadata(from: &reader))
        case 2: base = .tombstone(try SwiftTimestamp(from: &reader))
        default: throw .unknownTag(field: "replica base", value: UInt64(tag))
        }
        meta = try reader.readBool(field: "has meta") ? try ObjectMetadataUpdate(from: &reader) : nil
    }
}

extension PartitionObject: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.writeString(hash.hex)
        timestamp.encode(into: &writer)
        writer.write(isTombstone)
        writer.write(metaTimestamp != nil)
        metaTimestamp?.encode(into: &writer)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        guard let hash = ObjectHash(hex: try reader.readString(field: "hash", limit: 32)) else {
            throw .invalidValue(field: "hash")
        }
        let timestamp = try SwiftTimestamp(from: &reader)
        let isTombstone = try reader.readBool(field: "tombstone")
        let meta = try reader.readBool(field: "has meta") ? try SwiftTimestamp(from: &reader) : nil
        self.init(hash: hash, timestamp: timestamp, isTombstone: isTombstone, metaTimestamp: meta)
    }
}

extension PartitionObject {
    /// What a replica holding `self` must send a peer holding `remote` (nil: nothing):
    /// Swift's ssync rules, last writer wins per part. The base (data or tombstone) goes when
    /// it is newer; a newer `.meta` goes on its own when the peer has the same live data.
    public func parts(toUpdate remote: PartitionObject?) -> ReplicaParts? {
        guard let remote else { return ReplicaParts(base: true, meta: metaTimestamp != nil) }
        if timestamp > remote.timestamp { return ReplicaParts(base: true, meta: metaTimestamp != nil) }
        guard timestamp == remote.timestamp, !isTombstone, let metaTimestamp else { return nil }
        if let theirs = remote.metaTimestamp, theirs >= metaTimestamp { return nil }
        return ReplicaParts(base: false, meta: true)
    }
}

/// Which parts of an ``ObjectReplica`` a push carries.
public struct ReplicaParts: Hashable, Sendable {
    /// The data (with its body) or the tombstone.
    public var base: Bool
    /// The newer `.meta`.
    public var meta: Bool

    public init(base: Bool, meta: Bool) {
        self.base = base
        self.meta = meta
    }
}
