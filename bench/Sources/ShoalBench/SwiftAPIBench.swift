import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `shoal-bench swift-api`: object PUT, GET and DELETE through the Swift API of a running
/// cluster (Shoal's, OpenStack Swift's or Ceph RGW's: any TempAuth-style endpoint), at a
/// fixed concurrency, with latency percentiles and the benchmark's own CPU use. bench/compare
/// runs one phase per call (`--phases put`, then `get`, then `delete`, sharing `--prefix`) so
/// it can account the servers' CPU per phase.
struct SwiftAPIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-api", abstract: "PUT/GET/DELETE ops/s of objects through a Swift API endpoint.")

    enum Phase: String, ExpressibleByArgument, CaseIterable {
        case put, get, delete
    }

    @OptionGroup var credentials: SwiftCredentials
    @Option(help: "Requests in flight.") var concurrency = 32
    @Option(help: "Object size in bytes.") var size = 4_096
    @Option(help: "Objects to PUT (GET and DELETE the same ones).") var count = 4_000
    @Option(help: "Stop starting PUTs after this many seconds (the count is then what was PUT).") var duration: Double?
    @Option(help: "Phases to run, comma-separated: put,get,delete.") var phases = "put,get"
    @Option(help: "Object name prefix (default: a fresh one per run).") var prefix: String?
    @Option(help: "Container to use (created if missing).") var container = "shoal-bench"
    @Flag(help: "Print one JSON object per phase instead of text.") var json = false

    func run() async throws {
        let selected = try phases.split(separator: ",").map { name in
            guard let phase = Phase(rawValue: String(name)) else { throw ValidationError("unknown phase \(name): put, get or delete") }
            return phase
        }
        try await SwiftSession.withClient(.init(connectionPool: .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency))) { client in
            try await measure(SwiftSession.login(client, credentials), phases: selected)
        }
    }

    func measure(_ session: SwiftSession, phases: [Phase]) async throws {
        let client = session.client, token = session.token
        let base = try await session.createContainer(container)
        let payload = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let names = prefix ?? "obj-\(UInt64(Date().timeIntervalSince1970))"
        if !json { print("swift-api: \(count) objects of \(size) bytes, \(concurrency) in flight, against \(session.storageURL)") }
        var objects = count
        for phase in phases {
            let deadline = phase == .put ? duration.map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) } : nil
            let result = await LoadPhase.run(count: objects, concurrency: concurrency, deadline: deadline) { index in
                var request = HTTPClientRequest(url: "\(base)/\(names)-\(index)")
                request.headers.add(name: "X-Auth-Token", value: token)
                switch phase {
                case .put:
                    request.method = .PUT
                    request.headers.add(name: "Content-Type", value: "application/octet-stream")
                    request.body = .bytes(payload)
                case .get:
                    request.method = .GET
                case .delete:
                    request.method = .DELETE
                }
                guard let response = try? await client.execute(request, timeout: .seconds(120)) else { return false }
                var received = 0
                do {
                    for try await part in response.body { received += part.readableBytes }
                } catch {
                    return false
                }
                switch phase {
                case .put: return response.status == .created
                case .get: return response.status == .ok && received == size
                case .delete: return response.status == .noContent
                }
            }
            if phase == .put { objects = result.operations }
            if json {
                print(Self.json(phase: phase.rawValue, size: size, concurrency: concurrency, result))
            } else {
                print(result.line(phase.rawValue.uppercased()) + String(format: "  %.1f MB/s  client CPU %.2f s",
                                                                         result.rate * Double(size) / 1e6, result.clientCPU))
            }
        }
    }

    static func json(phase: String, size: Int, concurrency: Int, _ result: LoadPhase) -> String {
        let fields: [String: Any] = [
            "phase": phase, "size": size, "concurrency": concurrency, "operations": result.operations,
            "failures": result.failures, "seconds": result.elapsed, "ops_per_s": result.rate,
            "mb_per_s": result.rate * Double(size) / 1e6, "p50_ms": (result.percentile(0.5) ?? 0) * 1000,
            "p99_ms": (result.percentile(0.99) ?? 0) * 1000, "client_cpu_s": result.clientCPU,
        ]
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
