import ArgumentParser
import ShoalZeroMQ

/// ZeroMQ between two transports in this process over loopback TCP (``ZeroMQBenchmark``):
/// small-message round trips one at a time and 32 in flight, one-way messages, and
/// streamed 1 MiB chunks, with CURVE and without.
struct TransportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transport", abstract: "ZeroMQ round trips and MB/s.")

    @Option(help: "Round trips to time.") var roundTrips = 20_000
    @Option(help: "MiB to stream.") var mebibytes = 1_024

    func run() async throws {
        print("== transport (ZeroMQ over loopback TCP, two transports in one process, 16 B messages)")
        for curve in [true, false] {
            let label = curve ? "curve" : "plain"
            let sequential = try await ZeroMQBenchmark.roundTrips(count: roundTrips, inFlight: 1, curve: curve)
            let pipelined = try await ZeroMQBenchmark.roundTrips(count: roundTrips, inFlight: 32, curve: curve)
            let oneway = try await ZeroMQBenchmark.oneway(count: roundTrips * 5, curve: curve)
            let stream = try await ZeroMQBenchmark.throughput(chunkBytes: 1 << 20, totalBytes: mebibytes << 20, curve: curve)
            print("\(label): round trips \(Int(sequential.perSecond))/s sequential, \(Int(pipelined.perSecond))/s with 32 in flight; "
                + "one-way \(Int(oneway.perSecond))/s; 1 MiB chunks \(Int(stream.megabytesPerSecond)) MB/s")
        }
        // A small object's PUT or GET between nodes: a 4 KiB body each way, streamed (head,
        // chunk, end) or inline in the head's message; CPU of this process (both ends).
        print("== 4 KiB bodies each way, 32 in flight, curve (CPU is both ends, this process)")
        for round in 1...2 {
            for inline in [false, true] {
                let before = LoadPhase.processCPUSeconds()
                let trips = try await ZeroMQBenchmark.bodyRoundTrips(count: roundTrips, inline: inline)
                let cpu = LoadPhase.processCPUSeconds() - before
                print(String(format: "  round %d %@: %6.0f round trips/s, %5.1f µs CPU each", round,
                             inline ? "inline  " : "streamed", trips.perSecond, cpu * 1e6 / Double(trips.count)))
            }
        }
    }
}
