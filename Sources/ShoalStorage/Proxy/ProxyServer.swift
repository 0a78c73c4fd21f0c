import Logging
import ShoalCore
import ShoalPorts
import ShoalSwiftAPI
import Synchronization

/// OpenStack Swift's proxy role: turns a decoded client request into backend requests to
/// the account, container and object servers that the ring names, and their answers into
/// one client answer (`swift/proxy/controllers/{base,account,container,obj}.py`). Auth,
/// HTTP parsing and transaction ids belong to the REST layer above it.
public final class ProxyServer: StorageHandler {
    public struct Configuration: Sendable {
        public var cluster: any ClusterView
        public var client: BackendClient
        public var pathHasher: PathHasher
        /// The proxy's clock for X-Timestamp (injected, so tests replay).
        public var now: @Sendable () -> SwiftTimestamp
        /// How long a backend gets to answer (Swift's `node_timeout`).
        public var nodeTimeout: Duration = .seconds(10)
        /// How long a PUT target may keep its queue full before it is dropped.
        public var chunkStallTimeout: Duration = .seconds(10)
        /// Chunks buffered per PUT target (Swift's `put_queue_depth`).
        public var putQueueDepth = 4
        /// How long container existence is cached (Swift's `recheck_container_existence`).
        public var containerInfoTTLSeconds: Double = 10
        /// Seconds a device that answered 507 (full or unmounted) gets no writes: they go to
        /// a handoff instead (Swift's `error_suppression_interval`).
        public var errorSuppressionSeconds: Double = 60
        /// Swift's `account_autocreate`.
        public var accountAutocreate = true
        public var constraints = SwiftConstraints.default
        /// The clock that bounds stalled PUT targets.
        public var clock: any Clock<Duration> = ContinuousClock()
        public var logger = Logger(label: "shoal.proxy")

        public init(cluster: any ClusterView, client: BackendClient, pathHasher: PathHasher,
                    now: @escaping @Sendable () -> SwiftTimestamp) {
            self.cluster = cluster
            self.client = client
            self.pathHasher = pathHasher
            self.now = now
        }
    }

    let configuration: Configuration
    let containerInfo: ContainerInfoCache
    /// Devices that answered 507 lately, until when (seconds).
    let fullDevices = Mutex<[DeviceID: Double]>([:])
    var logger: Logger { configuration.logger }

    public init(configuration: Configuration) {
        self.configuration = configuration
        containerInfo = ContainerInfoCache()
    }

    public func handle(_ request: StorageRequest) async -> StorageResponse {
        if request.object != nil {
            guard request.container != nil else { return StorageResponse(.notFound) }
            return await handleObject(request)
        }
        if request.container != nil { return await handleContainer(request) }
        return await handleAccount(request)
    }

    // MARK: Shared machinery

    /// One backend answer, or the reason there was none (a transport failure counts as 503).
    struct NodeAnswer: Sendable {
        let device: DeviceRecord
        let response: StorageResponse?
        var status: Int { response?.status ?? 503 }
    }

    /// Headers a client sends that the backend servers should see (everything but framing).
    static func forwardable(_ headers: HeaderFields) -> HeaderFields {
        var out = HeaderFields()
        for field in headers {
            switch field.name.lowercased() {
            case "content-length", "transfer-encoding", "connection", "host", "expect", "x-auth-token",
                 "x-storage-token", "x-timestamp", "x-backend-timestamp": continue
            default: out.add(field.name, field.value)
            }
        }
        return out
    }

    func send(_ head: BackendRequestHead, on channel: Envelope.Channel, to device: DeviceRecord,
              body: ChunkStream? = nil) async -> NodeAnswer {
        do {
            let response = try await configuration.client.send(head, on: channel, to: device.address, body: body,
                                                                timeout: configuration.nodeTimeout)
            if response.status >= 500 {
                logger.warning("backend error", metadata: ["path": "\(head.path)", "method": "\(head.method)",
                                                           "node": "\(device.address)", "status": "\(response.status)"])
            }
            if response.status == 507 {
                let until = configuration.now().seconds + configuration.errorSuppressionSeconds
                fullDevices.withLock { $0[device.id] = until }
            }
            return NodeAnswer(device: device, response: response)
        } catch {
            logger.warning("backend unreachable", metadata: ["path": "\(head.path)", "method": "\(head.method)",
                                                             "node": "\(device.address)", "error": "\(error)"])
            return NodeAnswer(device: device, response: nil)
        }
    }

    /// Sends one request per target at once and collects the answers that count toward the
    /// quorum (Swift's `make_requests`); `head(target)` builds each one. A device a replica
    /// is leaving is written and waited for, but its answer does not count.
    func fanOut(_ targets: [Placement.WriteTarget], on channel: Envelope.Channel,
                head: @Sendable @escaping (Placement.WriteTarget) -> BackendRequestHead) async -> [NodeAnswer] {
        await withTaskGroup(of: NodeAnswer?.self) { group in
            for target in targets {
                group.addTask {
                    let answer = await self.send(head(target), on: channel, to: target.device)
                    await Self.drain(answer.response?.body)
                    return target.isLeaving ? nil : answer
                }
            }
            var answers: [NodeAnswer] = []
            for await answer in group { if let answer { answers.append(answer) } }
            return answers
        }
    }

    /// Swift's `best_response`: the status class a quorum agrees on, else 503.
    func bestResponse(_ answers: [NodeAnswer], replicas: Int, path: String) -> (status: Int, headers: HeaderFields) {
        let decided = QuorumTracker.best(answers.map(\.status), replicas: replicas)
        if decided == 503 { logNoQuorum(answers, path: path) }
        let winner = answers.first { $0.status == decided }?.response?.headers ?? HeaderFields()
        return (decided, winner)
    }

    func logNoQuorum(_ answers: [NodeAnswer], path: String) {
        logger.error("no quorum", metadata: ["path": "\(path)", "statuses": "\(answers.map(\.status))"])
    }

    /// Reads and drops a response body nobody will use, so its stream ends.
    static func drain(_ body: ChunkStream?) async {
        guard let body else { return }
        do { for try await _ in body {} } catch {}
    }

    /// Tries `devices` in order until one answers with a status `accept` takes (Swift's
    /// GETorHEAD_base); the winner's body is not read. Returns the winner and every status.
    func firstAnswer(_ devices: Placement.ReadOrder, on channel: Envelope.Channel, head: (DeviceRecord) -> BackendRequestHead,
                     accept: (Int) -> Bool) async -> (winner: NodeAnswer?, statuses: [Int]) {
        var statuses: [Int] = []
        for device in devices {
            let answer = await send(head(device), on: channel, to: device)
            statuses.append(answer.status)
            if accept(answer.status) { return (answer, statuses) }
            await Self.drain(answer.response?.body)
        }
        return (nil, statuses)
    }

    /// The client answer of a read: the winner's response, else 404 when any node said so, else 503.
    func readResponse(_ result: (winner: NodeAnswer?, statuses: [Int]), method: String, path: String) -> StorageResponse {
        if let winner = result.winner?.response {
            var response = winner
            if method == "HEAD" { response.body = nil }
            // Object servers quote ETags (as Swift's do); Swift's proxy shows clients the bare MD5.
            if let etag = response.headers["ETag"], etag.count >= 2, etag.hasPrefix("\""), etag.hasSuffix("\"") {
                response.headers["ETag"] = String(etag.dropFirst().dropLast())
            }
            return response
        }
        let status = result.statuses.contains(404) ? 404 : 503
        if status == 503 { logger.error("read failed on every node", metadata: ["path": "\(path)", "statuses": "\(result.statuses)"]) }
        let error = status == 404 ? SwiftError.notFound : SwiftError.serviceUnavailable
        return method == "HEAD" ? StorageResponse(status: status, headers: ["Content-Length": "0"]) : StorageResponse(error)
    }

    func snapshot() async -> ClusterSnapshot { await configuration.cluster.snapshot() }

    /// Which container (or account) replicas each write target updates, by target device:
    /// a pairing over the targets actually written, so every replica of the listing is
    /// told even when a down node left fewer targets than replicas (its update then waits
    /// as an async pending where it could not be delivered). A target on a node that holds
    /// a replica of the listing updates that one, in process (``Placement/updatePairing(slots:updates:sameNode:)``).
    /// A device a replica is leaving updates nothing: the new owners carry the listing.
    static func updates(for targets: [Placement.WriteTarget], replicas: [DeviceRecord]) -> [DeviceID: [DeviceRecord]] {
        let ordered = targets.filter { !$0.isLeaving }.sorted { $0.replicaIndex < $1.replicaIndex }
        let pairing = Placement.updatePairing(slots: ordered, updates: replicas) { $0.device.node == $1.node }
        return Dictionary(zip(ordered.map(\.device.id), pairing), uniquingKeysWith: { first, _ in first })
    }

    func partition(_ snapshot: ClusterSnapshot, account: String, container: String? = nil, object: String? = nil) -> Int {
        Placement.partition(of: configuration.pathHasher, in: snapshot.ring, account: account, container: container, object: object)
    }

    func writeTargets(_ snapshot: ClusterSnapshot, partition: Int) -> [Placement.WriteTarget] {
        let now = configuration.now().seconds
        let full = fullDevices.withLock { devices in
            devices = devices.filter { $0.value > now }
            return Set(devices.keys)
        }
        return Placement.writeTargets(partition: partition, ring: snapshot.ring) { snapshot.isDown($0) || full.contains($0.id) }
    }

    func readOrder(_ snapshot: ClusterSnapshot, partition: Int) -> Placement.ReadOrder {
        Placement.readOrder(partition: partition, ring: snapshot.ring, localNode: snapshot.localNode, isDown: snapshot.isDown)
    }

    /// Swift's container-name rule (≤ 256 bytes, no '/').
    func validateContainerName(_ name: String) throws(SwiftError) {
        guard name.utf8.count <= configuration.constraints.maxContainerNameLength else {
            throw .badRequest("Container name length of \(name.utf8.count) longer than \(configuration.constraints.maxContainerNameLength)")
        }
        guard !name.contains("/") else { throw .badRequest("Container name cannot contain slashes") }
    }

    func validateMetadata(_ headers: HeaderFields, target: MetadataRules.Target) throws(SwiftError) {
        _ = try MetadataRules.userMetadata(in: headers.map { ($0.name, $0.value) }, target: target,
                                           constraints: configuration.constraints)
    }
}

/// Container existence as this proxy last saw it, for a few seconds (Swift's
/// `container_info` memcache entry, kept per proxy node).
final class ContainerInfoCache: Sendable {
    struct Entry: Sendable {
        let exists: Bool
        let headers: HeaderFields
        let fetchedAt: Double
    }

    private let entries = Mutex<[String: Entry]>([:])

    func lookup(_ key: String, now: Double, ttl: Double) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries[key], now - entry.fetchedAt < ttl, now >= entry.fetchedAt else { return nil }
            return entry
        }
    }

    func store(_ key: String, _ entry: Entry) { entries.withLock { $0[key] = entry } }
    func invalidate(_ key: String) { _ = entries.withLock { $0.removeValue(forKey: key) } }
}
