import Foundation

/// What this machine offers, advertised in gossip for the scheduler and status pages.
public enum HostResources {
    public static func current(dataDirectory: String) -> [String: Int64] {
        var resources: [String: Int64] = [
            "cpus": Int64(ProcessInfo.processInfo.activeProcessorCount),
            "memory_bytes": Int64(clamping: ProcessInfo.processInfo.physicalMemory),
        ]
        var stats = statvfs()
        if statvfs(dataDirectory, &stats) == 0 {
            resources["disk_free_bytes"] = Int64(clamping: UInt64(stats.f_bavail) &* UInt64(stats.f_frsize))
            resources["disk_total_bytes"] = Int64(clamping: UInt64(stats.f_blocks) &* UInt64(stats.f_frsize))
        }
        return resources
    }
}
