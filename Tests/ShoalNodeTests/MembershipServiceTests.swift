import Logging
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
        await transport.register(
            ControlService(info: ClusterInfo(ring: ring, secretFingerprint: "test", node: id), membership: service,
                           logger: Logger(label: "test")), for: .control)
        let task = Task { _ = try? await service.run() }
        return Node(id: id, address: address, transport: transport, service: service, task: task)
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

        network.bringUp(third.address)
        let back = await Self.waitUntil(.seconds(30)) {
            for node in nodes where await Self.view(node).alive != everyone { return false }
            return true
        }
        #expect(back)
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
