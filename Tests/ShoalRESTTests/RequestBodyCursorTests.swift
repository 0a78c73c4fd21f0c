import Hummingbird
import Testing
@testable import ShoalREST

/// The PUT body reaches the proxy in chunks of about 256 KiB whatever sizes the socket
/// hands up, with every byte in order and nothing after the end.
struct RequestBodyCursorTests {
    func chunks(of pieces: [[UInt8]]) async throws -> [[UInt8]] {
        let stream = AsyncStream<ByteBuffer> { continuation in
            for piece in pieces { continuation.yield(ByteBuffer(bytes: piece)) }
            continuation.finish()
        }
        let cursor = RequestBodyCursor(RequestBody(asyncSequence: stream).makeAsyncIterator())
        var out: [[UInt8]] = []
        while let chunk = try await cursor.next() { out.append(chunk) }
        #expect(try await cursor.next() == nil)
        return out
    }

    @Test func smallReadsAreJoinedIntoChunksOfAQuarterMebibyte() async throws {
        // 1 MiB + 1,000 bytes in reads of 10,000 bytes (and a short last one).
        var pieces: [[UInt8]] = []
        var total = 0
        while total < (1 << 20) + 1_000 {
            let size = min(10_000, (1 << 20) + 1_000 - total)
            pieces.append((0..<size).map { UInt8(truncatingIfNeeded: total + $0) })
            total += size
        }
        let out = try await chunks(of: pieces)
        // Each chunk is the first 27 reads at or past 256 KiB: 270,000 bytes; the last holds the rest.
        #expect(out.map(\.count) == [270_000, 270_000, 270_000, (1 << 20) + 1_000 - 810_000])
        #expect(out.dropLast().allSatisfy { $0.count >= RequestBodyCursor.chunkBytes && $0.count < RequestBodyCursor.chunkBytes + 10_000 })
        #expect(out.joined().elementsEqual(pieces.joined()))
    }

    @Test func aLargeReadPassesWholeAndAnEmptyBodyGivesNothing() async throws {
        let big = [UInt8](repeating: 7, count: RequestBodyCursor.chunkBytes * 2)
        let out = try await chunks(of: [big, [1, 2, 3]])
        #expect(out.map(\.count) == [big.count, 3])
        #expect(try await chunks(of: []).isEmpty)
    }
}
