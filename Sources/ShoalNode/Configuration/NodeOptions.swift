import ShoalCore

/// Everything `shoal start` needs to know, resolved from flags, environment and a config
/// file (in that order of precedence) over the embedded defaults.
///
/// Every option has one key; the flag is `--key` (dashes), the environment variable is
/// `SHOAL_KEY` (upper case, underscores), the config file line is `key = value`.
public struct NodeOptions: Sendable, Equatable {
    public var name: NodeID?
    public var dataDirectory: String = "./shoal-data"
    public var restAddress = ClusterAddress(host: "127.0.0.1", port: 8080)
    public var bindAddress = ClusterAddress(host: "127.0.0.1", port: 7000)
    /// The cluster address peers use; defaults to ``bindAddress``.
    public var advertiseAddress: ClusterAddress?
    /// The port of the bulk lane (large request bodies, sealed per chunk) on the bind host;
    /// 0 picks a free one, which peers learn by asking.
    public var bulkPort: UInt16 = 0
    public var zone: String = "z1"
    public var weight: Double = 1
    public var join: [ClusterAddress] = []
    public var secretFile: String?
    /// The secret's text, when given through the environment.
    public var secretText: String?
    public var ring = RingParameters.default
    public var logLevel: String = "info"
    public var logFormat: LogFormat = .text
    /// Seconds between replication passes (object, container and account replicators).
    public var replicationInterval: Double = 10
    /// Seconds between the auditor's sweeps, the bytes per second it reads at most and
    /// the objects per second it audits at most.
    public var auditInterval: Double = 60
    public var auditRate: Int = 10 << 20
    public var auditFilesPerSecond: Int = 20
    /// Seconds a tombstone is kept before replication reclaims it (Swift's `reclaim_age`).
    public var reclaimAge: Double = 7 * 24 * 3600
    /// Seconds an Identity token lives (Keystone's `[token] expiration`).
    public var tokenExpiration: Int = 3600
    /// The free space each device keeps (Swift's `fallocate_reserve`): data writes that
    /// would eat into it answer 507.
    public var fallocateReserve = SpaceReserve.default

    public enum LogFormat: String, Sendable, CaseIterable {
        case text
        case json
    }

    public init() {}

    public var clusterAddress: ClusterAddress { advertiseAddress ?? bindAddress }

    /// Every key the resolver understands, with what it is for (for `--help` and docs).
    public static let keys: [(key: String, help: String)] = [
        ("name", "node id (default: generated once and kept in the data folder)"),
        ("data_dir", "data folder (default ./shoal-data)"),
        ("rest", "REST listen address host:port (default 127.0.0.1:8080)"),
        ("bind", "cluster (ZeroMQ) listen address host:port (default 127.0.0.1:7000)"),
        ("advertise", "cluster address peers should use (default: bind)"),
        ("bulk_port", "port of the bulk lane for large request bodies, on the bind host (default 0: any free port)"),
        ("zone", "failure zone of this node's devices (default z1)"),
        ("weight", "relative capacity of this node's device (default 1)"),
        ("join", "comma-separated host:port of nodes to join"),
        ("secret_file", "file holding the cluster secret (default: <data_dir>/cluster.secret)"),
        ("cluster_secret", "the cluster secret itself (environment only: SHOAL_CLUSTER_SECRET)"),
        ("part_power", "ring partition power for a new cluster (default 16)"),
        ("replicas", "replica count for a new cluster (default 3)"),
        ("log_level", "trace, debug, info, notice, warning, error, critical (default info)"),
        ("log_format", "text or json (default text)"),
        ("replication_interval", "seconds between replication passes (default 10)"),
        ("audit_interval", "seconds between auditor sweeps (default 60)"),
        ("audit_rate", "bytes per second the auditor reads at most (default 10485760)"),
        ("audit_files_per_second", "objects per second the auditor audits at most (default 20)"),
        ("reclaim_age", "seconds tombstones are kept (default 604800, a week)"),
        ("token_expiration", "seconds an Identity token lives (default 3600; at most 86400)"),
        ("fallocate_reserve", "free space each device keeps, N% or bytes; writes past it answer 507 (default 1%, 0 is off)"),
    ]
}

/// An option that could not be used, named as the user wrote it.
public struct OptionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let key: String
    public let value: String
    public let reason: String
    public var description: String { "\(key)=\(value): \(reason)" }
}

/// Looks options up by precedence: flags, then environment, then the config file.
public struct OptionSources: Sendable {
    public var flags: [String: String]
    public var environment: [String: String]
    public var file: ConfigFile?

    public init(flags: [String: String], environment: [String: String], file: ConfigFile?) {
        self.flags = flags
        self.environment = environment
        self.file = file
    }

    public func value(_ key: String) -> String? {
        if let flag = flags[key] { return flag }
        if let env = environment["SHOAL_" + key.uppercased()], !env.isEmpty { return env }
        return file?[key] ?? file?["node.\(key)"]
    }

    /// Resolves every option, failing on the first that does not parse.
    public func resolve() throws(OptionError) -> NodeOptions {
        var options = NodeOptions()
        if let raw = value("name") {
            guard let id = NodeID(raw) else { throw OptionError(key: "name", value: raw, reason: "1-64 of A-Z a-z 0-9 . _ -") }
            options.name = id
        }
        if let raw = value("data_dir") { options.dataDirectory = raw }
        if let raw = value("rest") { options.restAddress = try address("rest", raw) }
        if let raw = value("bind") { options.bindAddress = try address("bind", raw) }
        if let raw = value("advertise") { options.advertiseAddress = try address("advertise", raw) }
        let bulkPort = try integer("bulk_port", default: 0)
        guard let port = UInt16(exactly: bulkPort) else {
            throw OptionError(key: "bulk_port", value: "\(bulkPort)", reason: "0 to 65535")
        }
        options.bulkPort = port
        if let raw = value("zone") {
            guard !raw.isEmpty, raw.utf8.count <= 64 else { throw OptionError(key: "zone", value: raw, reason: "1-64 characters") }
            options.zone = raw
        }
        if let raw = value("weight") {
            guard let weight = Double(raw), weight.isFinite, weight >= 0 else {
                throw OptionError(key: "weight", value: raw, reason: "a number ≥ 0")
            }
            options.weight = weight
        }
        if let raw = value("join") {
            options.join = try raw.split(separator: ",").map { part throws(OptionError) in
                try address("join", String(part).trimmingWhitespace())
            }
        }
        options.secretFile = value("secret_file")
        options.secretText = environment["SHOAL_CLUSTER_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        let partPower = try integer("part_power", default: options.ring.partPower)
        let replicas = try integer("replicas", default: options.ring.replicas)
        guard let ring = RingParameters(partPower: partPower, replicas: replicas) else {
            throw OptionError(key: "part_power/replicas", value: "\(partPower)/\(replicas)",
                              reason: "part power \(RingParameters.partPowerRange), replicas \(RingParameters.replicaRange)")
        }
        options.ring = ring
        if let raw = value("log_level") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(raw) else { throw OptionError(key: "log_level", value: raw, reason: levels.joined(separator: ", ")) }
            options.logLevel = raw
        }
        if let raw = value("log_format") {
            guard let format = NodeOptions.LogFormat(rawValue: raw) else {
                throw OptionError(key: "log_format", value: raw, reason: "text or json")
            }
            options.logFormat = format
        }
        options.replicationInterval = try seconds("replication_interval", default: options.replicationInterval)
        options.auditInterval = try seconds("audit_interval", default: options.auditInterval)
        options.reclaimAge = try seconds("reclaim_age", default: options.reclaimAge)
        options.auditRate = try integer("audit_rate", default: options.auditRate)
        guard options.auditRate > 0 else { throw OptionError(key: "audit_rate", value: "\(options.auditRate)", reason: "at least 1") }
        options.auditFilesPerSecond = try integer("audit_files_per_second", default: options.auditFilesPerSecond)
        guard options.auditFilesPerSecond > 0 else {
            throw OptionError(key: "audit_files_per_second", value: "\(options.auditFilesPerSecond)", reason: "at least 1")
        }
        if let raw = value("fallocate_reserve") {
            guard let reserve = SpaceReserve(raw) else {
                throw OptionError(key: "fallocate_reserve", value: raw, reason: "a percentage (0% to 100%) or a number of bytes")
            }
            options.fallocateReserve = reserve
        }
        options.tokenExpiration = try integer("token_expiration", default: options.tokenExpiration)
        guard (1...86_400).contains(options.tokenExpiration) else {
            throw OptionError(key: "token_expiration", value: "\(options.tokenExpiration)", reason: "1 to 86400 seconds")
        }
        return options
    }

    private func address(_ key: String, _ raw: String) throws(OptionError) -> ClusterAddress {
        guard let address = ClusterAddress(raw) else { throw OptionError(key: key, value: raw, reason: "expected host:port") }
        return address
    }

    /// A positive number of seconds.
    private func seconds(_ key: String, default fallback: Double) throws(OptionError) -> Double {
        guard let raw = value(key) else { return fallback }
        guard let number = Double(raw), number.isFinite, number > 0 else {
            throw OptionError(key: key, value: raw, reason: "a number of seconds > 0")
        }
        return number
    }

    private func integer(_ key: String, default fallback: Int) throws(OptionError) -> Int {
        guard let raw = value(key) else { return fallback }
        guard let number = Int(raw) else { throw OptionError(key: key, value: raw, reason: "expected a whole number") }
        return number
    }
}
