import Synchronization

/// The sending end of one streamed body: counts the chunks the receiver still allows.
///
/// The transport engine creates one per outgoing body with the initial window both ends
/// agree on; the pump calls ``acquire()`` before each chunk and suspends at zero credit;
/// the engine calls ``grant(_:)`` when a `.streamCredit` arrives and ``fail(_:)`` when the
/// receiver aborts or the transport closes. A pump that waits longer than the idle timeout
/// fails with `.streamAborted`.
public final class CreditGate: Sendable {
    private struct State {
        var credit: Int
        var waiter: CheckedContinuation<Void, any Error>?
        var waitToken: UInt64 = 0
        var failure: TransportError?
        var timer: DeadlineTimer.Handle?
    }

    private let state: Mutex<State>
    private let idleTimeout: Duration
    private let deadlines: DeadlineTimer

    /// `deadlines` times the idle waits (the engine's timer, on its clock).
    public init(initialCredit: Int, idleTimeout: Duration, deadlines: DeadlineTimer) {
        state = Mutex(State(credit: initialCredit))
        self.idleTimeout = idleTimeout
        self.deadlines = deadlines
    }

    /// The receiver allowed `count` more chunks.
    public func grant(_ count: Int) {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard state.failure == nil else { return nil }
            state.credit += count
            guard state.credit > 0, let waiter = state.waiter else { return nil }
            state.credit -= 1
            state.waiter = nil
            if let timer = state.timer { deadlines.cancel(timer) }
            state.timer = nil
            return waiter
        }
        waiter?.resume()
    }

    /// The stream is over (aborted by the receiver, or the transport closed): every wait fails.
    public func fail(_ error: TransportError) {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            if state.failure == nil { state.failure = error }
            if let timer = state.timer { deadlines.cancel(timer) }
            state.timer = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
    }

    /// Why the gate failed, if it did.
    public var failure: TransportError? { state.withLock { $0.failure } }

    /// Takes one chunk of credit, waiting for a grant when there is none.
    public func acquire() async throws(TransportError) {
        let ready: Result<Bool, TransportError> = state.withLock { state in
            if let failure = state.failure { return .failure(failure) }
            if state.credit > 0 {
                state.credit -= 1
                return .success(true)
            }
            return .success(false)
        }
        switch ready {
        case .failure(let error): throw error
        case .success(true): return
        case .success(false): break
        }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let outcome: Result<UInt64?, TransportError> = state.withLock { state in
                        if let failure = state.failure { return .failure(failure) }
                        if state.credit > 0 {
                            state.credit -= 1
                            return .success(nil)
                        }
                        state.waitToken &+= 1
                        state.waiter = continuation
                        return .success(state.waitToken)
                    }
                    switch outcome {
                    case .failure(let error): continuation.resume(throwing: error)
                    case .success(nil): continuation.resume()
                    case .success(.some(let token)): startIdleTimer(token: token)
                    }
                }
            } onCancel: {
                fail(.streamAborted("sender cancelled"))
            }
        } catch let error as TransportError {
            throw error
        } catch {
            throw .streamAborted("\(error)")
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
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard state.waitToken == token, let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.timer = nil
            state.failure = .streamAborted("no credit for \(idleTimeout)")
            return waiter
        }
        waiter?.resume(throwing: TransportError.streamAborted("no credit for \(idleTimeout)"))
    }
}
