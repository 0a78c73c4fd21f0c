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
            let phase = await LoadPhase.run(count: count, concurrency: concurrency) { index in
                var request = HTTPClientRequest(url: "\(base)/obj-\(run)-\(index)")
                request.method = method
                request.headers.add(name: "X-Auth-Token", value: token)
                if method == .PUT {
                    request.headers.add(name: "Content-Type", value: "application/octet-stream")
                    request.body = .bytes(payload)
                }
                guard let response = try? await client.execute(request, timeout: .seconds(60)),
                      let body = try? await response.body.collect(upTo: 1 << 24) else { return false }
                return method == .PUT ? response.status == .created : (response.status == .ok && body.readableBytes == payload.readableBytes)
            }
            print(phase.line(method.rawValue))
        }
    }
}
