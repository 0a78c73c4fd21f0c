import ShoalCore
import ShoalPorts
import ShoalSimulation
import Testing

/// The behaviour every ``ObjectStore`` must have, run against the disk store and its
/// in-memory twin alike (Swift's DiskFile contract).
struct ObjectStoreConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func putThenGetRoundTripsWithMD5ETag(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let body = bodyBytes(300_000)
        let stored = try await store.put(key("a"), metadata: metadata(at: ts(100), type: "text/plain", user: ["Color": "blue"]),
                                         body: .bytes(body, chunkSize: 7_000), expectedETag: nil)
        #expect(stored == StoredObject(timestamp: ts(100), etag: ETagHasher.hex(of: body), sizeBytes: body.count))
        let reader = try #require(try await store.get(key("a"), range: nil))
        #expect(reader.metadata.etag == stored.etag)
        #expect(reader.metadata.contentLength == body.count)
        #expect(reader.metadata.contentType == "text/plain")
        #expect(reader.metadata.userMetadata == ["Color": "blue"])
        #expect(reader.path == "/AUTH_test/c/a")
        #expect(reader.range == nil)
        #expect(try await reader.body.collect(upTo: 1 << 20) == body)
        #expect(try await store.head(key("a")) == .present(reader.metadata, path: "/AUTH_test/c/a"))
        #expect(try await store.get(key("missing"), range: nil) == nil)
        #expect(try await store.head(key("missing")) == .missing)
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func emptyBodyAndMatchingETag(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let empty = "d41d8cd98f00b204e9800998ecf8427e"
        let stored = try await store.put(key("e"), metadata: metadata(at: ts(1)), body: .empty, expectedETag: empty.uppercased())
        #expect(stored.etag == empty && stored.sizeBytes == 0)
        #expect(try await readAll(store.get(key("e"), range: nil)) == [])
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func etagMismatchLeavesNothing(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let body = bodyBytes(3 << 20)
        await #expect(throws: ObjectStoreError.etagMismatch(expected: "00000000000000000000000000000000",
                                                            actual: ETagHasher.hex(of: body))) {
            try await store.put(key("m"), metadata: metadata(at: ts(5)), body: .bytes(body, chunkSize: 65_536),
                                expectedETag: "00000000000000000000000000000000")
        }
        #expect(try await store.head(key("m")) == .missing)
        #expect(try await store.objects(inPartition: key("m").partition).isEmpty)
        #expect(try await store.partitions().isEmpty, "not even a folder for the object")
        if let folder { #expect(folder.temporaryFiles.isEmpty) }
        // A failing body stream leaves nothing either.
        struct Broken: Error {}
        let failing = ChunkStream { throw Broken() }
        await #expect(throws: Broken.self) {
            try await store.put(key("m"), metadata: metadata(at: ts(6)), body: failing, expectedETag: nil)
        }
        #expect(try await store.head(key("m")) == .missing)
    }

    @Test(arguments: StoreKind.allCases)
    func aWriteTornPartWayLeavesTheOlderVersionWhole(kind: StoreKind) async throws {
        let (base, folder) = try kind.make()
        let store = FaultyObjectStore(base)
        let old = bodyBytes(100_000), new = bodyBytes(200_000, seed: 9)
        try await store.put(key("t"), metadata: metadata(at: ts(5)), body: .bytes(old, chunkSize: 4_096), expectedETag: nil)
        let hashes = try await store.hashes(in: key("t").partition)
        store.tearNextWrite(afterBytes: 150_000)
        await #expect(throws: FaultyObjectStore.TornWrite.self) {
            try await store.put(key("t"), metadata: metadata(at: ts(6)), body: .bytes(new, chunkSize: 4_096), expectedETag: nil)
        }
        #expect(store.takeTornWrites().map(\.timestamp) == [ts(6)] && !store.isArmed)
        guard case .present(let stored, _) = try await store.head(key("t")) else { Issue.record("the old version is gone"); return }
        #expect(stored.timestamp == ts(5) && stored.etag == ETagHasher.hex(of: old))
        #expect(try await store.get(key("t"), range: nil)?.body.collect(upTo: 1 << 20) == old)
        #expect(try await store.hashes(in: key("t").partition) == hashes)
        if let folder { #expect(folder.temporaryFiles.isEmpty) }
    }

    @Test(arguments: StoreKind.allCases)
    func lastWriterWinsByTimestamp(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let k = key("lww")
        _ = try await store.put(k, metadata: metadata(at: ts(200)), body: .bytes([2]), expectedETag: nil)
        await #expect(throws: ObjectStoreError.outdated(existing: ts(200))) {
            try await store.put(k, metadata: metadata(at: ts(100)), body: .bytes([1]), expectedETag: nil)
        }
        await #expect(throws: ObjectStoreError.outdated(existing: ts(200))) {
            try await store.put(k, metadata: metadata(at: ts(200)), body: .bytes([9]), expectedETag: nil)
        }
        #expect(try await readAll(store.get(k, range: nil)) == [2])
        // The offset orders writes at the same instant.
        _ = try await store.put(k, metadata: metadata(at: ts(200, offset: 1)), body: .bytes([3]), expectedETag: nil)
        #expect(try await readAll(store.get(k, range: nil)) == [3])
        _ = try await store.put(k, metadata: metadata(at: ts(300)), body: .bytes([4]), expectedETag: nil)
        #expect(try await readAll(store.get(k, range: nil)) == [4])
        let listed = try await store.objects(inPartition: k.partition)
        #expect(listed == [PartitionObject(hash: k.hash, timestamp: ts(300), isTombstone: false, metaTimestamp: nil)])
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func tombstones(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let k = key("t")
        #expect(try await store.delete(k, timestamp: ts(10)).described == "deleted over nothing")
        #expect(try await store.head(k) == .deleted(ts(10)))
        _ = try await store.put(k, metadata: metadata(at: ts(20)), body: .bytes([1, 2]), expectedETag: nil)
        #expect(try await store.delete(k, timestamp: ts(15)).described == "outdated by data \(ts(20).internal)")
        #expect(try await store.delete(k, timestamp: ts(20)).described == "outdated by data \(ts(20).internal)")
        // What the store saw is what head says: merged metadata, X-Delete-At included.
        let seen = try await store.head(k)
        #expect(try await store.delete(k, timestamp: ts(30)) == .deleted(previous: seen))
        #expect(try await store.get(k, range: nil) == nil)
        #expect(try await store.head(k) == .deleted(ts(30)))
        // An older PUT after a newer DELETE is refused with the tombstone's time.
        await #expect(throws: ObjectStoreError.outdated(existing: ts(30))) {
            try await store.put(k, metadata: metadata(at: ts(25)), body: .bytes([9]), expectedETag: nil)
        }
        #expect(try await store.delete(k, timestamp: ts(40)).described == "deleted over tombstone \(ts(30).internal)")
        #expect(try await store.delete(k, timestamp: ts(35)).described == "outdated by tombstone \(ts(40).internal)")
        let listed = try await store.objects(inPartition: k.partition)
        #expect(listed == [PartitionObject(hash: k.hash, timestamp: ts(40), isTombstone: true, metaTimestamp: nil)])
        _ = try await store.put(k, metadata: metadata(at: ts(50)), body: .bytes([5]), expectedETag: nil)
        #expect(try await readAll(store.get(k, range: nil)) == [5])
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func postReplacesUserMetadataAndKeepsContent(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let k = key("p")
        #expect(try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(1))) == .notFound(deletedAt: nil))
        _ = try await store.put(k, metadata: metadata(at: ts(10), type: "text/html", user: ["A": "1", "B": "2"],
                                                      other: ["X-Static-Large-Object": "True", "Content-Encoding": "gzip"]),
                                 body: .bytes(Array("hello".utf8)), expectedETag: nil)
        let update = ObjectMetadataUpdate(timestamp: ts(20), userMetadata: ["C": "3"], otherHeaders: ["X-Delete-At": "999"])
        #expect(try await store.post(k, metadata: update) == .updated)
        let reader = try #require(try await store.get(k, range: nil))
        #expect(reader.metadata.timestamp == ts(20))
        #expect(reader.metadata.userMetadata == ["C": "3"])
        #expect(reader.metadata.otherHeaders == ["x-delete-at": "999", "x-static-large-object": "True"])
        #expect(reader.metadata.contentType == "text/html")
        #expect(reader.metadata.etag == ETagHasher.hex(of: Array("hello".utf8)))
        #expect(try await reader.body.collect(upTo: 100) == Array("hello".utf8))
        #expect(try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(20))) == .outdated(existing: ts(20)))
        #expect(try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(15))) == .outdated(existing: ts(20)))
        #expect(try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(25), userMetadata: ["D": "4"])) == .updated)
        guard case .present(let merged, _) = try await store.head(k) else { Issue.record("not present"); return }
        #expect(merged.userMetadata == ["D": "4"] && merged.timestamp == ts(25))
        // A PUT newer than the data but older than the .meta keeps the .meta applied.
        _ = try await store.put(k, metadata: metadata(at: ts(22), user: ["E": "5"]), body: .bytes([1]), expectedETag: nil)
        guard case .present(let afterPut, _) = try await store.head(k) else { Issue.record("not present"); return }
        #expect(afterPut.userMetadata == ["D": "4"] && afterPut.contentLength == 1)
        #expect(try await store.objects(inPartition: k.partition).first?.metaTimestamp == ts(25))
        // A newer PUT drops the older .meta.
        _ = try await store.put(k, metadata: metadata(at: ts(30), user: ["F": "6"]), body: .bytes([2]), expectedETag: nil)
        guard case .present(let fresh, _) = try await store.head(k) else { Issue.record("not present"); return }
        #expect(fresh.userMetadata == ["F": "6"])
        let current = try await store.head(k)
        #expect(try await store.delete(k, timestamp: ts(40)) == .deleted(previous: current))
        #expect(try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(50))) == .notFound(deletedAt: ts(40)))
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func ranges(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let body = bodyBytes(700_000)
        let k = key("r")
        _ = try await store.put(k, metadata: metadata(at: ts(1)), body: .bytes(body), expectedETag: nil)
        for range in [0...0, 0...9, 10...65_000, 65_000...400_001, 699_999...699_999, 600_000...10_000_000] {
            let reader = try #require(try await store.get(k, range: range))
            let expected = range.lowerBound...min(range.upperBound, body.count - 1)
            #expect(reader.range == expected)
            #expect(reader.metadata.contentLength == body.count)
            #expect(try await reader.body.collect(upTo: 1 << 20) == Array(body[expected]), "range \(range)")
        }
        await #expect(throws: ObjectStoreError.rangeNotSatisfiable(sizeBytes: body.count)) {
            try await store.get(k, range: 700_000...700_010)
        }
        _ = try await store.put(key("empty"), metadata: metadata(at: ts(1)), body: .empty, expectedETag: nil)
        await #expect(throws: ObjectStoreError.rangeNotSatisfiable(sizeBytes: 0)) {
            try await store.get(key("empty"), range: 0...0)
        }
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func metadataAtSwiftLimitsRoundTrips(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        var user: [String: String] = [String(repeating: "N", count: 128): String(repeating: "v", count: 256)]
        for index in 0..<89 { user["k\(index)"] = String(repeating: "x", count: 36) }
        let overall = user.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        #expect(user.count == 90 && overall <= 4_096)
        let other = ["Content-Disposition": String(repeating: "d", count: 8_192), "X-Object-Manifest": "seg/prefix",
                     "Content-Encoding": "br", "X-Delete-At": "1900000000"]
        let k = key("limits")
        _ = try await store.put(k, metadata: metadata(at: ts(7), type: String(repeating: "t", count: 256), user: user, other: other),
                                body: .bytes([1, 2, 3]), expectedETag: nil)
        guard case .present(let stored, _) = try await store.head(k) else { Issue.record("not present"); return }
        #expect(stored.userMetadata == user)
        #expect(stored.otherHeaders == Dictionary(uniqueKeysWithValues: other.map { ($0.key.lowercased(), $0.value) }))
        #expect(stored.contentType.utf8.count == 256)
        var tooMany = user
        tooMany["one-more"] = ""
        await #expect(throws: ObjectStoreError.invalidMetadata(.tooManyItems(91))) {
            try await store.put(key("over"), metadata: metadata(at: ts(8), user: tooMany), body: .empty, expectedETag: nil)
        }
        #expect(try await store.head(key("over")) == .missing)
        _ = folder
    }

    @Test(arguments: StoreKind.allCases)
    func listingHelpers(kind: StoreKind) async throws {
        let (store, folder) = try kind.make()
        let names = (0..<40).map { "obj-\($0)" }
        for (index, name) in names.enumerated() {
            _ = try await store.put(key(name), metadata: metadata(at: ts(Int64(100 + index))), body: .bytes([UInt8(index)]),
                                    expectedETag: nil)
        }
        let expectedPartitions = Set(names.map { key($0).partition }).sorted()
        #expect(try await store.partitions() == expectedPartitions)
        let partition = key(names[0]).partition
        let inPartition = names.filter { key($0).partition == partition }
        let listed = try await store.objects(inPartition: partition)
        #expect(listed.map(\.hash) == inPartition.map { key($0).hash }.sorted())
        let before = try await store.hashes(in: partition)
        #expect(Set(before.keys) == Set(inPartition.map { key($0).hash.suffix }))
        _ = try await store.delete(key(names[0]), timestamp: ts(1_000))
        let after = try await store.hashes(in: partition)
        #expect(after[key(names[0]).hash.suffix] != before[key(names[0]).hash.suffix])
        _ = folder
    }
}

extension DeleteOutcome {
    /// What the store did and what it saw, in words a test can compare.
    var described: String {
        func seen(_ state: ObjectState) -> String {
            switch state {
            case .missing: "nothing"
            case .deleted(let timestamp): "tombstone \(timestamp.internal)"
            case .present(let metadata, _): "data \(metadata.timestamp.internal)"
            }
        }
        switch self {
        case .deleted(let previous): return "deleted over " + seen(previous)
        case .outdated(let current): return "outdated by " + seen(current)
        }
    }
}
