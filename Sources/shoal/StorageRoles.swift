import Foundation
import Logging
import ServiceLifecycle
import ShoalCore
import ShoalDiskStore
import ShoalKeystoneAPI
import ShoalNode
import ShoalPorts
import ShoalSQLite
import ShoalStorage
import ShoalZeroMQ

/// The object-storage roles of one node, built on its data folder: the object, container
/// and account servers on their transport channels, the proxy with the Swift middleware
/// pipeline for the REST port, and the updaters, the expirer, the replicators and the auditor
/// as background services.
struct StorageRoles {
    let pipeline: SwiftPipeline
    /// The proxy under the middlewares, for the node's own records (identity).
    let proxy: ProxyServer
    let services: [ServiceGroupConfiguration.ServiceConfiguration]
    /// Where object replication stands (for `shoal status`).
    let replication: ReplicationProgress
    /// The object store's own counters (for `/metrics`).
    let objectStore: DiskStoreStatistics

    init(directory: DataDirectory, device: DeviceID, secret: ClusterSecret, partPower: Int, options: NodeOptions,
         transport: any ClusterTransport, membership: MembershipService, revocations: RevocationList, logger: Logger) async throws {
        let cluster = membership
        let devicePath = directory.devicePath(index: 0)
        try FileManager.default.createDirectory(atPath: devicePath, withIntermediateDirectories: true)
        let hasher = secret.pathHasher
        let layout = StorageLayout(hasher: hasher, partPower: partPower)
        let client = BackendClient(transport: transport, timeout: .seconds(10))
        let executor = SQLiteExecutor(name: "shoal-sqlite")
        let pendings = try AsyncPendingStore(devicePath: devicePath)
        let expiry = ExpiryQueue(path: devicePath + "/expiring.db", executor: executor)
        let objectStore = try DiskObjectStore(devicePath: devicePath, reserve: options.fallocateReserve)
        self.objectStore = objectStore.statistics
        let objectServer = ObjectServer(
            devices: [device: objectStore], asyncPendings: [device: pendings],
            layout: layout, client: client, cluster: cluster, logger: Logger(label: "shoal.object"),
            expiryQueues: [device: expiry])
        let containerServer = ContainerServer(
            devicePaths: [device: devicePath], layout: layout, executor: executor, client: client, cluster: cluster,
            logger: Logger(label: "shoal.container"), reserve: options.fallocateReserve)
        let accountServer = AccountServer(devicePaths: [device: devicePath], layout: layout, executor: executor,
                                          logger: Logger(label: "shoal.account"), reserve: options.fallocateReserve)
        await transport.register(BackendTransportHandler(server: objectServer), for: .object)
        await transport.register(BackendTransportHandler(server: containerServer), for: .container)
        await transport.register(BackendTransportHandler(server: accountServer), for: .account)
        await transport.register(ObjectReplicationServer(server: objectServer), for: .objectReplication)

        var proxy = ProxyServer.Configuration(cluster: cluster, client: client, pathHasher: hasher, now: ObjectServer.systemNow)
        proxy.logger = Logger(label: "shoal.proxy")
        let proxyServer = ProxyServer(configuration: proxy)
        self.proxy = proxyServer
        pipeline = SwiftPipeline(proxy: proxyServer, secret: secret, revocations: revocations, logger: Logger(label: "shoal.tempauth"))

        let objectUpdater = ObjectUpdater(queues: [device: pendings], hasher: hasher, client: client, cluster: cluster,
                                          logger: Logger(label: "shoal.object-updater"))
        let containerUpdater = ContainerUpdater(server: containerServer)
        let expirer = ObjectExpirer(server: objectServer, cluster: cluster, logger: Logger(label: "shoal.object-expirer"))
        var replication = ObjectReplicator.Configuration()
        replication.reclaimAgeSeconds = options.reclaimAge
        let progress = ReplicationProgress(databaseKinds: ["container", "account"])
        let replicator = ObjectReplicator(server: objectServer, transport: transport, cluster: cluster,
                                          configuration: replication, progress: progress,
                                          logger: Logger(label: "shoal.object-replicator"))
        self.replication = progress
        let auditor = ObjectAuditor(server: objectServer, bytesPerSecond: options.auditRate,
                                    filesPerSecond: options.auditFilesPerSecond, logger: Logger(label: "shoal.object-auditor"))
        let containerAuditor = DatabaseAuditor(server: containerServer)
        let accountAuditor = DatabaseAuditor(server: accountServer)
        let replicationInterval = Duration.seconds(options.replicationInterval)
        let auditInterval = Duration.seconds(options.auditInterval)
        let drain = DrainWatch(membership: membership, devicePath: devicePath, store: objectStore, progress: progress,
                               logger: Logger(label: "shoal.drain"))
        let join = JoinWatch(membership: membership, transport: transport, localMovesDone: { progress.snapshot.cleanRing },
                             logger: Logger(label: "shoal.join"))
        let containerReplicator = DatabaseReplicator(server: containerServer, progress: progress)
        let accountReplicator = DatabaseReplicator(server: accountServer, client: client, cluster: cluster, progress: progress)
        let reaper = AccountReaper(server: accountServer, cluster: cluster, proxy: proxyServer, logger: Logger(label: "shoal.account-reaper"))
        services = [
            .init(service: BackgroundLoop(name: "object-replicator") { await replicator.run(every: replicationInterval) }),
            .init(service: BackgroundLoop(name: "account-reaper") { await reaper.run(every: replicationInterval) }),
            .init(service: BackgroundLoop(name: "drain-watch") { await drain.run(every: replicationInterval) }),
            .init(service: BackgroundLoop(name: "join-watch") { await join.run(every: replicationInterval) }),
            .init(service: BackgroundLoop(name: "object-auditor") { await auditor.run(every: auditInterval) }),
            .init(service: BackgroundLoop(name: "container-auditor") { await containerAuditor.run(every: auditInterval) }),
            .init(service: BackgroundLoop(name: "account-auditor") { await accountAuditor.run(every: auditInterval) }),
            .init(service: BackgroundLoop(name: "object-expirer") { await expirer.run(every: .seconds(5)) }),
            .init(service: BackgroundLoop(name: "object-updater") { await objectUpdater.run(every: .seconds(5)) }),
            .init(service: BackgroundLoop(name: "container-updater") { await containerUpdater.run(every: .seconds(5)) }),
            .init(service: BackgroundLoop(name: "container-replicator") { await containerReplicator.run(every: replicationInterval) }),
            .init(service: BackgroundLoop(name: "account-replicator") { await accountReplicator.run(every: replicationInterval) }),
        ]
    }
}

/// A background loop (an updater) as a service: it runs until the node shuts down.
struct BackgroundLoop: Service {
    let name: String
    let body: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
    }
}

/// Lets a draining node go: once membership says this node's devices are draining, and
/// either the device holds no objects, containers or accounts any more, or the ring has
/// moved every replica off it, its replicators handed everything over on this ring, and
/// every object left was written after that clean pass began (client writes keep reaching
/// a leaving device during the moves, but the quorum never counts it, so those are on the
/// new owners too; anything older, such as a push from a peer with a stale ring, waits for
/// the next pass), it removes itself from the cluster, which stops the node.
struct DrainWatch: Sendable {
    let membership: MembershipService
    let devicePath: String
    let store: any ObjectStore
    let progress: ReplicationProgress
    let logger: Logger

    func run(every interval: Duration) async {
        var left = false
        while !Task.isCancelled {
            // After leaving, membership stops the node; this loop just waits for the shutdown.
            if !left, await membership.isDraining, await gone() {
                logger.notice("drained: every partition has moved; leaving the cluster")
                _ = await membership.removeNode(membership.snapshot().localNode)
                left = true
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Nothing left here, or nothing left to hand over.
    private func gone() async -> Bool {
        if await isEmpty() { return true }
        return await handedOver()
    }

    private func handedOver() async -> Bool {
        let ring = await membership.ring, replication = progress.snapshot
        guard replication.cleanRing == ring.checksum, await !membership.holdsPrimaries(membership.snapshot().localNode),
              !hasDatabases(), let partitions = try? await store.partitions() else { return false }
        for partition in partitions {
            guard let objects = try? await store.objects(inPartition: partition),
                  objects.allSatisfy({ $0.timestamp.seconds >= replication.lastPassStartedAt }) else { return false }
        }
        return true
    }

    private func isEmpty() async -> Bool {
        guard let partitions = try? await store.partitions(), partitions.isEmpty else { return false }
        return !hasDatabases()
    }

    private func hasDatabases() -> Bool {
        for folder in [StorageLayout.containerFolder, StorageLayout.accountFolder] {
            let walker = FileManager.default.enumerator(atPath: devicePath + "/" + folder)
            while let item = walker?.nextObject() as? String {
                if item.hasSuffix(".db") { return true }
            }
        }
        return false
    }
}

extension ReplicationProgress {
    /// This node's replication as `/cluster/replication` serves it.
    func status(node: String) -> ReplicationStatus {
        let current = snapshot
        return ReplicationStatus(
            node: node, partitions: current.partitions, partitionsDone: current.partitionsDone,
            handoffPartitions: current.handoffPartitions, handoffsCleared: current.handoffsCleared,
            pendingHandoffs: current.pendingHandoffs, bytesMoved: current.bytesMoved, passes: current.passes,
            lastPassSeconds: current.lastPassSeconds, running: current.running, passElapsedSeconds: current.passElapsedSeconds,
            cleanRing: current.cleanRing)
    }
}
