import CZeroMQ
import ShoalCore
import ShoalPorts
import Synchronization
import Testing
@testable import ShoalZeroMQ

/// What only the ZeroMQ adapter has: real ports, CURVE and ZAP, hostile frames, and big
/// bodies through real sockets.
@Suite(.serialized)
struct ZeroMQTransportTests {
    static let secret = TransportKind.secret
    static let loopback = ClusterAddress(host: "127.0.0.1", port: 0)

    static func configuration(curve: Bool = true) -> ZeroMQTransport.Configuration {
        var configuration = ZeroMQTransport.Configuration()
        configuration.curve = curve
        configuration.connectTimeout = .milliseconds(500)
        return configuration
    }

    @Test func portZeroReportsTheBoundPort() async throws {
        let a = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret)
        let b = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret)
        #expect(a.localAddress.port != 0)
        #expect(a.localAddress.port != b.localAddress.port)
        #expect(a.localAddress.host == "127.0.0.1")
        #expect(throws: ZeroMQTransport.StartError.self) {
            try ZeroMQTransport(bind: a.localAddress, clusterSecret: Self.secret)
        }
        await a.shutdown()
        await b.shutdown()
    }

    @Test func aDifferentSecretGetsNothingThrough() async throws {
        let server = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret, configuration: Self.configuration())
        let outsider = try ZeroMQTransport(
            bind: Self.loopback, clusterSecret: ClusterSecret(phrase: "another cluster"), configuration: Self.configuration()
        )
        let seen = Recorder<String>()
        await server.register(ClosureHandler(
            oneway: { _, _ in seen.append("oneway") },
            respond: { _ in seen.append("request"); return TransportResponse() }
        ), for: .echo)
        _ = await outsider.send([1], on: .echo, to: server.localAddress)
        let outcome = await capture {
            try await outsider.request(TransportRequest(channel: .echo, head: [1]), to: server.localAddress, timeout: .seconds(2))
        }
        switch outcome {
        case .failure(let error as TransportError):
            #expect(error == .unreachable(server.localAddress) || error == .timedOut)
        default:
            Issue.record("an outsider's request got an answer: \(outcome)")
        }
        #expect(seen.count == 0)
        #expect(server.statistics.messagesIn == 0)
        await outsider.shutdown()
        await server.shutdown()
    }

    @Test func zapRefusesAClientKeyThatIsNotTheCluster() async throws {
        let server = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret, configuration: Self.configuration())
        let member = ClusterKeys(secret: Self.secret)
        let stranger = ClusterKeys(secret: ClusterSecret(phrase: "stolen server key only"))
        // Knows the server's public key (it is public) but not the cluster's client key.
        let intruder = try ZeroMQTransport(
            bind: Self.loopback, curve: CurveKeys(server: member, client: stranger, allowedClient: stranger),
            configuration: Self.configuration()
        )
        let seen = Recorder<String>()
        await server.register(ClosureHandler(respond: { _ in seen.append("request"); return TransportResponse() }), for: .echo)
        let outcome = await capture {
            try await intruder.request(TransportRequest(channel: .echo, head: [1]), to: server.localAddress, timeout: .seconds(2))
        }
        #expect(throws: TransportError.self) { try outcome.get() }
        #expect(await waitUntil { server.statistics.rejectedHandshakes >= 1 })
        #expect(seen.count == 0)

        // A member with the same server key is let in.
        let friend = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret, configuration: Self.configuration())
        let response = try await friend.request(TransportRequest(channel: .echo, head: [9]), to: server.localAddress, timeout: .seconds(5))
        #expect(response.status == .ok)
        #expect(seen.count == 1)
        await intruder.shutdown()
        await friend.shutdown()
        await server.shutdown()
    }

    @Test func malformedFramesAreCountedAndDropped() async throws {
        let server = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret, configuration: Self.configuration())
        await server.register(ClosureHandler(), for: .echo)
        let keys = try CurveKeys(ClusterKeys(secret: Self.secret))
        let context = try #require(zmq_ctx_new())
        let raw = try ZeroMQSocket.make(context, type: ZMQ_DEALER)
        try ZeroMQSocket.set(raw, ZMQ_LINGER, 0)
        try ZeroMQSocket.set(raw, ZMQ_CURVE_SERVERKEY, string: keys.serverPublic)
        try ZeroMQSocket.set(raw, ZMQ_CURVE_PUBLICKEY, string: keys.clientPublic)
        try ZeroMQSocket.set(raw, ZMQ_CURVE_SECRETKEY, string: keys.clientSecret)
        try ZeroMQSocket.check(zmq_connect(raw, server.localAddress.tcpEndpoint), "connect")
        let valid = Envelope(kind: .oneway, channel: .echo).wireBytes()
        var badMagic = valid
        badMagic[0] ^= 0xFF
        let messages: [[[UInt8]]] = [
            [[1, 2, 3]],                      // one frame
            [badMagic, [0]],                  // bad magic
            [Array(valid.prefix(10)), [0]],   // truncated header
            [valid, [0], [0]],                // one frame too many
            [valid + [0], [0]],               // trailing byte in the header
        ]
        for frames in messages {
            for (index, frame) in frames.enumerated() {
                let flags = index == frames.count - 1 ? Int32(0) : ZMQ_SNDMORE
                _ = frame.withUnsafeBytes { zmq_send(raw, $0.baseAddress, $0.count, flags) }
            }
        }
        #expect(await waitUntil { server.statistics.droppedMalformed == messages.count })
        // The server still works.
        let client = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret, configuration: Self.configuration())
        let response = try await client.request(TransportRequest(channel: .echo, head: [5]), to: server.localAddress, timeout: .seconds(5))
        #expect(response.head == [5])
        zmq_close(raw)
        zmq_ctx_term(context)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func twoHundredFiftySixMiBThroughASlowConsumerStayWithinTheWindow() async throws {
        let server = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret, configuration: Self.configuration())
        let client = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret, configuration: Self.configuration())
        let chunkBytes = 1 << 20
        let body = PatternBody(count: 256, chunkBytes: chunkBytes)
        await server.register(ClosureHandler(respond: { _ in TransportResponse(body: body.stream) }), for: .echo)
        let response = try await client.request(TransportRequest(channel: .echo, head: []), to: server.localAddress, timeout: .seconds(10))
        let total = try await PatternBody.verify(try #require(response.body), chunkBytes: chunkBytes, delayEvery: .milliseconds(1))
        #expect(total == 256 << 20)
        let window = server.engine.configuration.streamWindow
        #expect(client.statistics.maxBufferedChunks <= window)
        #expect(client.statistics.maxBufferedChunks >= 1)
        // The sender never ran more than a window ahead of what was consumed.
        #expect(client.statistics.bytesIn >= 256 << 20)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func plaintextModeWorksForBenchmarks() async throws {
        let server = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret, configuration: Self.configuration(curve: false))
        let client = try ZeroMQTransport(bind: Self.loopback, clusterSecret: Self.secret, configuration: Self.configuration(curve: false))
        await server.register(ClosureHandler(), for: .echo)
        let response = try await client.request(TransportRequest(channel: .echo, head: [1, 2]), to: server.localAddress, timeout: .seconds(5))
        #expect(response.head == [1, 2])
        await client.shutdown()
        await server.shutdown()
    }

    @Test func clusterKeysMatchWhatLibzmqDerives() throws {
        let keys = ClusterKeys(secret: Self.secret)
        let curve = try CurveKeys(keys)
        #expect(try CurveKeys.decode(curve.serverSecret) == keys.curveServerSecretKey)
        #expect(curve.allowedClientPublic == (try CurveKeys.decode(curve.clientPublic)))
        #expect(curve.serverPublic != curve.clientPublic)
    }
}
