import Foundation
import Logging
import ShoalCore
import ShoalDiskStore
import ShoalPorts
import ShoalSimulation
import ShoalSQLite
import Synchronization
@testable import ShoalStorage

/// A cluster of three in-memory nodes, each with one device serving the object, container
/// and account roles over an ``InMemoryNetwork``: in-memory object stores and async
/// pendings, real SQLite brokers in a temporary folder. Every partition has all three
/// devices as primaries (with more nodes than replicas, the rest are handoffs). Tests talk to it as the proxy would, through ``send(_:to:)``.
/// The object server writes through a ``FaultyObjectStore`` over each node's store, so a
/// simulation can tear writes (it passes everything through until told otherwise).
/// Build one with ``withStorageCluster(_:)``, which cleans up.
final class StorageCluster: Sendable {
    struct Node: Sendable {
        let device: DeviceID
        let address: ClusterAddress
        let transport: InMemoryTransport
        let objects: InMemoryObjectStore
        /// The object server's store: `objects` behind a disk that can tear writes.
        let disk: FaultyObjectStore
        let pendings: InMemoryAsyncPendings
        let objectServer: ObjectServer
        let containerServer: ContainerServer
        let accountServer: AccountServer
        let objectUpdater: ObjectUpdater
        let containerUpdater: ContainerUpdater
        let containerReplicator: DatabaseReplicator<ContainerBroker>
        let accountReplicator: DatabaseReplicator<AccountBroker>
    }

    let network: InMemoryNetwork
    let folder: String
    let executor = SQLiteExecutor(name: "shoal-storage-test")
    let layout: StorageLayout
    let cluster: FixedClusterView
    let clock = TestClock()
    let nodes: [Node]
    let client: BackendClient

    init(nodeCount: Int = 3, replicas: Int? = nil, seed: UInt64 = 7) throws {
        network = InMemoryNetwork(seed: seed)
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-storage-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let parameters = RingParameters(partPower: 4, replicas: replicas ?? nodeCount)!
        var set = DeviceSet()
        let writer = NodeID("test")!
        for index in 0..<nodeCount {
            let node = NodeID("n\(index)")!
            set.join(DeviceSpec(id: DeviceID(node: node, index: 0), node: node, zone: "z\(index)",
                                address: ClusterAddress(host: "10.0.0.\(index + 1)", port: 6000)), by: writer)
        }
        let ring = Ring(deviceSet: set, parameters: parameters)
        cluster = FixedClusterView(ring: ring, local: NodeID("n0")!)
        let hasher = PathHasher(prefix: "test-prefix", suffix: "test-suffix")
        layout = StorageLayout(hasher: hasher, partPower: parameters.partPower)
        let logger = Logger(label: "shoal-storage-test", factory: { _ in SwiftLogNoOpLogHandler() })
        var nodes: [Node] = []
        for record in ring.devices {
            let transport = InMemoryTransport.attach(to: network, at: record.address)
            let client = BackendClient(transport: transport, timeout: .seconds(5))
            let objects = InMemoryObjectStore(chunkBytes: 4)
            let disk = FaultyObjectStore(objects)
            let pendings = InMemoryAsyncPendings()
            let clock = self.clock
            let expiry = ExpiryQueue(path: folder + "/" + record.id.rawValue + "/expiring.db", executor: executor, durability: .normal)
            let objectServer = ObjectServer(
                devices: [record.id: disk], asyncPendings: [record.id: pendings], layout: layout, client: client,
                cluster: cluster, logger: logger, expiryQueues: [record.id: expiry], now: { clock.now })
            let containerServer = ContainerServer(
                devicePaths: [record.id: folder + "/" + record.id.rawValue], layout: layout, executor: executor,
                client: client, cluster: cluster, logger: logger, openBrokerLimit: 4)
            let accountServer = AccountServer(
                devicePaths: [record.id: folder + "/" + record.id.rawValue], layout: layout, executor: executor, logger: logger)
            nodes.append(Node(
                device: record.id, address: record.address, transport: transport, objects: objects, disk: disk, pendings: pendings,
                objectServer: objectServer, containerServer: containerServer, accountServer: accountServer,
                objectUpdater: ObjectUpdater(queues: [record.id: pendings], hasher: hasher, client: client, cluster: cluster, logger: logger),
                containerUpdater: ContainerUpdater(server: containerServer),
                containerReplicator: DatabaseReplicator(server: containerServer),
                accountReplicator: DatabaseReplicator(server: accountServer, client: client, cluster: cluster)))
        }
        self.nodes = nodes
        client = BackendClient(
            transport: InMemoryTransport.attach(to: network, at: ClusterAddress(host: "10.0.0.100", port: 6000)),
            timeout: .seconds(5))
    }

    func start() async {
        for node in nodes {
            await node.transport.register(BackendTransportHandler(server: node.objectServer), for: .object)
            await node.transport.register(BackendTransportHandler(server: node.containerServer), for: .container)
            await node.transport.register(BackendTransportHandler(server: node.accountServer), for: .account)
            await node.transport.register(ObjectReplicationServer(server: node.objectServer), for: .objectReplication)
        }
    }

    func shutdown() async {
        for node in nodes { await node.transport.shutdown() }
        await client.transport.shutdown()
        executor.shutdown()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The object replicator of node `index`, on the cluster's clock.
    func objectReplicator(_ index: Int, reclaimAgeSeconds: Double = 7 * 24 * 3600) -> ObjectReplicator {
        var configuration = ObjectReplicator.Configuration()
        configuration.reclaimAgeSeconds = reclaimAgeSeconds
        let clock = clock
        configuration.now = { clock.now }
        return ObjectReplicator(server: nodes[index].objectServer, transport: nodes[index].transport, cluster: cluster,
                                configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    // MARK: Talking to the servers as the proxy does

    var devices: [DeviceID] { nodes.map(\.device) }

    func partition(account: String, container: String? = nil, object: String? = nil) -> Int {
        layout.hasher.partition(account: account, container: container, object: object, partPower: layout.partPower)
    }

    /// Sends `head` (its device says which node) on `channel`, by default the one its path
    /// implies (object rows for container servers and container rows for account servers
    /// need theirs named).
    func send(_ head: BackendRequestHead, on channel: Envelope.Channel? = nil, body: [UInt8]? = nil) async throws -> Answer {
        let channel = channel ?? (head.object != nil ? .object : head.container != nil ? .container : .account)
        let node = nodes.first { $0.device == head.device } ?? nodes[0]
        let response = try await client.send(head, on: channel, to: node.address, body: body.map { .bytes($0, chunkSize: 3) })
        return Answer(status: response.status, headers: response.headers,
                      body: try await response.body?.collect(upTo: 1 << 20) ?? [])
    }

    /// A request to the replica of `path` (`account[/container[/object]]`) on `node`,
    /// with the partition the ring gives it.
    func request(_ method: String, _ path: String, on node: Int = 0, headers: HeaderFields = HeaderFields(),
                 query: [String: String] = [:]) -> BackendRequestHead {
        let parts = path.split(separator: "/", maxSplits: 2).map(String.init)
        let account = parts[0]
        let container = parts.count > 1 ? parts[1] : nil
        let object = parts.count > 2 ? parts[2] : nil
        return BackendRequestHead(
            method: method, device: nodes[node].device, partition: partition(account: account, container: container, object: object),
            account: account, container: container, object: object, query: query, headers: headers)
    }

    /// A row update for the replica of `path`'s parent on `node`: an object row
    /// (`account/container/object`) for a container server, or a container row
    /// (`account/container`) for an account server, with the parent's partition. Send it
    /// with ``rowChannel(_:)``.
    func row(_ method: String, _ path: String, on node: Int = 0, headers: HeaderFields) -> BackendRequestHead {
        var head = request(method, path, on: node, headers: headers)
        head.partition = head.object != nil
            ? partition(account: head.account, container: head.container) : partition(account: head.account)
        return head
    }

    func rowChannel(_ head: BackendRequestHead) -> Envelope.Channel { head.object != nil ? .container : .account }

    /// Headers naming every account replica, as the proxy adds to a container PUT or DELETE.
    func accountTarget(_ account: String) -> HeaderFields {
        [BackendHeader.accountDevice: devices.map(\.rawValue).joined(separator: ","),
         BackendHeader.accountPartition: String(partition(account: account))]
    }

    /// Headers naming the container replica on `node`, as the proxy adds to an object write.
    func containerTarget(_ account: String, _ container: String, node: Int) -> HeaderFields {
        [BackendHeader.containerDevice: nodes[node].device.rawValue,
         BackendHeader.containerPartition: String(partition(account: account, container: container))]
    }

    /// Creates `account` on every replica.
    func createAccount(_ account: String, at timestamp: SwiftTimestamp = ts(0)) async throws {
        for index in nodes.indices {
            let answer = try await send(request("PUT", account, on: index, headers: [BackendHeader.timestamp: timestamp.internal]))
            precondition(answer.status == 201 || answer.status == 202, "account PUT answered \(answer.status)")
        }
    }

    /// Creates `account/container` on every replica, telling the account replicas.
    func createContainer(_ account: String, _ container: String, at timestamp: SwiftTimestamp = ts(1),
                         updateAccount: Bool = true) async throws {
        for index in nodes.indices {
            var headers: HeaderFields = [BackendHeader.timestamp: timestamp.internal]
            if updateAccount { headers.merge(accountTarget(account)) }
            let answer = try await send(request("PUT", "\(account)/\(container)", on: index, headers: headers))
            precondition(answer.status == 201 || answer.status == 202, "container PUT answered \(answer.status)")
        }
    }

    /// PUTs an object to the replica on `node`, its container update aimed at `containerNode`.
    @discardableResult
    func putObject(_ path: String, _ body: String, on node: Int = 0, containerNode: Int = 0, at timestamp: SwiftTimestamp,
                   headers extra: HeaderFields = HeaderFields()) async throws -> Answer {
        let parts = path.split(separator: "/", maxSplits: 2).map(String.init)
        var headers: HeaderFields = [BackendHeader.timestamp: timestamp.internal, "Content-Type": "text/plain",
                                     "Content-Length": String(body.utf8.count)]
        headers.merge(containerTarget(parts[0], parts[1], node: containerNode))
        headers.merge(extra)
        return try await send(request("PUT", path, on: node, headers: headers), body: Array(body.utf8))
    }
}

/// A backend answer with its body read.
struct Answer: Sendable {
    let status: Int
    let headers: HeaderFields
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Runs `body` with a started cluster, shutting it down and removing its files afterwards.
func withStorageCluster<T>(nodes: Int = 3, replicas: Int? = nil, seed: UInt64 = 7,
                           _ body: (StorageCluster) async throws -> T) async throws -> T {
    let cluster = try StorageCluster(nodeCount: nodes, replicas: replicas, seed: seed)
    await cluster.start()
    do {
        let result = try await body(cluster)
        await cluster.shutdown()
        return result
    } catch {
        await cluster.shutdown()
        throw error
    }
}

/// The object server's clock in tests: set by hand, never sleeps.
final class TestClock: Sendable {
    private let current = Mutex(ts(1_000))
    var now: SwiftTimestamp { current.withLock { $0 } }
    func set(_ timestamp: SwiftTimestamp) { current.withLock { $0 = timestamp } }
}

/// The in-memory twin of `AsyncPendingStore`.
actor InMemoryAsyncPendings: AsyncPendingQueue {
    private var updates: [AsyncPendingStore.Entry: ContainerUpdate] = [:]

    func save(_ update: ContainerUpdate, objectHash hash: ObjectHash) async throws -> AsyncPendingStore.Entry {
        let entry = AsyncPendingStore.Entry(hash: hash, timestamp: update.timestamp)
        updates[entry] = update
        return entry
    }

    func list() async throws -> [AsyncPendingStore.Entry] {
        updates.keys.sorted { ($0.timestamp, $0.hash) < ($1.timestamp, $1.hash) }
    }

    func load(_ entry: AsyncPendingStore.Entry) async throws -> ContainerUpdate? { updates[entry] }

    func remove(_ entry: AsyncPendingStore.Entry) async throws { updates[entry] = nil }

    var count: Int { updates.count }
}

/// `1700000000 + seconds` as a Swift timestamp.
func ts(_ seconds: Int64, offset: UInt64 = 0) -> SwiftTimestamp {
    SwiftTimestamp(ticks: (1_700_000_000 + seconds) * SwiftTimestamp.ticksPerSecond, offset: offset)
}

/// Polls `condition` until it holds, for at most `timeout`; whether it held. Tests wait
/// for a state with it instead of sleeping.
func waitUntil(timeout: Duration = .seconds(10), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return await condition()
}
