/// The cluster as one node sees it: members, the ring and device balance. Served as JSON
/// at `/cluster` and rendered by `shoal status`; built by the membership service.
public struct ClusterStatus: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var id: String
        public var status: String
        public var incarnation: UInt64
        public var zone: String
        public var clusterAddress: String
        public var restURL: String
        public var resources: [String: Int64]

        public init(id: String, status: String, incarnation: UInt64, zone: String, clusterAddress: String,
                    restURL: String, resources: [String: Int64]) {
            self.id = id
            self.status = status
            self.incarnation = incarnation
            self.zone = zone
            self.clusterAddress = clusterAddress
            self.restURL = restURL
            self.resources = resources
        }

        enum CodingKeys: String, CodingKey {
            case id, status, incarnation, zone, resources
            case clusterAddress = "cluster_address"
            case restURL = "rest_url"
        }
    }

    public struct Device: Codable, Sendable, Equatable {
        public var id: String
        public var node: String
        public var zone: String
        public var weight: Double
        public var partitions: Int
        /// Partition-replicas held versus the weighted share, in percent (100 = exact share).
        public var balancePercent: Double
        /// `active`, `joining` (partitions still arriving) or `draining` (still handing them over).
        public var state: String

        public init(id: String, node: String, zone: String, weight: Double, partitions: Int, balancePercent: Double,
                    state: String = "active") {
            self.id = id
            self.node = node
            self.zone = zone
            self.weight = weight
            self.partitions = partitions
            self.balancePercent = balancePercent
            self.state = state
        }

        enum CodingKeys: String, CodingKey {
            case id, node, zone, weight, partitions, state
            case balancePercent = "balance_percent"
        }
    }

    public struct RingSummary: Codable, Sendable, Equatable {
        public var version: UInt64
        public var checksum: String
        public var partPower: Int
        public var replicas: Int
        public var devices: [Device]
        /// Partitions with a replica moving (one at most each) while devices join or drain.
        public var moving: Int

        public init(version: UInt64, checksum: String, partPower: Int, replicas: Int, devices: [Device], moving: Int = 0) {
            self.version = version
            self.checksum = checksum
            self.partPower = partPower
            self.replicas = replicas
            self.devices = devices
            self.moving = moving
        }

        enum CodingKeys: String, CodingKey {
            case version, checksum, replicas, devices, moving
            case partPower = "part_power"
        }
    }

    /// The node that answered.
    public var node: String
    public var secretFingerprint: String
    public var members: [Member]
    public var ring: RingSummary
    /// Nodes whose devices are draining (out of the ring, data still moving away).
    public var draining: [String]
    /// Nodes whose devices are joining (in the ring, partitions still arriving).
    public var joining: [String]
    /// Each member's replication, when gathered (`shoal status` asks every node).
    public var replication: [ReplicationStatus]?

    public init(node: String, secretFingerprint: String, members: [Member], ring: RingSummary, draining: [String] = [],
                joining: [String] = [], replication: [ReplicationStatus]? = nil) {
        self.node = node
        self.secretFingerprint = secretFingerprint
        self.members = members
        self.ring = ring
        self.draining = draining
        self.joining = joining
        self.replication = replication
    }

    enum CodingKeys: String, CodingKey {
        case node, members, ring, draining, joining, replication
        case secretFingerprint = "secret_fingerprint"
    }
}

/// Where the REST layer gets the cluster's status from (the membership service).
public protocol ClusterStatusProvider: Sendable {
    func clusterStatus() async -> ClusterStatus
}
