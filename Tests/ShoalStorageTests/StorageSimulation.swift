import Foundation
import Logging
import ShoalCore
import ShoalPorts
import ShoalSimulation
import Testing
@testable import ShoalStorage

/// The storage roles of five in-memory nodes (three replicas, so partitions have
/// handoffs) behind the real ``ProxyServer``, driven by a seeded random workload — PUT,
/// overwrite, DELETE, POST, GET — with faults between the steps: a node crashed, crashed
/// and noticed (marked down), cut off by a network partition or wrongly suspected; a torn
/// write on a node's disk; bit rot in a stored replica; replicator, updater and auditor
/// passes on random nodes. After every step the checkers run (see ``checkStep()``); at
/// quiet points every fault is healed, the background passes run until nothing moves and
/// the replicas, listings and model must agree (see ``quietPoint()``).
///
/// At most one node is unavailable at a time, and rot never leaves a version with fewer
/// than two intact replicas elsewhere: the faults a three-replica cluster is built to
/// survive. Everything follows from the seed; a failure names it.
final class StorageSimulation {
    /// A way a node becomes unavailable.
    enum NodeFault: CaseIterable {
        /// The process hangs: the network drops everything to and from it.
        case crashed
        /// Crashed, and membership noticed: the proxy writes to handoffs instead.
        case crashedAndMarkedDown
        /// A network partition leaves it alone on its side.
        case partitioned
        /// Membership wrongly holds it dead while it still runs and answers.
        case suspected
    }

    /// What a run did, for the test's summary line.
    struct Tally: CustomStringConvertible {
        var puts = 0, deletes = 0, posts = 0, gets = 0, acknowledged = 0
        var nodeFaults = 0, tornWrites = 0, rotted = 0, passes = 0, quietPoints = 0, mostRounds = 0

        var description: String {
            "\(puts) PUT, \(deletes) DELETE, \(posts) POST (\(acknowledged) acknowledged), \(gets) GET; "
                + "\(nodeFaults) node faults, \(tornWrites) torn writes, \(rotted) rotted replicas, \(passes) background passes; "
                + "\(quietPoints) quiet points, at most \(mostRounds) rounds to quiet"
        }
    }

    static let account = "AUTH_sim"
    static let containers = ["c0", "c1"]
    static let objects = (0..<6).map { "o\($0)" }
    /// Rounds of every background pass on every node a quiet point may take.
    static let maximumRounds = 8

    let seed: UInt64
    let stack: SwiftStack
    var storage: StorageCluster { stack.storage }
    private var random: SeededRandom
    private var histories: [String: ObjectHistory] = [:]
    private var step = 0
    private var serial = 0
    private var unavailable: (node: Int, fault: NodeFault)?
    private(set) var tally = Tally()
    private(set) var failed = false

    init(seed: UInt64, stack: SwiftStack) {
        self.seed = seed
        self.stack = stack
        random = SeededRandom(seed: seed)
    }

    /// Runs `steps` steps with a quiet point after every `quietEvery` of them and at the end;
    /// stops at the first failed check.
    func run(steps: Int, quietEvery: Int) async {
        for container in Self.containers {
            let status = await send("PUT", container).status
            guard expect((200..<300).contains(status), "container PUT \(container) answered \(status)") else { return }
        }
        for index in 1...steps {
            step = index
            await randomStep()
            await checkStep()
            if index % quietEvery == 0 || index == steps { await quietPoint() }
            if failed { return }
        }
    }

    // MARK: The workload

    private func randomStep() async {
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<32: await put()
        case 32..<40: await write("DELETE")
        case 40..<48: await write("POST")
        case 48..<66: await get()
        case 66..<76: toggleNode()
        case 76..<82: armTear()
        case 82..<88: await rot()
        default: await backgroundPass()
        }
    }

    private func put() async {
        let name = randomName()
        serial += 1
        let length = Int.random(in: 0...40, using: &random)
        let body = Array("v\(serial) ".utf8) + (0..<length).map { _ in UInt8.random(in: 97...122, using: &random) }
        let timestamp = nextTimestamp
        let reply = await send("PUT", name.container, name.object, headers: ["Content-Type": "application/octet-stream"], body: body)
        let acknowledged = (200..<300).contains(reply.status)
        if acknowledged {
            expect(reply.headers["ETag"] == ETagHasher.hex(of: body), "PUT \(name.path) answered ETag \(reply.headers["ETag"] ?? "none")")
        }
        histories[name.path, default: ObjectHistory()].record(.put(body: body), at: timestamp, acknowledged: acknowledged)
        tally.puts += 1
        if acknowledged { tally.acknowledged += 1 }
    }

    /// A DELETE, or a POST of a new `X-Object-Meta-Tag`.
    private func write(_ method: String) async {
        let name = randomName()
        serial += 1
        let tag = "p\(serial)"
        let timestamp = nextTimestamp
        let reply = await send(method, name.container, name.object, headers: method == "POST" ? ["X-Object-Meta-Tag": tag] : [:])
        let acknowledged = (200..<300).contains(reply.status)
        histories[name.path, default: ObjectHistory()].record(method == "POST" ? .post(tag: tag) : .delete, at: timestamp,
                                                               acknowledged: acknowledged)
        if method == "POST" { tally.posts += 1 } else { tally.deletes += 1 }
        if acknowledged { tally.acknowledged += 1 }
    }

    /// A GET must answer a version some write could have left — exact bytes, its own ETag
    /// and timestamp, never rotten or torn — and 404 only when the object may be deleted.
    private func get() async {
        let name = randomName()
        let history = histories[name.path] ?? ObjectHistory()
        let reply = await send("GET", name.container, name.object)
        tally.gets += 1
        switch reply.status {
        case 200:
            guard let version = history.possiblePut(of: reply.body) else {
                expect(false, "GET \(name.path) served \(reply.body.count) bytes no possible version has: \(reply.text.prefix(60))")
                return
            }
            expect(reply.headers["ETag"] == ETagHasher.hex(of: reply.body), "GET \(name.path) answered a wrong ETag")
            // X-Timestamp is the newest of the data and its `.meta`, as in Swift.
            var newest = version.timestamp
            if let tag = reply.headers["X-Object-Meta-Tag"] {
                let post = history.writes.first { $0.operation == .post(tag: tag) && $0.outcome != .gone }
                expect(post.map { $0.timestamp > version.timestamp } ?? false,
                       "GET \(name.path) served metadata \(tag), which no possible POST after \(version.timestamp) set")
                newest = post?.timestamp ?? newest
            }
            expect(reply.headers["X-Timestamp"].flatMap { SwiftTimestamp($0) } == newest,
                   "GET \(name.path) served \(newest) as \(reply.headers["X-Timestamp"] ?? "no timestamp")")
        case 404:
            expect(history.mayBeAbsent, "GET \(name.path) answered 404, but \(history.floor.map { "\($0.timestamp)" } ?? "") is acknowledged")
        default:
            expect(false, "GET \(name.path) answered \(reply.status) with at most one node unavailable")
        }
    }

    // MARK: Faults

    /// Makes a random node unavailable in a random way, or brings the unavailable one back.
    private func toggleNode() {
        if unavailable != nil {
            healNode()
            return
        }
        let node = Int.random(in: 0..<storage.nodes.count, using: &random)
        let fault = NodeFault.allCases.randomElement(using: &random)!
        let address = storage.nodes[node].address
        switch fault {
        case .crashed: storage.network.takeDown(address)
        case .crashedAndMarkedDown:
            storage.network.takeDown(address)
            storage.cluster.markDown(nodeID(node))
        case .partitioned: storage.network.partition([[address]])
        case .suspected: storage.cluster.markDown(nodeID(node))
        }
        unavailable = (node, fault)
        tally.nodeFaults += 1
    }

    private func healNode() {
        guard let node = unavailable?.node else { return }
        storage.network.bringUp(storage.nodes[node].address)
        storage.network.heal()
        storage.cluster.markUp(nodeID(node))
        unavailable = nil
    }

    /// The next write to a random node's disk — a client's PUT or a replication push —
    /// fails part-way through its body.
    private func armTear() {
        let node = Int.random(in: 0..<storage.nodes.count, using: &random)
        storage.nodes[node].disk.tearNextWrite(afterBytes: Int.random(in: 0...30, using: &random))
    }

    /// Flips a bit of a random data replica on a random node, unless fewer than two intact
    /// replicas of its version (or a newer one) are elsewhere: rot never takes the last copy
    /// of a write, nor leaves an acknowledged one where a single failure hides it.
    private func rot() async {
        let node = Int.random(in: 0..<storage.nodes.count, using: &random)
        let store = storage.nodes[node].objects
        var candidates: [(path: String, key: ObjectKey)] = []
        for (path, _) in histories.sorted(by: { $0.key < $1.key }) {
            let key = objectKey(path)
            if await store.storedBody(of: key.hash, inPartition: key.partition)?.isEmpty == false { candidates.append((path, key)) }
        }
        guard let target = candidates.randomElement(using: &random) else { return }
        guard let replica = try? await store.replica(of: target.key.hash, inPartition: target.key.partition),
              await witnesses(since: replica.base.timestamp, key: target.key, excluding: node) >= 2
        else { return }
        await store.corrupt(target.key.hash, inPartition: target.key.partition, offset: Int.random(in: 0..<64, using: &random))
        tally.rotted += 1
    }

    /// One background pass of a random kind on a random node that is running.
    private func backgroundPass() async {
        let node = Int.random(in: 0..<storage.nodes.count, using: &random)
        let kind = Int.random(in: 0..<6, using: &random)
        if let unavailable, unavailable.node == node, unavailable.fault == .crashed || unavailable.fault == .crashedAndMarkedDown {
            return
        }
        _ = await pass(kind, on: node)
        tally.passes += 1
    }

    /// Runs background pass `kind` (0 ..< 6) on `node`; how much it did (0: nothing to do).
    private func pass(_ kind: Int, on index: Int) async -> Int {
        let node = storage.nodes[index]
        switch kind {
        case 0:
            let result = await storage.objectReplicator(index).runOnce()
            return result.objectsPushed + result.handoffObjectsRemoved + result.tombstonesReclaimed + result.failures
        case 1:
            let auditor = ObjectAuditor(server: node.objectServer, bytesPerSecond: 1 << 40, filesPerSecond: 1 << 30,
                                        logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() }))
            let sweep = await auditor.runOnce()
            return sweep.quarantined + sweep.errors
        case 2:
            let result = await node.objectUpdater.runOnce()
            return result.delivered + result.failed + result.discarded
        case 3:
            let result = await node.containerUpdater.runOnce()
            return result.reported + result.failed
        case 4: return Self.activity(await node.containerReplicator.runOnce())
        default: return Self.activity(await node.accountReplicator.runOnce())
        }
    }

    private static func activity(_ pass: ReplicationPass) -> Int {
        pass.rowsSent + pass.rebuilt + pass.handoffsRemoved + pass.failures
    }

    // MARK: Checks after every step

    /// A torn write left nothing visible on its disk; every acknowledged write is still on
    /// at least two intact replicas (a quorum took it, and no single failure may lose or hide
    /// it); every listed row is a version some write could have left.
    private func checkStep() async {
        for node in storage.nodes {
            for torn in node.disk.takeTornWrites() {
                tally.tornWrites += 1
                let state = try? await node.objects.head(torn.key)
                let visible: Bool = switch state {
                case .present(let metadata, _)?: metadata.timestamp == torn.timestamp
                case .deleted(let timestamp)?: timestamp == torn.timestamp
                default: false
                }
                expect(!visible, "the torn write of \(torn.key.path) at \(torn.timestamp) is visible on \(node.device)")
            }
        }
        for (path, history) in histories.sorted(by: { $0.key < $1.key }) {
            guard let floor = history.floor else { continue }
            let count = await witnesses(since: floor.timestamp, key: objectKey(path), excluding: nil)
            expect(count >= 2, "acknowledged \(floor.operation) of \(path) at \(floor.timestamp) is on \(count) intact replicas")
        }
        for container in Self.containers {
            let reply = await send("GET", container, query: ["format": "json"])
            guard expect(reply.status == 200, "listing \(container) answered \(reply.status)") else { continue }
            for row in Self.rows(reply.body) {
                let version = histories["\(container)/\(row.name)"]?.possiblePut(ofETag: row.hash, size: row.bytes)
                expect(version != nil, "listing \(container) shows \(row), which no possible version is")
            }
        }
    }

    /// Replicas (on any node but `excluding`) holding the version at `timestamp` or a newer
    /// one, intact.
    private func witnesses(since timestamp: SwiftTimestamp, key: ObjectKey, excluding: Int?) async -> Int {
        var count = 0
        for (index, node) in storage.nodes.enumerated() where index != excluding {
            guard let replica = try? await node.objects.replica(of: key.hash, inPartition: key.partition),
                  replica.base.timestamp >= timestamp
            else { continue }
            if case .data(let metadata) = replica.base {
                guard let body = await node.objects.storedBody(of: key.hash, inPartition: key.partition),
                      body.count == metadata.contentLength, ETagHasher.hex(of: body) == metadata.etag
                else { continue }
            }
            count += 1
        }
        return count
    }

    // MARK: Quiet points

    /// Heals every fault, runs every background pass on every node until a round moves
    /// nothing (within ``maximumRounds``), then checks: each object's primaries hold the same
    /// version byte for byte and no other node holds it or any database it should not; that
    /// version is the newest acknowledged one or a newer unacknowledged write; GETs serve it;
    /// every container replica and the proxy list exactly the live objects, and the account
    /// counts them.
    private func quietPoint() async {
        healNode()
        for node in storage.nodes { node.disk.disarm() }
        var rounds = 0
        var quiet = false
        while !quiet && rounds < Self.maximumRounds {
            rounds += 1
            var moved = 0
            for kind in [1, 2, 3, 0, 4, 5] {
                for index in storage.nodes.indices { moved += await pass(kind, on: index) }
            }
            quiet = moved == 0
        }
        tally.quietPoints += 1
        tally.mostRounds = max(tally.mostRounds, rounds)
        guard expect(quiet, "the cluster still moved data after \(rounds) rounds of passes") else { return }
        await checkPlacement()
        var live: [String: [ListingRow]] = [:]
        for (path, _) in histories.sorted(by: { $0.key < $1.key }) {
            guard let row = await checkConverged(path) else { continue }
            live[String(path.prefix { $0 != "/" }), default: []].append(row)
        }
        await checkListings(live)
    }

    /// No node holds an object partition or a database whose primaries it is not among.
    private func checkPlacement() async {
        let ring = storage.cluster.ring
        for node in storage.nodes {
            for partition in (try? await node.objects.partitions()) ?? [] {
                expect(ring.primaries(of: partition).contains { $0.id == node.device },
                       "\(node.device) still holds object partition \(partition) after replication")
            }
            for folder in [StorageLayout.containerFolder, StorageLayout.accountFolder] {
                let root = storage.folder + "/" + node.device.rawValue + "/" + folder
                for path in StorageLayout.databases(under: root) {
                    let partition = Int(path.dropFirst(root.count + 1).prefix { $0 != "/" }) ?? -1
                    expect(ring.primaries(of: partition).contains { $0.id == node.device },
                           "\(node.device) still holds \(path.dropFirst(root.count)) after replication")
                }
            }
        }
    }

    /// Checks one object after quiet; its listing row when it is live.
    private func checkConverged(_ path: String) async -> ListingRow? {
        let key = objectKey(path)
        let primaries = Set(storage.cluster.ring.primaries(of: key.partition).map(\.id))
        var seen: [(replica: ObjectReplica?, body: [UInt8]?)] = []
        for node in storage.nodes {
            let replica = try? await node.objects.replica(of: key.hash, inPartition: key.partition)
            let body = await node.objects.storedBody(of: key.hash, inPartition: key.partition)
            if primaries.contains(node.device) { seen.append((replica, body)) }
        }
        let first = seen[0]
        guard expect(seen.allSatisfy { $0.replica == first.replica && $0.body == first.body },
                     "the primaries of \(path) differ: \(seen.map { $0.replica.map { "\($0.base.timestamp) meta \($0.meta?.timestamp.description ?? "-")" } ?? "nothing" })")
        else { return nil }
        let name = (container: String(path.prefix { $0 != "/" }), object: String(path.drop { $0 != "/" }.dropFirst()))
        var history = histories[path] ?? ObjectHistory()
        let floor = history.floor
        let reply = await send("GET", name.container, name.object)
        guard let replica = first.replica else {
            expect(floor == nil, "every replica of \(path) is gone, but \(floor.map { "\($0.operation) at \($0.timestamp)" } ?? "") was acknowledged")
            expect(reply.status == 404, "GET \(path) answered \(reply.status) with no replica left")
            history.settle(base: nil, meta: nil)
            histories[path] = history
            return nil
        }
        let timestamp = replica.base.timestamp
        let write = history.possible(at: timestamp)
        expect(floor.map { timestamp >= $0.timestamp } ?? true,
               "\(path) converged on \(timestamp), older than the acknowledged \(floor.map { "\($0.timestamp)" } ?? "")")
        var row: ListingRow?
        switch replica.base {
        case .tombstone:
            expect(write?.operation == .delete, "\(path) converged on a tombstone at \(timestamp) no possible DELETE wrote")
            expect(replica.meta == nil, "the tombstone of \(path) carries metadata")
            expect(reply.status == 404, "GET \(path) answered \(reply.status) for a deleted object")
        case .data(let metadata):
            let body = first.body ?? []
            expect(write?.operation == .put(body: body), "\(path) converged on \(timestamp) with bytes no possible PUT wrote")
            expect(ETagHasher.hex(of: body) == metadata.etag && body.count == metadata.contentLength,
                   "the converged replicas of \(path) are rotten")
            let post = history.acknowledgedPost(after: timestamp)
            if let meta = replica.meta {
                let posted = history.possible(at: meta.timestamp)
                expect(posted?.operation == .post(tag: meta.userMetadata.values.first ?? ""),
                       "\(path) converged on metadata at \(meta.timestamp) no possible POST wrote")
                expect(post.map { meta.timestamp >= $0.timestamp } ?? true, "\(path) lost the metadata of an acknowledged POST")
            } else {
                expect(post == nil, "\(path) lost the metadata of the POST acknowledged at \(post.map { "\($0.timestamp)" } ?? "")")
            }
            expect(reply.status == 200 && reply.body == body, "GET \(path) answered \(reply.status), not the converged version")
            expect(reply.headers["X-Object-Meta-Tag"] == replica.meta?.userMetadata.values.first,
                   "GET \(path) answered metadata \(reply.headers["X-Object-Meta-Tag"] ?? "none")")
            row = ListingRow(name: name.object, bytes: body.count, hash: metadata.etag)
        }
        history.settle(base: timestamp, meta: replica.meta?.timestamp)
        histories[path] = history
        return row
    }

    /// Every replica of every container, and the proxy, list exactly `live`; the account
    /// lists each container with its object count and bytes.
    private func checkListings(_ live: [String: [ListingRow]]) async {
        let ring = storage.cluster.ring
        var accountRows: [AccountRow] = []
        for container in Self.containers {
            let expected = (live[container] ?? []).sorted { $0.name < $1.name }
            accountRows.append(AccountRow(name: container, count: expected.count, bytes: expected.reduce(0) { $0 + $1.bytes }))
            let proxied = await send("GET", container, query: ["format": "json"])
            expect(proxied.status == 200 && Self.rows(proxied.body) == expected,
                   "the proxy lists \(container) as \(Self.rows(proxied.body)), the objects are \(expected)")
            let partition = storage.partition(account: Self.account, container: container)
            for device in ring.primaries(of: partition) {
                let index = storage.nodes.firstIndex { $0.device == device.id }!
                let answer = try? await storage.send(storage.request("GET", "\(Self.account)/\(container)", on: index,
                                                                     query: ["format": "json"]))
                let rows = Self.rows(answer?.body ?? [])
                expect(answer?.status == 200 && rows == expected, "\(device.id) lists \(container) as \(rows), the objects are \(expected)")
            }
        }
        let account = await send("GET", nil, query: ["format": "json"])
        let listed = (try? JSONDecoder().decode([AccountRow].self, from: Data(account.body))) ?? []
        expect(account.status == 200 && listed == accountRows, "the account lists \(listed), the containers hold \(accountRows)")
    }

    // MARK: Support

    struct ListingRow: Codable, Hashable, CustomStringConvertible {
        let name: String
        let bytes: Int
        let hash: String
        var description: String { "\(name) \(bytes) \(hash)" }
    }

    struct AccountRow: Codable, Hashable {
        let name: String
        let count: Int
        let bytes: Int
    }

    static func rows(_ json: [UInt8]) -> [ListingRow] {
        (try? JSONDecoder().decode([ListingRow].self, from: Data(json))) ?? []
    }

    /// The timestamp the proxy gives the next request's write (its first clock reading).
    private var nextTimestamp: SwiftTimestamp { SwiftTimestamp(ticks: stack.ticks.current.ticks + 1) }

    private func randomName() -> (container: String, object: String, path: String) {
        let container = Self.containers.randomElement(using: &random)!
        let object = Self.objects.randomElement(using: &random)!
        return (container, object, "\(container)/\(object)")
    }

    private func nodeID(_ index: Int) -> NodeID {
        storage.cluster.ring.devices.first { $0.id == storage.nodes[index].device }!.node
    }

    private func objectKey(_ path: String) -> ObjectKey {
        let container = String(path.prefix { $0 != "/" })
        return ObjectKey(account: Self.account, container: container, object: String(path.dropFirst(container.count + 1)),
                         hasher: storage.layout.hasher, partPower: storage.layout.partPower)!
    }

    /// A request to the proxy, its answer read whole.
    private func send(_ method: String, _ container: String?, _ object: String? = nil, headers: HeaderFields = HeaderFields(),
                      body: [UInt8]? = nil, query: [String: String] = [:]) async -> Reply {
        var all = headers
        if let body { all["Content-Length"] = String(body.count) }
        let response = await stack.proxy.handle(StorageRequest(
            method: method, account: Self.account, container: container, object: object, query: query, headers: all,
            body: body.map { .bytes($0, chunkSize: 7) }))
        let bytes = (try? await response.body?.collect(upTo: 1 << 20)) ?? []
        return Reply(status: response.status, headers: response.headers, body: bytes)
    }

    /// Records a failed check with the seed and step that replay it; the run stops after
    /// the step.
    @discardableResult
    private func expect(_ condition: Bool, _ message: @autoclosure () -> String,
                        sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if !condition {
            failed = true
            Issue.record("\(message()) (step \(step); replay with SHOAL_SEED=\(seed))", sourceLocation: sourceLocation)
        }
        return condition
    }
}
