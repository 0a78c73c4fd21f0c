import Foundation
import Logging
import ShoalCore
import ShoalPorts
import ShoalSQLite

/// OpenStack Swift's db_replicator for the container or the account databases of this
/// node's devices (one type serves both, through ``ReplicatedDatabase``). A pass walks every
/// database; for each it finds the partition's primaries in the current ring and brings
/// every other live primary up to date with the `REPLICATE` verb: `sync` (merge the info,
/// learn the peer's sync point), the rows since that point in batches (`mergeItems`), or a
/// whole rebuild (`create`, then every row) when the peer has no database. A database on a
/// device that is not a primary of its partition (a handoff, or one the ring moved) is
/// pushed to every primary and removed once all of them acknowledged all its rows. A
/// primary that answers 507 (its device full) gets a handoff standing in for it.
///
/// Runs as a loop beside the container and account servers, sharing their open brokers;
/// tests call ``runOnce()``.
public final class DatabaseReplicator<Broker: ReplicatedDatabase>: Sendable {
    let kind: DatabaseKind
    let devicePaths: [DeviceID: String]
    let brokers: BrokerCache<Broker>
    let client: BackendClient
    let cluster: any ClusterView
    let logger: Logger
    /// Rows per `mergeItems` request (Swift's `per_diff`).
    let batchSize: Int
    let metrics: DatabaseReplicationMetrics
    /// Told how each pass ended, so the node knows when a ring's moves have finished.
    let progress: ReplicationProgress?

    init(kind: DatabaseKind, devicePaths: [DeviceID: String], brokers: BrokerCache<Broker>, client: BackendClient,
         cluster: any ClusterView, logger: Logger, batchSize: Int, progress: ReplicationProgress?) {
        self.progress = progress
        self.kind = kind
        self.devicePaths = devicePaths
        self.brokers = brokers
        self.client = client
        self.cluster = cluster
        self.logger = logger
        self.batchSize = max(1, batchSize)
        metrics = DatabaseReplicationMetrics(kind: kind.rawValue)
    }

    /// One pass over every database of every local device.
    @discardableResult
    public func runOnce() async -> ReplicationPass {
        let snapshot = await cluster.snapshot()
        var pass = ReplicationPass()
        for (device, devicePath) in devicePaths.sorted(by: { $0.key < $1.key }) {
            let folder = devicePath + "/" + kind.folder
            for path in StorageLayout.databases(under: folder) {
                guard let partition = Int(path.dropFirst(folder.count + 1).prefix { $0 != "/" }) else { continue }
                await replicate(path, device: device, partition: partition, folder: folder, snapshot: snapshot, pass: &pass)
            }
        }
        metrics.record(pass)
        progress?.databasePassFinished(kind: kind.rawValue, ring: snapshot.ring.checksum, pending: pass.handoffsPending)
        return pass
    }

    /// Passes every `interval` until the task is cancelled.
    public func run(every interval: Duration, clock: any Clock<Duration> = ContinuousClock()) async {
        while !Task.isCancelled {
            let pass = await runOnce()
            if pass.rowsSent + pass.rebuilt + pass.handoffsRemoved + pass.standIns + pass.failures > 0 {
                logger.info("\(kind.rawValue) replicator pass", metadata: ["pass": "\(pass)"])
            }
            do { try await clock.sleep(for: interval) } catch { return }
        }
    }

    /// Replicates the database at `path` (on `device`, in `partition`) to the primaries.
    private func replicate(
        _ path: String, device: DeviceID, partition: Int, folder: String, snapshot: ClusterSnapshot,
        pass: inout ReplicationPass
    ) async {
        let broker = await brokers.broker(at: path)
        let info: ReplicationInfo
        do {
            info = try await broker.replicationInfo()
        } catch {
            logger.error("cannot read \(kind.rawValue) database", metadata: ["path": "\(path)", "error": "\(error)"])
            pass.failures += 1
            return
        }
        let primaries = snapshot.ring.primaries(of: partition)
        var acknowledged: [Int64] = []
        var full = 0
        for peer in primaries where peer.id != device {
            guard !snapshot.isDown(peer) else {
                pass.failures += 1
                continue
            }
            do {
                let push = try await self.push(broker, info: info, to: peer, partition: partition)
                pass.add(push)
                acknowledged.append(push.syncPoint)
            } catch let error as UnexpectedStatus where error.status == 507 {
                logger.warning("\(kind.rawValue) replication refused: device full", metadata: ["path": "\(path)", "peer": "\(peer.id)"])
                pass.failures += 1
                full += 1
            } catch {
                logger.warning("\(kind.rawValue) replication failed", metadata: [
                    "path": "\(path)", "peer": "\(peer.id)", "error": "\(error)"])
                pass.failures += 1
            }
        }
        let isPrimary = primaries.contains { $0.id == device }
        if isPrimary && full > 0 {
            await standIn(broker, info: info, count: full, device: device, partition: partition, snapshot: snapshot,
                          pass: &pass)
        }
        guard !isPrimary else { return }
        guard !primaries.isEmpty, acknowledged.count == primaries.count else {
            pass.handoffsPending += 1
            return
        }
        do {
            // Rows written since the pushes started keep the database here for another pass.
            guard let lowest = acknowledged.min(), try await broker.maxRow <= lowest else { return }
            await broker.close()
            try Self.remove(path, above: folder)
            pass.handoffsRemoved += 1
        } catch {
            logger.error("cannot remove handoff \(kind.rawValue) database", metadata: ["path": "\(path)", "error": "\(error)"])
            pass.failures += 1
        }
    }

    /// Brings `count` handoffs of the partition up to date with this database, one per primary
    /// that answered 507 (full or unmounted), in the ring's handoff order: live ones, a full
    /// one passed over, at most twice the replica count tried — Swift's db_replicator turns
    /// to a handoff on `DriveNotMounted` the same way. The handoff keeps the database as any
    /// handoff does, until every primary has acknowledged all its rows; every primary picks
    /// the same handoffs, so one stand-in serves them all.
    private func standIn(_ broker: Broker, info: ReplicationInfo, count: Int, device: DeviceID, partition: Int,
                         snapshot: ClusterSnapshot, pass: inout ReplicationPass) async {
        var needed = count
        let candidates = snapshot.ring.handoffs(of: partition).filter { !snapshot.isDown($0) && $0.id != device }
        for handoff in candidates.prefix(2 * snapshot.ring.replicaCount) where needed > 0 {
            do {
                let push = try await self.push(broker, info: info, to: handoff, partition: partition)
                pass.add(push)
                pass.standIns += 1
                needed -= 1
            } catch {
                logger.warning("\(kind.rawValue) stand-in failed", metadata: [
                    "account": "\(info.account)", "handoff": "\(handoff.id)", "error": "\(error)"])
                pass.failures += 1
            }
        }
    }

    /// Removes the database file and the folders it leaves empty up to `folder`.
    static func remove(_ path: String, above folder: String) throws {
        let files = FileManager.default
        try files.removeItem(atPath: path)
        for suffix in ["-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
            try files.removeItem(atPath: path + suffix)
        }
        var directory = (path as NSString).deletingLastPathComponent
        while directory.count > folder.count, try files.contentsOfDirectory(atPath: directory).isEmpty {
            try files.removeItem(atPath: directory)
            directory = (directory as NSString).deletingLastPathComponent
        }
    }
}

/// Which databases a replicator keeps: their folder on a device and their servers' channel.
enum DatabaseKind: String, Sendable {
    case container
    case account

    var folder: String { self == .container ? StorageLayout.containerFolder : StorageLayout.accountFolder }
    var channel: Envelope.Channel { self == .container ? .container : .account }
}

/// What one replicator pass did.
public struct ReplicationPass: Hashable, Sendable {
    /// Peers brought up to date (one database on one peer each).
    public var synced = 0
    public var rowsSent = 0
    /// Peers that had no database and got it whole.
    public var rebuilt = 0
    /// Databases on non-primary devices removed after every primary had all their rows.
    public var handoffsRemoved = 0
    /// Databases on non-primary devices that not every primary acknowledged yet.
    public var handoffsPending = 0
    /// Peers that were down or failed, and databases that could not be read or removed.
    public var failures = 0
    /// Handoffs brought up to date in place of a full primary.
    public var standIns = 0

    mutating func add<Broker>(_ push: DatabaseReplicator<Broker>.Push) {
        synced += 1
        rowsSent += push.rowsSent
        if push.rebuilt { rebuilt += 1 }
    }
}

extension DatabaseReplicator where Broker == ContainerBroker {
    /// Replicates the container databases `server` keeps, through its brokers and client.
    public convenience init(server: ContainerServer, batchSize: Int = 1_000, progress: ReplicationProgress? = nil) {
        self.init(kind: .container, devicePaths: server.devicePaths, brokers: server.brokers,
                  client: server.updates.client, cluster: server.updates.cluster, logger: server.logger, batchSize: batchSize,
                  progress: progress)
    }
}

extension DatabaseReplicator where Broker == AccountBroker {
    /// Replicates the account databases `server` keeps; account servers send no requests of
    /// their own, so the client and cluster view come from the caller.
    public convenience init(server: AccountServer, client: BackendClient, cluster: any ClusterView, batchSize: Int = 1_000,
                            progress: ReplicationProgress? = nil) {
        self.init(kind: .account, devicePaths: server.devicePaths, brokers: server.brokers,
                  client: client, cluster: cluster, logger: server.logger, batchSize: batchSize, progress: progress)
    }
}
