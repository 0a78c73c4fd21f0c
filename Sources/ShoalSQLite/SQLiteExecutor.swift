import Foundation
import ShoalPorts
import Synchronization

/// A serial executor backed by one dedicated thread, for actors whose every method may
/// block on the disk (SQLite calls, fsync). Running them here keeps Swift's cooperative
/// pool — two threads on a two-core machine — free for everything else.
///
/// Created by the service that owns the databases (a handful per node, one per device is a
/// good start) and handed to each ``ContainerBroker`` and ``AccountBroker``; many brokers
/// share one executor and run one job at a time on it. Call ``shutdown()`` when the
/// brokers are done; the thread finishes the queued jobs first.
public final class SQLiteExecutor: SerialExecutor, Sendable {
    private struct Queue {
        var jobs: [UnownedJob] = []
        var stopping = false
    }

    private let queue = Mutex(Queue())
    private let wakeup = NSCondition()
    /// The thread's name, for debuggers and logs.
    public let name: String

    public init(name: String = "shoal-sqlite") {
        self.name = name
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        wakeup.lock()
        let accepted = queue.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.jobs.append(unowned)
            return true
        }
        wakeup.signal()
        wakeup.unlock()
        precondition(accepted, "job enqueued on SQLiteExecutor \(name) after shutdown")
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish what is queued, then end. Jobs enqueued later trap.
    public func shutdown() {
        wakeup.lock()
        queue.withLock { $0.stopping = true }
        wakeup.signal()
        wakeup.unlock()
    }

    private func run() {
        ThreadName.setCurrent(name)
        while true {
            wakeup.lock()
            var batch: [UnownedJob] = []
            var stop = false
            while true {
                (batch, stop) = queue.withLock { state in
                    defer { state.jobs.removeAll(keepingCapacity: true) }
                    return (state.jobs, state.stopping)
                }
                if !batch.isEmpty || stop { break }
                wakeup.wait()
            }
            wakeup.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            if stop && batch.isEmpty { return }
        }
    }
}
