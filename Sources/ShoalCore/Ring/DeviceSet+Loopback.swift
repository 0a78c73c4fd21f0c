extension DeviceSet {
    /// `count` nodes of one device each (`node0-d0`, `node1-d0`, …) in `zones` zones
    /// round-robin, on loopback ports from `firstPort`: the set benchmarks and tools build
    /// rings from.
    public static func loopback(nodes count: Int, zones: Int, firstPort: UInt16 = 7000) -> DeviceSet {
        var set = DeviceSet()
        let writer = NodeID("bench")!
        for index in 0..<count {
            let node = NodeID("node\(index)")!
            set.join(DeviceSpec(id: DeviceID(node: node, index: 0), node: node, zone: "z\(index % max(1, zones))",
                                address: ClusterAddress(host: "127.0.0.1", port: firstPort + UInt16(index))), by: writer)
        }
        return set
    }
}
