import ShoalCore

/// Builds device sets for ring tests.
enum RingFixtures {
    static let writer = NodeID("test-writer")!

    /// `count` devices on `count` nodes, node i in zone `i % zones`, with the given weights.
    static func devices(count: Int, zones: Int, weights: [Double]? = nil, firstIndex: Int = 0) -> [DeviceSpec] {
        (firstIndex..<firstIndex + count).map { index in
            let node = NodeID("node\(index)")!
            return DeviceSpec(
                id: DeviceID(node: node, index: 0), node: node, zone: "z\(index % zones)",
                address: ClusterAddress(host: "127.0.0.1", port: UInt16(7000 + index)),
                weight: weights?[index - firstIndex] ?? 1
            )
        }
    }

    static func deviceSet(_ specs: [DeviceSpec]) -> DeviceSet {
        var set = DeviceSet()
        for spec in specs { set.join(spec, by: writer) }
        return set
    }
}
