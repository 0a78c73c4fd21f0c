import ShoalCore
import ShoalPorts
import Testing

/// What the replicator and the auditor rely on, on both adapters: versions as stored,
/// guarded removal, tombstone reclaim, suffix hashes that follow every change, and bad
/// bodies caught by audits and whole reads.
struct ObjectStoreReplicationTests {
    @Test(arguments: StoreKind.allCases)
    func replicaHasTheDataMetadataAsStoredAndTheNewerMetaApart(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let k = key("r")
        _ = try await store.put(k, metadata: metadata(at: ts(10), type: "text/plain", user: ["A": "1"], other: ["x-object-sysmeta-s": "v"]),
                                body: .bytes(bodyBytes(5_000), chunkSize: 999), expectedETag: nil)
        #expect(try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(20), userMetadata: ["B": "2"])) == .updated)
        let replica = try #require(try await store.replica(of: k.hash, inPartition: k.partition))
        #expect(replica.path == "/AUTH_test/c/r")
        guard case .data(let stored) = replica.base else { Issue.record("expected data"); return }
        #expect(stored.timestamp == ts(10) && stored.userMetadata == ["A": "1"] && stored.contentType == "text/plain")
        #expect(stored.etag == ETagHasher.hex(of: bodyBytes(5_000)) && stored.contentLength == 5_000)
        #expect(stored.otherHeaders["x-object-sysmeta-s"] == "v")
        #expect(replica.meta == ObjectMetadataUpdate(timestamp: ts(20), userMetadata: ["B": "2"]))
        #expect(replica.summary(hash: k.hash) == (try await store.objects(inPartition: k.partition)).first)

        // What the delete saw is the merged metadata, as head gives it (the .meta's time).
        #expect(try await store.delete(k, timestamp: ts(30)).described == "deleted over data \(ts(20).internal)")
        let tombstone = try #require(try await store.replica(of: k.hash, inPartition: k.partition))
        #expect(tombstone == ObjectReplica(path: "/AUTH_test/c/r", base: .tombstone(ts(30)), meta: nil))
        #expect(try await store.replica(of: key("none").hash, inPartition: key("none").partition) == nil)
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func removeTakesOnlyWhatWasShipped(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let k = key("h")
        _ = try await store.put(k, metadata: metadata(at: ts(10)), body: .bytes([1, 2, 3], chunkSize: 3), expectedETag: nil)
        let shipped = try #require(try await store.objects(inPartition: k.partition).first)
        // A newer write after the listing: the stale summary removes nothing.
        _ = try await store.put(k, metadata: metadata(at: ts(11)), body: .bytes([4], chunkSize: 1), expectedETag: nil)
        #expect(try await store.remove(shipped, inPartition: k.partition) == false)
        #expect(try await readAll(store.get(k, range: nil)) == [4])
        let current = try #require(try await store.objects(inPartition: k.partition).first)
        #expect(try await store.remove(current, inPartition: k.partition))
        #expect(try await store.head(k) == .missing)
        #expect(try await store.partitions().contains(k.partition) == false)
        #expect(try await store.hashes(in: k.partition).isEmpty)
        if let folder { #expect(folder.objectFiles.isEmpty) }
    }

    @Test(arguments: StoreKind.allCases)
    func reclaimDropsOnlyOldTombstones(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let old = key("old"), recent = key("recent"), live = key("live")
        _ = try await store.delete(old, timestamp: ts(100))
        _ = try await store.delete(recent, timestamp: ts(900))
        _ = try await store.put(live, metadata: metadata(at: ts(50)), body: .empty, expectedETag: nil)
        var reclaimed = 0
        for partition in Set([old.partition, recent.partition, live.partition]) {
            reclaimed += try await store.reclaimTombstones(inPartition: partition, before: ts(500))
        }
        #expect(reclaimed == 1)
        #expect(try await store.head(old) == .missing)
        #expect(try await store.head(recent) == .deleted(ts(900)))
        if case .present = try await store.head(live) {} else { Issue.record("live object reclaimed") }
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func suffixHashesFollowEveryChange(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let k = key("s")
        _ = try await store.put(k, metadata: metadata(at: ts(1)), body: .bytes([1], chunkSize: 1), expectedETag: nil)
        let first = try await store.hashes(in: k.partition)
        #expect(try await store.hashes(in: k.partition) == first)
        _ = try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(2)))
        let second = try await store.hashes(in: k.partition)
        #expect(second[k.hash.suffix] != first[k.hash.suffix])
        _ = try await store.delete(k, timestamp: ts(3))
        let third = try await store.hashes(in: k.partition)
        #expect(third[k.hash.suffix] != second[k.hash.suffix])
        #expect(third == PartitionObject.suffixHashes(try await store.objects(inPartition: k.partition)))
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func auditQuarantinesRotAndKeepsGoodObjects(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let good = key("good"), bad = key("bad")
        for k in [good, bad] {
            _ = try await store.put(k, metadata: metadata(at: ts(7)), body: .bytes(bodyBytes(100_000), chunkSize: 4_096),
                                    expectedETag: nil)
        }
        try await damage(bad, in: store, folder: folder)
        #expect(try await store.audit(good.hash, inPartition: good.partition) == .verified(bytes: 100_000))
        guard case .quarantined = try await store.audit(bad.hash, inPartition: bad.partition) else {
            Issue.record("rot not found"); return
        }
        #expect(try await store.head(bad) == .missing)
        #expect(try await store.objects(inPartition: bad.partition).contains { $0.hash == bad.hash } == false)
        #expect(try await store.audit(bad.hash, inPartition: bad.partition) == .noData)
        if let folder { #expect(folder.files(under: "quarantined").count == 1) }
    }

    /// A digest the sender supplies is stored as given, without hashing the body (a wrong
    /// one is kept), checked against the client's ETag, refused when it is not an MD5, and
    /// proven by the auditor.
    @Test(arguments: StoreKind.allCases)
    func aSuppliedDigestIsStoredAsGivenAndAuditedLater(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let right = key("right"), wrong = key("wrong")
        let body = bodyBytes(100_000)
        let md5 = ETagHasher.hex(of: body), other = ETagHasher.hex(of: [9])
        func put(_ k: ObjectKey, digest: String?, expected: String? = nil) async throws -> StoredObject {
            try await store.put(k, metadata: metadata(at: ts(7)), body: .bytes(body, chunkSize: 4_096), expectedETag: expected,
                                digest: .supplied { digest })
        }
        await #expect(throws: ObjectStoreError.invalidDigest("none")) { try await put(right, digest: nil) }
        await #expect(throws: ObjectStoreError.invalidDigest("MD5")) { try await put(right, digest: "MD5") }
        await #expect(throws: ObjectStoreError.invalidDigest(md5.uppercased())) { try await put(right, digest: md5.uppercased()) }
        await #expect(throws: ObjectStoreError.etagMismatch(expected: other, actual: md5)) {
            try await put(right, digest: md5, expected: other)
        }
        #expect(try await store.head(right) == .missing, "nothing was stored")

        #expect(try await put(right, digest: md5).etag == md5)
        #expect(try await put(wrong, digest: other).etag == other)
        #expect(try await store.get(wrong, range: nil)?.metadata.etag == other)
        #expect(try await store.audit(right.hash, inPartition: right.partition) == .verified(bytes: body.count))
        guard case .quarantined = try await store.audit(wrong.hash, inPartition: wrong.partition) else {
            Issue.record("a body stored under an ETag that is not its MD5 passed the audit"); return
        }
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func wholeReadNeverYieldsARottenBody(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let small = key("small"), large = key("large")
        let body = bodyBytes(600_000)
        _ = try await store.put(small, metadata: metadata(at: ts(7)), body: .bytes(bodyBytes(2_000), chunkSize: 500), expectedETag: nil)
        _ = try await store.put(large, metadata: metadata(at: ts(7)), body: .bytes(body, chunkSize: 65_536), expectedETag: nil)
        try await damage(small, in: store, folder: folder)
        try await damage(large, in: store, folder: folder)
        // A small body is checked before anything is served.
        #expect(try await store.get(small, range: nil) == nil)
        #expect(try await store.head(small) == .missing)
        // A large one fails before its last chunk: what was received is never the whole.
        if let reader = try await store.get(large, range: nil) {
            var received = 0
            await #expect(throws: ObjectStoreError.self) {
                for try await chunk in reader.body { received += chunk.count }
            }
            #expect(received < body.count)
        }
        #expect(try await store.head(large) == .missing)
    }
}
