import ShoalCore
import ShoalPorts
import Synchronization

/// Loopback measurements of the ZeroMQ transport, for `shoal-bench` and for comparing CURVE
/// with plaintext. Each call starts a server and a client transport on 127.0.0.1 with
/// ephemeral ports, warms the connection up, measures, and shuts both down.
public enum ZeroMQBenchmark {
    public struct RoundTrips: Sendable, CustomStringConvertible {
        public let count: Int
        public let inFlight: Int
        public let payloadBytes: Int
        public let curve: Bool
        public let seconds: Double
        public var perSecond: Double { Double(count) / seconds }
        public var description: String {
            "\(payloadBytes) B round trips, \(inFlight) in flight, curve \(curve): \(Int(perSecond)) /s (\(count) in \(format3(seconds)) s)"
        }
    }

    public struct Throughput: Sendable, CustomStringConvertible {
        public let bytes: Int
        public let chunkBytes: Int
        public let curve: Bool
        public let seconds: Double
        public var megabytesPerSecond: Double { Double(bytes) / 1_000_000 / seconds }
        public var description: String {
            "\(chunkBytes >> 10) KiB chunks, curve \(curve): \(Int(megabytesPerSecond)) MB/s (\(bytes >> 20) MiB in \(format3(seconds)) s)"
        }
    }

    public struct Oneway: Sendable, CustomStringConvertible {
        public let count: Int
        public let payloadBytes: Int
        public let curve: Bool
        public let seconds: Double
        /// The two ends' counters after the run (drops would show here).
        public let client: TransportStatistics
        public let server: TransportStatistics
        public var perSecond: Double { Double(count) / seconds }
        public var description: String {
            "\(payloadBytes) B one-way, curve \(curve): \(Int(perSecond)) msgs/s (\(count) in \(format3(seconds)) s; "
                + "undeliverable \(client.undeliverable), dropped on arrival \(server.droppedOneway))"
        }
    }

    /// Requests of `payloadBytes` echoed back: `inFlight` callers each wait for their
    /// answer before sending the next.
    public static func roundTrips(count: Int, inFlight: Int = 1, payloadBytes: Int = 16, curve: Bool = true) async throws -> RoundTrips {
        try await withPair(curve: curve) { client, server in
            await server.register(EchoHandler(), for: .echo)
            let peer = server.localAddress
            let head = [UInt8](repeating: 0x42, count: payloadBytes)
            _ = try await client.request(TransportRequest(channel: .echo, head: head), to: peer, timeout: .seconds(10))
            let (done, seconds) = try await timed(count: count, inFlight: inFlight) {
                _ = try await client.request(TransportRequest(channel: .echo, head: head), to: peer, timeout: .seconds(30))
            }
            return RoundTrips(count: done, inFlight: max(1, inFlight), payloadBytes: payloadBytes, curve: curve, seconds: seconds)
        }
    }

    /// Runs `roundTrip` `count` times from `inFlight` callers at once, each waiting for its
    /// own before the next; returns how many ran and the seconds they took.
    private static func timed(
        count: Int, inFlight: Int, _ roundTrip: @escaping @Sendable () async throws -> Void
    ) async throws -> (count: Int, seconds: Double) {
        let workers = max(1, inFlight)
        let perWorker = max(1, count / workers)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { for _ in 0..<perWorker { try await roundTrip() } }
            }
            try await group.waitForAll()
        }
        return (perWorker * workers, (ContinuousClock.now - start).inSeconds)
    }

    /// Requests carrying a body of `bodyBytes`, echoed back as the response's body (a small
    /// object's PUT and GET between nodes). With `inline` both bodies carry their length as
    /// a hint and travel in their head's message; without, each streams as head, chunk, end.
    public static func bodyRoundTrips(
        count: Int, inFlight: Int = 32, bodyBytes: Int = 4_096, inline: Bool, curve: Bool = true
    ) async throws -> RoundTrips {
        try await withPair(curve: curve) { client, server in
            await server.register(BodyEchoHandler(hinted: inline), for: .echo)
            let peer = server.localAddress
            let body = [UInt8](repeating: 0x42, count: bodyBytes)
            let hint = inline ? bodyBytes : nil
            @Sendable func roundTrip() async throws {
                let request = TransportRequest(channel: .echo, head: [1], body: .bytes(body), bodyLengthHint: hint)
                let response = try await client.request(request, to: peer, timeout: .seconds(30))
                guard try await response.body?.collect(upTo: bodyBytes).count == bodyBytes else {
                    throw TransportError.protocolViolation("the echoed body is not the one sent")
                }
            }
            try await roundTrip()
            let (done, seconds) = try await timed(count: count, inFlight: inFlight, roundTrip)
            return RoundTrips(count: done, inFlight: max(1, inFlight), payloadBytes: bodyBytes, curve: curve, seconds: seconds)
        }
    }

    /// One response body of `totalBytes` streamed from server to client in `chunkBytes`
    /// chunks under the credit window.
    public static func throughput(chunkBytes: Int = 1 << 20, totalBytes: Int = 1 << 30, curve: Bool = true) async throws -> Throughput {
        var configuration = ZeroMQTransport.Configuration()
        configuration.curve = curve
        configuration.engine.maxChunkBytes = max(configuration.engine.maxChunkBytes, chunkBytes)
        return try await withPair(curve: curve, configuration: configuration) { client, server in
            let chunk = [UInt8](repeating: 0x5A, count: chunkBytes)
            let chunks = max(1, totalBytes / chunkBytes)
            await server.register(BodyHandler(chunk: chunk, count: chunks), for: .echo)
            let start = ContinuousClock.now
            let response = try await client.request(TransportRequest(channel: .echo, head: []), to: server.localAddress, timeout: .seconds(30))
            var received = 0
            for try await piece in response.body ?? .empty { received += piece.count }
            return Throughput(bytes: received, chunkBytes: chunkBytes, curve: curve, seconds: (ContinuousClock.now - start).inSeconds)
        }
    }

    /// `count` one-way messages sent back to back; timed until the last one is handled or
    /// dropped (the count reported is the number handled).
    public static func oneway(count: Int, payloadBytes: Int = 16, curve: Bool = true) async throws -> Oneway {
        try await withPair(curve: curve) { client, server in
            let counter = CountingHandler()
            await server.register(counter, for: .echo)
            let peer = server.localAddress
            let payload = [UInt8](repeating: 0x42, count: payloadBytes)
            _ = try await client.request(TransportRequest(channel: .echo, head: payload), to: peer, timeout: .seconds(10))
            let start = ContinuousClock.now
            var sent = 0
            while sent < count {
                if await client.send(payload, on: .echo, to: peer) { sent += 1 } else { await Task.yield() }
            }
            // Wait until every message is accounted for: handled, or dropped on arrival
            // because the handler's buffer was full (one-way is best effort).
            while counter.received.load(ordering: .relaxed) + server.statistics.droppedOneway
                + client.statistics.undeliverable < count {
                try await Task.sleep(for: .microseconds(200))
                if ContinuousClock.now - start > .seconds(60) { break }
            }
            return Oneway(
                count: counter.received.load(ordering: .relaxed), payloadBytes: payloadBytes, curve: curve,
                seconds: (ContinuousClock.now - start).inSeconds, client: client.statistics, server: server.statistics
            )
        }
    }

    private static func withPair<T>(
        curve: Bool, configuration: ZeroMQTransport.Configuration? = nil,
        _ body: (ZeroMQTransport, ZeroMQTransport) async throws -> T
    ) async throws -> T {
        var settings = configuration ?? ZeroMQTransport.Configuration()
        settings.curve = curve
        let secret = ClusterSecret(phrase: "shoal benchmark secret")
        let loopback = ClusterAddress(host: "127.0.0.1", port: 0)
        let server = try ZeroMQTransport(bind: loopback, clusterSecret: secret, configuration: settings)
        let client = try ZeroMQTransport(bind: loopback, clusterSecret: secret, configuration: settings)
        do {
            let result = try await body(client, server)
            await client.shutdown()
            await server.shutdown()
            return result
        } catch {
            await client.shutdown()
            await server.shutdown()
            throw error
        }
    }
}

private func format3(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}

private struct EchoHandler: TransportHandler {
    func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async {}
    func respond(to request: TransportRequest) async -> TransportResponse { TransportResponse(head: request.head) }
}

/// Answers with the request's own body, hinting its length when asked to.
private struct BodyEchoHandler: TransportHandler {
    let hinted: Bool
    func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async {}
    func respond(to request: TransportRequest) async -> TransportResponse {
        guard let body = try? await request.body?.collect(upTo: 1 << 20) else { return TransportResponse(status: .badRequest) }
        return TransportResponse(head: request.head, body: .bytes(body), bodyLengthHint: hinted ? body.count : nil)
    }
}

private struct BodyHandler: TransportHandler {
    let chunk: [UInt8]
    let count: Int
    func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async {}
    func respond(to request: TransportRequest) async -> TransportResponse {
        let sent = CountingHandler()
        let (chunk, count) = (self.chunk, self.count)
        return TransportResponse(body: ChunkStream {
            sent.received.wrappingAdd(1, ordering: .relaxed).oldValue < count ? chunk : nil
        })
    }
}

private final class CountingHandler: TransportHandler {
    let received = Atomic<Int>(0)
    func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async { received.wrappingAdd(1, ordering: .relaxed) }
    func respond(to request: TransportRequest) async -> TransportResponse { TransportResponse(head: request.head) }
}
