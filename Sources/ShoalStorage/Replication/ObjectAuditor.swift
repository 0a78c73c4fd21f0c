import Logging
import Metrics
import ShoalCore
import ShoalPorts

/// OpenStack Swift's object auditor: re-reads every object on this node's devices at a
/// bounded rate and checks its body against the stored MD5 and length. A bad replica goes
/// to quarantine (``ObjectStore/audit(_:inPartition:)``), which drops it from its
/// partition's hashes, so the next replication pass restores a good copy from a peer. GETs
/// check whole bodies too; the auditor finds rot in objects nobody reads.
public final class ObjectAuditor: Sendable {
    /// What one sweep found.
    public struct Sweep: Hashable, Sendable {
        public var objects = 0
        public var bytes = 0
        public var quarantined = 0
        public var errors = 0

        public init() {}
    }

    let devices: [DeviceID: any ObjectStore]
    /// Bytes per second the auditor reads at most (Swift's `bytes_per_second`).
    let bytesPerSecond: Int
    /// Objects per second it audits at most (Swift's `files_per_second`): with small
    /// objects the byte rate alone would let it open thousands of files a second.
    let filesPerSecond: Int
    let clock: any Clock<Duration>
    let logger: Logger
    private let quarantines = Counter(label: "shoal_auditor_quarantined_total")
    private let bytesAudited = Counter(label: "shoal_auditor_bytes_total")

    public init(server: ObjectServer, bytesPerSecond: Int = 10 << 20, filesPerSecond: Int = 20,
                clock: any Clock<Duration> = ContinuousClock(), logger: Logger) {
        devices = server.devices
        self.bytesPerSecond = max(1, bytesPerSecond)
        self.filesPerSecond = max(1, filesPerSecond)
        self.clock = clock
        self.logger = logger
    }

    /// One sweep over every object of every local device, paced to the byte rate.
    @discardableResult
    public func runOnce() async -> Sweep {
        var sweep = Sweep()
        let elapsed = Self.stopwatch(clock)
        for (device, store) in devices.sorted(by: { $0.key < $1.key }) {
            do {
                for partition in try await store.partitions() {
                    for object in try await store.objects(inPartition: partition) where !object.isTombstone {
                        if Task.isCancelled { return sweep }
                        await audit(object, partition: partition, device: device, store: store, sweep: &sweep)
                        await pace(sweep, elapsed: elapsed())
                    }
                }
            } catch {
                if Task.isCancelled { return sweep }
                sweep.errors += 1
                logger.error("cannot walk device", metadata: ["device": "\(device)", "error": "\(error)"])
            }
        }
        return sweep
    }

    /// Sweeps every `interval` until the task is cancelled.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            let sweep = await runOnce()
            logger.debug("audit sweep", metadata: ["objects": "\(sweep.objects)", "bytes": "\(sweep.bytes)",
                                                   "quarantined": "\(sweep.quarantined)"])
            try? await clock.sleep(for: interval)
        }
    }

    private func audit(_ object: PartitionObject, partition: Int, device: DeviceID, store: any ObjectStore,
                       sweep: inout Sweep) async {
        do {
            switch try await store.audit(object.hash, inPartition: partition) {
            case .verified(let bytes):
                sweep.objects += 1
                sweep.bytes += bytes
                bytesAudited.increment(by: bytes)
            case .quarantined(let reason):
                sweep.quarantined += 1
                quarantines.increment()
                logger.warning("quarantined a bad replica", metadata: [
                    "device": "\(device)", "partition": "\(partition)", "hash": "\(object.hash)", "reason": "\(reason)",
                ])
            case .noData:
                break
            }
        } catch {
            sweep.errors += 1
        }
    }

    /// Sleeps until what the sweep has audited fits both rates.
    private func pace(_ sweep: Sweep, elapsed: Duration) async {
        let due = Self.due(bytes: sweep.bytes, files: sweep.objects + sweep.quarantined + sweep.errors,
                           bytesPerSecond: bytesPerSecond, filesPerSecond: filesPerSecond)
        if due > elapsed { try? await clock.sleep(for: due - elapsed) }
    }

    /// How long auditing `bytes` in `files` must take at the two rates.
    static func due(bytes: Int, files: Int, bytesPerSecond: Int, filesPerSecond: Int) -> Duration {
        max(Duration.seconds(Double(bytes) / Double(bytesPerSecond)), Duration.seconds(Double(files) / Double(filesPerSecond)))
    }

    /// The time since now on `clock`, whatever its instant type.
    private static func stopwatch<C: Clock<Duration>>(_ clock: C) -> () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }
}
