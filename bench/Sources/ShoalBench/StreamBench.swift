import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import ShoalCore
import NIOCore
import NIOHTTP1

/// `shoal-bench stream`: one large object PUT and GET through one node, streamed both
/// ways, while sampling that node's resident memory: the figure that shows bodies are not
/// buffered (the goal is at most +64 MiB for 2 GiB).
struct StreamBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream", abstract: "Stream a large object through one node and report its RSS growth.")

    @OptionGroup var credentials: SwiftCredentials
    @Option(help: "Pid of the node serving --auth (its RSS is sampled).") var pid: Int32
    @Option(help: "Object size in MiB.") var mebibytes = 2_048

    func run() async throws {
        try await SwiftSession.withClient { client in try await measure(SwiftSession.login(client, credentials)) }
    }

    func measure(_ session: SwiftSession) async throws {
        let client = session.client, token = session.token, storage = session.storageURL
        _ = try await session.createContainer("shoal-stream")

        let sampler = RSSSampler(pid: pid)
        let baseline = sampler.sample()
        let sampling = Task { while !Task.isCancelled { sampler.sample(); try? await Task.sleep(for: .milliseconds(50)) } }
        let total = Int64(mebibytes) << 20
        let chunk = ByteBuffer(bytes: (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) })
        var expected = Insecure.MD5()
        for _ in 0..<mebibytes { chunk.withUnsafeReadableBytes { expected.update(bufferPointer: $0) } }
        let expectedMD5 = expected.finalize().map { String(format: "%02x", $0) }.joined()

        var put = HTTPClientRequest(url: storage + "/shoal-stream/big")
        put.method = .PUT
        put.headers.add(name: "X-Auth-Token", value: token)
        let chunks = mebibytes
        put.body = .stream(ChunkSequence(chunk: chunk, count: chunks), length: .known(total))
        var began = ContinuousClock.now
        let putResponse = try await client.execute(put, timeout: .hours(1))
        _ = try await putResponse.body.collect(upTo: 1 << 20)
        let putSeconds = (ContinuousClock.now - began).inSeconds
        let afterPut = sampler.peak

        began = ContinuousClock.now
        var get = HTTPClientRequest(url: storage + "/shoal-stream/big")
        get.headers.add(name: "X-Auth-Token", value: token)
        let getResponse = try await client.execute(get, timeout: .hours(1))
        var md5 = Insecure.MD5()
        var received: Int64 = 0
        for try await buffer in getResponse.body {
            buffer.withUnsafeReadableBytes { md5.update(bufferPointer: $0) }
            received += Int64(buffer.readableBytes)
        }
        let getSeconds = (ContinuousClock.now - began).inSeconds
        sampling.cancel()
        let digest = md5.finalize().map { String(format: "%02x", $0) }.joined()
        let mib = { (bytes: Int) in String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        print("stream: \(mebibytes) MiB through \(storage) (node pid \(pid))")
        print(String(format: "  PUT %@ in %.1f s (%.0f MB/s), ETag %@", "\(putResponse.status.code)", putSeconds,
                     Double(total) / putSeconds / 1e6, putResponse.headers.first(name: "Etag") ?? "-"))
        print(String(format: "  GET %@ in %.1f s (%.0f MB/s), %@", "\(getResponse.status.code)", getSeconds,
                     Double(received) / getSeconds / 1e6, digest == expectedMD5 && received == total ? "bytes match" : "MISMATCH"))
        print("  node RSS: baseline \(mib(baseline)), peak during PUT \(mib(afterPut)), peak overall \(mib(sampler.peak)), "
              + "growth \(mib(sampler.peak - baseline))")
        if digest != expectedMD5 || received != total { throw ExitCode.failure }
    }
}

/// The same 1 MiB buffer `count` times, as an async sequence for a streamed request body.
struct ChunkSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunk: ByteBuffer
    let count: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunk: ByteBuffer
        var remaining: Int
        mutating func next() async -> ByteBuffer? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunk: chunk, remaining: count) }
}

/// Reads a process's VmRSS from /proc and keeps the peak.
final class RSSSampler: @unchecked Sendable {
    let pid: Int32
    private let lock = NSLock()
    private var highest = 0

    init(pid: Int32) {
        self.pid = pid
    }

    var peak: Int { lock.withLock { highest } }

    @discardableResult
    func sample() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        let bytes = kib * 1024
        lock.withLock { highest = max(highest, bytes) }
        return bytes
    }
}
