import ShoalCore
import ShoalPorts

/// The in-memory twin of `ZeroMQTransport`: the same ``TransportEngine`` (so the same
/// correlation, timeouts, handler dispatch and credit-windowed streams) over an
/// ``InMemoryNetwork`` instead of sockets. Service tests and the simulation build one per
/// simulated node. Nothing sleeps: timeouts run on the network's clock.
///
/// Delivery is synchronous on the sender's task, so messages from one sender arrive in the
/// order sent. A message to an unknown, down or partitioned address fails at once
/// (`send` returns false, `request` throws `.unreachable`); a lost message just vanishes.
public final class InMemoryTransport: ClusterTransport, Sendable {
    public let localAddress: ClusterAddress
    public let network: InMemoryNetwork
    let engine: TransportEngine
    private let counters: TransportCounters

    private init(address: ClusterAddress, network: InMemoryNetwork, configuration: TransportEngine.Configuration) {
        localAddress = address
        self.network = network
        counters = TransportCounters()
        engine = TransportEngine(
            wire: InMemoryWire(network: network, local: address, counters: counters),
            configuration: configuration, clock: network.clock, counters: counters
        )
        engine.answerInProcess(at: [address])
    }

    /// Attaches a transport at `address` (port 0 picks a free simulated port). An earlier
    /// transport at the same address is replaced.
    public static func attach(
        to network: InMemoryNetwork, at address: ClusterAddress,
        configuration: TransportEngine.Configuration = TransportEngine.Configuration()
    ) -> InMemoryTransport {
        network.attach({ InMemoryTransport(address: $0, network: network, configuration: configuration) }, at: address)
    }

    /// Messages, bytes, drops and stream high-water marks of this node.
    public var statistics: TransportStatistics { counters.snapshot() }

    @discardableResult
    public func send(_ payload: [UInt8], on channel: Envelope.Channel, to peer: ClusterAddress) async -> Bool {
        engine.send(payload, on: channel, to: peer)
    }

    public func request(
        _ request: TransportRequest, to peer: ClusterAddress, timeout: Duration
    ) async throws(TransportError) -> TransportResponse {
        try await engine.request(request, to: peer, timeout: timeout)
    }

    public func register(_ handler: any TransportHandler, for channel: Envelope.Channel) async {
        engine.register(handler, for: channel)
    }

    /// Fails outstanding requests and streams with `.closed` and leaves the network.
    public func shutdown() async {
        network.detach(self)
        engine.close()
    }
}

/// Carries envelopes between engines attached to one ``InMemoryNetwork``. The route of a
/// request is the requester's address in its wire encoding.
struct InMemoryWire: TransportWire {
    let network: InMemoryNetwork
    let local: ClusterAddress
    let counters: TransportCounters

    func post(_ envelope: Envelope, payload: [UInt8], to destination: WireDestination, force: Bool) -> Bool {
        let droppable = envelope.kind == .oneway || envelope.kind == .request || envelope.kind == .response
        switch destination {
        case .peer(let address):
            return carry(envelope, payload, to: address, droppable: droppable) { node in
                node.engine.receive(fromClient: local.wireBytes(), envelope: envelope, payload: payload)
            }
        case .route(let route):
            guard let address = try? ClusterAddress(wireBytes: route) else { return false }
            return carry(envelope, payload, to: address, droppable: droppable) { node in
                node.engine.receive(fromServer: local, envelope: envelope, payload: payload)
            }
        case .bulk:
            return false  // no bulk lane in memory (`bulkPort` is nil, so none is asked for)
        }
    }

    func deliver(_ envelope: Envelope, payload: [UInt8], to destination: WireDestination) async -> Bool {
        post(envelope, payload: payload, to: destination, force: true)
    }

    private func carry(
        _ envelope: Envelope, _ payload: [UInt8], to address: ClusterAddress, droppable: Bool,
        _ hand: (InMemoryTransport) -> Void
    ) -> Bool {
        switch network.fate(from: local, to: address, droppable: droppable) {
        case .unreachable:
            return false
        case .lost:
            counters.messagesOut.bump()
            return true
        case .deliver(let node):
            counters.messagesOut.bump()
            counters.bytesOut.bump(payload.count)
            node.countArrival(bytes: payload.count)
            hand(node)
            return true
        }
    }
}

extension InMemoryTransport {
    fileprivate func countArrival(bytes: Int) {
        counters.messagesIn.bump()
        counters.bytesIn.bump(bytes)
    }
}
