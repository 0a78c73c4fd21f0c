import ArgumentParser
import Foundation
import ShoalCore
import ShoalNode

/// `shoal start`: run a node. With no options it starts (or restarts) a single-node cluster
/// on loopback with its data in ./shoal-data; `--join HOST:PORT` adds the node to a cluster.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a node (a new cluster, or --join an existing one).",
        discussion: """
            Every option can also come from the environment (SHOAL_<KEY>, e.g. SHOAL_REST=0.0.0.0:8080) \
            or from a config file (--config; `key = value` lines). Flags win over the environment, \
            the environment over the file. The cluster secret comes from SHOAL_CLUSTER_SECRET, \
            --secret-file, or the data folder.
            """
    )

    @Option(help: "Config file of `key = value` lines.") var config: String?
    @Option(help: "Node id (default: generated once, kept in the data folder).") var name: String?
    @Option(help: "Data folder (default ./shoal-data).") var dataDir: String?
    @Option(help: "REST listen address (default 127.0.0.1:8080).") var rest: String?
    @Option(help: "Cluster (ZeroMQ) listen address (default 127.0.0.1:7000).") var bind: String?
    @Option(help: "Cluster address peers should use (default: --bind).") var advertise: String?
    @Option(help: "Port of the bulk lane for large request bodies (default 0: any free port).") var bulkPort: String?
    @Option(help: "Failure zone (default z1).") var zone: String?
    @Option(help: "Relative capacity of this node's device (default 1).") var weight: String?
    @Option(help: "host:port of a node to join (repeatable).") var join: [String] = []
    @Option(help: "File holding the cluster secret.") var secretFile: String?
    @Option(help: "Partition power of a new cluster's ring (default 16).") var partPower: String?
    @Option(help: "Replica count of a new cluster (default 3).") var replicas: String?
    @Option(help: "Log level (default info).") var logLevel: String?
    @Option(help: "Log format: text or json (default text).") var logFormat: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configPath = config ?? environment["SHOAL_CONFIG"]
        var file: ConfigFile?
        if let configPath {
            guard let data = FileManager.default.contents(atPath: configPath) else {
                throw ValidationError("cannot read config file \(configPath)")
            }
            do { file = try ConfigFile(parsing: String(decoding: data, as: UTF8.self)) } catch {
                throw ValidationError("\(configPath): \(error)")
            }
        }
        let sources = OptionSources(flags: flags, environment: environment, file: file)
        let options: NodeOptions
        do { options = try sources.resolve() } catch { throw ValidationError("\(error)") }
        try await NodeLauncher(options: options).run()
    }

    /// The flags given on the command line, under the resolver's keys.
    private var flags: [String: String] {
        var flags: [String: String] = [:]
        let pairs: [(String, String?)] = [
            ("name", name), ("data_dir", dataDir), ("rest", rest), ("bind", bind), ("advertise", advertise),
            ("bulk_port", bulkPort), ("zone", zone), ("weight", weight), ("secret_file", secretFile), ("part_power", partPower),
            ("replicas", replicas), ("log_level", logLevel), ("log_format", logFormat),
            ("join", join.isEmpty ? nil : join.joined(separator: ",")),
        ]
        for case let (key, value?) in pairs { flags[key] = value }
        return flags
    }
}
