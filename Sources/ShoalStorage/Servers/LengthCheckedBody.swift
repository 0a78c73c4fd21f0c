import ShoalPorts
import Synchronization

/// A request body that must be exactly `Content-Length` bytes: it fails with
/// ``Mismatch`` when the stream ends early or runs past it, so the store writing it keeps
/// nothing (Swift's object server answers 499 for a short upload instead of storing it).
final class LengthCheckedBody: Sendable {
    struct Mismatch: Error, Equatable {
        let expected: Int
        let received: Int
    }

    private let stream: ChunkStream
    private let expected: Int
    private let received = Mutex(0)

    init(_ stream: ChunkStream, expectedBytes: Int) {
        self.stream = stream
        self.expected = expectedBytes
    }

    /// The checked stream (a chunk stream keeps its state in its closure, so each pull may
    /// take a fresh iterator).
    var checked: ChunkStream { ChunkStream { try await self.next() } }

    private func next() async throws -> [UInt8]? {
        var iterator = stream.makeAsyncIterator()
        let chunk = try await iterator.next()
        let total = received.withLock { count in
            count += chunk?.count ?? 0
            return count
        }
        if chunk == nil ? total != expected : total > expected {
            throw Mismatch(expected: expected, received: total)
        }
        return chunk
    }
}
