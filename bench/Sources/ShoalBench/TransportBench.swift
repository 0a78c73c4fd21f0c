import ArgumentParser
import ShoalCore
import ShoalPorts
import ShoalZeroMQ

/// ZeroMQ between two transports in this process over loopback TCP: small-message round
/// trips (one at a time and 32 in flight) and streamed 1 MiB chunks, with and without CURVE.
struct TransportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transport", abstract: "ZeroMQ round trips and MB/s.")

    @Option(help: "Round trips to time.") var roundTrips = 20_000
    @Option(help: "MiB to stream.") var mebibytes = 1_024

    func run() async throws {
        print("== transport (ZeroMQ over loopback TCP, two transports in one process)")
        for curve in [true, false] {
            var configuration = ZeroMQTransport.Configuration()
            configuration.curve = curve
            let secret = [UInt8](repeating: 7, count: 32)
            let server = try ZeroMQTransport(bind: ClusterAddress(host: "127.0.0.1", port: 0), clusterSecret: secret, configuration: configuration)
            let client = try ZeroMQTransport(bind: ClusterAddress(host: "127.0.0.1", port: 0), clusterSecret: secret, configuration: configuration)
            await server.register(EchoHandler(), for: .echo)
            let peer = server.localAddress
            let label = curve ? "curve" : "plain"

            // Warm up the connection (and the CURVE handshake).
            _ = try await client.request(TransportRequest(channel: .echo, head: [1]), to: peer, timeout: .seconds(10))

            let payload = [UInt8](repeating: 0xAB, count: 16)
            var start = ContinuousClock.now
            for _ in 0..<roundTrips {
                _ = try await client.request(TransportRequest(channel: .echo, head: payload), to: peer, timeout: .seconds(10))
            }
            let sequential = Double(roundTrips) / (ContinuousClock.now - start).seconds

            start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<32 {
                    group.addTask {
                        for _ in stride(from: worker, to: roundTrips, by: 32) {
                            _ = try await client.request(TransportRequest(channel: .echo, head: payload), to: peer, timeout: .seconds(10))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let concurrent = Double(roundTrips) / (ContinuousClock.now - start).seconds

            let chunk = [UInt8](repeating: 0x5A, count: 1 << 20)
            let counter = ChunkCounter(total: mebibytes)
            start = ContinuousClock.now
            let response = try await client.request(
                TransportRequest(channel: .echo, head: [2], body: ChunkStream { counter.next() ? chunk : nil }),
                to: peer, timeout: .seconds(120))
            let seconds = (ContinuousClock.now - start).seconds
            let received = ByteReaderCount.decode(response.head)
            let megabytesPerSecond = Double(received) / seconds / 1e6

            print("\(label): 16 B round trips \(Int(sequential))/s sequential, \(Int(concurrent))/s with 32 in flight; "
                + "1 MiB chunks \(Int(megabytesPerSecond)) MB/s (\(received >> 20) MiB streamed)")
            await client.shutdown()
            await server.shutdown()
        }
    }
}

/// Answers head [2] by counting the streamed body's bytes; anything else is echoed.
struct EchoHandler: TransportHandler {
    func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async {}

    func respond(to request: TransportRequest) async -> TransportResponse {
        guard request.head == [2], let body = request.body else { return TransportResponse(head: request.head) }
        var total = 0
        do {
            for try await chunk in body { total += chunk.count }
        } catch {
            return TransportResponse(status: .internalError)
        }
        return TransportResponse(head: ByteReaderCount.encode(total))
    }
}

/// Hands out a fixed number of chunk slots to a stream's producer.
final class ChunkCounter: @unchecked Sendable {
    // Only the transport's single body reader calls next(), one call at a time.
    private var remaining: Int
    init(total: Int) { remaining = total }
    func next() -> Bool {
        guard remaining > 0 else { return false }
        remaining -= 1
        return true
    }
}

enum ByteReaderCount {
    static func encode(_ value: Int) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt64(value))
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) -> Int {
        var reader = ByteReader(bytes)
        return (try? reader.readUInt64()).map(Int.init) ?? 0
    }
}
