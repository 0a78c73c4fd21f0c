#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalCore

/// The bytes free and in all on the file system holding a path, from `statvfs`: free counts
/// what an unprivileged writer may still use (`f_bavail`), as Swift's `fs_has_free_space`
/// does. Reading it costs one system call and no disk I/O.
public struct DeviceSpace: Hashable, Sendable {
    public let available: Int
    public let total: Int

    /// The figures for `path`'s file system, nil when it cannot be asked.
    public static func of(_ path: String) -> DeviceSpace? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let unit = UInt64(stats.f_frsize)
        return DeviceSpace(available: Int(clamping: UInt64(stats.f_bavail) &* unit),
                           total: Int(clamping: UInt64(stats.f_blocks) &* unit))
    }
}

extension SpaceReserve {
    /// Whether `bytes` more may be written under `path` (true when the reserve is off or
    /// the file system cannot be asked: the write itself then says whether it fits).
    public func allows(writing bytes: Int, under path: String) -> Bool {
        guard !isDisabled, let space = DeviceSpace.of(path) else { return true }
        return allows(writing: bytes, available: space.available, total: space.total)
    }
}
