/// How the ring moves from the placement the devices hold now to the one they will hold
/// once the changes in flight (devices joining or draining) have finished — one replica
/// of each partition at a time.
///
/// Two placements are computed from the device set alone: the *source*, over the devices
/// that held partitions before the changes (active and draining), and the *target*, over
/// those that will (active and joining). Where they differ in a partition, the ring takes
/// the source's devices with **one** of them replaced by a target device, and remembers
/// the device it replaced as that partition's *leaving* holder: it still has everything,
/// so it keeps getting writes and is read first until the move has finished. Of the
/// replacements a partition needs, the one of the oldest change goes first (a draining
/// device goes before a settled one), so the oldest change's moves all happen at once and
/// its joining device can turn active; the next change's second replica of a partition
/// moves only after that. Every replica moves once, straight to its final device, so the
/// total moved is the minimum a direct switch would move.
///
/// Nothing is staged while either placement has fewer devices than replicas (a new
/// cluster filling up adds replicas rather than moving them) or when no device is
/// changing; then the ring is the target placement.
enum RingTransition {
    struct Layout {
        /// Every device a table entry may name: the target devices and those still leaving.
        var devices: [DeviceRecord]
        var replicaCount: Int
        var scorer: RendezvousScorer
        /// Partition-major, `replicaCount` entries per partition, indexes into `devices`.
        var table: [UInt32]
        /// Per partition, the index of the device a replica is moving away from, or
        /// ``Ring/notMoving``; empty when nothing moves.
        var leaving: [UInt32]
        /// Per partition, the slot of `table` the moving replica goes to (valid where `leaving` is).
        var movingSlot: [UInt8]
    }

    static func layout(source: [DeviceRecord], target: [DeviceRecord], parameters: RingParameters) -> Layout {
        let replicas = min(parameters.replicas, target.count)
        let changing = Set(source.map(\.id)) != Set(target.map(\.id))
        guard changing, source.count >= parameters.replicas, target.count >= parameters.replicas else {
            let (scorer, table) = WeightCalibration.place(devices: target, parameters: parameters, replicas: replicas)
            return Layout(devices: target, replicaCount: replicas, scorer: scorer, table: table, leaving: [], movingSlot: [])
        }
        var byID: [DeviceID: DeviceRecord] = [:]
        for device in source + target { byID[device.id] = device }
        let devices = byID.values.sorted { $0.id < $1.id }
        let index = Dictionary(uniqueKeysWithValues: devices.enumerated().map { ($0.element.id, UInt32($0.offset)) })
        let before = reindexed(source, parameters: parameters, replicas: replicas, into: index)
        let after = reindexed(target, parameters: parameters, replicas: replicas, into: index)
        // When each changing device's change was written: older changes move first.
        let changedAt: [UInt32: DeviceVersion] = Dictionary(uniqueKeysWithValues: devices.enumerated().compactMap { offset, device in
            device.isChanging ? (UInt32(offset), device.version) : nil
        })

        var table = before
        var leaving = [UInt32](repeating: Ring.notMoving, count: parameters.partitionCount)
        var movingSlot = [UInt8](repeating: 0, count: parameters.partitionCount)
        for partition in 0..<parameters.partitionCount {
            let slots = partition * replicas..<(partition + 1) * replicas
            let held = Array(before[slots]), wanted = Array(after[slots])
            let arriving = wanted.filter { !held.contains($0) }
            guard !arriving.isEmpty else { continue }
            // Devices to replace: draining ones first, then the worst-ranked of the rest.
            func replaceFirst(_ device: UInt32) -> (Int, Int) {
                (devices[Int(device)].state == .draining ? 0 : 1, -held.firstIndex(of: device)!)
            }
            let departing = held.filter { !wanted.contains($0) }.sorted { replaceFirst($0) < replaceFirst($1) }
            let pairs = zip(arriving, departing).map { (incoming: $0, outgoing: $1) }
            func age(_ pair: (incoming: UInt32, outgoing: UInt32)) -> DeviceVersion? {
                [changedAt[pair.incoming], changedAt[pair.outgoing]].compactMap { $0 }.min()
            }
            // The oldest change's replacement; one between settled devices (no change) last.
            let first = pairs.min { lhs, rhs in
                switch (age(lhs), age(rhs)) {
                case (let left?, let right?): left < right
                case (.some, nil): true
                default: false
                }
            }!
            let slot = held.firstIndex(of: first.outgoing)!
            table[partition * replicas + slot] = first.incoming
            leaving[partition] = first.outgoing
            movingSlot[partition] = UInt8(slot)
        }
        let scorer = RendezvousScorer(devices: devices)
        return Layout(devices: devices, replicaCount: replicas, scorer: scorer, table: table, leaving: leaving, movingSlot: movingSlot)
    }

    /// The placement of `devices`, its entries renumbered into the combined device list.
    private static func reindexed(_ devices: [DeviceRecord], parameters: RingParameters, replicas: Int,
                                  into index: [DeviceID: UInt32]) -> [UInt32] {
        let (_, table) = WeightCalibration.place(devices: devices, parameters: parameters, replicas: replicas)
        let mapping = devices.map { index[$0.id]! }
        return table.map { mapping[Int($0)] }
    }
}
