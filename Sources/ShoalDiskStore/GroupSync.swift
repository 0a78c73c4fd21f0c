#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ShoalPorts

/// Group commit for one device. A writer that needs what it wrote to be durable calls
/// ``sync(own:)``. Alone, it flushes just its own file or directories (`own`: fdatasync,
/// fsync), as cheap as ever for a sequential writer such as the replicator. When others are
/// flushing at the same time, it joins a group instead: one flush of the whole file system
/// (`syncfs(2)`) serves every writer waiting. A writer only counts a group flush that
/// *started* after it called, so nothing is acknowledged before its bytes are on stable
/// storage; while a flush runs, the writers arriving meanwhile gather for the next one. Under
/// concurrent PUTs this turns three or more fsyncs per object (data, its directory, the
/// parents of new directories) into one flush per batch.
///
/// A finished flush wakes only the writers it covers, and one writer of the next group to
/// lead it: the writers that arrived while it ran sleep on until their own flush is done
/// (waiters of flush n wait on the condition of n's parity; only two groups ever wait).
///
/// Blocking: called from ``DiskIO`` threads, never from the cooperative pool.
final class GroupSync: @unchecked Sendable {
    /// The flush itself: 0, or an errno (tests pass a scripted one).
    typealias Flush = @Sendable () -> Int32

    private let flush: Flush
    /// Replaces every lone writer's own flush when set (tests script failures through it).
    private let alone: Flush?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Writers waiting for flush n wait on `groups[n % 2]`.
    private let groups = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 2)
    /// Flushes begun and ended; flush number n is the n-th begun.
    private var started: UInt64 = 0
    private var finished: UInt64 = 0
    private var running = false
    /// A writer is flushing only its own files right now.
    private var someoneAlone = false
    /// Flushes that failed, with their errno (the recent ones).
    private var failures: [UInt64: Int32] = [:]

    init(flush: @escaping Flush, alone: Flush? = nil) {
        self.flush = flush
        self.alone = alone
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(groups, nil)
        pthread_cond_init(groups + 1, nil)
    }

    deinit {
        pthread_cond_destroy(groups)
        pthread_cond_destroy(groups + 1)
        pthread_mutex_destroy(mutex)
        groups.deallocate()
        mutex.deallocate()
    }

    private func group(_ number: UInt64) -> UnsafeMutablePointer<pthread_cond_t> { groups + Int(number % 2) }

    /// A flush of the file system holding `path`, through a descriptor of that directory kept
    /// open as long as the flush exists.
    static func fileSystemFlush(of path: String) throws(ObjectStoreError) -> Flush {
        let directory = try OpenDirectory(path)
        if let syncfs = Self.syncfs {
            return { syncfs(directory.fd) == 0 ? 0 : errno }
        }
        return { fsync(directory.fd) == 0 ? 0 : errno }  // no syncfs: the directory alone, as a last resort
    }

    /// A directory descriptor closed when the last flush using it goes away.
    private final class OpenDirectory: Sendable {
        let fd: Int32

        init(_ path: String) throws(ObjectStoreError) {
            fd = try PosixFile.openFile(path, flags: O_RDONLY | O_DIRECTORY)
        }

        deinit { PosixFile.closeFile(fd) }
    }

    /// glibc's `syncfs`, which its headers declare only under `_GNU_SOURCE`.
    private static let syncfs = PosixFile.cFunction(named: "syncfs", as: (@convention(c) (Int32) -> Int32).self)

    /// Returns once what this writer wrote is durable: through `own` (0 or an errno) when no
    /// other writer is flushing, otherwise through a group flush that began after this call.
    func sync(own: () -> Int32) throws(ObjectStoreError) {
        pthread_mutex_lock(mutex)
        if !running, !someoneAlone {
            someoneAlone = true
            pthread_mutex_unlock(mutex)
            let result = alone?() ?? own()
            pthread_mutex_lock(mutex)
            someoneAlone = false
            pthread_mutex_unlock(mutex)
            if result != 0 { throw ObjectStoreError.io(operation: "fsync", errno: result) }
            return
        }
        defer { pthread_mutex_unlock(mutex) }
        let needed = started + 1
        while finished < needed {
            if running {
                pthread_cond_wait(group(needed), mutex)
                continue
            }
            // Leading: nothing runs, so this is flush `needed` (started == finished).
            running = true
            started += 1
            let number = started
            pthread_mutex_unlock(mutex)
            let result = flush()
            pthread_mutex_lock(mutex)
            running = false
            finished = number
            if result != 0 {
                failures[number] = result
                if failures.count > 64, let oldest = failures.keys.min() { failures[oldest] = nil }
            }
            pthread_cond_broadcast(group(number))
            pthread_cond_signal(group(number + 1))
        }
        if let code = failures[needed] {
            throw ObjectStoreError.io(operation: "syncfs", errno: code)
        }
    }
}

extension ObjectStoreError {
    /// The system error behind an I/O failure.
    var errno: Int32? {
        if case .io(_, let code) = self { return code }
        return nil
    }
}
