import Logging
import ShoalCore
import ShoalPorts
import Synchronization

/// OpenStack Swift's object replicator for this node's devices. A pass walks the partitions
/// each device holds and, for every other owner of the partition in the current ring,
/// compares suffix hashes (many partitions per round trip), lists only the suffixes that
/// differ and pushes what the peer lacks — newer data with its body, tombstones, newer
/// `.meta`. Peers push their newer versions in their own passes, so replicas converge. A
/// partition this device is not a primary of (a handoff, or one a ring change moved away)
/// is pushed to all its primaries, and each of its objects is removed here once every
/// primary has it. A primary whose device is full (Swift's 507) gets a stand-in instead:
/// the versions it refused go to the partition's first live handoff that takes them, so
/// every object keeps as many copies as the ring has replicas, and the handoff's own
/// passes hand them over once the device has room. Tombstones older than the reclaim age
/// are dropped first (at most once every `reclaimEverySeconds`).
///
/// The cost of a pass grows with what differs: unchanged suffixes cost a cached hash and a
/// few bytes of comparison. Runs as a loop beside the object server; tests call
/// ``runOnce()``.
public final class ObjectReplicator: Sendable {
    public struct Configuration: Sendable {
        /// Tombstones older than this are reclaimed (Swift's `reclaim_age`, a week).
        public var reclaimAgeSeconds: Double = 7 * 24 * 3600
        /// Reclaiming reads every object of a partition, so a pass does it only this often
        /// (the first pass after start always does).
        public var reclaimEverySeconds: Double = 3600
        /// Partitions whose hashes one request asks a peer for.
        public var partitionsPerRequest = 256
        /// Partitions synchronised at once.
        public var concurrency = 4
        /// Bound on one request (a push includes the body's transfer).
        public var timeout: Duration = .seconds(60)
        public var now: @Sendable () -> SwiftTimestamp = ObjectServer.systemNow

        public init() {}
    }

    /// What one pass did.
    public struct Pass: Hashable, Sendable {
        public var partitions = 0
        /// Partitions held here that this device is not a primary of.
        public var handoffPartitions = 0
        public var suffixesDiffering = 0
        public var objectsPushed = 0
        public var bytesPushed = 0
        /// Handoff objects removed after every primary had them.
        public var handoffObjectsRemoved = 0
        /// Versions given to a handoff because a primary's device was full.
        public var standIns = 0
        public var tombstonesReclaimed = 0
        /// Requests or pushes that failed (a peer down, full, or refusing).
        public var failures = 0

        public init() {}

        mutating func add(_ other: Pass) {
            partitions += other.partitions
            handoffPartitions += other.handoffPartitions
            suffixesDiffering += other.suffixesDiffering
            objectsPushed += other.objectsPushed
            bytesPushed += other.bytesPushed
            handoffObjectsRemoved += other.handoffObjectsRemoved
            standIns += other.standIns
            tombstonesReclaimed += other.tombstonesReclaimed
            failures += other.failures
        }
    }

    /// One partition's work: the peers it must agree with.
    struct Job: Sendable {
        let partition: Int
        let peers: [DeviceRecord]
        let isHandoff: Bool
    }

    let devices: [DeviceID: any ObjectStore]
    let layout: StorageLayout
    let transport: any ClusterTransport
    let cluster: any ClusterView
    let configuration: Configuration
    let logger: Logger
    /// Where the pass in progress stands, for `shoal status` and `/metrics`.
    public let progress: ReplicationProgress
    /// When tombstones were last reclaimed (seconds), nil before the first pass.
    private let lastReclaim = Mutex<Double?>(nil)

    public init(server: ObjectServer, transport: any ClusterTransport, cluster: any ClusterView,
                configuration: Configuration = Configuration(), progress: ReplicationProgress = ReplicationProgress(),
                logger: Logger) {
        devices = server.devices
        self.progress = progress
        layout = server.layout
        self.transport = transport
        self.cluster = cluster
        self.configuration = configuration
        self.logger = logger
    }

    /// One pass over every local device.
    @discardableResult
    public func runOnce() async -> Pass {
        let started = ContinuousClock.now
        var total = Pass()
        let now = configuration.now().seconds
        let reclaimDue = lastReclaim.withLock { last in
            guard last.map({ now - $0 >= configuration.reclaimEverySeconds }) ?? true else { return false }
            last = now
            return true
        }
        let cutoff = reclaimDue ? SwiftTimestamp(seconds: now - configuration.reclaimAgeSeconds) : nil
        for (device, store) in devices.sorted(by: { $0.key < $1.key }) {
            total.add(await replicate(device: device, store: store, reclaimBefore: cutoff))
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        progress.finish(seconds: seconds)
        ReplicationMetrics.shared.record(total, seconds: seconds, finishedAt: configuration.now().seconds)
        return total
    }

    /// Passes every `interval` until the task is cancelled.
    public func run(every interval: Duration, clock: any Clock<Duration> = ContinuousClock()) async {
        while !Task.isCancelled {
            let pass = await runOnce()
            if pass.objectsPushed > 0 || pass.handoffObjectsRemoved > 0 || pass.failures > 0 {
                logger.info("replication pass", metadata: [
                    "partitions": "\(pass.partitions)", "pushed": "\(pass.objectsPushed)", "bytes": "\(pass.bytesPushed)",
                    "handoff_partitions": "\(pass.handoffPartitions)", "removed": "\(pass.handoffObjectsRemoved)",
                    "stand_ins": "\(pass.standIns)", "failures": "\(pass.failures)",
                ])
            }
            try? await clock.sleep(for: interval)
        }
    }

    // MARK: One device

    func replicate(device: DeviceID, store: any ObjectStore, reclaimBefore cutoff: SwiftTimestamp?) async -> Pass {
        var pass = Pass()
        let partitions: [Int]
        do {
            partitions = try await store.partitions()
        } catch {
            logger.error("cannot list partitions", metadata: ["device": "\(device)", "error": "\(error)"])
            pass.failures += 1
            return pass
        }
        let snapshot = await cluster.snapshot()
        let jobs = partitions.map { partition in
            let primaries = snapshot.ring.primaries(of: partition)
            let isPrimary = primaries.contains { $0.id == device }
            return Job(partition: partition, peers: primaries.filter { $0.id != device }, isHandoff: !isPrimary)
        }
        pass.partitions = jobs.count
        pass.handoffPartitions = jobs.count { $0.isHandoff }
        progress.begin(partitions: jobs.count, handoffs: pass.handoffPartitions, ring: snapshot.ring.checksum,
                       at: configuration.now().seconds)
        var start = 0
        while start < jobs.count {
            let batch = Array(jobs[start..<min(jobs.count, start + configuration.partitionsPerRequest)])
            start += batch.count
            pass.add(await replicate(batch, device: device, store: store, snapshot: snapshot, reclaimBefore: cutoff))
        }
        return pass
    }

    /// One batch of partitions: reclaim (when due), one hashes request per peer, then the partitions
    /// that differ, `concurrency` at a time.
    private func replicate(_ batch: [Job], device: DeviceID, store: any ObjectStore, snapshot: ClusterSnapshot,
                           reclaimBefore cutoff: SwiftTimestamp?) async -> Pass {
        var pass = Pass()
        if let cutoff {
            for job in batch {
                do {
                    pass.tombstonesReclaimed += try await store.reclaimTombstones(inPartition: job.partition, before: cutoff)
                } catch {
                    pass.failures += 1
                }
            }
        }
        let local: [Int: [String: String]]
        do {
            local = try await store.hashes(in: batch.map(\.partition))
        } catch {
            local = [:]
        }
        pass.failures += batch.count { local[$0.partition] == nil }
        let peers = Dictionary(batch.flatMap { $0.peers.map { ($0.id, $0) } }, uniquingKeysWith: { first, _ in first })
        // A primary partition's fingerprint goes instead of its map; peers answer the maps
        // of the partitions where theirs differs. Handoffs ask for every map (see removeHeld).
        var digests: [Int: UInt64] = [:]
        for job in batch where !job.isHandoff {
            if let hashes = local[job.partition] { digests[job.partition] = PartitionObject.digest(ofSuffixHashes: hashes) }
        }
        var remote: [DeviceID: [Int: [String: String]]] = [:]
        await withTaskGroup(of: (DeviceID, [Int: [String: String]]?).self) { group in
            for (id, peer) in peers where !snapshot.isDown(peer) {
                let partitions = batch.filter { $0.peers.contains { $0.id == id } }.map(\.partition)
                var known: [Int: UInt64] = [:]
                for partition in partitions { known[partition] = digests[partition] }
                group.addTask { (id, await self.remoteHashes(peer, partitions: partitions, known: known)) }
            }
            for await (id, hashes) in group { remote[id] = hashes }
        }
        let remoteHashes = remote
        await withTaskGroup(of: Pass.self) { group in
            var running = 0
            for job in batch {
                guard let hashes = local[job.partition] else { continue }
                if !job.isHandoff && job.peers.allSatisfy({ peer in
                    remoteHashes[peer.id]?[job.partition].map { Self.differing(hashes, from: $0).isEmpty } ?? true
                }) {
                    // Every peer that answered holds this partition as it is here (the
                    // usual case: its fingerprint matched, so its map was not even sent):
                    // nothing to list or push, and no task to start.
                    progress.partitionDone(cleared: false)
                    continue
                }
                if running >= configuration.concurrency, let done = await group.next() {
                    pass.add(done)
                    running -= 1
                }
                group.addTask {
                    await self.sync(job, localHashes: hashes, remote: remoteHashes, device: device, store: store,
                                    snapshot: snapshot)
                }
                running += 1
            }
            for await done in group { pass.add(done) }
        }
        return pass
    }

    /// The suffixes whose hash here a peer does not have: what it lacks. Suffixes only the
    /// peer has are its own pass's business.
    static func differing(_ local: [String: String], from theirs: [String: String]) -> [String] {
        local.filter { theirs[$0.key] != $0.value }.keys.sorted()
    }

    /// Brings every peer of one partition up to this device's versions. On a handoff, each
    /// object every primary now holds (as new or newer) is removed here, one by one: a
    /// primary refusing one object (full, say) keeps that object here and no other, so no
    /// object lingers as a fourth copy beside three. On a primary, what a full peer refused
    /// goes to stand-ins (``standIn(for:partition:device:snapshot:store:pass:)``).
    private func sync(_ job: Job, localHashes: [String: String], remote: [DeviceID: [Int: [String: String]]],
                      device: DeviceID, store: any ObjectStore, snapshot: ClusterSnapshot) async -> Pass {
        var pass = Pass()
        var listing: [PartitionObject]?
        /// Per peer that answered: the versions its listing showed or a push gave it.
        var held: [DeviceID: Set<PartitionObject>] = [:]
        /// Versions refused by full peers, with how many refused each.
        var refusedAsFull: [PartitionObject: Int] = [:]
        for peer in job.peers {
            guard let theirs = remote[peer.id]?[job.partition] else { continue }
            let differing = Self.differing(localHashes, from: theirs)
            guard !differing.isEmpty else {
                held[peer.id] = []
                continue
            }
            pass.suffixesDiffering += differing.count
            do {
                if listing == nil { listing = try await store.objects(inPartition: job.partition) }
                let outcome = try await push(job.partition, suffixes: differing, objects: listing ?? [], to: peer,
                                             store: store, pass: &pass)
                held[peer.id] = outcome.held
                for object in outcome.full { refusedAsFull[object, default: 0] += 1 }
            } catch {
                pass.failures += 1
                logger.warning("replication to a peer failed", metadata: [
                    "partition": "\(job.partition)", "peer": "\(peer.id)", "error": "\(error)",
                ])
            }
        }
        if !job.isHandoff && !refusedAsFull.isEmpty {
            await standIn(for: refusedAsFull, partition: job.partition, device: device, snapshot: snapshot, store: store,
                          pass: &pass)
        }
        var cleared = false
        if job.isHandoff && held.count == job.peers.count {
            do {
                cleared = try await removeHeld(job, remote: remote, held: held, store: store, pass: &pass)
            } catch {
                pass.failures += 1
            }
        }
        progress.partitionDone(cleared: cleared)
        return pass
    }

    /// Gives each version a full primary refused to handoffs of the partition, in the ring's
    /// handoff order (live ones, at most twice the replica count tried), one stand-in per
    /// refusing primary — as Swift's replicator turns to a handoff when a primary answers
    /// 507. Every primary that pushes picks the same handoffs, so a version gets one
    /// stand-in however many primaries notice; a handoff that is full too is passed over.
    private func standIn(for refused: [PartitionObject: Int], partition: Int, device: DeviceID,
                         snapshot: ClusterSnapshot, store: any ObjectStore, pass: inout Pass) async {
        var wanted = refused
        let candidates = snapshot.ring.handoffs(of: partition).filter { !snapshot.isDown($0) && $0.id != device }
        for handoff in candidates.prefix(2 * snapshot.ring.replicaCount) {
            guard !wanted.isEmpty else { return }
            let objects = wanted.keys.sorted { $0.hash < $1.hash }
            let pushedBefore = pass.objectsPushed
            do {
                let outcome = try await push(partition, suffixes: Set(objects.map(\.hash.suffix)).sorted(), objects: objects,
                                             to: handoff, store: store, pass: &pass)
                pass.standIns += pass.objectsPushed - pushedBefore
                for object in outcome.held {
                    guard let count = wanted[object] else { continue }
                    wanted[object] = count > 1 ? count - 1 : nil
                }
            } catch {
                pass.failures += 1
                logger.warning("stand-in push failed", metadata: [
                    "partition": "\(partition)", "handoff": "\(handoff.id)", "error": "\(error)",
                ])
            }
        }
        if !wanted.isEmpty {
            logger.warning("no handoff could stand in for a full device", metadata: [
                "partition": "\(partition)", "objects": "\(wanted.count)",
            ])
        }
    }

    /// Removes from a handoff partition each object whose version every primary holds:
    /// one a push gave it (or its listing showed), or one in a suffix whose hash it shares
    /// with what is here now (so a write that landed here during the pass stays). True when
    /// the partition is empty after.
    private func removeHeld(_ job: Job, remote: [DeviceID: [Int: [String: String]]],
                            held: [DeviceID: Set<PartitionObject>], store: any ObjectStore, pass: inout Pass) async throws
        -> Bool
    {
        let current = try await store.objects(inPartition: job.partition)
        let currentHashes = PartitionObject.suffixHashes(current)
        var kept = 0
        for object in current {
            let everywhere = job.peers.allSatisfy { peer in
                remote[peer.id]?[job.partition]?[object.hash.suffix] == currentHashes[object.hash.suffix]
                    || held[peer.id]?.contains(object) == true
            }
            if everywhere, try await store.remove(object, inPartition: job.partition) {
                pass.handoffObjectsRemoved += 1
            } else {
                kept += 1
            }
        }
        return kept == 0
    }

    /// What a push to one peer came to.
    struct PushOutcome {
        /// The versions the peer now holds as new or newer.
        var held: Set<PartitionObject> = []
        /// The versions it could not take because its device is full.
        var full: [PartitionObject] = []
    }

    /// Lists the differing suffixes on `peer` and pushes each object it lacks; answers the
    /// objects of those suffixes the peer now holds as new or newer (refused pushes, and
    /// objects that changed here meanwhile, are not among them) and those it refused
    /// because its device is full. Once a peer says it is full, the partition's other
    /// versions it lacks count as refused without their bodies being sent.
    private func push(_ partition: Int, suffixes: [String], objects: [PartitionObject], to peer: DeviceRecord,
                      store: any ObjectStore, pass: inout Pass) async throws -> PushOutcome {
        let request = ObjectReplicationRequest.objects(device: peer.id, partition: partition, suffixes: suffixes)
        guard case .objects(let theirs) = try await call(request, peer: peer) else {
            throw ReplicationError.unexpectedAnswer
        }
        let remote = Dictionary(theirs.map { ($0.hash, $0) }, uniquingKeysWith: { first, _ in first })
        let wanted = Set(suffixes)
        var outcome = PushOutcome()
        for object in objects where wanted.contains(object.hash.suffix) {
            guard let parts = object.parts(toUpdate: remote[object.hash]) else {
                outcome.held.insert(object)
                continue
            }
            guard outcome.full.isEmpty else {
                outcome.full.append(object)
                continue
            }
            guard let replica = try await store.replica(of: object.hash, inPartition: partition),
                  replica.summary(hash: object.hash) == object
            else { continue }  // changed since the listing: the next pass sees the new version
            var body: ChunkStream?
            var size = 0
            if parts.base, case .data(let metadata) = replica.base {
                guard let names = replica.names,
                      let key = ObjectKey(partition: partition, hash: object.hash, account: names.account,
                                          container: names.container, object: names.object),
                      let reader = try await store.get(key, range: nil), reader.metadata.timestamp >= metadata.timestamp
                else { continue }  // quarantined on read, or replaced: nothing good to send
                body = reader.body
                size = metadata.contentLength
            }
            let message = ObjectReplicationRequest.push(device: peer.id, partition: partition, replica: replica, parts: parts)
            switch try await call(message, peer: peer, body: body) {
            case .pushed:
                outcome.held.insert(object)
                pass.objectsPushed += 1
                pass.bytesPushed += size
                progress.moved(bytes: size)
            case .full:
                pass.failures += 1
                outcome.full.append(object)
                logger.warning("push refused: device full", metadata: ["peer": "\(peer.id)", "path": "\(replica.path)"])
            case .refused(let reason):
                pass.failures += 1
                logger.warning("push refused", metadata: ["peer": "\(peer.id)", "path": "\(replica.path)", "reason": "\(reason)"])
            default:
                throw ReplicationError.unexpectedAnswer
            }
        }
        return outcome
    }

    /// The peer's maps of the partitions where it differs from `known` (every partition
    /// without a known fingerprint): a partition left out is as it is here, or unreadable
    /// there, and either way not this pass's to push. Nil when the peer did not answer.
    private func remoteHashes(_ peer: DeviceRecord, partitions: [Int], known: [Int: UInt64]) async -> [Int: [String: String]]? {
        do {
            var answer = try await call(.differingHashes(device: peer.id, partitions: partitions, known: known), peer: peer)
            if case .refused = answer {
                // A node of an earlier version does not know the request: every map, then.
                answer = try await call(.hashes(device: peer.id, partitions: partitions), peer: peer)
            }
            guard case .hashes(let hashes) = answer else { return nil }
            return hashes
        } catch {
            logger.debug("hashes request failed", metadata: ["peer": "\(peer.id)", "error": "\(error)"])
            return nil
        }
    }

    private func call(_ message: ObjectReplicationRequest, peer: DeviceRecord, body: ChunkStream? = nil) async throws
        -> ObjectReplicationResponse
    {
        let response = try await transport.request(
            TransportRequest(channel: .objectReplication, head: message.wireBytes(), body: body),
            to: peer.address, timeout: configuration.timeout)
        return try ObjectReplicationResponse(wireBytes: response.head)
    }
}

enum ReplicationError: Error {
    case unexpectedAnswer
}
