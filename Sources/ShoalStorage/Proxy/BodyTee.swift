import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Copies a client's request body to every target of a write at once (Swift's PUT
/// fan-out): each chunk goes into each live target's ``BoundedChunkQueue``. A target
/// whose queue stays full for `stallTimeout` (Swift's `node_timeout` on a chunk write) or
/// whose request ended is dropped; the rest go on. Memory stays at `depth` chunks per target.
/// It does not hash the body: every object server computes the MD5 of what it stores, and
/// the proxy answers the ETag they agree on, as Swift's proxy does.
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

    /// Runs the copy; on any outcome but `.completed` every queue has been failed.
    func run(_ source: ChunkStream) async -> Outcome {
        var total: Int64 = 0
        do {
            for try await chunk in source {
                total += Int64(chunk.count)
                if total > maximumBytes { return abort(.rejected(.requestTooLarge)) }
                if let expectedBytes, total > expectedBytes {
                    return abort(.rejected(.badRequest("Body larger than Content-Length")))
                }
                for queue in queues where queue.isOpen {
                    await push(chunk, to: queue)
                }
                if queues.filter(\.isOpen).count < minimumLive { return abort(.tooFewTargets) }
            }
        } catch {
            return abort(.clientFailed("\(error)"))
        }
        if let expectedBytes, total < expectedBytes { return abort(.clientFailed("body ended after \(total) of \(expectedBytes) bytes")) }
        for queue in queues { queue.finish() }
        return .completed(bytes: total)
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
