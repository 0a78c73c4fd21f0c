import Crypto

/// The set of devices the ring is computed from: a state-based CRDT, last writer wins
/// per device, with tombstones.
///
/// Merge is commutative, associative and idempotent, so gossip may deliver records in any
/// order, any number of times, and every node ends with the same set. It changes only by
/// an explicit ``join(_:by:)`` or ``remove(_:by:)`` — never because a node stopped answering.
public struct DeviceSet: Hashable, Sendable {
    public private(set) var records: [DeviceID: DeviceRecord]

    public init(_ records: some Sequence<DeviceRecord> = []) {
        self.records = [:]
        for record in records { apply(record) }
    }

    /// Devices settled in the ring (not joining or draining), sorted by id.
    public var activeDevices: [DeviceRecord] {
        records.values.filter(\.isActive).sorted { $0.id < $1.id }
    }

    /// All records (tombstones too), sorted by id: the canonical order for encoding.
    public var sortedRecords: [DeviceRecord] { records.values.sorted { $0.id < $1.id } }

    /// The highest Lamport counter seen: the ring version, and the base of the next write.
    public var version: UInt64 { records.values.lazy.map(\.version.counter).max() ?? 0 }

    /// Merges one record; true when it changed the set (then it is news worth gossiping).
    @discardableResult
    public mutating func apply(_ record: DeviceRecord) -> Bool {
        if let current = records[record.id], !record.supersedes(current) { return false }
        records[record.id] = record
        return true
    }

    /// Merges another replica of the set; returns the records that were news to this one.
    @discardableResult
    public mutating func merge(_ other: DeviceSet) -> [DeviceRecord] {
        var news: [DeviceRecord] = []
        for record in other.sortedRecords where apply(record) { news.append(record) }
        return news
    }

    public func merged(with other: DeviceSet) -> DeviceSet {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// Adds (or re-adds, or updates) a device on behalf of `writer`, stamped after
    /// everything this replica has seen. Returns the record written, to be gossiped.
    ///
    /// A device already present keeps its state (a restart with a new address stays
    /// joining, active or draining); a new one takes `state`: `joining` in a running
    /// cluster, so that its partitions move to it in steps, `active` when it founds one.
    @discardableResult
    public mutating func join(_ device: DeviceSpec, as state: DeviceRecord.State = .active, by writer: NodeID) -> DeviceRecord {
        let current = records[device.id].flatMap { $0.isPresent ? $0.state : nil }
        let record = DeviceRecord(
            id: device.id, node: device.node, zone: device.zone, address: device.address,
            weight: device.weight, state: current ?? state, version: DeviceVersion(counter: version + 1, writer: writer)
        )
        apply(record)
        return record
    }

    /// Marks a joining device active: every partition the ring moved to it has arrived.
    /// Nil when it is unknown or not joining.
    @discardableResult
    public mutating func activate(_ id: DeviceID, by writer: NodeID) -> DeviceRecord? {
        guard let current = records[id], current.state == .joining else { return nil }
        return write(current.with(state: .active, at: DeviceVersion(counter: version + 1, writer: writer)))
    }

    /// Devices joining or draining, oldest change first: the ring moves the oldest change's
    /// replicas first, and a joining device may turn active only when it is the oldest.
    public var changesInFlight: [DeviceRecord] {
        records.values.filter(\.isChanging).sorted { $0.version < $1.version }
    }

    /// Tombstones a device; nil when it is unknown or already removed.
    @discardableResult
    public mutating func remove(_ id: DeviceID, by writer: NodeID) -> DeviceRecord? {
        guard let current = records[id], current.isPresent else { return nil }
        return write(current.with(state: .removed, at: DeviceVersion(counter: version + 1, writer: writer)))
    }

    /// Takes an active (or joining) device out of the ring while its node stays to push its
    /// data to the new owners; nil when it is unknown or not in the ring.
    @discardableResult
    public mutating func drain(_ id: DeviceID, by writer: NodeID) -> DeviceRecord? {
        guard let current = records[id], current.takesPartitions else { return nil }
        return write(current.with(state: .draining, at: DeviceVersion(counter: version + 1, writer: writer)))
    }

    /// Tombstones every device of `node` not yet removed; returns the tombstones written.
    @discardableResult
    public mutating func removeNode(_ node: NodeID, by writer: NodeID) -> [DeviceRecord] {
        devices(of: node, where: \.isPresent).compactMap { remove($0, by: writer) }
    }

    /// Drains every device of `node` in the ring; returns the records written.
    @discardableResult
    public mutating func drainNode(_ node: NodeID, by writer: NodeID) -> [DeviceRecord] {
        devices(of: node, where: \.takesPartitions).compactMap { drain($0, by: writer) }
    }

    /// Nodes with a device not yet removed: the cluster's members by explicit join.
    public var activeNodes: Set<NodeID> { Set(records.values.lazy.filter(\.isPresent).map(\.node)) }

    private func devices(of node: NodeID, where condition: (DeviceRecord) -> Bool) -> [DeviceID] {
        records.values.filter { $0.node == node && condition($0) }.map(\.id).sorted()
    }

    private mutating func write(_ record: DeviceRecord) -> DeviceRecord {
        apply(record)
        return record
    }

    /// SHA-256 of the canonical encoding: equal digests mean equal sets.
    public var digest: [UInt8] { Array(SHA256.hash(data: wireBytes())) }
}

/// What a node asks for when it joins a device: everything but the version.
public struct DeviceSpec: Hashable, Sendable, Codable {
    public let id: DeviceID
    public let node: NodeID
    public let zone: String
    public let address: ClusterAddress
    public let weight: Double

    public init(id: DeviceID, node: NodeID, zone: String, address: ClusterAddress, weight: Double = 1) {
        self.id = id
        self.node = node
        self.zone = zone
        self.address = address
        self.weight = weight
    }
}

extension DeviceSet: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        let sorted = sortedRecords
        writer.writeVarint(sorted.count)
        for record in sorted { record.encode(into: &writer) }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let count = try reader.readItemCount(field: "device count", minimumItemBytes: 16, limit: 1 << 20)
        var set = DeviceSet()
        for _ in 0..<count { set.apply(try DeviceRecord(from: &reader)) }
        self = set
    }
}
