import Crypto

/// Where every partition lives: computed by each node from the device set alone.
///
/// For each partition, every active device gets a weighted rendezvous score
/// (`weight / −ln u`, with `u` a stable hash of partition and device in (0, 1)); the
/// replicas go to the best-scoring device of each zone, best zones first, so that no two
/// replicas share a zone while there are enough zones; then distinct nodes; then any
/// device. The devices that follow are the partition's handoffs.
///
/// Taking the best R of N is not proportional to weight when weights differ (a heavy
/// device cannot hold two replicas of one partition), so devices of each distinct weight
/// get an effective weight calibrated until their share matches (``WeightCalibration``).
/// With equal weights nothing is calibrated.
///
/// Because scores depend only on (partition, device), adding a device moves only the
/// replicas it now wins and removing one moves only its own. While devices join or drain,
/// each partition moves at most one replica at a time, and the device it moves away from
/// stays a write target and the first to read until the move is over (``RingTransition``).
/// The same device set gives a byte-identical table and ``checksum`` on every node,
/// whatever order it was learned in.
public struct Ring: Sendable {
    public let parameters: RingParameters
    /// The device set's version this ring was computed from.
    public let version: UInt64
    /// Devices the table names (weight > 0), sorted by id: those that take partitions
    /// (active, joining) and, during a move, draining ones still handing theirs over.
    public let devices: [DeviceRecord]
    /// Replicas actually placed per partition: `min(parameters.replicas, devices.count)`.
    public let replicaCount: Int
    /// Partition-major: the devices of partition `p` are `table[p*replicaCount ..< (p+1)*replicaCount]`.
    let table: [UInt32]
    /// Per partition, the device (index into ``devices``) one replica is moving away
    /// from, or ``notMoving``; empty when no partition moves.
    let leavingTable: [UInt32]
    /// Per partition, the slot of its row the moving replica goes to.
    let movingSlot: [UInt8]
    /// Hex SHA-256 of the parameters, devices, table and moves: nodes compare it to agree.
    public let checksum: String

    let scorer: RendezvousScorer

    static let notMoving = UInt32.max

    /// Computes the ring of `deviceSet` with `parameters`.
    public init(deviceSet: DeviceSet, parameters: RingParameters) {
        let usable = deviceSet.sortedRecords.filter { $0.weight > 0 }
        let layout = RingTransition.layout(source: usable.filter(\.heldPartitions), target: usable.filter(\.takesPartitions),
                                           parameters: parameters)
        self.parameters = parameters
        self.version = deviceSet.version
        self.devices = layout.devices
        self.replicaCount = layout.replicaCount
        self.scorer = layout.scorer
        self.table = layout.table
        self.leavingTable = layout.leaving
        self.movingSlot = layout.movingSlot
        self.checksum = Ring.checksum(parameters: parameters, version: deviceSet.version, devices: layout.devices,
                                      table: layout.table, leaving: layout.leaving)
    }

    public var partitionCount: Int { parameters.partitionCount }

    /// The table row of `partition`: indexes into ``devices``, best first.
    public func primaryIndices(of partition: Int) -> ArraySlice<UInt32> {
        table[partition * replicaCount..<(partition + 1) * replicaCount]
    }

    /// The devices holding `partition`, best first.
    public func primaries(of partition: Int) -> [DeviceRecord] {
        primaryIndices(of: partition).map { devices[Int($0)] }
    }

    /// The device a replica of `partition` is moving away from, while it moves: it still
    /// holds everything, gets the partition's writes too, and is read before the newcomer.
    public func leaving(of partition: Int) -> DeviceRecord? {
        guard !leavingTable.isEmpty else { return nil }
        let entry = leavingTable[partition]
        return entry == Self.notMoving ? nil : devices[Int(entry)]
    }

    /// The device a replica of `partition` is moving to, while it moves (one of its primaries).
    public func arriving(of partition: Int) -> DeviceRecord? {
        guard leaving(of: partition) != nil else { return nil }
        return devices[Int(table[partition * replicaCount + Int(movingSlot[partition])])]
    }

    /// How many partitions have a replica moving.
    public var movingPartitions: Int { leavingTable.count { $0 != Self.notMoving } }

    /// The devices that stand in when primaries fail, in the order to try them: devices in
    /// zones the primaries do not use first, then the rest, each group by score. A draining
    /// device or one a replica is leaving is never a handoff.
    public func handoffs(of partition: Int) -> [DeviceRecord] {
        var primary = Set(primaryIndices(of: partition).map(Int.init))
        let usedZones = Set(primary.map { scorer.zoneOf[$0] })
        if !leavingTable.isEmpty, leavingTable[partition] != Self.notMoving { primary.insert(Int(leavingTable[partition])) }
        let ranked = (0..<devices.count).filter { !primary.contains($0) && devices[$0].takesPartitions }
            .map { (index: $0, score: scorer.score(partitionMix: RendezvousScorer.partitionMix(partition), device: $0)) }
            .sorted { RendezvousScorer.better($0.score, $0.index, than: $1.score, $1.index) }
        let fresh = ranked.filter { !usedZones.contains(scorer.zoneOf[$0.index]) }
        let rest = ranked.filter { usedZones.contains(scorer.zoneOf[$0.index]) }
        return (fresh + rest).map { devices[$0.index] }
    }

    /// The partition of an MD5 digest (see ``PathHasher``).
    public func partition(ofDigest digest: [UInt8]) -> Int {
        PathHasher.partition(ofDigest: digest, partPower: parameters.partPower)
    }

    /// How many partition-replicas each device holds.
    public func assignmentCounts() -> [DeviceID: Int] {
        var counts = [Int](repeating: 0, count: devices.count)
        for entry in table { counts[Int(entry)] += 1 }
        var result: [DeviceID: Int] = [:]
        for (index, device) in devices.enumerated() { result[device.id] = counts[index] }
        return result
    }

    /// Partition-replicas that change device between two rings of the same shape:
    /// for each partition, the devices of `new` that were not in `old`.
    public static func movedReplicas(from old: Ring, to new: Ring) -> Int {
        precondition(old.parameters == new.parameters, "rings of different shapes cannot be compared")
        var moved = 0
        for partition in 0..<new.partitionCount {
            let before = Set(old.primaryIndices(of: partition).map { old.devices[Int($0)].id })
            for entry in new.primaryIndices(of: partition) where !before.contains(new.devices[Int(entry)].id) {
                moved += 1
            }
        }
        return moved
    }

    static func checksum(parameters: RingParameters, version: UInt64, devices: [DeviceRecord], table: [UInt32],
                         leaving: [UInt32]) -> String {
        var hasher = SHA256()
        var header = ByteWriter()
        header.writeString("shoal-ring-v2")
        parameters.encode(into: &header)
        header.write(version)
        header.writeVarint(devices.count)
        for device in devices {
            header.writeString(device.id.rawValue)
            device.node.encode(into: &header)
            header.writeString(device.zone)
            device.address.encode(into: &header)
            header.write(device.weight)
            header.write(device.state.rawValue)
        }
        hasher.update(data: header.bytes)
        table.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        leaving.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
