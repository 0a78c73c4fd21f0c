import Foundation
import Logging
import ShoalCore
import ShoalPorts
import ShoalSQLite

/// Swift's object expirer without its shared queue: every node deletes the expired
/// objects its own devices hold, working through each device's ``ExpiryQueue``. The
/// DELETE is the one Swift's expirer sends (timestamp = the delete-at time,
/// `X-If-Delete-At`), run against the local object server, and its container update goes
/// to the container replica paired with this replica, so listings drop the object too.
public struct ObjectExpirer: Sendable {
    public struct Pass: Hashable, Sendable {
        /// Objects deleted (or already gone or replaced: nothing left to do).
        public var expired = 0
        /// Entries kept for the next pass (a failure).
        public var retried = 0
    }

    let server: ObjectServer
    let cluster: any ClusterView
    let batchSize: Int
    let now: @Sendable () -> Int64
    let logger: Logger

    public init(server: ObjectServer, cluster: any ClusterView, batchSize: Int = 500,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }, logger: Logger) {
        self.server = server
        self.cluster = cluster
        self.batchSize = batchSize
        self.now = now
        self.logger = logger
    }

    @discardableResult
    public func runOnce() async -> Pass {
        var pass = Pass()
        let snapshot = await cluster.snapshot()
        for (device, queue) in server.expiryQueues {
            let due: [ExpiryQueue.Entry]
            do {
                due = try await queue.due(now: now(), limit: batchSize)
            } catch {
                logger.error("cannot read the expiry queue", metadata: ["device": "\(device)", "error": "\(error)"])
                continue
            }
            for entry in due {
                let status = await expire(entry, device: device, ring: snapshot.ring).status
                // 2xx deleted; 404 already gone; 409/412 a newer version replaced it.
                if status < 500 {
                    pass.expired += 1
                    do { try await queue.remove(entry) } catch {
                        logger.error("cannot update the expiry queue", metadata: ["error": "\(error)"])
                    }
                } else {
                    pass.retried += 1
                }
            }
        }
        return pass
    }

    func expire(_ entry: ExpiryQueue.Entry, device: DeviceID, ring: Ring) async -> StorageResponse {
        let hasher = server.layout.hasher
        let partition = Placement.partition(of: hasher, in: ring, account: entry.account, container: entry.container, object: entry.object)
        let containerPartition = Placement.partition(of: hasher, in: ring, account: entry.account, container: entry.container)
        let slots = ring.primaries(of: partition)
        let slot = slots.firstIndex { $0.id == device } ?? 0
        let updates = ring.primaries(of: containerPartition)
        let containers = slots.isEmpty
            ? updates : Placement.updatePairing(slots: slots, updates: updates) { $0.node == $1.node }[slot]
        let timestamp = SwiftTimestamp(ticks: entry.deleteAt * SwiftTimestamp.ticksPerSecond)
        let head = BackendRequestHead(
            method: "DELETE", device: device, partition: partition, account: entry.account, container: entry.container,
            object: entry.object, headers: [
                BackendHeader.timestamp: timestamp.internal,
                BackendHeader.ifDeleteAt: String(entry.deleteAt),
                BackendHeader.containerDevice: containers.map(\.id.rawValue).joined(separator: ","),
                BackendHeader.containerHost: containers.map(\.address.description).joined(separator: ","),
                BackendHeader.containerPartition: String(containerPartition),
            ])
        return await server.handle(head, body: nil)
    }

    /// Passes every `interval` until the task is cancelled.
    public func run(every interval: Duration, clock: any Clock<Duration> = ContinuousClock()) async {
        while !Task.isCancelled {
            let pass = await runOnce()
            if pass.expired + pass.retried > 0 { logger.info("object expirer pass", metadata: ["pass": "\(pass)"]) }
            do { try await clock.sleep(for: interval) } catch { return }
        }
    }
}
