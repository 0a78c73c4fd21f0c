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
        let token = session.token
        let base = try await session.createContainer(container)
        let payload = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let names = prefix ?? "obj-\(UInt64(Date().timeIntervalSince1970))"
        if !json { print("swift-api: \(count) objects of \(size) bytes, \(concurrency) in flight, against \(session.storageURL)") }
        var objects = count
        let endpoint = try HTTPEndpoint(url: base)
        for phase in phases {
            let deadline = phase == .put ? duration.map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) } : nil
            var headers = HTTPHeaders([("Host", endpoint.authority), ("X-Auth-Token", token)])
            if phase == .put {
                headers.add(name: "Content-Type", value: "application/octet-stream")
                headers.add(name: "Content-Length", value: String(size))
            }
            let method: HTTPMethod = switch phase {
            case .put: .PUT
            case .get: .GET
            case .delete: .DELETE
            }
            let path = endpoint.path + "/" + names + "-"
            let result = try await HTTPLoad.run(endpoint, count: objects, concurrency: concurrency, deadline: deadline) { index in
                HTTPLoad.Request(head: HTTPRequestHead(version: .http1_1, method: method, uri: path + String(index), headers: headers),
                                 body: phase == .put ? payload : nil)
            } accept: { status, received in
                switch phase {
                case .put: status == .created
                case .get: status == .ok && received == size
                case .delete: status == .noContent
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
