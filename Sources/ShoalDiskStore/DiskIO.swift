import NIOPosix

/// Where the disk adapters run their blocking system calls: a pool of threads apart from
/// Swift's cooperative pool, so an fsync never stalls other tasks. Many threads let
/// concurrent writes share ext4 journal commits (group commit). Created by the stores;
/// one shared pool per process unless a caller passes its own.
public final class DiskIO: Sendable {
    private let pool: NIOThreadPool

    /// A started pool of `threads` threads. Shut it down with ``shutdown()`` when done.
    public init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// The process-wide pool (16 threads), started on first use and never stopped.
    public static let shared = DiskIO(threads: 16)

    /// Runs `body` on a pool thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Stops the threads once queued work is done.
    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
