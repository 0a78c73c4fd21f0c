import ShoalPorts
import Synchronization

/// A few chunks of a request body on their way to one backend target: the proxy's tee
/// pushes each client chunk into every target's queue, and the transport pulls the queue
/// as that target's request body. Memory per target is bounded by `depth` chunks (Swift's
/// `put_queue_depth`). Either side may end it: the producer finishes or fails it, the
/// consumer side closes it when the target answered or failed, so a push never waits on
/// a target that is gone.
final class BoundedChunkQueue: Sendable {
    enum PushResult: Equatable { case accepted, closed }

    private struct State {
        var buffer: [[UInt8]] = []
        var finished = false
        var failure: String?
        var closed = false
        var consumer: CheckedContinuation<[UInt8]?, any Error>?
        var producer: CheckedContinuation<PushResult, Never>?
        var highWater = 0
        var onFail: (@Sendable () -> Void)?
    }

    struct Failed: Error, CustomStringConvertible {
        let reason: String
        var description: String { "body aborted: \(reason)" }
    }

    let depth: Int
    private let state: Mutex<State>

    init(depth: Int) {
        self.depth = max(1, depth)
        state = Mutex(State())
    }

    /// The most chunks ever buffered at once.
    var highWater: Int { state.withLock { $0.highWater } }
    var isOpen: Bool { state.withLock { !$0.closed && $0.failure == nil } }

    /// Adds a chunk if there is room now: nil when the queue is full.
    func tryPush(_ chunk: [UInt8]) -> PushResult? {
        state.withLock { state in
            if state.closed || state.failure != nil { return .closed }
            if let consumer = state.consumer {
                state.consumer = nil
                consumer.resume(returning: chunk)
                return .accepted
            }
            if state.buffer.count < depth {
                state.buffer.append(chunk)
                state.highWater = max(state.highWater, state.buffer.count)
                return .accepted
            }
            return nil
        }
    }

    /// Adds a chunk, waiting while the queue is full; `.closed` once the target is gone.
    func push(_ chunk: [UInt8]) async -> PushResult {
        if let immediate = tryPush(chunk) { return immediate }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<PushResult, Never>) in
            let ready: PushResult? = state.withLock { state in
                if state.closed || state.failure != nil { return .closed }
                if state.buffer.count < depth { return .accepted }
                state.producer = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        guard result == .accepted else { return .closed }
        return await push(chunk)
    }

    /// No more chunks: the consumer sees the end once the buffer drains.
    func finish() {
        let consumer = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            state.finished = true
            guard state.buffer.isEmpty else { return nil }
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: nil)
    }

    /// Aborts the body: the consumer's next pull throws, a waiting push returns `.closed`,
    /// and the abort hook runs (once).
    func fail(_ reason: String) {
        let (consumer, producer, hook) = state.withLock { state in
            if state.failure == nil { state.failure = reason }
            state.buffer.removeAll()
            defer { state.consumer = nil; state.producer = nil; state.onFail = nil }
            return (state.consumer, state.producer, state.onFail)
        }
        consumer?.resume(throwing: Failed(reason: reason))
        producer?.resume(returning: .closed)
        hook?()
    }

    /// Runs `hook` when the body is aborted (at once if it already was): the proxy cancels
    /// that target's request, so a dropped target does not hold the write until its timeout.
    func onFail(_ hook: @escaping @Sendable () -> Void) {
        let already = state.withLock { state -> Bool in
            if state.failure != nil { return true }
            state.onFail = hook
            return false
        }
        if already { hook() }
    }

    /// The consumer is done (the target answered or failed): pushes stop waiting for it.
    func close() {
        let (consumer, producer) = state.withLock { state in
            state.closed = true
            state.buffer.removeAll()
            defer { state.consumer = nil; state.producer = nil; state.onFail = nil }
            return (state.consumer, state.producer)
        }
        consumer?.resume(throwing: Failed(reason: "closed"))
        producer?.resume(returning: .closed)
    }

    /// The next chunk, nil at the end; throws when the body was aborted.
    func next() async throws -> [UInt8]? {
        enum Immediate { case chunk([UInt8]), end, failed(String) }
        let immediate: Immediate? = state.withLock { state in
            if let failure = state.failure { return .failed(failure) }
            if state.closed { return .failed("closed") }
            if !state.buffer.isEmpty { return .chunk(state.buffer.removeFirst()) }
            if state.finished { return .end }
            return nil
        }
        switch immediate {
        case .chunk(let chunk):
            wakeProducer()
            return chunk
        case .end: return nil
        case .failed(let reason): throw Failed(reason: reason)
        case nil: break
        }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
            let ready: Immediate? = state.withLock { state in
                if let failure = state.failure { return .failed(failure) }
                if state.closed { return .failed("closed") }
                if !state.buffer.isEmpty { return .chunk(state.buffer.removeFirst()) }
                if state.finished { return .end }
                state.consumer = continuation
                return nil
            }
            switch ready {
            case .chunk(let chunk):
                wakeProducer()
                continuation.resume(returning: chunk)
            case .end: continuation.resume(returning: nil)
            case .failed(let reason): continuation.resume(throwing: Failed(reason: reason))
            case nil: wakeProducer()
            }
        }
    }

    private func wakeProducer() {
        let producer = state.withLock { state -> CheckedContinuation<PushResult, Never>? in
            defer { state.producer = nil }
            return state.producer
        }
        producer?.resume(returning: .accepted)
    }

    /// The queue as a request body.
    var stream: ChunkStream { ChunkStream { [self] in try await self.next() } }
}
