import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Copies a client's request body to every target of a write at once (Swift's PUT
/// fan-out): each chunk goes into each live target's ``BoundedChunkQueue``. A target
/// whose queue stays full for `stallTimeout` (Swift's `node_timeout` on a chunk write) or
/// whose request ended is dropped; the rest go on. Memory stays at `depth` chunks per target.
/// When the length is known (`expectedBytes`) it hashes the body as it passes and sends
/// the MD5 as an ETag footer right after the last byte (in the last chunk, so no extra
/// message): one MD5 per PUT instead of one per replica. The object servers store it, and
/// the proxy still answers the ETag they agree on, as Swift's proxy does. A body of unknown
/// length goes without a footer and each object server hashes it.
struct BodyTee {
    enum Outcome: Equatable {
        /// The whole body went to the targets still open; `bytes` read.
        case completed(bytes: Int64)
        /// Fewer targets than `minimumLive` remain: the write cannot reach a quorum.
        case tooFewTargets
        /// The body broke a limit (too large, shorter or longer than Content-Length).
        case rejected(SwiftError)
        /// Reading the client's body failed (a client disconnect: Swift's 499).
        case clientFailed(String)
    }

    let queues: [BoundedChunkQueue]
    let stallTimeout: Duration
    let clock: any Clock<Duration>
    let minimumLive: Int
    let maximumBytes: Int64
    let expectedBytes: Int64?

    /// Whether the targets get an ETag footer (``BackendHeader/etagFooter``).
    var sendsFooter: Bool { expectedBytes != nil }

    /// Runs the copy; on any outcome but `.completed` every queue has been failed.
    func run(_ source: ChunkStream) async -> Outcome {
        var total: Int64 = 0
        var hasher = sendsFooter ? ETagHasher() : nil
        do {
            for try await piece in source where !piece.isEmpty {
                var chunk = piece
                total += Int64(chunk.count)
                if total > maximumBytes { return abort(.rejected(.requestTooLarge)) }
                if let expectedBytes, total > expectedBytes {
                    return abort(.rejected(.badRequest("Body larger than Content-Length")))
                }
                hasher?.update(chunk)
                if total == expectedBytes, let digest = hasher?.finalize() {
                    chunk.append(contentsOf: digest.utf8)
                    hasher = nil
                }
                if let outcome = await pushToAll(chunk) { return outcome }
            }
        } catch {
            return abort(.clientFailed("\(error)"))
        }
        if let expectedBytes, total < expectedBytes { return abort(.clientFailed("body ended after \(total) of \(expectedBytes) bytes")) }
        // An empty body's footer travels alone.
        if let digest = hasher?.finalize(), let outcome = await pushToAll(Array(digest.utf8)) { return outcome }
        for queue in queues { queue.finish() }
        return .completed(bytes: total)
    }

    /// Pushes a chunk to every open target; the outcome when too few are left.
    private func pushToAll(_ chunk: [UInt8]) async -> Outcome? {
        for queue in queues where queue.isOpen {
            await push(chunk, to: queue)
        }
        return queues.filter(\.isOpen).count < minimumLive ? abort(.tooFewTargets) : nil
    }

    private func push(_ chunk: [UInt8], to queue: BoundedChunkQueue) async {
        if queue.tryPush(chunk) != nil { return }
        let timeout = stallTimeout
        let clock = self.clock
        let timer = Task {
            try await clock.sleep(for: timeout, tolerance: nil)
            queue.fail("target stalled for \(timeout)")
        }
        _ = await queue.push(chunk)
        timer.cancel()
    }

    private func abort(_ outcome: Outcome) -> Outcome {
        for queue in queues { queue.fail("write aborted: \(outcome)") }
        return outcome
    }
}
