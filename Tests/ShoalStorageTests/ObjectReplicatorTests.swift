import ShoalCore
import ShoalPorts
import ShoalSimulation
import Synchronization
import Testing
@testable import ShoalStorage

/// The object replicator and auditor on in-memory nodes: replicas converge on the newest
/// versions, a pass with nothing new moves nothing, handoff partitions go home and leave,
/// and rot is quarantined and restored from a peer.
struct ObjectReplicatorTests {
    func key(_ cluster: StorageCluster, _ name: String) -> ObjectKey {
        ObjectKey(account: "AUTH_r", container: "c", object: name, hasher: cluster.layout.hasher, partPower: cluster.layout.partPower)!
    }

    @discardableResult
    func put(_ store: InMemoryObjectStore, _ key: ObjectKey, _ body: String, at timestamp: SwiftTimestamp,
             user: [String: String] = [:]) async throws -> StoredObject {
        try await store.put(key, metadata: ObjectMetadata(timestamp: timestamp, contentType: "text/plain", userMetadata: user),
                            body: .bytes(Array(body.utf8), chunkSize: 3), expectedETag: nil)
    }

    func body(_ store: InMemoryObjectStore, _ key: ObjectKey) async throws -> String? {
        guard let reader = try await store.get(key, range: nil) else { return nil }
        return String(decoding: try await reader.body.collect(upTo: 1 << 20), as: UTF8.self)
    }

    /// An object named `name` written only on its partition's first handoff, with the
    /// primaries and that handoff (node indices).
    func onHandoff(_ cluster: StorageCluster, _ name: String, _ body: String) async throws
        -> (key: ObjectKey, primaries: [Int], handoff: Int)
    {
        let k = key(cluster, name)
        let index = { (record: DeviceRecord) in cluster.nodes.firstIndex { $0.device == record.id }! }
        let primaries = cluster.cluster.ring.primaries(of: k.partition).map(index)
        let handoff = try #require(cluster.cluster.ring.handoffs(of: k.partition).map(index).first)
        try await put(cluster.nodes[handoff].objects, k, body, at: ts(10))
        return (k, primaries, handoff)
    }

    @Test func anObjectOnOneReplicaReachesTheOthersAndASecondPassMovesNothing() async throws {
        try await withStorageCluster { cluster in
            var keys: [ObjectKey] = []
            for index in 0..<20 {
                let k = key(cluster, "o\(index)")
                keys.append(k)
                try await put(cluster.nodes[0].objects, k, "body \(index)", at: ts(10), user: ["N": "\(index)"])
            }
            let first = await cluster.objectReplicator(0).runOnce()
            #expect(first.objectsPushed == 40 && first.failures == 0)
            #expect(first.bytesPushed == keys.indices.reduce(0) { $0 + "body \($1)".utf8.count } * 2)
            for node in cluster.nodes {
                for (index, k) in keys.enumerated() {
                    #expect(try await body(node.objects, k) == "body \(index)")
                    guard case .present(let metadata, _) = try await node.objects.head(k) else { Issue.record("missing"); continue }
                    #expect(metadata.userMetadata == ["N": "\(index)"] && metadata.timestamp == ts(10))
                }
            }
            for index in cluster.nodes.indices {
                let again = await cluster.objectReplicator(index).runOnce()
                #expect(again.objectsPushed == 0 && again.suffixesDiffering == 0 && again.failures == 0)
            }
        }
    }

    @Test func aPeerAnswersOnlyTheMapsWhoseFingerprintDiffers() async throws {
        try await withStorageCluster { cluster in
            let same = key(cluster, "same"), onlyHere = key(cluster, "only-here")
            try #require(same.partition != onlyHere.partition)
            for node in cluster.nodes.prefix(2) { try await put(node.objects, same, "v1", at: ts(10)) }
            try await put(cluster.nodes[0].objects, onlyHere, "v1", at: ts(10))
            let mine = try await cluster.nodes[0].objects.hashes(in: [same.partition, onlyHere.partition])
            let known = mine.mapValues(PartitionObject.digest(ofSuffixHashes:))
            let server = ObjectReplicationServer(server: cluster.nodes[1].objectServer)
            let ask = { (partitions: [Int], known: [Int: UInt64]) async throws -> [Int: [String: String]] in
                let request = ObjectReplicationRequest.differingHashes(device: cluster.nodes[1].device, partitions: partitions,
                                                                       known: known)
                let response = await server.respond(to: TransportRequest(channel: .objectReplication, head: request.wireBytes()))
                guard case .hashes(let hashes) = try ObjectReplicationResponse(wireBytes: response.head) else {
                    throw ReplicationError.unexpectedAnswer
                }
                return hashes
            }
            let theirs = try await cluster.nodes[1].objects.hashes(in: [same.partition, onlyHere.partition])
            // The partition both hold alike is left out; the one only node 0 holds comes back
            // (empty there), as does one asked about without a fingerprint.
            #expect(try await ask([same.partition, onlyHere.partition], known) == [onlyHere.partition: [:]])
            #expect(try await ask([same.partition, onlyHere.partition], [:]) == theirs)
            #expect(try await ask([same.partition], [same.partition: known[same.partition]! ^ 1]) == [same.partition: theirs[same.partition]!])
        }
    }

    @Test func newerVersionsWinWhicheverReplicaHoldsThem() async throws {
        try await withStorageCluster { cluster in
            let deleted = key(cluster, "deleted"), posted = key(cluster, "posted"), rewritten = key(cluster, "rewritten")
            for node in cluster.nodes {
                for k in [deleted, posted, rewritten] { try await put(node.objects, k, "v1", at: ts(10)) }
            }
            _ = try await cluster.nodes[1].objects.delete(deleted, timestamp: ts(20))
            _ = try await cluster.nodes[2].objects.post(posted, metadata: ObjectMetadataUpdate(timestamp: ts(20), userMetadata: ["P": "y"]))
            try await put(cluster.nodes[0].objects, rewritten, "v2", at: ts(20))
            // Someone holding an older version pushes nothing that sticks.
            for index in cluster.nodes.indices { await cluster.objectReplicator(index).runOnce() }
            for node in cluster.nodes {
                #expect(try await node.objects.head(deleted) == .deleted(ts(20)))
                guard case .present(let metadata, _) = try await node.objects.head(posted) else { Issue.record("lost"); continue }
                #expect(metadata.userMetadata == ["P": "y"] && metadata.timestamp == ts(20))
                #expect(try await body(node.objects, posted) == "v1")
                #expect(try await body(node.objects, rewritten) == "v2")
            }
            let hashes = try await cluster.nodes[0].objects.hashes(in: deleted.partition)
            for node in cluster.nodes { #expect(try await node.objects.hashes(in: deleted.partition) == hashes) }
        }
    }

    @Test func aHandoffPartitionGoesToItsPrimariesAndLeaves() async throws {
        try await withStorageCluster(nodes: 4, replicas: 3) { cluster in
            let (k, primaries, handoff) = try await onHandoff(cluster, "handoff", "stood in")
            // One primary already has it; the others do not.
            try await put(cluster.nodes[primaries[0]].objects, k, "stood in", at: ts(10))
            let pass = await cluster.objectReplicator(handoff).runOnce()
            #expect(pass.handoffPartitions == 1 && pass.objectsPushed == 2 && pass.handoffObjectsRemoved == 1)
            for primary in primaries { #expect(try await body(cluster.nodes[primary].objects, k) == "stood in") }
            #expect(try await cluster.nodes[handoff].objects.partitions().isEmpty)
        }
    }

    @Test func aHandoffStaysWhileAPrimaryIsDown() async throws {
        try await withStorageCluster(nodes: 4, replicas: 3) { cluster in
            let (k, primaries, handoff) = try await onHandoff(cluster, "waiting", "kept")
            let downNode = cluster.cluster.ring.primaries(of: k.partition)[2].node
            cluster.cluster.markDown(downNode)
            let pass = await cluster.objectReplicator(handoff).runOnce()
            #expect(pass.objectsPushed == 2 && pass.handoffObjectsRemoved == 0)
            #expect(try await body(cluster.nodes[handoff].objects, k) == "kept")
            #expect(try await body(cluster.nodes[primaries[2]].objects, k) == nil)
        }
    }

    @Test func aRefusedPushKeepsOnlyThatObjectOnTheHandoff() async throws {
        try await withStorageCluster(nodes: 4, replicas: 3) { cluster in
            // Two objects of one partition, both written only on its handoff.
            var names: [Int: String] = [:]
            var pair: [String] = []
            for index in 0..<200 {
                let name = "pair\(index)"
                let partition = key(cluster, name).partition
                if let other = names[partition] {
                    pair = [other, name]
                    break
                }
                names[partition] = name
            }
            try #require(pair.count == 2)
            let (first, primaries, handoff) = try await onHandoff(cluster, pair[0], "one")
            let (second, _, _) = try await onHandoff(cluster, pair[1], "two")
            // One primary refuses the first push it gets (its disk fails the write).
            let refusing = primaries[1]
            cluster.nodes[refusing].disk.tearNextWrite(afterBytes: 1)
            let pass = await cluster.objectReplicator(handoff).runOnce()
            let torn = try #require(cluster.nodes[refusing].disk.takeTornWrites().first?.key)
            let accepted = torn == first ? second : first
            #expect(pass.objectsPushed == 5 && pass.failures == 1 && pass.handoffObjectsRemoved == 1)
            // The object every primary took leaves the handoff; the refused one stays, so
            // no object is ever held four times or fewer than three.
            #expect(try await cluster.nodes[handoff].objects.head(accepted) == .missing)
            #expect(try await body(cluster.nodes[handoff].objects, torn) != nil)
            #expect(try await cluster.nodes[refusing].objects.head(torn) == .missing)
            // The next pass delivers it and the partition leaves.
            let again = await cluster.objectReplicator(handoff).runOnce()
            #expect(again.objectsPushed == 1 && again.failures == 0 && again.handoffObjectsRemoved == 1)
            #expect(try await cluster.nodes[handoff].objects.partitions().isEmpty)
            for primary in primaries {
                #expect(try await body(cluster.nodes[primary].objects, first) == "one")
                #expect(try await body(cluster.nodes[primary].objects, second) == "two")
            }
        }
    }

    /// How many nodes hold a readable `key` with `body`.
    func copies(_ cluster: StorageCluster, _ key: ObjectKey, _ expected: String) async throws -> Int {
        var count = 0
        for node in cluster.nodes where try await body(node.objects, key) == expected { count += 1 }
        return count
    }

    @Test func aFullPrimaryGetsAStandInOnAHandoffUntilItHasRoom() async throws {
        try await withStorageCluster(nodes: 4, replicas: 3) { cluster in
            let k = key(cluster, "crowded")
            let index = { (record: DeviceRecord) in cluster.nodes.firstIndex { $0.device == record.id }! }
            let primaries = cluster.cluster.ring.primaries(of: k.partition).map(index)
            let handoff = try #require(cluster.cluster.ring.handoffs(of: k.partition).map(index).first)
            for primary in [primaries[0], primaries[2]] { try await put(cluster.nodes[primary].objects, k, "kept thrice", at: ts(10)) }
            cluster.nodes[primaries[1]].disk.fill()
            // A primary notices its full peer and gives the version to the handoff instead.
            let first = await cluster.objectReplicator(primaries[0]).runOnce()
            #expect(first.standIns == 1 && first.failures == 1 && first.objectsPushed == 1)
            #expect(try await body(cluster.nodes[handoff].objects, k) == "kept thrice")
            #expect(try await copies(cluster, k, "kept thrice") == 3)
            // The other primary picks the same handoff, which has it already: still three copies.
            let second = await cluster.objectReplicator(primaries[2]).runOnce()
            #expect(second.standIns == 0 && second.objectsPushed == 0)
            #expect(try await copies(cluster, k, "kept thrice") == 3)
            // The handoff keeps its copy while the primary is full ...
            let waiting = await cluster.objectReplicator(handoff).runOnce()
            #expect(waiting.handoffObjectsRemoved == 0 && waiting.failures == 1)
            #expect(try await copies(cluster, k, "kept thrice") == 3)
            // ... and hands it over once the device has room.
            cluster.nodes[primaries[1]].disk.free()
            let home = await cluster.objectReplicator(handoff).runOnce()
            #expect(home.objectsPushed == 1 && home.handoffObjectsRemoved == 1 && home.failures == 0)
            #expect(try await cluster.nodes[handoff].objects.partitions().isEmpty)
            for primary in primaries { #expect(try await body(cluster.nodes[primary].objects, k) == "kept thrice") }
        }
    }

    @Test func aFullHandoffIsPassedOverForTheNext() async throws {
        try await withStorageCluster(nodes: 5, replicas: 3) { cluster in
            let k = key(cluster, "nowhere")
            let index = { (record: DeviceRecord) in cluster.nodes.firstIndex { $0.device == record.id }! }
            let primaries = cluster.cluster.ring.primaries(of: k.partition).map(index)
            let handoffs = cluster.cluster.ring.handoffs(of: k.partition).map(index)
            try #require(handoffs.count == 2)
            try await put(cluster.nodes[primaries[0]].objects, k, "somewhere", at: ts(10))
            cluster.nodes[primaries[1]].disk.fill()
            cluster.nodes[primaries[2]].disk.fill()
            cluster.nodes[handoffs[0]].disk.fill()
            // Two full primaries want two stand-ins; only the second handoff has room.
            let pass = await cluster.objectReplicator(primaries[0]).runOnce()
            #expect(pass.standIns == 1 && pass.failures == 3)
            #expect(try await body(cluster.nodes[handoffs[1]].objects, k) == "somewhere")
            #expect(try await cluster.nodes[handoffs[0]].objects.head(k) == .missing)
            #expect(try await copies(cluster, k, "somewhere") == 2)
        }
    }

    @Test func rotIsQuarantinedByTheAuditorAndRestoredFromAPeer() async throws {
        try await withStorageCluster { cluster in
            let k = key(cluster, "rot")
            for node in cluster.nodes { try await put(node.objects, k, "precious bytes", at: ts(10)) }
            #expect(await cluster.nodes[1].objects.corrupt(k.hash, inPartition: k.partition))
            let sweep = await ObjectAuditor(server: cluster.nodes[1].objectServer, logger: .init(label: "test")).runOnce()
            #expect(sweep.quarantined == 1 && sweep.objects == 0)
            #expect(try await cluster.nodes[1].objects.head(k) == .missing)
            let pass = await cluster.objectReplicator(0).runOnce()
            #expect(pass.objectsPushed == 1)
            #expect(try await body(cluster.nodes[1].objects, k) == "precious bytes")
            let clean = await ObjectAuditor(server: cluster.nodes[1].objectServer, logger: .init(label: "test")).runOnce()
            #expect(clean.quarantined == 0 && clean.objects == 1 && clean.bytes == 14)
        }
    }

    /// Swift's `files_per_second` and `bytes_per_second`: a sweep takes as long as the
    /// slower of the two rates says, on the auditor's own clock.
    @Test(arguments: [(files: 5, bytes: 1 << 30, seconds: 2.0), (files: 1_000, bytes: 2_000, seconds: 5.0)])
    func theAuditorKeepsToBothRates(files: Int, bytes: Int, seconds: Double) async throws {
        try await withStorageCluster { cluster in
            let body = String(repeating: "x", count: 1_000)
            for index in 0..<10 { try await put(cluster.nodes[0].objects, key(cluster, "paced-\(index)"), body, at: ts(10)) }
            let clock = SleeplessClock()
            let sweep = await ObjectAuditor(server: cluster.nodes[0].objectServer, bytesPerSecond: bytes,
                                            filesPerSecond: files, clock: clock, logger: .init(label: "test")).runOnce()
            #expect(sweep.objects == 10 && sweep.bytes == 10_000)
            #expect(abs(clock.slept.inSeconds - seconds) < 0.001)
        }
    }

    @Test func aRottenReplicaIsNeverShipped() async throws {
        try await withStorageCluster { cluster in
            let k = key(cluster, "bad-source")
            try await put(cluster.nodes[0].objects, k, "will rot", at: ts(10))
            #expect(await cluster.nodes[0].objects.corrupt(k.hash, inPartition: k.partition))
            let pass = await cluster.objectReplicator(0).runOnce()
            #expect(pass.objectsPushed == 0)
            for node in cluster.nodes { #expect(try await node.objects.head(k) == .missing) }
            #expect(await cluster.nodes[0].objects.quarantined == [k.hash])
        }
    }

    @Test func oldTombstonesAreReclaimed() async throws {
        try await withStorageCluster { cluster in
            let k = key(cluster, "gone")
            for node in cluster.nodes { _ = try await node.objects.delete(k, timestamp: ts(10)) }
            cluster.clock.set(ts(10 + 3_600))
            let young = await cluster.objectReplicator(0, reclaimAgeSeconds: 7_200).runOnce()
            #expect(young.tombstonesReclaimed == 0)
            let old = await cluster.objectReplicator(0, reclaimAgeSeconds: 1_800).runOnce()
            #expect(old.tombstonesReclaimed == 1)
            #expect(try await cluster.nodes[0].objects.head(k) == .missing)
            // Peers reclaim on their own passes, and nobody resurrects the tombstone.
            #expect(old.objectsPushed == 0)
        }
    }

    @Test func reclaimRunsOnTheFirstPassThenOnlyEveryInterval() async throws {
        try await withStorageCluster { cluster in
            let replicator = cluster.objectReplicator(0, reclaimAgeSeconds: 1_800)
            _ = try await cluster.nodes[0].objects.delete(key(cluster, "first"), timestamp: ts(10))
            cluster.clock.set(ts(10 + 3_600))
            #expect(await replicator.runOnce().tombstonesReclaimed == 1)
            _ = try await cluster.nodes[0].objects.delete(key(cluster, "second"), timestamp: ts(20))
            #expect(await replicator.runOnce().tombstonesReclaimed == 0)
            cluster.clock.set(ts(10 + 3_600 + 3_600))
            #expect(await replicator.runOnce().tombstonesReclaimed == 1)
        }
    }

    @Test func aPushForTheWrongPartitionIsRefused() async throws {
        try await withStorageCluster { cluster in
            let k = key(cluster, "misplaced")
            let replica = ObjectReplica(path: "/AUTH_r/c/misplaced", base: .tombstone(ts(5)), meta: nil)
            let request = ObjectReplicationRequest.push(device: cluster.nodes[1].device, partition: (k.partition + 1) % 16,
                                                        replica: replica, parts: ReplicaParts(base: true, meta: false))
            let response = try await cluster.nodes[0].transport.request(
                TransportRequest(channel: .objectReplication, head: request.wireBytes()), to: cluster.nodes[1].address,
                timeout: .seconds(5))
            guard case .refused = try ObjectReplicationResponse(wireBytes: response.head) else { Issue.record("accepted"); return }
            #expect(try await cluster.nodes[1].objects.partitions().isEmpty)
        }
    }
}

/// A clock whose sleeps return at once and move its time on by what was asked.
final class SleeplessClock: Clock, Sendable {
    typealias Instant = ContinuousClock.Instant

    private let start = ContinuousClock.now
    private let offset = Mutex(Duration.zero)
    var now: Instant { start.advanced(by: slept) }
    var minimumResolution: Duration { .zero }
    /// Everything slept so far.
    var slept: Duration { offset.withLock { $0 } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        offset.withLock { $0 = max($0, start.duration(to: deadline)) }
    }
}
