import Foundation
import CZeroMQ
import ShoalCore
import ShoalPorts
import Synchronization

/// The production ``ClusterTransport``: one ROUTER bound at the node's address for what
/// peers send it, one DEALER per peer for what it sends, CURVE on every socket with keys
/// derived from the cluster secret, and a ZAP handler that admits only cluster members.
/// Large request bodies take a second ROUTER per node, the *bulk lane*, without CURVE: each
/// chunk is sealed with a key that travelled in the request's head over CURVE
/// (``SealedBody``), several times cheaper per byte than CURVE.
///
/// The node's service layer creates one at start-up and calls ``shutdown()`` at the end.
/// Request/response correlation, timeouts and streamed bodies live in the shared
/// ``TransportEngine``; this type adds the sockets, run by one dedicated I/O thread
/// (``ZeroMQIOLoop``) so that no blocking zmq call ever runs on the concurrency pool.
public final class ZeroMQTransport: ClusterTransport, Sendable {
    /// Tuning knobs; the defaults suit a LAN cluster.
    public struct Configuration: Sendable {
        /// Encrypt and authenticate with CURVE (off only for benchmarks and debugging).
        public var curve = true
        /// How long a message waits for a peer to connect (or drain its HWM) before the
        /// peer is marked unreachable and the message fails.
        public var connectTimeout: Duration = .seconds(1)
        /// Per-socket high-water mark, in messages.
        public var highWaterMark: Int32 = 1000
        /// Outbound queue bound: senders suspend beyond this many messages or bytes.
        public var outboundQueueMessages = 4096
        public var outboundQueueBytes = 64 << 20
        /// Streams, chunk size and one-way buffering (both ends must agree on the window).
        public var engine = TransportEngine.Configuration()
        /// Stream request bodies over a bulk lane (``SealedBody``: AES-GCM per chunk, on a
        /// connection without CURVE) instead of through CURVE. Only with `curve` on.
        public var bulkLane = true
        /// The bulk lane's port; 0 picks a free one (peers ask each node for it).
        public var bulkPort: UInt16 = 0
        /// libzmq I/O threads: connections (and their CURVE work) spread over them.
        public var ioThreads = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

        public init() {}
    }

    /// Why a transport could not start (bad address, port in use, CURVE unavailable).
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public let localAddress: ClusterAddress
    /// The message-level machinery (for tests and diagnostics).
    let engine: TransportEngine
    private let loop: ZeroMQIOLoop
    private let wire: ZeroMQWire
    private let counters: TransportCounters
    private let stopped = Mutex(false)

    /// Binds the ROUTER at `bind` (port 0 picks a free port, reported in ``localAddress``)
    /// and starts the I/O thread.
    public convenience init(bind: ClusterAddress, clusterSecret: ClusterSecret, configuration: Configuration = Configuration()) throws {
        let curve: CurveKeys?
        do {
            curve = configuration.curve ? try CurveKeys(ClusterKeys(secret: clusterSecret)) : nil
        } catch {
            throw StartError(description: "\(error)")
        }
        try self.init(bind: bind, curve: curve, configuration: configuration)
    }

    /// The designated initializer; tests use it to build intruders with mixed keys.
    init(bind: ClusterAddress, curve: CurveKeys?, configuration: Configuration) throws {
        guard let context = zmq_ctx_new() else { throw StartError(description: "zmq_ctx_new failed") }
        // libzmq encrypts (CURVE) and moves the bytes of each connection on one of its I/O
        // threads: with one, every peer's traffic shares one core.
        zmq_ctx_set(context, ZMQ_IO_THREADS, Int32(max(1, configuration.ioThreads)))
        var zap: UnsafeMutableRawPointer?
        var router: UnsafeMutableRawPointer?
        var bulkRouter: UnsafeMutableRawPointer?
        var bulkPort: UInt16?
        do {
            if curve != nil {
                let socket = try ZeroMQSocket.make(context, type: ZMQ_REP)
                zap = socket
                try ZeroMQSocket.set(socket, ZMQ_LINGER, 0)
                try ZeroMQSocket.check(zmq_bind(socket, "inproc://zeromq.zap.01"), "zmq_bind(ZAP)")
            }
            let socket = try ZeroMQSocket.make(context, type: ZMQ_ROUTER)
            router = socket
            try ZeroMQSocket.applyCommon(
                socket, ipv6: bind.isIPv6Literal, highWaterMark: configuration.highWaterMark,
                maxMessageBytes: Int64(configuration.engine.maxChunkBytes + (1 << 20))
            )
            try ZeroMQSocket.set(socket, ZMQ_ROUTER_MANDATORY, 1)
            if let curve {
                try ZeroMQSocket.set(socket, ZMQ_CURVE_SERVER, 1)
                try ZeroMQSocket.set(socket, ZMQ_CURVE_SECRETKEY, string: curve.serverSecret)
                try ZeroMQSocket.set(socket, ZMQ_ZAP_DOMAIN, string: "shoal")
            }
            try ZeroMQSocket.check(zmq_bind(socket, bind.tcpEndpoint), "zmq_bind(\(bind.tcpEndpoint))")
            let port = try Self.boundPort(of: socket)
            localAddress = ClusterAddress(host: bind.host, port: port)
            if curve != nil, configuration.bulkLane {
                let lane = try ZeroMQSocket.make(context, type: ZMQ_ROUTER)
                bulkRouter = lane
                try ZeroMQSocket.applyCommon(
                    lane, ipv6: bind.isIPv6Literal, highWaterMark: configuration.highWaterMark,
                    maxMessageBytes: Int64(configuration.engine.maxChunkBytes + (1 << 20))
                )
                let laneAddress = ClusterAddress(host: bind.host, port: configuration.bulkPort)
                try ZeroMQSocket.check(zmq_bind(lane, laneAddress.tcpEndpoint), "zmq_bind(\(laneAddress.tcpEndpoint))")
                bulkPort = try Self.boundPort(of: lane)
            }
        } catch {
            if let bulkRouter { zmq_close(bulkRouter) }
            if let router { zmq_close(router) }
            if let zap { zmq_close(zap) }
            zmq_ctx_term(context)
            throw StartError(description: "\(error)")
        }
        counters = TransportCounters()
        let queue = OutboundQueue(maxMessages: configuration.outboundQueueMessages, maxBytes: configuration.outboundQueueBytes)
        let options = ZeroMQIOLoop.Options(
            highWaterMark: configuration.highWaterMark,
            maxMessageBytes: Int64(configuration.engine.maxChunkBytes + (1 << 20)),
            connectTimeout: configuration.connectTimeout, curve: curve
        )
        loop = ZeroMQIOLoop(context: context, router: router!, zap: zap, bulkRouter: bulkRouter, queue: queue,
                            counters: counters, options: options)
        wire = ZeroMQWire(queue: queue, loop: loop, bulkPort: bulkPort)
        engine = TransportEngine(wire: wire, configuration: configuration.engine, counters: counters)
        engine.answerInProcess(at: [localAddress])
        loop.start(engine: engine, name: "shoal-zmq \(localAddress)")
    }

    /// The port a socket bound (port 0 resolved).
    private static func boundPort(of socket: UnsafeMutableRawPointer) throws -> UInt16 {
        let endpoint = try ZeroMQSocket.lastEndpoint(socket)
        guard let colon = endpoint.lastIndex(of: ":"), let port = UInt16(endpoint[endpoint.index(after: colon)...]) else {
            throw StartError(description: "cannot read the bound port from \(endpoint)")
        }
        return port
    }

    /// Where this node's bulk lane listens; nil without one.
    public var bulkPort: UInt16? { wire.bulkPort }

    /// Counters: messages and bytes each way, malformed frames, rejected handshakes, ...
    public var statistics: TransportStatistics { counters.snapshot() }

    /// Best effort. The first message to a peer not yet connected is queued (true) and
    /// waits up to `connectTimeout` for the connection; once a peer stayed unreachable that
    /// long it is marked down and sends return false until its DEALER reconnects.
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

    /// Requests to `address` (the node's advertised address, when it differs from the bound
    /// one) are answered by this node's handlers without the wire, as requests to
    /// ``localAddress`` are.
    public func answerInProcess(at address: ClusterAddress) {
        engine.answerInProcess(at: [address])
    }

    /// Fails outstanding requests and streams with `.closed`, stops the I/O thread, closes
    /// every socket (linger 0) and terminates the context. Safe to call more than once.
    public func shutdown() async {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first {
            engine.close()
            loop.queue.shutdown()
        }
        await loop.waitForExit()
    }
}

/// The ``TransportWire`` of a ``ZeroMQTransport``: the outbound queue, plus a fast "no"
/// for peers the I/O thread has marked down (and, for best-effort posts, congested).
struct ZeroMQWire: TransportWire {
    let queue: OutboundQueue
    let loop: ZeroMQIOLoop
    let bulkPort: UInt16?

    func openBulkLane(to peer: ClusterAddress, port: UInt16) {
        loop.bulkPorts.withLock { $0[peer] = port }
    }

    private func isDown(_ destination: WireDestination) -> Bool {
        guard case .peer(let address) = destination else { return false }
        return loop.downPeers.withLock { $0.contains(address) }
    }

    func post(_ envelope: Envelope, payload: [UInt8], to destination: WireDestination, force: Bool) -> Bool {
        guard !isDown(destination) else { return false }
        if !force, case .peer(let address) = destination, loop.congestedPeers.withLock({ $0.contains(address) }) {
            return false
        }
        return queue.post(OutboundMessage(envelope: envelope, payload: payload, destination: destination), force: force)
    }

    func deliver(_ envelope: Envelope, payload: [UInt8], to destination: WireDestination) async -> Bool {
        guard !isDown(destination) else { return false }
        return await queue.deliver(OutboundMessage(envelope: envelope, payload: payload, destination: destination))
    }
}
