import ShoalPorts
import Synchronization

/// A request body that must be exactly `Content-Length` bytes: it fails with
/// ``Mismatch`` when the stream ends early or runs past it, so the store writing it keeps
/// nothing (Swift's object server answers 499 for a short upload instead of storing it).
///
/// With `footerBytes`, exactly that many bytes follow the body on the wire (the proxy's
/// ETag footer, ``BackendHeader/etagFooter``): they are held back from the checked stream
/// and given by ``footer`` once it has ended.
final class LengthCheckedBody: Sendable {
    struct Mismatch: Error, Equatable {
        let expected: Int
        let received: Int
    }

    private struct State {
        var received = 0
        var footer: [UInt8] = []
        /// Set when the stream ended with body and footer whole.
        var complete = false
    }

    private let stream: ChunkStream
    private let expected: Int
    private let footerBytes: Int
    private let state = Mutex(State())

    init(_ stream: ChunkStream, expectedBytes: Int, footerBytes: Int = 0) {
        self.stream = stream
        self.expected = expectedBytes
        self.footerBytes = footerBytes
    }

    /// The checked stream (a chunk stream keeps its state in its closure, so each pull may
    /// take a fresh iterator).
    var checked: ChunkStream { ChunkStream { try await self.next() } }

    /// The footer's bytes as text, once the checked stream has ended; nil before.
    var footer: String? {
        state.withLock { $0.complete ? String(decoding: $0.footer, as: UTF8.self) : nil }
    }

    private func next() async throws -> [UInt8]? {
        while true {
            var iterator = stream.makeAsyncIterator()
            let chunk = try await iterator.next()
            let result: Result<[UInt8]?, Mismatch>? = state.withLock { state in
                guard let chunk else {
                    guard state.received == expected, state.footer.count == footerBytes else {
                        return .failure(Mismatch(expected: expected, received: state.received + state.footer.count))
                    }
                    state.complete = true
                    return .success(nil)
                }
                let bodyPart = min(chunk.count, expected - state.received)
                state.received += bodyPart
                if bodyPart < chunk.count {
                    state.footer.append(contentsOf: chunk[bodyPart...])
                    guard state.footer.count <= footerBytes else {
                        return .failure(Mismatch(expected: expected, received: state.received + state.footer.count))
                    }
                }
                if bodyPart == 0 { return nil }  // footer bytes only: pull again
                return .success(bodyPart == chunk.count ? chunk : Array(chunk[..<bodyPart]))
            }
            if let result { return try result.get() }
        }
    }
}
