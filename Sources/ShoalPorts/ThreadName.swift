#if canImport(Glibc)
import Glibc
#endif

/// Names the calling OS thread, for `top -H`, `perf` and debuggers. Foundation's
/// `Thread.name` does not reach the OS thread, which keeps its creator's name (a
/// cooperative-pool thread's), so the adapters' own threads (the SQLite executor, the
/// ZeroMQ loop) call this first thing.
public enum ThreadName {
    /// Sets the calling thread's name to the first 15 bytes of `name` (Linux's limit).
    public static func setCurrent(_ name: String) {
        #if canImport(Glibc)
        var bytes = Array(name.utf8.prefix(15))
        bytes.append(0)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = setName?(pthread_self(), $0.baseAddress!) }
        }
        #endif
    }

    #if canImport(Glibc)
    /// glibc's `pthread_setname_np`, which its headers declare only under `_GNU_SOURCE`.
    private static let setName: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32)? = {
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "pthread_setname_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32).self)
    }()
    #endif
}
