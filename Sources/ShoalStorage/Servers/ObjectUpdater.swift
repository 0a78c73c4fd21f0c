import Logging
import ShoalCore
import ShoalDiskStore
import ShoalPorts

/// Swift's object updater: retries the container updates the object server saved as async
/// pendings, sending each to every primary of its container in the current ring, and
/// forgets an update once all of them took it. Runs as a loop beside the object server;
/// tests call ``runOnce()``.
public struct ObjectUpdater: Sendable {
    public struct Pass: Hashable, Sendable {
        public var delivered = 0
        public var failed = 0
        /// Entries that did not decode and were removed.
        public var discarded = 0
    }

    let queues: [DeviceID: any AsyncPendingQueue]
    let hasher: PathHasher
    let updates: ReplicaUpdates
    let logger: Logger

    public init(
        queues: [DeviceID: any AsyncPendingQueue], hasher: PathHasher, client: BackendClient,
        cluster: any ClusterView, logger: Logger
    ) {
        self.queues = queues
        self.hasher = hasher
        self.updates = ReplicaUpdates(client: client, cluster: cluster)
        self.logger = logger
    }

    /// One sweep over every device's pendings, oldest first.
    @discardableResult
    public func runOnce() async -> Pass {
        var pass = Pass()
        for (device, queue) in queues.sorted(by: { $0.key < $1.key }) {
            let entries: [AsyncPendingStore.Entry]
            do {
                entries = try await queue.list()
            } catch {
                logger.error("cannot list async pendings", metadata: ["device": "\(device)", "error": "\(error)"])
                continue
            }
            for entry in entries {
                await deliver(entry, from: queue, pass: &pass)
            }
        }
        return pass
    }

    /// Sweeps every `interval` until the task is cancelled.
    public func run(every interval: Duration, clock: any Clock<Duration> = ContinuousClock()) async {
        while !Task.isCancelled {
            let pass = await runOnce()
            if pass != Pass() { logger.info("object updater pass", metadata: ["pass": "\(pass)"]) }
            do { try await clock.sleep(for: interval) } catch { return }
        }
    }

    private func deliver(_ entry: AsyncPendingStore.Entry, from queue: any AsyncPendingQueue, pass: inout Pass) async {
        let update: ContainerUpdate
        do {
            guard let loaded = try await queue.load(entry) else { return }
            update = loaded
        } catch {
            // A shutdown interrupting the read leaves the update for the next start.
            if Task.isCancelled || error is CancellationError { return }
            logger.error("discarding unreadable async pending", metadata: ["entry": "\(entry.fileName)", "error": "\(error)"])
            try? await queue.remove(entry)
            pass.discarded += 1
            return
        }
        let (partition, devices) = await updates.primaries(account: update.account, container: update.container, hasher: hasher)
        let statuses = await updates.send(to: devices, on: .container) { device in
            update.backendHead(device: device, partition: partition)
        }
        let delivered = !devices.isEmpty && statuses.values.allSatisfy { $0.map { (200..<300).contains($0) } ?? false }
        guard delivered else {
            pass.failed += 1
            return
        }
        do {
            try await queue.remove(entry)
            pass.delivered += 1
        } catch {
            logger.error("cannot remove delivered async pending", metadata: ["entry": "\(entry.fileName)", "error": "\(error)"])
        }
    }
}
