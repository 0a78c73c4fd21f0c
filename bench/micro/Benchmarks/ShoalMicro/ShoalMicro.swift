import Benchmark
import Foundation
import ShoalCore
import ShoalSQLite

/// Shoal's hot paths, one benchmark each: what every request does (ring lookup, the
/// backend message codec), what every byte stored goes through (MD5), and a page of a big
/// container listing. `swift package benchmark` prints wall clock, throughput and
/// allocations per iteration; docs/performance.md keeps a run.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .cpuTotal, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000)

    // Ring lookup: MD5 of a Swift path with the cluster salt, its partition, and the three
    // primaries, on a 2^16-partition ring of 100 devices in 25 zones.
    let ring = Fixtures.ring(devices: 100)
    let hasher = PathHasher(prefix: "bench-prefix", suffix: "bench-suffix")
    let names = (0..<1024).map { "photos/2026/object-\($0).jpg" }
    Benchmark("ring lookup (path MD5, partition, 3 primaries)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for index in benchmark.scaledIterations {
            let digest = hasher.digest(account: "AUTH_bench", container: "c", object: names[index & 1023])
            blackHole(ring.primaryIndices(of: ring.partition(ofDigest: digest)))
        }
    }

    // The head of an object PUT from proxy to object server, as it crosses ZeroMQ.
    let head = Fixtures.putHead()
    Benchmark("codec: object PUT head, encode + decode", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            let bytes = head.wireBytes()
            blackHole(try? BackendRequestHead(wireBytes: bytes))
        }
    }

    // A replication hashes answer for 256 partitions of 16 suffixes each (one round trip
    // of a replicator's pass).
    let hashes = Fixtures.hashesAnswer(partitions: 256, suffixes: 16)
    Benchmark("codec: replication hashes of 256 partitions, encode + decode") { benchmark in
        for _ in benchmark.scaledIterations {
            let bytes = hashes.wireBytes()
            blackHole(try? ObjectReplicationResponse(wireBytes: bytes))
        }
    }

    // MD5 over 16 MiB in 64 KiB chunks, as a PUT body streams through the ETag check.
    let chunk = [UInt8](repeating: 0x5A, count: 64 << 10)
    Benchmark("MD5 streaming, 16 MiB in 64 KiB chunks",
              configuration: .init(metrics: [.wallClock, .throughput, .cpuTotal], maxDuration: .seconds(5))) { benchmark in
        for _ in benchmark.scaledIterations {
            var md5 = ETagHasher()
            for _ in 0..<256 { chunk.withUnsafeBytes { md5.update($0) } }
            blackHole(md5.finalize())
        }
    }

    // A page of 10,000 entries from the middle of a container with 1,000,000 rows, the
    // way a container server answers `GET /v1/AUTH_x/c?marker=...&limit=10000`.
    Benchmark("listing 10,000 entries of a 1 M-row container",
              configuration: .init(maxDuration: .seconds(10), maxIterations: 200)) { benchmark, broker async throws in
        for _ in benchmark.scaledIterations {
            let page = try await broker.list(query: ListingQuery(marker: Fixtures.name(500_000), limit: 10_000))
            precondition(page.count == 10_000, "a full page")
            blackHole(page)
        }
    } setup: {
        try await Fixtures.millionRowContainer()
    }
}

enum Fixtures {
    static func ring(devices count: Int) -> Ring {
        Ring(deviceSet: .loopback(nodes: count, zones: 25), parameters: .default)
    }

    static func putHead() -> BackendRequestHead {
        var headers = HeaderFields()
        for (name, value) in [
            ("X-Timestamp", "1763800000.12345"), ("Content-Type", "image/jpeg"), ("Content-Length", "4096"),
            ("ETag", "d41d8cd98f00b204e9800998ecf8427e"), ("X-Object-Meta-Camera", "x100v"),
            ("X-Container-Host", "127.0.0.1:7001"), ("X-Container-Device", "node2-d0"), ("X-Container-Partition", "4711"),
            ("X-Trans-Id", "tx0123456789abcdef01234-0069213a80"),
        ] { headers.add(name, value) }
        return BackendRequestHead(method: "PUT", device: DeviceID(node: NodeID("node1")!, index: 0), partition: 4711,
                                  account: "AUTH_bench", container: "photos", object: "2026/11/21/IMG_0001.jpg",
                                  headers: headers)
    }

    static func hashesAnswer(partitions: Int, suffixes: Int) -> ObjectReplicationResponse {
        var answer: [Int: [String: String]] = [:]
        for partition in 0..<partitions {
            var bySuffix: [String: String] = [:]
            for suffix in 0..<suffixes {
                bySuffix[Hex.encode([UInt8(suffix), UInt8(partition & 0xFF)]).prefix(3).description] =
                    ETagHasher.hex(of: [UInt8(partition & 0xFF), UInt8(suffix)])
            }
            answer[partition] = bySuffix
        }
        return .hashes(answer)
    }

    static func name(_ index: Int) -> String {
        let digits = String(index)
        return "logs/" + String(repeating: "0", count: 7 - digits.count) + digits + ".gz"
    }

    /// A container database with 1,000,000 rows, kept under bench/run/micro between runs
    /// (it takes a while to fill).
    static func millionRowContainer() async throws -> ContainerBroker {
        let rows = 1_000_000
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../run/micro").standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/container-1M.db"
        let executor = SQLiteExecutor(name: "shoal-micro")
        let existing = ContainerBroker(path: path, executor: executor, durability: .normal)
        if (try? await existing.info().objectCount) == Int64(rows) { return existing }
        await existing.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let broker = ContainerBroker(path: path, executor: executor, durability: .normal)
        try await broker.create(account: "AUTH_bench", container: "logs", putTimestamp: SwiftTimestamp(ticks: 1_763_800_000 * SwiftTimestamp.ticksPerSecond))
        let batch = 20_000
        for start in stride(from: 0, to: rows, by: batch) {
            let records = (start..<start + batch).map { index in
                ObjectRecord(name: name(index), timestamp: SwiftTimestamp(ticks: 1_763_800_000 * SwiftTimestamp.ticksPerSecond + Int64(index)),
                             size: Int64(index % 65_536), contentType: "application/gzip",
                             etag: ETagHasher.hex(of: Array(name(index).utf8)))
            }
            try await broker.merge(items: records)
        }
        return broker
    }
}
