import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import ShoalCore
import ShoalIdentity
import ShoalKeystoneAPI
import ShoalMembership
import ShoalNode
import ShoalPorts
import ShoalREST
import ShoalStorage
import ShoalSwiftAPI
import ShoalZeroMQ

/// Builds a node from resolved options and runs it until SIGTERM or SIGINT: the one place
/// that picks real adapters (ZeroMQ, files) for the services.
struct NodeLauncher {
    let options: NodeOptions

    func run() async throws {
        let logger = Self.bootstrapLogging(options)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let directory = DataDirectory(path: options.dataDirectory)
        try directory.prepare()
        let lock = try directory.lock()
        defer { lock.release() }

        let existing = try directory.loadNodeRecord()
        let secret = try resolveSecret(directory: directory, isNewCluster: existing == nil && options.join.isEmpty)
        if let existing, existing.secretFingerprint != secret.fingerprint {
            throw JoinError.wrongSecret(expected: existing.secretFingerprint, found: secret.fingerprint)
        }
        var transportConfiguration = ZeroMQTransport.Configuration()
        transportConfiguration.bulkPort = options.bulkPort
        let transport = try ZeroMQTransport(bind: options.bindAddress, clusterSecret: secret, configuration: transportConfiguration)
        transport.answerInProcess(at: options.clusterAddress)
        let record: NodeRecord
        do {
            if let existing {
                record = existing
            } else {
                record = try await createRecord(secret: secret, directory: directory, transport: transport, logger: logger)
            }
        } catch {
            await transport.shutdown()
            throw error
        }
        guard let ring = record.ring else { throw ValidationError("node.json has an invalid ring shape") }

        let restURL = "http://\(options.restAddress)"
        let node = record.nodeID
        let meta = SWIM.MemberMeta(
            clusterAddress: options.clusterAddress, restURL: restURL, zone: options.zone,
            resources: HostResources.current(dataDirectory: directory.path))
        let device = DeviceSpec(id: DeviceID(node: node, index: 0), node: node, zone: options.zone,
                                address: options.clusterAddress, weight: options.weight)
        var random = SystemRandomNumberGenerator()
        let membership = MembershipService(
            configuration: .init(
                node: node, meta: meta, settings: .default, ring: ring, secretFingerprint: secret.fingerprint,
                seeds: Array(Set(options.join + directory.loadPeers())).sorted(), devices: [device],
                randomSeed: random.next()),
            transport: transport, dataDirectory: directory, logger: logger)
        let info = ClusterInfo(ring: ring, secretFingerprint: secret.fingerprint, node: node)
        let revocations = RevocationList()
        let storage = try await StorageRoles(
            directory: directory, device: device.id, secret: secret, partPower: ring.partPower, options: options,
            transport: transport, membership: membership, revocations: revocations, logger: logger)
        let identity = IdentityRoles(proxy: storage.proxy, secret: secret, revocations: revocations, membership: membership,
                                     tokenLifetime: Int64(options.tokenExpiration))
        await transport.register(
            ControlService(info: info, membership: membership, movesDone: { [progress = storage.replication] in progress.snapshot.cleanRing },
                           logger: logger),
            for: .control)

        var capabilities = SwiftInfo.capabilities(version: ShoalVersion.current)
        capabilities["shoal"] = ["version": .string(ShoalVersion.current), "node": .string(node.rawValue),
                                 "part_power": .integer(Int64(ring.partPower)), "replicas": .integer(Int64(ring.replicas))]
        let router = NodeRouter.build(RESTContext(
            status: membership, metrics: registry, capabilities: capabilities,
            swift: SwiftAPIContext(pipeline: storage.pipeline.entry, auth: storage.pipeline.auth,
                                   defaultHost: "\(options.restAddress)"),
            replication: { [progress = storage.replication] in progress.status(node: node.rawValue) },
            identity: identity.api,
            refreshMetrics: { [transportMetrics = TransportMetrics.make(), storeMetrics = ObjectStoreMetrics.make(), store = storage.objectStore] in
                transportMetrics.observe(transport.statistics)
                storeMetrics.observe(store)
            }))
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(options.restAddress.host, port: Int(options.restAddress.port)),
                                 serverName: "shoal/\(ShoalVersion.current)"),
            logger: logger)
        logger.info("node starting", metadata: [
            "node": "\(node)", "rest": "\(restURL)", "cluster": "\(options.clusterAddress)", "zone": "\(options.zone)",
            "data": "\(directory.path)", "secret": "\(secret.fingerprint)",
        ])
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    // Membership ends by itself only when this node was removed: then the node stops cleanly.
                    .init(service: membership, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: app),
                ] + storage.services + identity.services,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await transport.shutdown()
        logger.info("node stopped", metadata: ["node": "\(node)"])
    }

    /// The secret from the environment, `--secret-file`, or the data folder; a new cluster makes one.
    private func resolveSecret(directory: DataDirectory, isNewCluster: Bool) throws -> ClusterSecret {
        if let text = options.secretText {
            guard let secret = ClusterSecret(text: text) else {
                throw ValidationError("SHOAL_CLUSTER_SECRET is not a cluster secret (shoal1:<64 hex digits>)")
            }
            return secret
        }
        if let file = options.secretFile {
            guard let secret = try directory.loadSecret(from: file) else { throw ValidationError("cannot read \(file)") }
            return secret
        }
        if let secret = try directory.loadSecret() { return secret }
        guard isNewCluster else {
            throw ValidationError("joining needs the cluster secret: set SHOAL_CLUSTER_SECRET or pass --secret-file")
        }
        var random = SystemRandomNumberGenerator()
        let secret = ClusterSecret.generate(using: &random)
        try directory.save(secret)
        return secret
    }

    /// First start: a new cluster takes the ring shape from the options; a joining node asks its seeds.
    private func createRecord(
        secret: ClusterSecret, directory: DataDirectory, transport: ZeroMQTransport, logger: Logger
    ) async throws -> NodeRecord {
        var random = SystemRandomNumberGenerator()
        let node = options.name ?? NodeID("node-" + Hex.encode((0..<4).map { _ in UInt8.random(in: 0...255, using: &random) }))!
        let ring: RingParameters
        if options.join.isEmpty {
            ring = options.ring
        } else {
            let info = try await ControlService.fetchClusterInfo(from: options.join, over: transport, timeout: .seconds(60), logger: logger)
            guard info.secretFingerprint == secret.fingerprint else {
                throw JoinError.wrongSecret(expected: info.secretFingerprint, found: secret.fingerprint)
            }
            ring = info.ring
            if (try? directory.loadSecret()) == nil { try directory.save(secret) }
        }
        let record = NodeRecord(nodeID: node, ring: ring, secretFingerprint: secret.fingerprint,
                                createdAt: Date().timeIntervalSince1970)
        try directory.save(record)
        if options.join.isEmpty { printNewClusterBanner(node: node, secret: secret, directory: directory) }
        return record
    }

    private func printNewClusterBanner(node: NodeID, secret: ClusterSecret, directory: DataDirectory) {
        let secretPath = URL(fileURLWithPath: directory.secretPath).standardizedFileURL.path
        let banner = """

            Shoal: a new cluster was created.
              node      \(node)   REST http://\(options.restAddress)   cluster \(options.clusterAddress)
              secret    \(secretPath) (fingerprint \(secret.fingerprint)); keep it private
              status    shoal status --url http://\(options.restAddress)

            Swift API (python-swiftclient: swift stat, swift upload ...):
            \(SwiftCredentials.exports(url: "http://\(options.restAddress)", user: "\(Credentials.adminAccount):\(Credentials.adminUser)",
                                       key: Credentials(secret: secret).adminKey).map { "  " + $0 }.joined(separator: "\n"))
              (shoal credentials prints these again; shoal user add ACCOUNT:USER adds users)

            Identity API (openstack CLI, openstacksdk):
            \(IdentityCredentials.exports(url: "http://\(options.restAddress)", secret: secret).map { "  " + $0 }.joined(separator: "\n"))

            To add a node, on its machine (with the secret file copied there):
              shoal start --join \(options.clusterAddress) --secret-file cluster.secret \\
                          --rest <host>:8080 --bind <host>:7000 --zone <zone>

            """
        // Unbuffered, so the banner is in the log at once even when stdout is a file.
        FileHandle.standardOutput.write(Data((banner + "\n").utf8))
    }

    static func bootstrapLogging(_ options: NodeOptions) -> Logger {
        let level = Logger.Level(rawValue: options.logLevel) ?? .info
        let format: StructuredLogHandler.Format = options.logFormat == .json ? .json : .text
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, level: level, format: format) }
        return Logger(label: "shoal")
    }
}
