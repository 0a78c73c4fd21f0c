import Synchronization

/// The receiving end of one streamed body: buffers at most a window of chunks and grants
/// credit back to the sender as the consumer pulls.
///
/// The transport engine creates one per incoming body, feeds it with ``deliver(_:sequence:)``,
/// ``finish()`` and ``fail(_:)`` from the receive path, and hands the consumer
/// ``makeStream()``. The sender starts with `window` chunks of implicit credit; every
/// `window / 2` chunks pulled are granted back through `grant`, so no more than `window`
/// chunks are ever buffered here. A consumer that drops its stream unfinished, or that
/// waits longer than the idle timeout, abandons the body through `abandon`.
public final class ChunkReceiver: Sendable {
    private enum Phase {
        case open
        case ended
        case failed(TransportError)
    }

    private struct State {
        var buffer: [[UInt8]] = []
        var head = 0
        var phase = Phase.open
        var nextSequence: UInt32 = 0
        var consumedSinceGrant = 0
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var waitToken: UInt64 = 0
        var timer: DeadlineTimer.Handle?
        var abandoned = false
        var maxBuffered = 0

        var buffered: Int { buffer.count - head }

        mutating func pop() -> [UInt8] {
            let chunk = buffer[head]
            buffer[head] = []
            head += 1
            if head == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                head = 0
            }
            return chunk
        }

        /// Counts one consumed chunk; returns the credit to grant now (0 until a batch is full).
        mutating func countConsumed(batch: Int) -> Int {
            consumedSinceGrant += 1
            guard consumedSinceGrant >= batch else { return 0 }
            defer { consumedSinceGrant = 0 }
            return consumedSinceGrant
        }
    }

    private let state = Mutex(State())
    /// Chunks the sender may have outstanding; also the most this receiver ever buffers.
    public let window: Int
    private let grantBatch: Int
    private let idleTimeout: Duration
    private let deadlines: DeadlineTimer
    private let grant: @Sendable (Int) -> Void
    private let abandon: @Sendable (String) -> Void
    private let onBuffered: @Sendable (Int) -> Void

    /// - Parameters:
    ///   - grant: sends `.streamCredit` for that many chunks to the sender.
    ///   - abandon: tells the sender the receiver gave up (`.streamAbort` by receiver) and
    ///     forgets the stream; called at most once.
    ///   - deadlines: times the idle waits (the engine's timer, on its clock).
    ///   - onBuffered: reports the buffered count after each arrival (for statistics).
    public init(
        window: Int, idleTimeout: Duration, deadlines: DeadlineTimer,
        grant: @escaping @Sendable (Int) -> Void,
        abandon: @escaping @Sendable (String) -> Void,
        onBuffered: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.window = max(1, window)
        self.grantBatch = max(1, window / 2)
        self.idleTimeout = idleTimeout
        self.deadlines = deadlines
        self.grant = grant
        self.abandon = abandon
        self.onBuffered = onBuffered
    }

    /// The most chunks this receiver has held at once.
    public var maxBuffered: Int { state.withLock { $0.maxBuffered } }

    /// Chunks delivered so far (the next expected sequence number).
    public var delivered: UInt32 { state.withLock { $0.nextSequence } }

    /// Whether the body ended or failed.
    public var isFinished: Bool {
        state.withLock { if case .open = $0.phase { false } else { true } }
    }

    // MARK: Receive path (called by the engine)

    /// A chunk arrived. A chunk out of order or beyond the window breaks the protocol and
    /// fails the stream.
    public func deliver(_ chunk: [UInt8], sequence: UInt32) {
        var violation: String?
        var grantCount = 0
        var buffered = 0
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { state in
            guard case .open = state.phase else { return nil }
            guard sequence == state.nextSequence else {
                violation = "chunk \(sequence) when \(state.nextSequence) was expected"
                return nil
            }
            state.nextSequence &+= 1
            if let waiter = state.waiter {
                state.waiter = nil
                if let timer = state.timer { deadlines.cancel(timer) }
                state.timer = nil
                grantCount = state.countConsumed(batch: grantBatch)
                buffered = 1
                state.maxBuffered = max(state.maxBuffered, 1)
                return waiter
            }
            guard state.buffered < window else {
                violation = "more than \(window) chunks without credit"
                return nil
            }
            state.buffer.append(chunk)
            buffered = state.buffered
            state.maxBuffered = max(state.maxBuffered, buffered)
            return nil
        }
        if let violation {
            fail(.protocolViolation(violation))
            abandonOnce("protocol violation: \(violation)")
            return
        }
        if buffered > 0 { onBuffered(buffered) }
        waiter?.resume(returning: chunk)
        if grantCount > 0 { grant(grantCount) }
    }

    /// The sender sent `.streamEnd`: the consumer sees the end after the buffered chunks.
    public func finish() {
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { state in
            guard case .open = state.phase else { return nil }
            state.phase = .ended
            if let timer = state.timer { deadlines.cancel(timer) }
            state.timer = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The sender aborted, or the transport closed: the consumer's next pull throws.
    public func fail(_ error: TransportError) {
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { state in
            guard case .open = state.phase else { return nil }
            state.phase = .failed(error)
            state.buffer.removeAll()
            state.head = 0
            if let timer = state.timer { deadlines.cancel(timer) }
            state.timer = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
    }

    /// The consumer no longer wants the body (its handler returned, it dropped the stream):
    /// fails the stream locally and tells the sender, unless the body already finished.
    public func cancel(reason: String) {
        let wasOpen: Bool = state.withLock { state in
            if case .open = state.phase { return true }
            return false
        }
        guard wasOpen else { return }
        fail(.streamAborted(reason))
        abandonOnce(reason)
    }

    private func abandonOnce(_ reason: String) {
        let first: Bool = state.withLock { state in
            defer { state.abandoned = true }
            return !state.abandoned
        }
        if first { abandon(reason) }
    }

    // MARK: Consumer side

    /// The consumer's view of the body. Dropping it before the end abandons the body.
    public func makeStream() -> ChunkStream {
        let handle = ConsumerHandle(receiver: self)
        return ChunkStream { try await handle.next() }
    }

    /// The next chunk, nil at the end; waits (up to the idle timeout) when none is buffered.
    public func next() async throws -> [UInt8]? {
        enum Step { case chunk([UInt8], grant: Int), end, failed(TransportError), wait }
        let step: Step = state.withLock { state in
            if state.buffered > 0 {
                let chunk = state.pop()
                return .chunk(chunk, grant: state.countConsumed(batch: grantBatch))
            }
            switch state.phase {
            case .ended: return .end
            case .failed(let error): return .failed(error)
            case .open: return .wait
            }
        }
        switch step {
        case .chunk(let chunk, let grantCount):
            if grantCount > 0 { grant(grantCount) }
            return chunk
        case .end: return nil
        case .failed(let error): throw error
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                // Everything may have changed since the first look: a chunk that arrived in
                // between must be returned now, or a later one would overtake it.
                enum Outcome { case chunk([UInt8], grant: Int), end, failed(TransportError), waiting(UInt64) }
                let outcome: Outcome = state.withLock { state in
                    if state.buffered > 0 {
                        let chunk = state.pop()
                        return .chunk(chunk, grant: state.countConsumed(batch: grantBatch))
                    }
                    switch state.phase {
                    case .failed(let error): return .failed(error)
                    case .ended: return .end
                    case .open:
                        state.waitToken &+= 1
                        state.waiter = continuation
                        return .waiting(state.waitToken)
                    }
                }
                switch outcome {
                case .chunk(let chunk, let grantCount):
                    continuation.resume(returning: chunk)
                    if grantCount > 0 { grant(grantCount) }
                case .end: continuation.resume(returning: nil)
                case .failed(let error): continuation.resume(throwing: error)
                case .waiting(let token): startIdleTimer(token: token)
                }
            }
        } onCancel: {
            cancel(reason: "consumer cancelled")
        }
    }

    private func startIdleTimer(token: UInt64) {
        deadlines.schedule(after: idleTimeout, keptBy: { timer in
            state.withLock { state in
                guard state.waitToken == token, state.waiter != nil else { return false }
                state.timer = timer
                return true
            }
        }) { [weak self] in self?.expire(token: token) }
    }

    private func expire(token: UInt64) {
        let expired: Bool = state.withLock { state in
            state.waitToken == token && state.waiter != nil
        }
        if expired { cancel(reason: "stream idle for \(idleTimeout)") }
    }
}

/// Lives as long as the consumer's ``ChunkStream``: when the stream is dropped unfinished,
/// the body is abandoned so the sender stops instead of waiting for credit.
private final class ConsumerHandle: Sendable {
    let receiver: ChunkReceiver
    init(receiver: ChunkReceiver) { self.receiver = receiver }
    func next() async throws -> [UInt8]? { try await receiver.next() }
    deinit { receiver.cancel(reason: "body dropped by the consumer") }
}
