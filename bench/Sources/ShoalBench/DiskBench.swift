// shoal-bench disk [folder]: measures DiskObjectStore on this machine's disk.
//
// 4 KiB PUT/s sequential and with 32 concurrent writers, 4 KiB GET/s sequential and with 32
// concurrent readers, MB/s of one 256 MiB PUT and GET, and fsyncs per PUT. The folder
// (default /tmp/shoal-disk-bench) is emptied first.
import ArgumentParser
import Foundation
import ShoalCore
import ShoalDiskStore
import ShoalPorts

struct DiskBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disk", abstract: "Object store PUT/GET rates and MB/s on this disk.")

    @Argument(help: "Scratch folder (emptied first).") var folder = "/tmp/shoal-disk-bench"

    func run() async throws {
        print("== disk (DiskObjectStore, one device at \(folder))")
        try? FileManager.default.removeItem(atPath: folder)
        let store = try DiskObjectStore(devicePath: folder)
        let hasher = PathHasher(prefix: "bench", suffix: "bench")
        let body = (0..<4_096).map { UInt8(truncatingIfNeeded: $0) }
        @Sendable func key(_ index: Int) -> ObjectKey {
            ObjectKey(account: "AUTH_bench", container: "c", object: "o\(index)", hasher: hasher, partPower: 10)!
        }
        @Sendable func put(_ index: Int, generation: Int64 = 0) async throws {
            let ticks = 170_000_000_000_000 + generation * 100_000_000 + Int64(index)
            let metadata = ObjectMetadata(timestamp: SwiftTimestamp(ticks: ticks))
            _ = try await store.put(key(index), metadata: metadata, body: .bytes(body), expectedETag: nil)
        }

        let sequential = 300
        var syncsBefore = store.statistics.syncs
        var seconds = try await Self.time { for index in 0..<sequential { try await put(index) } }
        Self.report("4 KiB PUT sequential", count: sequential, seconds: seconds, syncs: store.statistics.syncs - syncsBefore)

        let concurrent = 3_000
        syncsBefore = store.statistics.syncs
        seconds = try await Self.time { try await Self.inParallel(32, count: concurrent) { try await put(sequential + $0) } }
        Self.report("4 KiB PUT 32 concurrent", count: concurrent, seconds: seconds, syncs: store.statistics.syncs - syncsBefore)

        // Overwrites: directories exist, so only the file and its directory are synced.
        syncsBefore = store.statistics.syncs
        seconds = try await Self.time { try await Self.inParallel(32, count: 1_000) { try await put($0, generation: 1) } }
        Self.report("4 KiB PUT 32 concurrent (existing dirs)", count: 1_000, seconds: seconds, syncs: store.statistics.syncs - syncsBefore)

        let total = sequential + concurrent
        let reads = 20_000
        seconds = try await Self.time {
            for index in 0..<reads { _ = try await store.get(key(index % total), range: nil)!.body.collect(upTo: 1 << 20) }
        }
        Self.report("4 KiB GET sequential", count: reads, seconds: seconds)
        seconds = try await Self.time {
            try await Self.inParallel(32, count: reads) { _ = try await store.get(key($0 % total), range: nil)!.body.collect(upTo: 1 << 20) }
        }
        Self.report("4 KiB GET 32 concurrent", count: reads, seconds: seconds)

        let large = 256 << 20
        let chunk = [UInt8](repeating: 0x5A, count: 1 << 20)
        let remaining = Counter(large / chunk.count)
        let bigKey = ObjectKey(account: "AUTH_bench", container: "c", object: "big", hasher: hasher, partPower: 10)!
        seconds = try await Self.time {
            _ = try await store.put(bigKey, metadata: ObjectMetadata(timestamp: SwiftTimestamp(ticks: 1)),
                                    body: ChunkStream { remaining.take() ? chunk : nil }, expectedETag: nil)
        }
        print(String(format: "256 MiB PUT: %.0f MB/s (%.2f s), peak buffered %d KiB", Double(large) / seconds / 1e6, seconds,
                     store.statistics.peakBufferedBytes / 1024))
        store.statistics.resetPeak()
        seconds = try await Self.time {
            var received = 0
            for try await part in try await store.get(bigKey, range: nil)!.body { received += part.count }
            precondition(received == large)
        }
        print(String(format: "256 MiB GET: %.0f MB/s (%.2f s), peak buffered %d KiB", Double(large) / seconds / 1e6, seconds,
                     store.statistics.peakBufferedBytes / 1024))
        try? FileManager.default.removeItem(atPath: folder)
    }

    static func time(_ body: @Sendable () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func report(_ name: String, count: Int, seconds: Double, syncs: Int? = nil) {
        var line = String(format: "%@: %.0f ops/s (%d in %.2f s)", name, Double(count) / seconds, count, seconds)
        if let syncs { line += String(format: ", %.2f fsyncs per PUT", Double(syncs) / Double(count)) }
        print(line)
    }

    /// Runs `work(0..<count)` with at most `width` in flight.
    static func inParallel(_ width: Int, count: Int, _ work: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(width, count) {
                let index = next
                group.addTask { try await work(index) }
                next += 1
            }
            while try await group.next() != nil, next < count {
                let index = next
                group.addTask { try await work(index) }
                next += 1
            }
            try await group.waitForAll()
        }
    }
}

/// Hands out a fixed number of permits; the body generator of the large PUT.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int
    init(_ count: Int) { left = count }
    func take() -> Bool { lock.withLock { guard left > 0 else { return false }; left -= 1; return true } }
}
