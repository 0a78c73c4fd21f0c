#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ShoalPorts

/// Group commit for one device: every writer that needs what it wrote to be durable calls
/// ``sync()``, and one flush of the whole file system (`syncfs(2)`) serves all the writers
/// waiting at the time. A writer only counts a flush that *started* after it called, so
/// nothing is acknowledged before its bytes are on stable storage; while a flush runs, the
/// writers arriving meanwhile gather for the next one. Under concurrent PUTs this turns three
/// or more fsyncs per object (data, its directory, the parents of new directories) into two
/// flushes per batch.
///
/// Blocking: called from ``DiskIO`` threads, never from the cooperative pool.
final class GroupSync: @unchecked Sendable {
    /// The flush itself: 0, or an errno (tests pass a scripted one).
    typealias Flush = @Sendable () -> Int32

    private let flush: Flush
    private let condition = NSCondition()
    /// Flushes begun and ended; flush number n is the n-th begun.
    private var started: UInt64 = 0
    private var finished: UInt64 = 0
    private var running = false
    /// Flushes that failed, with their errno (the recent ones).
    private var failures: [UInt64: Int32] = [:]

    init(flush: @escaping Flush) {
        self.flush = flush
    }

    /// A flush of the file system holding `path` (a directory kept open for the store's life).
    static func fileSystemFlush(of path: String) throws(ObjectStoreError) -> Flush {
        let fd = try PosixFile.openFile(path, flags: O_RDONLY | O_DIRECTORY)
        if let syncfs = Self.syncfs {
            return { syncfs(fd) == 0 ? 0 : errno }
        }
        return { fsync(fd) == 0 ? 0 : errno }  // no syncfs: the directory alone, as a last resort
    }

    /// glibc's `syncfs`, which its headers declare only under `_GNU_SOURCE`.
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    /// Returns once a flush that began after this call has ended; throws if it failed.
    func sync() throws(ObjectStoreError) {
        condition.lock()
        defer { condition.unlock() }
        let needed = started + 1
        while finished < needed {
            if running {
                condition.wait()
                continue
            }
            running = true
            started += 1
            let number = started
            condition.unlock()
            let result = flush()
            condition.lock()
            running = false
            finished = number
            if result != 0 {
                failures[number] = result
                if failures.count > 64, let oldest = failures.keys.min() { failures[oldest] = nil }
            }
            condition.broadcast()
        }
        if let code = failures[needed] {
            throw ObjectStoreError.io(operation: "syncfs", errno: code)
        }
    }
}
