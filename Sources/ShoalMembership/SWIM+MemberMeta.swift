import ShoalCore

extension SWIM {
    /// What a node tells the cluster about itself: where to reach it and what it offers.
    /// Changed only by the node itself (``Instance/updateMeta(_:now:)``), which bumps its
    /// incarnation so the new value wins everywhere.
    public struct MemberMeta: Hashable, Sendable {
        /// Where the node's cluster transport (ZeroMQ) listens; SWIM messages go here.
        public var clusterAddress: ClusterAddress
        /// Where the node serves the REST APIs.
        public var restURL: String
        /// Failure domain of the node.
        public var zone: String
        /// A small resource view for schedulers, e.g. `cpus`, `memory_bytes`, `disk_free_bytes`.
        public var resources: [String: Int64]

        public static let maxResources = 32

        public init(clusterAddress: ClusterAddress, restURL: String = "", zone: String = "default", resources: [String: Int64] = [:]) {
            self.clusterAddress = clusterAddress
            self.restURL = restURL
            self.zone = zone
            self.resources = resources
        }
    }
}

extension SWIM.MemberMeta: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        clusterAddress.encode(into: &writer)
        writer.writeString(restURL)
        writer.writeString(zone)
        let keys = resources.keys.sorted()
        writer.writeVarint(keys.count)
        for key in keys {
            writer.writeString(key)
            writer.write(resources[key] ?? 0)
        }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let address = try ClusterAddress(from: &reader)
        let restURL = try reader.readString(field: "rest url", limit: 1_024)
        let zone = try reader.readString(field: "zone", limit: 64)
        let count = try reader.readItemCount(field: "resource count", minimumItemBytes: 9, limit: Self.maxResources)
        var resources: [String: Int64] = [:]
        for _ in 0..<count {
            let key = try reader.readString(field: "resource name", limit: 64)
            let value = try reader.readInt64()
            guard resources.updateValue(value, forKey: key) == nil else { throw .invalidValue(field: "resource name") }
        }
        self.init(clusterAddress: address, restURL: restURL, zone: zone, resources: resources)
    }
}
