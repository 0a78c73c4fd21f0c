/// Fills the ring table, calibrating effective weights so that shares follow weights.
///
/// Devices are grouped by their weight. After each full placement, every group's effective
/// weight is scaled by (its weighted share ÷ what it got) until each group is within
/// ``tolerance`` or ``maximumRounds`` pass. Devices of one weight keep one effective
/// weight, so with equal weights there is one group, nothing to calibrate and placement is
/// plain rendezvous. Only basic IEEE operations are used, so every node gets the same table.
enum WeightCalibration {
    static let tolerance = 0.004
    static let maximumRounds = 12

    static func place(devices: [DeviceRecord], parameters: RingParameters, replicas: Int) -> (RendezvousScorer, [UInt32]) {
        let weights = devices.map(\.weight)
        let classes = Array(Set(weights)).sorted()
        var scorer = RendezvousScorer(devices: devices)
        var table = fill(scorer: scorer, partitions: parameters.partitionCount, replicas: replicas)
        guard classes.count > 1, replicas > 0 else { return (scorer, table) }

        let classOf = weights.map { weight in classes.firstIndex(of: weight)! }
        let slots = Double(parameters.partitionCount * replicas)
        let totalWeight = weights.reduce(0, +)
        // A device holds at most one replica of each partition: cap, and share the excess.
        let targets = cappedTargets(weights: weights, slots: slots, cap: Double(parameters.partitionCount), total: totalWeight)
        var classTarget = [Double](repeating: 0, count: classes.count)
        for (device, target) in targets.enumerated() { classTarget[classOf[device]] += target }

        var effective = classes
        for _ in 0..<maximumRounds {
            var classCount = [Double](repeating: 0, count: classes.count)
            for entry in table { classCount[classOf[Int(entry)]] += 1 }
            var worst = 0.0
            for index in classes.indices where classCount[index] > 0 {
                worst = max(worst, abs(classCount[index] - classTarget[index]) / classTarget[index])
            }
            if worst <= tolerance { break }
            for index in classes.indices where classCount[index] > 0 {
                effective[index] *= classTarget[index] / classCount[index]
            }
            scorer = RendezvousScorer(devices: devices, weights: classOf.map { effective[$0] })
            table = fill(scorer: scorer, partitions: parameters.partitionCount, replicas: replicas)
        }
        return (scorer, table)
    }

    /// Each device's share of `slots`, proportional to weight but at most `cap`.
    static func cappedTargets(weights: [Double], slots: Double, cap: Double, total: Double) -> [Double] {
        var targets = [Double](repeating: 0, count: weights.count)
        var open = Set(weights.indices.filter { weights[$0] > 0 })
        var remaining = slots
        while !open.isEmpty {
            let openWeight = open.reduce(0) { $0 + weights[$1] }
            let over = open.filter { remaining * weights[$0] / openWeight > cap }
            if over.isEmpty {
                for device in open { targets[device] = remaining * weights[device] / openWeight }
                break
            }
            for device in over {
                targets[device] = cap
                remaining -= cap
                open.remove(device)
            }
        }
        return targets
    }

    static func fill(scorer: RendezvousScorer, partitions: Int, replicas: Int) -> [UInt32] {
        var table = [UInt32](repeating: 0, count: partitions * replicas)
        guard replicas > 0 else { return table }
        var picker = ReplicaPicker(scorer: scorer)
        for partition in 0..<partitions {
            for (slot, device) in picker.pick(partition: partition, count: replicas).enumerated() {
                table[partition * replicas + slot] = UInt32(device)
            }
        }
        return table
    }
}
