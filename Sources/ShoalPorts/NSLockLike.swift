import Synchronization

/// A plain mutual-exclusion lock for the small critical sections of adapters.
/// (Wraps the standard library's `Mutex` so that classes can hold one as a stored property.)
final class NSLockLike: Sendable {
    private let mutex = Mutex<Void>(())

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        try mutex.withLock { _ in try body() }
    }
}
