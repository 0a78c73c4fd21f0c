/// Scores (partition, device) pairs for weighted rendezvous hashing.
///
/// When all weights are equal the score is the raw hash (the ranking is the same and no
/// logarithm is needed); otherwise it is `weight / −ln u`, computed with ``StableHash/log(_:)``.
struct RendezvousScorer: Sendable {
    let deviceSeeds: [UInt64]
    let weights: [Double]
    let uniformWeights: Bool
    /// Zone and node of each device, as small integers.
    let zoneOf: [Int]
    let nodeOf: [Int]
    let zoneCount: Int

    /// `weights` are the effective weights (default: the devices' own).
    init(devices: [DeviceRecord], weights effectiveWeights: [Double]? = nil) {
        deviceSeeds = devices.map { StableHash.of($0.id.rawValue) }
        weights = effectiveWeights ?? devices.map(\.weight)
        uniformWeights = Set(weights).count <= 1
        var zones: [String: Int] = [:]
        var nodes: [NodeID: Int] = [:]
        zoneOf = devices.map { device in
            if let known = zones[device.zone] { return known }
            zones[device.zone] = zones.count
            return zones.count - 1
        }
        nodeOf = devices.map { device in
            if let known = nodes[device.node] { return known }
            nodes[device.node] = nodes.count
            return nodes.count - 1
        }
        zoneCount = zones.count
    }

    static func partitionMix(_ partition: Int) -> UInt64 {
        StableHash.mix(UInt64(partition) &* 0xD6E8_FEB8_6659_FD93)
    }

    @inline(__always)
    func score(partitionMix: UInt64, device: Int) -> Double {
        let hash = StableHash.mix(deviceSeeds[device] ^ partitionMix)
        if uniformWeights { return Double(hash >> 11) }
        return weights[device] / -StableHash.log(StableHash.unitInterval(hash))
    }

    /// Total order on candidates: higher score first, lower device index on a tie.
    @inline(__always)
    static func better(_ score: Double, _ index: Int, than otherScore: Double, _ otherIndex: Int) -> Bool {
        score != otherScore ? score > otherScore : index < otherIndex
    }
}

/// Chooses the replicas of one partition: distinct zones first, then distinct nodes, then
/// any device. Reuses its buffers across partitions.
struct ReplicaPicker {
    let scorer: RendezvousScorer
    private var scores: [Double]
    private var zoneBest: [Int]

    init(scorer: RendezvousScorer) {
        self.scorer = scorer
        scores = [Double](repeating: 0, count: scorer.deviceSeeds.count)
        zoneBest = [Int](repeating: -1, count: scorer.zoneCount)
    }

    mutating func pick(partition: Int, count: Int) -> [Int] {
        let mix = RendezvousScorer.partitionMix(partition)
        for zone in 0..<zoneBest.count { zoneBest[zone] = -1 }
        for device in 0..<scores.count {
            let score = scorer.score(partitionMix: mix, device: device)
            scores[device] = score
            let zone = scorer.zoneOf[device]
            let best = zoneBest[zone]
            if best < 0 || RendezvousScorer.better(score, device, than: scores[best], best) {
                zoneBest[zone] = device
            }
        }
        var chosen = zoneBest.filter { $0 >= 0 }
        chosen.sort { RendezvousScorer.better(scores[$0], $0, than: scores[$1], $1) }
        if chosen.count >= count { return Array(chosen.prefix(count)) }
        return fillBeyondZones(chosen, count: count)
    }

    /// Fewer zones than replicas: add devices on nodes not used yet, then any device.
    private func fillBeyondZones(_ initial: [Int], count: Int) -> [Int] {
        var chosen = initial
        var taken = Set(chosen)
        var usedNodes = Set(chosen.map { scorer.nodeOf[$0] })
        let ranked = (0..<scores.count).filter { !taken.contains($0) }
            .sorted { RendezvousScorer.better(scores[$0], $0, than: scores[$1], $1) }
        for device in ranked where chosen.count < count && !usedNodes.contains(scorer.nodeOf[device]) {
            chosen.append(device)
            taken.insert(device)
            usedNodes.insert(scorer.nodeOf[device])
        }
        for device in ranked where chosen.count < count && !taken.contains(device) {
            chosen.append(device)
            taken.insert(device)
        }
        return chosen
    }
}
