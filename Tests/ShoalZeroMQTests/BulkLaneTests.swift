import CZeroMQ
import ShoalCore
@testable import ShoalPorts
import Synchronization
import Testing
@testable import ShoalZeroMQ

/// Request bodies on the bulk lane (``SealedBody``): sealed per chunk, on a connection
/// without CURVE, not ordered with the head's connection. First through a wire the test
/// steers (heads held back, lane messages altered), then through real ZeroMQ sockets.
@Suite(.serialized)
struct BulkLaneTests {
    let channel = Envelope.Channel.echo

    /// A handler that reads the whole body and answers how that went: "<bytes>" or the error.
    static let reader = ClosureHandler(respond: { request in
        do {
            let bytes = try await request.body?.collect(upTo: 64 << 20) ?? []
            return TransportResponse(head: Array("\(bytes.count) \(ETagHasher.hex(of: bytes))".utf8))
        } catch {
            return TransportResponse(head: Array("failed: \(error)".utf8))
        }
    })

    static func body(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) } }

    static func expected(_ bytes: [UInt8]) -> String { "\(bytes.count) \(ETagHasher.hex(of: bytes))" }

    func send(_ bytes: [UInt8], from client: TransportEngine, to server: ClusterAddress) async throws -> String {
        let request = TransportRequest(channel: channel, head: [], body: .bytes(bytes, chunkSize: 100_000))
        return String(decoding: try await client.request(request, to: server, timeout: .seconds(10)).head, as: UTF8.self)
    }

    /// Two engines, the server reading bodies, the client's lane to it open: the first
    /// streamed body asks for the lane, and goes unsealed.
    func openBoard() async throws -> Switchboard {
        let board = Switchboard()
        await board.server.register(Self.reader, for: channel)
        let first = Self.body(200_000)
        #expect(try await send(first, from: board.client, to: board.serverAddress) == Self.expected(first))
        #expect(await waitUntil { board.client.state.withLock { if case .open = $0.lanes[board.serverAddress] { true } else { false } } })
        return board
    }

    @Test func chunksThatComeBeforeTheirHeadWaitForIt() async throws {
        let board = try await openBoard()
        board.holdHeads(true)
        let bytes = Self.body(450_000)
        let answer = Task { try await send(bytes, from: board.client, to: board.serverAddress) }
        // Five chunks and the end (within the window) reach the lane before the head.
        #expect(await waitUntil { board.server.state.withLock { $0.earlyBulk.values.first?.messages.count } == 6 })
        board.holdHeads(false)
        #expect(try await answer.value == Self.expected(bytes))
        #expect(board.client.counters.sealedBodies.load(ordering: .relaxed) == 1)
        #expect(board.server.state.withLock { $0.earlyBulk.isEmpty && $0.earlyBulkBytes == 0 })
        #expect(await waitUntil { board.client.openStreamCount == 0 && board.server.openStreamCount == 0 })
    }

    @Test func analteredChunkFailsItsBodyAndNothingElse() async throws {
        let board = try await openBoard()
        board.alterLane { envelope, payload in
            guard envelope.kind == .streamChunk, envelope.sequence == 2 else { return payload }
            var altered = payload
            altered[10] ^= 0x80
            return altered
        }
        let answer = try await send(Self.body(600_000), from: board.client, to: board.serverAddress)
        #expect(answer.hasPrefix("failed:"))
        #expect(answer.contains("did not open"))
        board.alterLane(nil)
        let next = Self.body(300_000)
        #expect(try await send(next, from: board.client, to: board.serverAddress) == Self.expected(next))
        #expect(await waitUntil { board.client.openStreamCount == 0 && board.server.openStreamCount == 0 })
    }

    @Test func anEndThatDoesNotCountEveryChunkFailsTheBody() async throws {
        let board = try await openBoard()
        // The lane loses the last chunk; the end says how many there were.
        board.alterLane { envelope, payload in
            envelope.kind == .streamChunk && envelope.sequence == 3 ? nil : payload
        }
        let answer = try await send(Self.body(400_000), from: board.client, to: board.serverAddress)
        #expect(answer.hasPrefix("failed:"))
        #expect(board.server.counters.strayStreamMessages.load(ordering: .relaxed) >= 1)
    }

    @Test func eachBodyGetsItsOwnKeyAndToken() {
        let (first, second) = (SealedBody.random(), SealedBody.random())
        #expect(first.token != second.token && first.token != 0)
        let envelope = first.envelope(.streamChunk, channel: channel, sequence: 0)
        let sealed = first.seal([1, 2, 3], for: envelope)
        #expect((try? first.open(sealed, for: envelope)) == [1, 2, 3])
        #expect((try? second.open(sealed, for: envelope)) == nil)
    }

    @Test func laneMessagesForNoBodyAreBoundedAndDropped() async throws {
        var configuration = TransportEngine.Configuration()
        configuration.earlyBulkBytes = 10_000
        let board = Switchboard(configuration: configuration)
        let junk = Envelope(kind: .streamChunk, channel: channel, correlationID: 42, sequence: 0)
        board.server.receive(bulk: junk, payload: Array(repeating: 1, count: 6_000))
        board.server.receive(bulk: junk, payload: Array(repeating: 1, count: 6_000))
        board.server.receive(bulk: Envelope(kind: .request, channel: channel, correlationID: 42), payload: [1])
        #expect(board.server.state.withLock { $0.earlyBulkBytes } == 6_000)
        #expect(board.server.counters.strayStreamMessages.load(ordering: .relaxed) == 1)
        #expect(board.server.counters.droppedMalformed.load(ordering: .relaxed) == 1)
    }

    @Test func laneMessagesWhoseHeadNeverComesGoAfterTheIdleTimeoutOnTheEnginesClock() async {
        let clock = ManualClock()
        var configuration = TransportEngine.Configuration()
        configuration.streamIdleTimeout = .seconds(30)
        let board = Switchboard(configuration: configuration, clock: clock)
        let early = Envelope(kind: .streamChunk, channel: channel, correlationID: 7, sequence: 0)
        board.server.receive(bulk: early, payload: Array(repeating: 1, count: 100))
        board.server.receive(bulk: early, payload: Array(repeating: 2, count: 100))
        #expect(board.server.state.withLock { $0.earlyBulkBytes } == 200)
        #expect(await waitUntil { clock.sleeperCount == 1 }, "one deadline for the token, not one per message")
        clock.advance(by: .seconds(29))
        #expect(board.server.state.withLock { $0.earlyBulkBytes } == 200)
        clock.advance(by: .seconds(1))
        #expect(await waitUntil { board.server.state.withLock { $0.earlyBulk.isEmpty && $0.earlyBulkBytes == 0 } })
    }

    // MARK: Real sockets

    static func zeroMQ() throws -> ZeroMQTransport {
        var configuration = ZeroMQTransport.Configuration()
        configuration.connectTimeout = .milliseconds(500)
        return try ZeroMQTransport(bind: ClusterAddress(host: "127.0.0.1", port: 0), clusterSecret: TransportKind.secret,
                                   configuration: configuration)
    }

    @Test func largeBodiesGoSealedOverTheLaneBetweenNodes() async throws {
        let (client, server) = (try Self.zeroMQ(), try Self.zeroMQ())
        await server.register(Self.reader, for: channel)
        #expect(server.bulkPort != nil && server.bulkPort != server.localAddress.port)
        let bytes = Self.body(5 << 20)
        // The first body asks for the lane; once it is open every body takes it.
        #expect(await waitUntil {
            (try? await send(bytes, from: client.engine, to: server.localAddress)) == Self.expected(bytes)
                && client.statistics.sealedBodies >= 1
        })
        let before = client.statistics.sealedBodies
        #expect(try await send(bytes, from: client.engine, to: server.localAddress) == Self.expected(bytes))
        #expect(client.statistics.sealedBodies == before + 1)
        #expect(await waitUntil { client.engine.openStreamCount == 0 && server.engine.openStreamCount == 0 })
        await client.shutdown()
        await server.shutdown()
    }

    @Test func strangersOnTheLaneGetNothingIn() async throws {
        let server = try Self.zeroMQ()
        await server.register(Self.reader, for: channel)
        let context = try #require(zmq_ctx_new())
        let raw = try ZeroMQSocket.make(context, type: ZMQ_DEALER)
        try ZeroMQSocket.set(raw, ZMQ_LINGER, 0)
        let lane = ClusterAddress(host: "127.0.0.1", port: try #require(server.bulkPort))
        try ZeroMQSocket.check(zmq_connect(raw, lane.tcpEndpoint), "connect")
        let messages: [[[UInt8]]] = [
            [[1, 2, 3]],                                                                   // one frame
            [Array(repeating: 0, count: Envelope.encodedSize), [0]],                      // bad header
            [Envelope(kind: .request, channel: channel, correlationID: 1).wireBytes(), []], // not a lane kind
            [Envelope(kind: .oneway, channel: .membership).wireBytes(), [1]],              // nor this
        ]
        for frames in messages {
            for (index, frame) in frames.enumerated() {
                let flags = index == frames.count - 1 ? Int32(0) : ZMQ_SNDMORE
                _ = frame.withUnsafeBytes { zmq_send(raw, $0.baseAddress, $0.count, flags) }
            }
        }
        #expect(await waitUntil { server.statistics.droppedMalformed == messages.count })
        // A member's sealed body still goes through.
        let client = try Self.zeroMQ()
        let bytes = Self.body(1 << 20)
        #expect(await waitUntil {
            (try? await send(bytes, from: client.engine, to: server.localAddress)) == Self.expected(bytes)
                && client.statistics.sealedBodies >= 1
        })
        zmq_close(raw)
        zmq_ctx_term(context)
        await client.shutdown()
        await server.shutdown()
    }
}

/// Two engines joined by a wire the test steers: requests can be held back while the bulk
/// lane delivers at once, and lane messages can be altered or lost.
final class Switchboard: Sendable {
    let clientAddress = ClusterAddress(host: "10.0.0.1", port: 7000)
    let serverAddress = ClusterAddress(host: "10.0.0.2", port: 7000)
    private let engines = Mutex<(client: TransportEngine?, server: TransportEngine?)>((nil, nil))
    private let holding = Mutex<(on: Bool, held: [@Sendable () -> Void])>((false, []))
    private let laneFilter = Mutex<(@Sendable (Envelope, [UInt8]) -> [UInt8]?)?>(nil)

    init(configuration: TransportEngine.Configuration = TransportEngine.Configuration(),
         clock: any Clock<Duration> = ContinuousClock()) {
        let client = TransportEngine(wire: SwitchboardWire(board: self, fromClient: true), configuration: configuration,
                                     clock: clock)
        let server = TransportEngine(wire: SwitchboardWire(board: self, fromClient: false), configuration: configuration,
                                     clock: clock)
        engines.withLock { $0 = (client, server) }
    }

    var client: TransportEngine { engines.withLock { $0.client! } }
    var server: TransportEngine { engines.withLock { $0.server! } }

    /// While on, requests to the server (but the transport's own) wait; off releases them.
    func holdHeads(_ on: Bool) {
        let released = holding.withLock { state in
            state.on = on
            defer { if !on { state.held = [] } }
            return on ? [] : state.held
        }
        for hand in released { hand() }
    }

    /// Rewrites (or, returning nil, loses) each lane message.
    func alterLane(_ filter: (@Sendable (Envelope, [UInt8]) -> [UInt8]?)?) {
        laneFilter.withLock { $0 = filter }
    }

    fileprivate func carry(_ envelope: Envelope, _ payload: [UInt8], to destination: WireDestination, fromClient: Bool) {
        switch destination {
        case .peer:
            let server = self.server, route = clientAddress.wireBytes()
            let hand: @Sendable () -> Void = { server.receive(fromClient: route, envelope: envelope, payload: payload) }
            let held = envelope.kind == .request && envelope.channel != .transport && holding.withLock { state in
                if state.on { state.held.append(hand) }
                return state.on
            }
            if !held { hand() }
        case .route:
            client.receive(fromServer: serverAddress, envelope: envelope, payload: payload)
        case .bulk:
            let filter = laneFilter.withLock { $0 }
            guard let payload = filter.map({ $0(envelope, payload) }) ?? payload else { return }
            server.receive(bulk: envelope, payload: payload)
        }
    }
}

struct SwitchboardWire: TransportWire {
    let board: Switchboard
    let fromClient: Bool

    var bulkPort: UInt16? { 7001 }

    func post(_ envelope: Envelope, payload: [UInt8], to destination: WireDestination, force: Bool) -> Bool {
        board.carry(envelope, payload, to: destination, fromClient: fromClient)
        return true
    }

    func deliver(_ envelope: Envelope, payload: [UInt8], to destination: WireDestination) async -> Bool {
        post(envelope, payload: payload, to: destination, force: true)
    }
}
