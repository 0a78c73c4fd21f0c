import Synchronization

/// A body that arrives or leaves in chunks: the only way large data moves between nodes.
///
/// It is an `AsyncSequence` of byte chunks backed by a `next` closure, so a transport can
/// hand out a stream whose pulling grants flow-control credit to the sender, and a service
/// can wrap a file or an HTTP body the same way. Iterate it once.
public struct ChunkStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = any Error

    private let nextChunk: @Sendable () async throws -> [UInt8]?

    /// `next` returns the next chunk, or nil at the end; it is called by one consumer at a time.
    public init(next: @escaping @Sendable () async throws -> [UInt8]?) {
        self.nextChunk = next
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextChunk: @Sendable () async throws -> [UInt8]?
        public mutating func next() async throws -> [UInt8]? { try await nextChunk() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(nextChunk: nextChunk) }

    /// A stream with nothing in it.
    public static var empty: ChunkStream { ChunkStream { nil } }

    /// The given bytes, cut into chunks of at most `chunkSize` bytes.
    public static func bytes(_ bytes: [UInt8], chunkSize: Int = 1 << 20) -> ChunkStream {
        let cursor = ChunkCursor(bytes: bytes, chunkSize: Swift.max(1, chunkSize))
        return ChunkStream { cursor.next() }
    }

    /// What ``prefetch(upTo:)`` found.
    public enum Prefetched: Sendable {
        /// The stream ended within the limit: these are all its bytes.
        case whole([UInt8])
        /// The stream is longer than the limit, or failed: this stream replays the chunks
        /// already read, then continues with the rest (or rethrows the failure).
        case partial(ChunkStream)
    }

    /// Reads ahead up to `limit` bytes: a body that ends by then comes back whole, any
    /// other comes back as a stream that loses nothing, so a caller can take the whole
    /// bytes when they are small and stream otherwise.
    public func prefetch(upTo limit: Int) async -> Prefetched {
        var iterator = makeAsyncIterator()
        var chunks: [[UInt8]] = []
        var total = 0
        do {
            while let chunk = try await iterator.next() {
                chunks.append(chunk)
                total += chunk.count
                if total > limit { return .partial(Self.replaying(chunks, then: self)) }
            }
        } catch {
            return .partial(Self.replaying(chunks, then: ChunkStream { throw error }))
        }
        return .whole(chunks.count == 1 ? chunks[0] : Array(chunks.joined()))
    }

    /// `chunks`, then whatever `rest` yields.
    static func replaying(_ chunks: [[UInt8]], then rest: ChunkStream) -> ChunkStream {
        let queued = ReplayQueue(chunks)
        return ChunkStream {
            if let chunk = queued.pop() { return chunk }
            var iterator = rest.makeAsyncIterator()
            return try await iterator.next()
        }
    }

    /// Reads the whole stream into memory, failing past `limit` bytes. For small bodies only.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var result: [UInt8] = []
        for try await chunk in self {
            guard result.count + chunk.count <= limit else { throw TransportError.bodyTooLarge(limit: limit) }
            result.append(contentsOf: chunk)
        }
        return result
    }
}

/// The chunks a prefetch read, handed out once each.
private final class ReplayQueue: Sendable {
    private let chunks: Mutex<ArraySlice<[UInt8]>>

    init(_ chunks: [[UInt8]]) { self.chunks = Mutex(chunks[...]) }

    func pop() -> [UInt8]? { chunks.withLock { $0.popFirst() } }
}

/// Hands out successive slices of a byte array; a lock keeps it safe to share.
private final class ChunkCursor: @unchecked Sendable {
    private let bytes: [UInt8]
    private let chunkSize: Int
    private var offset = 0
    private let lock = NSLockLike()

    init(bytes: [UInt8], chunkSize: Int) {
        self.bytes = bytes
        self.chunkSize = chunkSize
    }

    func next() -> [UInt8]? {
        lock.withLock {
            guard offset < bytes.count else { return nil }
            let end = min(offset + chunkSize, bytes.count)
            defer { offset = end }
            return Array(bytes[offset..<end])
        }
    }
}
