import Foundation
import ShoalCore
import ShoalDiskStore
import ShoalPorts
import Synchronization
import Testing

/// A 256 MiB object streams through the disk store without being buffered: the store's
/// own counter of body bytes held in memory stays near one chunk plus the write buffer.
struct LargeObjectTests {
    static let totalBytes = 256 << 20
    static let chunkBytes = 1 << 20

    /// A generated body: `count` chunks of 1 MiB, each stamped with its index, never all in memory.
    static func generatedBody(chunks count: Int) -> ChunkStream {
        let template = bodyBytes(chunkBytes)
        let index = Counter()
        return ChunkStream {
            let current: Int? = index.value.withLock { next in
                guard next < count else { return nil }
                defer { next += 1 }
                return next
            }
            guard let current else { return nil }
            var chunk = template
            withUnsafeBytes(of: UInt64(current).bigEndian) { chunk.replaceSubrange(0..<8, with: $0) }
            return chunk
        }
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * 4_096
    }

    @Test func twoHundredFiftySixMebibytesStreamInBoundedMemory() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let chunks = Self.totalBytes / Self.chunkBytes
        var expected = ETagHasher()
        for try await chunk in Self.generatedBody(chunks: chunks) { expected.update(chunk) }
        let expectedETag = expected.finalize()
        let residentBefore = Self.residentBytes()

        let stored = try await store.put(key("big"), metadata: metadata(at: ts(1)), body: Self.generatedBody(chunks: chunks),
                                         expectedETag: expectedETag)
        #expect(stored.sizeBytes == Self.totalBytes && stored.etag == expectedETag)
        // One incoming chunk plus the write buffer, never the object.
        #expect(store.statistics.peakBufferedBytes <= 3 * Self.chunkBytes)
        #expect(store.statistics.bufferedBytes == 0)

        store.statistics.resetPeak()
        let reader = try #require(try await store.get(key("big"), range: nil))
        var actual = ETagHasher()
        var received = 0
        var largestChunk = 0
        for try await chunk in reader.body {
            actual.update(chunk)
            received += chunk.count
            largestChunk = max(largestChunk, chunk.count)
        }
        #expect(received == Self.totalBytes)
        #expect(actual.finalize() == expectedETag)
        #expect(largestChunk <= 1 << 20)
        #expect(store.statistics.peakBufferedBytes <= 1 << 20)
        #expect(store.statistics.bufferedBytes == 0)
        // A loose cross-check on the process, which other tests share while this one runs:
        // holding the object would grow it by at least the object's size.
        #expect(Self.residentBytes() - residentBefore < Self.totalBytes)
    }
}

/// A shared counter the generated body's closure can capture.
private final class Counter: Sendable {
    let value = Mutex(0)
}
