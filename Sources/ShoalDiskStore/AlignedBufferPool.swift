#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Page-aligned buffers for direct reads, handed back after use and kept for the next
/// one. Reuse is the point: memory the process already holds is cheap to touch, while a
/// fresh allocation of this size is fresh pages from the kernel each time (on a VM that
/// returns freed memory to its host, each page then costs the host a fault too).
/// Keeps at most `keep` buffers; more are made when needed and freed when returned.
final class AlignedBufferPool: Sendable {
    /// Bytes in each buffer.
    let size: Int
    let alignment: Int
    let keep: Int
    /// Addresses of the idle buffers.
    private let idle = Mutex<[UInt]>([])

    init(size: Int, alignment: Int = PosixFile.directAlignment, keep: Int = 16) {
        self.size = size
        self.alignment = alignment
        self.keep = keep
    }

    deinit {
        for address in idle.withLock({ $0 }) { free(UnsafeMutableRawPointer(bitPattern: address)) }
    }

    /// An idle buffer, or a new one.
    func take() -> UnsafeMutableRawBufferPointer {
        if let address = idle.withLock({ $0.popLast() }), let pointer = UnsafeMutableRawPointer(bitPattern: address) {
            return UnsafeMutableRawBufferPointer(start: pointer, count: size)
        }
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, alignment, size) == 0, let pointer else {
            fatalError("out of memory for a \(size)-byte aligned buffer")
        }
        return UnsafeMutableRawBufferPointer(start: pointer, count: size)
    }

    /// Returns a buffer from ``take()``; it must not be used afterwards.
    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let pointer = buffer.baseAddress else { return }
        let kept = idle.withLock { idle in
            guard idle.count < keep else { return false }
            idle.append(UInt(bitPattern: pointer))
            return true
        }
        if !kept { free(pointer) }
    }

    /// How many buffers wait for reuse.
    var idleCount: Int { idle.withLock { $0.count } }
}
