import CZeroMQ
import Glibc
import ShoalCore
import ShoalPorts
import Synchronization

/// One message on its way to the I/O thread.
struct OutboundMessage: Sendable {
    let envelope: Envelope
    let payload: [UInt8]
    let destination: WireDestination
}

/// The bounded, locked hand-off from Swift tasks to the I/O thread of a
/// ``ZeroMQTransport``: producers append and wake the thread through an eventfd; the
/// thread drains everything at once. Producers suspend only when the queue is full
/// (by count or bytes), never on an ordinary send.
final class OutboundQueue: Sendable {
    private struct Waiter {
        let message: OutboundMessage
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var items: [OutboundMessage] = []
        var bytes = 0
        var waiters: [Waiter] = []
        var waiterHead = 0
        var closed = false
    }

    private let state = Mutex(State())
    /// Readable by the I/O thread's `zmq_poll` whenever the queue went from empty to not.
    let eventFD: Int32
    private let maxMessages: Int
    private let maxBytes: Int

    init(maxMessages: Int, maxBytes: Int) {
        self.maxMessages = max(1, maxMessages)
        self.maxBytes = max(1, maxBytes)
        eventFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit { close(eventFD) }

    private func hasRoom(_ state: State, for message: OutboundMessage) -> Bool {
        state.items.isEmpty
            || (state.items.count < maxMessages && state.bytes + message.payload.count <= maxBytes)
    }

    /// Appends without waiting; `force` ignores the bound. False when closed or full.
    func post(_ message: OutboundMessage, force: Bool) -> Bool {
        let (accepted, wake): (Bool, Bool) = state.withLock { state in
            guard !state.closed else { return (false, false) }
            guard force || (state.waiters.count == state.waiterHead && hasRoom(state, for: message)) else {
                return (false, false)
            }
            state.items.append(message)
            state.bytes += message.payload.count
            return (true, state.items.count == 1)
        }
        if wake { self.wake() }
        return accepted
    }

    /// Appends, suspending while the queue is full. False when closed.
    func deliver(_ message: OutboundMessage) async -> Bool {
        if post(message, force: false) { return true }
        return await withCheckedContinuation { continuation in
            let outcome: Bool? = state.withLock { state in
                guard !state.closed else { return false }
                if state.waiters.count == state.waiterHead && hasRoom(state, for: message) {
                    state.items.append(message)
                    state.bytes += message.payload.count
                    return true
                }
                state.waiters.append(Waiter(message: message, continuation: continuation))
                return nil
            }
            if let outcome {
                if outcome { wake() }
                continuation.resume(returning: outcome)
            }
        }
    }

    /// Called by the I/O thread: takes everything queued, then admits waiting producers
    /// into the emptied queue in the order they arrived.
    func drain(into batch: inout [OutboundMessage]) {
        var admitted: [CheckedContinuation<Bool, Never>] = []
        state.withLock { state in
            swap(&batch, &state.items)
            state.bytes = 0
            while state.waiterHead < state.waiters.count {
                let waiter = state.waiters[state.waiterHead]
                guard hasRoom(state, for: waiter.message) else { break }
                state.items.append(waiter.message)
                state.bytes += waiter.message.payload.count
                admitted.append(waiter.continuation)
                state.waiterHead += 1
            }
            if state.waiterHead == state.waiters.count {
                state.waiters.removeAll(keepingCapacity: true)
                state.waiterHead = 0
            }
        }
        for continuation in admitted { continuation.resume(returning: true) }
        if !admitted.isEmpty { wake() }
    }

    /// Stops accepting; waiting producers get false. The I/O thread sees `isClosed` on wake.
    func shutdown() {
        let waiters: [Waiter] = state.withLock { state in
            state.closed = true
            defer {
                state.waiters.removeAll()
                state.waiterHead = 0
            }
            return Array(state.waiters[state.waiterHead...])
        }
        for waiter in waiters { waiter.continuation.resume(returning: false) }
        wake()
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    func wake() { eventfd_write(eventFD, 1) }

    /// Called by the I/O thread after `zmq_poll` says the eventfd is readable.
    func acknowledgeWake() {
        var value: eventfd_t = 0
        eventfd_read(eventFD, &value)
    }
}
