import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `shoal-bench swift-api`: small-object PUT and GET throughput through the Swift API of
/// a running cluster (Shoal's, or OpenStack Swift's for comparison), at a fixed
/// concurrency, with latency percentiles. Credentials as for the `swift` CLI.
struct SwiftAPIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-api", abstract: "PUT/GET ops/s of small objects through a Swift API endpoint.")

    @OptionGroup var credentials: SwiftCredentials
    @Option(help: "Requests in flight.") var concurrency = 32
    @Option(help: "Object size in bytes.") var size = 4_096
    @Option(help: "Objects to PUT, then GET.") var count = 4_000
    @Option(help: "Container to use (created if missing).") var container = "shoal-bench"

    func run() async throws {
        try await SwiftSession.withClient(.init(connectionPool: .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency))) { client in
            try await measure(SwiftSession.login(client, credentials))
        }
    }

    func measure(_ session: SwiftSession) async throws {
        let client = session.client, token = session.token, storage = session.storageURL
        let base = try await session.createContainer(container)

        let payload = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        print("swift-api: \(count) objects of \(size) bytes, \(concurrency) in flight, against \(storage)")
        let run = UInt64(Date().timeIntervalSince1970)
        for method in [HTTPMethod.PUT, .GET] {
            let (elapsed, latencies, failures) = try await phase(method: method, client: client, base: base, token: token,
                                                                  payload: payload, run: run)
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> String {
                guard !sorted.isEmpty else { return "-" }
                return String(format: "%.1f ms", sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000)
            }
            print(String(format: "  %@ %8.0f ops/s  p50 %@  p99 %@  failures %d  (%.2f s)",
                         method.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0),
                         Double(count) / elapsed, percentile(0.5), percentile(0.99), failures, elapsed))
        }
    }

    func phase(method: HTTPMethod, client: HTTPClient, base: String, token: String, payload: ByteBuffer,
               run: UInt64) async throws -> (Double, [Double], Int) {
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: (Double, Bool).self) { group in
            var latencies: [Double] = []
            var failures = 0
            var issued = 0
            func issue() {
                let index = issued
                issued += 1
                group.addTask {
                    var request = HTTPClientRequest(url: "\(base)/obj-\(run)-\(index)")
                    request.method = method
                    request.headers.add(name: "X-Auth-Token", value: token)
                    if method == .PUT {
                        request.headers.add(name: "Content-Type", value: "application/octet-stream")
                        request.body = .bytes(payload)
                    }
                    let began = ContinuousClock.now
                    do {
                        let response = try await client.execute(request, timeout: .seconds(60))
                        let body = try await response.body.collect(upTo: 1 << 24)
                        let ok = method == .PUT ? response.status == .created : (response.status == .ok && body.readableBytes == payload.readableBytes)
                        return (Self.seconds(ContinuousClock.now - began), ok)
                    } catch {
                        return (Self.seconds(ContinuousClock.now - began), false)
                    }
                }
            }
            for _ in 0..<min(concurrency, count) { issue() }
            while let (latency, ok) = try await group.next() {
                latencies.append(latency)
                if !ok { failures += 1 }
                if issued < count { issue() }
            }
            return (latencies, failures)
        }
        return (Self.seconds(ContinuousClock.now - start), results.0, results.1)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
