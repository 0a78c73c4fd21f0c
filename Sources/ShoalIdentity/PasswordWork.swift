import Dispatch
import Foundation
import ShoalKeystoneAPI
import Synchronization

/// Password hashing off Swift's cooperative pool. One PBKDF2 check at the default 600,000
/// rounds is about a third of a second of one core; run on the pool, whose width is the
/// core count, two logins at once would hold every thread of a two-core node and stall
/// its object traffic (the pool serves both). Here the work runs on serial dispatch
/// queues, whose threads are not the pool's, one fewer than the cores (at least one), so
/// hashing can never take every core; a task waiting for it gives its pool thread back.
enum PasswordWork {
    private static let queues: [DispatchQueue] = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount - 1)).map {
        DispatchQueue(label: "shoal-password-\($0)")
    }
    private static let next = Atomic<Int>(0)

    /// Runs `work` on one of the password queues and returns its result.
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        let queue = queues[next.wrappingAdd(1, ordering: .relaxed).oldValue % queues.count]
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }

    /// ``PasswordHash/verify(_:against:)`` off the pool.
    static func verify(_ password: String, against stored: String) async -> Bool {
        await run { PasswordHash.verify(password, against: stored) }
    }

    /// ``PasswordHash/make(_:salt:rounds:)`` off the pool.
    static func make(_ password: String, salt: [UInt8], rounds: Int) async -> String {
        await run { PasswordHash.make(password, salt: salt, rounds: rounds) }
    }
}
