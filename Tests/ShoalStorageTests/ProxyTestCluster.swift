import Logging
import ShoalCore
import ShoalPorts
import ShoalSimulation
import ShoalSwiftAPI
import Synchronization
@testable import ShoalStorage

/// A fixed cluster view whose down set a test flips.
final class FixedClusterView: ClusterView {
    let ring: Ring
    let local: NodeID
    private let down = Mutex<Set<NodeID>>([])

    init(ring: Ring, local: NodeID) {
        self.ring = ring
        self.local = local
    }

    func markDown(_ node: NodeID) { _ = down.withLock { $0.insert(node) } }
    func markUp(_ node: NodeID) { _ = down.withLock { $0.remove(node) } }
    func snapshot() async -> ClusterSnapshot { ClusterSnapshot(ring: ring, localNode: local, downNodes: down.withLock { $0 }) }
}

/// One request a scripted server saw.
struct SeenRequest: Sendable {
    let node: Int
    let head: BackendRequestHead
    /// The body, without the ETag footer.
    let body: [UInt8]
    /// The ETag footer that followed the body, when the head announced one.
    var footer: String? = nil
}

/// A scripted account/container/object server: keeps what it is sent in memory and
/// answers like Swift's servers would, unless the test scripts an override.
final class ScriptedServer: BackendServer {
    struct State {
        var accounts: Set<String> = []
        var containers: Set<String> = []
        var objects: [String: (body: [UInt8], headers: HeaderFields)] = [:]
        /// The time of each object's tombstone, as an object server keeps it.
        var tombstones: [String: String] = [:]
    }

    let index: Int
    let log: RequestLog
    let state = Mutex(State())
    /// Answers a request before the default behaviour when it returns non-nil.
    let override = Mutex<(@Sendable (BackendRequestHead) -> Int?)?>(nil)
    /// When true, an override answers before the request body is read.
    let answersBeforeBody = Mutex(false)
    /// When set, the server waits for this before reading an object PUT body.
    let gate = Mutex<AsyncGate?>(nil)
    /// When set, an object PUT answers this ETag instead of the body's MD5 (a replica that
    /// stored something else).
    let wrongETag = Mutex<String?>(nil)

    init(index: Int, log: RequestLog) {
        self.index = index
        self.log = log
    }

    func handle(_ head: BackendRequestHead, body: ChunkStream?) async -> StorageResponse {
        if let gate = gate.withLock({ $0 }), head.method == "PUT", head.object != nil { await gate.wait() }
        // Swift's object server refuses a PUT on its headers (expect-100) without reading the body.
        if answersBeforeBody.withLock({ $0 }), let status = override.withLock({ $0 })?(head) { return StorageResponse(status: status) }
        var bytes: [UInt8]
        do { bytes = try await body?.collect(upTo: 1 << 24) ?? [] } catch {
            log.append(SeenRequest(node: index, head: head, body: []), failed: true)
            return StorageResponse(status: 499)
        }
        // As the object server does: the footer follows the body's Content-Length bytes.
        var footer: String?
        if head.headers[BackendHeader.etagFooter] != nil, bytes.count >= BackendHeader.etagFooterBytes {
            footer = String(decoding: bytes.suffix(BackendHeader.etagFooterBytes), as: UTF8.self)
            bytes.removeLast(BackendHeader.etagFooterBytes)
        }
        log.append(SeenRequest(node: index, head: head, body: bytes, footer: footer), failed: false)
        if let status = override.withLock({ $0 })?(head) { return StorageResponse(status: status) }
        let account = head.account
        switch (head.container, head.object, head.method) {
        case (nil, _, "PUT"):
            state.withLock { _ = $0.accounts.insert(account) }
            return StorageResponse(status: 201)
        case (nil, _, _):
            return StorageResponse(status: state.withLock { $0.accounts.contains(account) } ? 204 : 404)
        case (let container?, nil, "PUT"):
            let created = state.withLock { $0.containers.insert("\(account)/\(container)").inserted }
            return StorageResponse(status: created ? 201 : 202)
        case (let container?, nil, "DELETE"):
            let removed = state.withLock { $0.containers.remove("\(account)/\(container)") != nil }
            return StorageResponse(status: removed ? 204 : 404)
        case (let container?, nil, _):
            return StorageResponse(status: state.withLock { $0.containers.contains("\(account)/\(container)") } ? 204 : 404)
        case (let container?, let object?, let method):
            let key = "\(account)/\(container)/\(object)"
            switch method {
            case "PUT":
                let etag = footer ?? ETagHasher.hex(of: bytes)
                // As Swift's object server: a body that does not match the client's ETag is refused.
                if let expected = head.headers["ETag"]?.trimmingQuotes().lowercased(), expected != etag {
                    return StorageResponse(status: 422)
                }
                state.withLock { $0.objects[key] = (bytes, head.headers) }
                return StorageResponse(status: 201, headers: ["ETag": "\"\(wrongETag.withLock { $0 } ?? etag)\""])
            case "GET", "HEAD":
                guard let stored = state.withLock({ $0.objects[key] }) else { return StorageResponse(status: 404) }
                var headers = HeaderFields()
                headers["Content-Type"] = stored.headers["Content-Type"]
                headers["Content-Length"] = String(stored.body.count)
                headers["ETag"] = ETagHasher.hex(of: stored.body)
                headers["X-Served-By"] = String(index)
                return StorageResponse(status: 200, headers: headers, body: method == "GET" ? .bytes(stored.body, chunkSize: 3) : nil)
            case "DELETE":
                // As the object server: a tombstone either way, and the answer says what was there.
                let (removed, tombstone) = state.withLock { state in
                    let removed = state.objects.removeValue(forKey: key)
                    defer { state.tombstones[key] = head.headers[BackendHeader.timestamp] }
                    return (removed, state.tombstones[key])
                }
                var headers = HeaderFields()
                headers[BackendHeader.foundTimestamp] = removed?.headers[BackendHeader.timestamp] ?? tombstone
                return StorageResponse(status: removed != nil ? 204 : 404, headers: headers)
            default:
                return StorageResponse(status: 202)
            }
        }
    }
}

/// Every request every scripted server saw, in arrival order.
final class RequestLog: Sendable {
    private let entries = Mutex<[(request: SeenRequest, failed: Bool)]>([])
    func append(_ request: SeenRequest, failed: Bool) { entries.withLock { $0.append((request, failed)) } }
    var all: [SeenRequest] { entries.withLock { $0.filter { !$0.failed }.map(\.request) } }
    var failed: [SeenRequest] { entries.withLock { $0.filter(\.failed).map(\.request) } }
    func matching(_ method: String, object: Bool) -> [SeenRequest] {
        all.filter { $0.head.method == method && ($0.head.object != nil) == object }
    }
}

/// A one-shot latch a test opens.
final class AsyncGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// `nodes` nodes with one device each, a scripted server on each, and a proxy.
struct ProxyTestCluster {
    let network: InMemoryNetwork
    let ring: Ring
    let view: FixedClusterView
    let servers: [ScriptedServer]
    let log = RequestLog()
    let proxy: ProxyServer
    let hasher = PathHasher(prefix: "pre", suffix: "suf")
    let clock = TickClock()

    /// `joining`: nodes whose devices are still joining (the ring moves replicas to them).
    init(nodes: Int = 5, replicas: Int = 3, joining: Set<Int> = [],
         configure: (inout ProxyServer.Configuration) -> Void = { _ in }) async {
        network = InMemoryNetwork(seed: 7)
        var set = DeviceSet()
        for index in 0..<nodes {
            let node = NodeID("node\(index)")!
            set.join(DeviceSpec(id: DeviceID(node: node, index: 0), node: node, zone: "z\(index)",
                                address: Self.address(index)), as: joining.contains(index) ? .joining : .active,
                     by: NodeID("writer")!)
        }
        ring = Ring(deviceSet: set, parameters: RingParameters(partPower: 4, replicas: replicas)!)
        view = FixedClusterView(ring: ring, local: NodeID("proxy")!)
        var servers: [ScriptedServer] = []
        for index in 0..<nodes {
            let server = ScriptedServer(index: index, log: log)
            let transport = InMemoryTransport.attach(to: network, at: Self.address(index))
            for channel in [Envelope.Channel.account, .container, .object] {
                await transport.register(BackendTransportHandler(server: server), for: channel)
            }
            servers.append(server)
        }
        self.servers = servers
        let client = BackendClient(transport: InMemoryTransport.attach(to: network, at: ClusterAddress(host: "10.9.9.9", port: 7000)),
                                   timeout: .seconds(5))
        let ticks = clock
        var configuration = ProxyServer.Configuration(cluster: view, client: client, pathHasher: hasher, now: { ticks.tick() })
        // A stall only where a test makes one: a busy machine running tests in parallel can
        // leave a healthy consumer unscheduled for a few hundred milliseconds.
        configuration.chunkStallTimeout = .seconds(10)
        configure(&configuration)
        proxy = ProxyServer(configuration: configuration)
    }

    static func address(_ index: Int) -> ClusterAddress { ClusterAddress(host: "10.0.0.\(index + 1)", port: 7000) }

    func serverIndex(of device: DeviceRecord) -> Int { Int(device.node.rawValue.dropFirst(4))! }

    func primaries(account: String, container: String? = nil, object: String? = nil) -> [Int] {
        let partition = hasher.partition(account: account, container: container, object: object, partPower: ring.parameters.partPower)
        return ring.primaries(of: partition).map(serverIndex)
    }

    func handoffs(account: String, container: String? = nil, object: String? = nil) -> [Int] {
        let partition = hasher.partition(account: account, container: container, object: object, partPower: ring.parameters.partPower)
        return ring.handoffs(of: partition).map(serverIndex)
    }

    /// Seeds account and container on their primaries, as if created earlier.
    func seedContainer(_ account: String, _ container: String) {
        for index in primaries(account: account) { servers[index].state.withLock { _ = $0.accounts.insert(account) } }
        for index in primaries(account: account, container: container) {
            servers[index].state.withLock { _ = $0.containers.insert("\(account)/\(container)") }
        }
    }

    /// A bodiless request for the object at `path`, through the proxy.
    func object(_ method: String, _ path: (String, String, String), headers: HeaderFields = [:]) async -> StorageResponse {
        await proxy.handle(StorageRequest(method: method, account: path.0, container: path.1, object: path.2, headers: headers))
    }

    /// The name a scripted server keeps an object under.
    func key(_ path: (String, String, String)) -> String { "\(path.0)/\(path.1)/\(path.2)" }

    func put(_ path: (String, String, String), body: [UInt8], headers: HeaderFields = [:], chunkSize: Int = 4) async -> StorageResponse {
        var all = headers
        if all["Content-Length"] == nil && all["Transfer-Encoding"] == nil { all["Content-Length"] = String(body.count) }
        return await proxy.handle(StorageRequest(method: "PUT", account: path.0, container: path.1, object: path.2,
                                                 headers: all, body: .bytes(body, chunkSize: chunkSize)))
    }

    func body(_ response: StorageResponse) async -> String {
        String(decoding: (try? await response.body?.collect(upTo: 1 << 20)) ?? [], as: UTF8.self)
    }
}

/// The proxy's clock in tests: one tick (10 µs) later on every call, from 1700000000.
final class TickClock: Sendable {
    private let ticks = Mutex<Int64>(1_700_000_000 * SwiftTimestamp.ticksPerSecond)
    func tick() -> SwiftTimestamp { SwiftTimestamp(ticks: ticks.withLock { $0 += 1; return $0 }) }
    /// The time the next ``tick()`` is one tick after.
    var current: SwiftTimestamp { SwiftTimestamp(ticks: ticks.withLock { $0 }) }
}
