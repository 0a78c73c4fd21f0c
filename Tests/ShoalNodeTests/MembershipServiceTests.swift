import Logging
import Synchronization
import ShoalCore
import ShoalMembership
import ShoalPorts
import ShoalSimulation
import Testing
@testable import ShoalNode

/// Three membership services (the real shells) over the in-memory transport, in real time
/// with the fast protocol settings.
@Suite("Membership service", .serialized, .timeLimit(.minutes(1)))
struct MembershipServiceTests {
    struct Node {
        let id: NodeID
        let address: ClusterAddress
        let transport: InMemoryTransport
        let service: MembershipService
        let task: Task<Void, Never>
        /// What the node answers to `movesDone`: the ring its (pretend) replicators finished on.
        let movesDone: MovesReport
    }

    static func start(_ index: Int, network: InMemoryNetwork, seeds: [ClusterAddress]) async -> Node {
        let id = NodeID("node\(index)")!
        let address = ClusterAddress(host: "10.0.0.\(index)", port: 7000)
        let transport = InMemoryTransport.attach(to: network, at: address)
        let ring = RingParameters(partPower: 8, replicas: 3)!
        let service = MembershipService(
            configuration: .init(
                node: id, meta: SWIM.MemberMeta(clusterAddress: address, restURL: "http://\(address.host):8080", zone: "z\(index)"),
                settings: .fast, ring: ring, secretFingerprint: "test", seeds: seeds,
                devices: [DeviceSpec(id: DeviceID(node: id, index: 0), node: id, zone: "z\(index)", address: address)],
                randomSeed: UInt64(index)),
            transport: transport, dataDirectory: nil, logger: Logger(label: "test"))
        let movesDone = MovesReport()
        let node = Node(id: id, address: address, transport: transport, service: service, task: Task { _ = try? await service.run() },
                        movesDone: movesDone)
        await transport.register(
            ControlService(info: ClusterInfo(ring: ring, secretFingerprint: "test", node: id), membership: service,
                           movesDone: { node.movesDone.value }, logger: Logger(label: "test")), for: .control)
        return node
    }

    /// Polls `condition` until true or `timeout` passes.
    static func waitUntil(_ timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }

    static func view(_ node: Node) async -> (alive: Set<String>, checksum: String, devices: Int) {
        let status = await node.service.clusterStatus()
        return (Set(status.members.filter { $0.status == "alive" }.map(\.id)), status.ring.checksum, status.ring.devices.count)
    }

    @Test("three services converge on members and one ring, detect a failure, and take a node back")
    func lifecycle() async throws {
        let network = InMemoryNetwork(seed: 11)
        let first = await Self.start(1, network: network, seeds: [])
        let second = await Self.start(2, network: network, seeds: [first.address])
        let third = await Self.start(3, network: network, seeds: [first.address])
        let nodes = [first, second, third]
        defer { for node in nodes { node.task.cancel() } }
        let everyone: Set<String> = ["node1", "node2", "node3"]

        let converged = await Self.waitUntil(.seconds(20)) {
            var checksums = Set<String>()
            for node in nodes {
                let view = await Self.view(node)
                guard view.alive == everyone, view.devices == 3 else { return false }
                checksums.insert(view.checksum)
            }
            return checksums.count == 1
        }
        #expect(converged)
        let ringBefore = await Self.view(first).checksum
        // The snapshot requests take (published, not read on the actor) shows the same.
        for node in nodes {
            #expect(node.service.snapshot().ring.checksum == ringBefore && node.service.snapshot().downNodes.isEmpty)
        }

        network.takeDown(third.address)
        let detected = await Self.waitUntil(.seconds(20)) {
            for node in [first, second] {
                let status = await node.service.clusterStatus()
                guard status.members.first(where: { $0.id == "node3" })?.status == "dead" else { return false }
            }
            return true
        }
        #expect(detected)
        #expect(await Self.view(first).checksum == ringBefore, "a failure must not change the ring")
        // The change that made node3 dead published the snapshot before the actor answered.
        for node in [first, second] { #expect(node.service.snapshot().downNodes == [third.id]) }

        network.bringUp(third.address)
        let back = await Self.waitUntil(.seconds(30)) {
            for node in nodes where await Self.view(node).alive != everyone { return false }
            return true
        }
        #expect(back)
        for node in nodes { #expect(node.service.snapshot().downNodes.isEmpty) }
    }

    /// Three nodes joined to the first, waited on until every ring has all three devices.
    static func startThree(seed: UInt64) async -> (InMemoryNetwork, [Node]) {
        let network = InMemoryNetwork(seed: seed)
        let first = await Self.start(1, network: network, seeds: [])
        let second = await Self.start(2, network: network, seeds: [first.address])
        let third = await Self.start(3, network: network, seeds: [first.address])
        let nodes = [first, second, third]
        #expect(await Self.waitUntil(.seconds(20)) {
            for node in nodes where await Self.view(node).devices != 3 { return false }
            return true
        })
        return (network, nodes)
    }

    @Test("shoal remove (the control channel) takes a node out of the ring everywhere")
    func remove() async throws {
        let (network, nodes) = await Self.startThree(seed: 12)
        let (first, second) = (nodes[0], nodes[1])
        defer { for node in nodes { node.task.cancel() } }
        let admin = InMemoryTransport.attach(to: network, at: ClusterAddress(host: "10.0.0.99", port: 7000))
        let response = try await admin.request(
            TransportRequest(channel: .control, head: ControlRequest.removeNode(NodeID("node3")!).wireBytes()),
            to: second.address, timeout: .seconds(5))
        #expect(try ControlResponse(wireBytes: response.head) == .removed(node: NodeID("node3")!, devices: 1))

        #expect(await Self.waitUntil(.seconds(20)) {
            for node in [first, second] {
                let status = await node.service.clusterStatus()
                guard status.ring.devices.map(\.node) == ["node1", "node2"],
                      status.members.first(where: { $0.id == "node3" })?.status == "left" else { return false }
            }
            return true
        })
        let again = try await admin.request(
            TransportRequest(channel: .control, head: ControlRequest.removeNode(NodeID("node3")!).wireBytes()),
            to: first.address, timeout: .seconds(5))
        guard case .refused = try ControlResponse(wireBytes: again.head) else {
            Issue.record("removing a removed node must be refused")
            return
        }
    }

    @Test("draining takes a node out of the ring everywhere while it stays a member")
    func drain() async throws {
        let (network, nodes) = await Self.startThree(seed: 14)
        let (first, third) = (nodes[0], nodes[2])
        defer { for node in nodes { node.task.cancel() } }
        let admin = InMemoryTransport.attach(to: network, at: ClusterAddress(host: "10.0.0.99", port: 7000))
        let response = try await admin.request(
            TransportRequest(channel: .control, head: ControlRequest.drainNode(NodeID("node3")!).wireBytes()),
            to: first.address, timeout: .seconds(5))
        #expect(try ControlResponse(wireBytes: response.head) == .draining(node: NodeID("node3")!, devices: 1))
        #expect(await Self.waitUntil(.seconds(20)) {
            for node in nodes {
                let status = await node.service.clusterStatus()
                guard status.ring.devices.map(\.node) == ["node1", "node2"],
                      status.members.first(where: { $0.id == "node3" })?.status == "alive" else { return false }
            }
            return await third.service.isDraining
        })
        #expect(await !first.service.isDraining)
    }

    @Test("a joining device turns active only when its join is the oldest and every member finished its moves on the current ring")
    func joinSettles() async throws {
        let (_, nodes) = await Self.startThree(seed: 15)
        defer { for node in nodes { node.task.cancel() } }
        let watches = nodes.map { node in
            JoinWatch(membership: node.service, transport: node.transport, localMovesDone: { node.movesDone.value },
                      logger: Logger(label: "test"))
        }
        func states() async -> [String] { await nodes[0].service.clusterStatus().ring.devices.map(\.state) }
        /// Every node on one ring, which every member then reports done.
        func everyoneDone() async -> String {
            #expect(await Self.waitUntil(.seconds(20)) {
                let checksums = await nodes.asyncMap { await $0.service.ring.checksum }
                return Set(checksums).count == 1
            })
            let ring = await nodes[0].service.ring.checksum
            for node in nodes { node.movesDone.value = ring }
            return ring
        }
        // node1 founded the cluster; the others joined it.
        #expect(await states() == ["active", "joining", "joining"])
        let oldest = try #require(await nodes.asyncMap { await !$0.service.devicesReadyToSettle.isEmpty }.firstIndex(of: true))
        let other = oldest == 1 ? 2 : 1

        #expect(await watches[oldest].settleIfDone().isEmpty, "no member has finished its moves yet")
        _ = await everyoneDone()
        nodes[0].movesDone.value = "an older ring"
        #expect(await watches[oldest].settleIfDone().isEmpty, "one member is not done on this ring")
        _ = await everyoneDone()
        #expect(await watches[other].settleIfDone().isEmpty, "a later join waits for the older one")
        #expect(await watches[oldest].settleIfDone() == [DeviceID(node: nodes[oldest].id, index: 0)])
        #expect(await Self.waitUntil(.seconds(20)) { await nodes[other].service.devicesReadyToSettle == [DeviceID(node: nodes[other].id, index: 0)] })
        // The reports were for the ring before the activation: they no longer count.
        #expect(await watches[other].settleIfDone().isEmpty)
        _ = await everyoneDone()
        #expect(await watches[other].settleIfDone() == [DeviceID(node: nodes[other].id, index: 0)])
        #expect(await Self.waitUntil(.seconds(20)) { await states() == ["active", "active", "active"] })
    }

    @Test("the control channel tells a joining node the ring shape")
    func clusterInfo() async throws {
        let network = InMemoryNetwork(seed: 13)
        let first = await Self.start(1, network: network, seeds: [])
        defer { first.task.cancel() }
        let joiner = InMemoryTransport.attach(to: network, at: ClusterAddress(host: "10.0.0.50", port: 7000))
        let info = try await ControlService.fetchClusterInfo(
            from: [first.address], over: joiner, timeout: .seconds(5), logger: Logger(label: "test"))
        #expect(info.ring == RingParameters(partPower: 8, replicas: 3))
        #expect(info.node == first.id)
    }
}

extension Array {
    /// `transform` applied to each element in turn.
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var results: [T] = []
        for element in self { results.append(await transform(element)) }
        return results
    }
}

/// What a test node answers to `movesDone`, set by the test.
final class MovesReport: Sendable {
    private let state = Mutex<String?>(nil)

    var value: String? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
