import ShoalCore
import Synchronization

/// One-shot deadlines on one clock, all served by a single task that sleeps until the
/// earliest of them. Every request a node makes has a timeout, and nearly every one is
/// answered long before it: a task per timeout cost a task, a timer in the dispatch
/// manager's heap, a wake-up of that thread, a cancellation and one more run of the task to
/// see it, per request; about 6 % of a 4 KiB PUT's CPU and 10 % of a DELETE's (measured with
/// the timeouts removed, docs/performance.md). Here scheduling is a heap insertion and
/// cancelling a dictionary removal, under one lock.
///
/// Cancelled deadlines leave the heap lazily (when they reach its top, or when cancelled ones
/// outnumber live ones and the heap is rebuilt). An action runs once, on the timer's task,
/// never under its lock; it must not block. Works on any clock, so the simulation's and the
/// tests' manual clocks drive timeouts as before.
public final class DeadlineTimer: Sendable {
    /// Names one scheduled deadline, for ``cancel(_:)``.
    public struct Handle: Hashable, Sendable {
        fileprivate let id: UInt64
    }

    private let queue: DeadlineQueue

    public init(clock: any Clock<Duration>) {
        queue = DeadlineQueue(clock: clock)
    }

    /// Runs `action` once `delay` has passed on the clock, unless cancelled first.
    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> Handle {
        Handle(id: queue.schedule(after: delay, action))
    }

    /// Schedules `action` and hands its handle to `keep`, which stores it (under its owner's
    /// lock) and returns true, or returns false when the wait it times is already over: then
    /// the deadline is cancelled at once.
    public func schedule(after delay: Duration, keptBy keep: (Handle) -> Bool,
                         _ action: @escaping @Sendable () -> Void) {
        let handle = schedule(after: delay, action)
        if !keep(handle) { cancel(handle) }
    }

    /// Forgets a deadline; its action will not run (one already running is not stopped).
    public func cancel(_ handle: Handle) {
        queue.cancel(handle.id)
    }

    /// Deadlines scheduled and neither run nor cancelled.
    public var pendingCount: Int { queue.pendingCount }

    /// Drops every deadline without running it and stops the task; later schedules do nothing.
    public func shutdown() {
        queue.shutdown()
    }
}

/// The deadlines, kept as durations since the queue was made. The clock is reached only
/// through the two closures made in `init`, so the heap and the table hold concrete values,
/// compared and moved directly. A queue generic over its clock looks up generic metadata
/// and calls through witness tables for each comparison and swap; on a request's path that
/// was most of its cost (perf).
private final class DeadlineQueue: Sendable {
    /// A heap entry; the id breaks ties, so equal deadlines fire in the order scheduled.
    struct Entry: Comparable, Sendable {
        let deadline: Duration
        let id: UInt64

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline < rhs.deadline || (lhs.deadline == rhs.deadline && lhs.id < rhs.id)
        }
    }

    struct Scheduled: Sendable {
        let deadline: Duration
        let action: @Sendable () -> Void
    }

    struct State: Sendable {
        var heap = MinHeap<Entry>()
        /// The live deadlines: those in the heap but not here were cancelled.
        var scheduled: [UInt64: Scheduled] = [:]
        var lastID: UInt64 = 0
        /// What the driving task sleeps until; nil when no task drives.
        var armed: Duration?
        /// Bumped when a new task takes over (an earlier deadline came); an older task stops.
        var generation: UInt64 = 0
        var driver: Task<Void, Never>?
        var closed = false
    }

    /// The clock's time since the queue was made.
    let now: @Sendable () -> Duration
    /// Sleeps on the clock until `now()` reaches the given time.
    let sleep: @Sendable (Duration) async throws -> Void
    let state = Mutex(State())

    init<C: Clock<Duration>>(clock: C) {
        let origin = clock.now
        now = { origin.duration(to: clock.now) }
        sleep = { try await clock.sleep(until: origin.advanced(by: $0), tolerance: nil) }
    }

    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> UInt64 {
        let deadline = now() + delay
        let (id, takeover): (UInt64, UInt64?) = state.withLock { state in
            state.lastID += 1
            let id = state.lastID
            guard !state.closed else { return (id, nil) }
            state.scheduled[id] = Scheduled(deadline: deadline, action: action)
            state.heap.insert(Entry(deadline: deadline, id: id))
            if let armed = state.armed, armed <= deadline { return (id, nil) }
            // Nothing drives yet, or the driver sleeps past this deadline: a new one takes over.
            state.generation += 1
            state.armed = deadline
            state.driver?.cancel()
            state.driver = nil
            return (id, state.generation)
        }
        if let takeover { startDriver(generation: takeover) }
        return id
    }

    func cancel(_ id: UInt64) {
        state.withLock { state in
            guard state.scheduled.removeValue(forKey: id) != nil else { return }
            if state.heap.count > 2 * state.scheduled.count + 1024 {
                state.heap = MinHeap(state.scheduled.map { Entry(deadline: $0.value.deadline, id: $0.key) })
            }
        }
    }

    var pendingCount: Int { state.withLock { $0.scheduled.count } }

    func shutdown() {
        let driver: Task<Void, Never>? = state.withLock { state in
            state.closed = true
            state.scheduled = [:]
            state.heap = MinHeap()
            state.armed = nil
            defer { state.driver = nil }
            return state.driver
        }
        driver?.cancel()
    }

    private func startDriver(generation: UInt64) {
        let driver = Task { await self.drive(generation: generation) }
        let kept = state.withLock { state in
            guard state.generation == generation, !state.closed else { return false }
            state.driver = driver
            return true
        }
        if !kept { driver.cancel() }
    }

    /// Runs what is due, then sleeps until the next deadline, until none is left or a newer
    /// driver takes over.
    private func drive(generation: UInt64) async {
        while true {
            let current = now()
            var due: [@Sendable () -> Void] = []
            let next: Duration? = state.withLock { state in
                guard state.generation == generation, !state.closed else { return nil }
                while let top = state.heap.min {
                    guard let scheduled = state.scheduled[top.id] else {
                        state.heap.popMin()  // cancelled
                        continue
                    }
                    guard top.deadline <= current else { break }
                    state.heap.popMin()
                    state.scheduled[top.id] = nil
                    due.append(scheduled.action)
                }
                state.armed = state.heap.min?.deadline
                if state.armed == nil { state.driver = nil }
                return state.armed
            }
            for action in due { action() }
            guard let next else { return }
            do { try await sleep(next) } catch { return }
        }
    }
}
