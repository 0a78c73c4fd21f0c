import Foundation
import ShoalCore
@testable import ShoalDiskStore
import ShoalPorts
import ShoalSimulation
import Synchronization
import Testing

/// What only the disk store must do: Swift's layout, one file per version, crash
/// leftovers ignored, restarts, bounded memory for large bodies, no path traversal.
struct DiskObjectStoreTests {
    @Test func layoutIsSwiftsFlattenedAndObsoleteVersionsAreRemoved() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("layout")
        let stem = "\(k.partition)/\(k.hash.suffix)/\(k.hash.hex)-"
        _ = try await store.put(k, metadata: metadata(at: ts(100)), body: .bytes([1]), expectedETag: nil)
        #expect(folder.objectFiles == ["\(stem)0000000100.00000.data"])
        _ = try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(150), userMetadata: ["A": "1"]))
        #expect(folder.objectFiles == ["\(stem)0000000100.00000.data", "\(stem)0000000150.00000.meta"])
        _ = try await store.put(k, metadata: metadata(at: ts(200, offset: 5)), body: .bytes([2]), expectedETag: nil)
        #expect(folder.objectFiles == ["\(stem)0000000200.00000_0000000000000005.data"])
        _ = try await store.delete(k, timestamp: ts(300))
        #expect(folder.objectFiles == ["\(stem)0000000300.00000.ts"])
        #expect(folder.files(under: "objects").contains(LayoutMigration.marker))
    }

    @Test func aWriteIntoTheReserveIsRefusedBeforeAnythingIsWritten() async throws {
        let folder = try TemporaryDirectory()
        let roomy = try DiskObjectStore(devicePath: folder.path)
        _ = try await roomy.put(key("before"), metadata: metadata(at: ts(1)), body: .bytes([1]), expectedETag: nil)
        guard let space = DeviceSpace.of(folder.path) else { Issue.record("statvfs failed"); return }
        #expect(space.total > 0 && space.available <= space.total)
        // A reserve as large as the file system: nothing fits.
        let tight = try DiskObjectStore(devicePath: folder.path, reserve: .bytes(space.total))
        await #expect(throws: ObjectStoreError.io(operation: "fallocate", errno: ENOSPC)) {
            _ = try await tight.put(key("refused"), metadata: metadata(at: ts(2)), body: .bytes([1, 2]), expectedETag: nil)
        }
        // A one-byte reserve: the declared length counts, and a large body is refused before
        // any of it is read.
        let slight = try DiskObjectStore(devicePath: folder.path, reserve: .bytes(1))
        let huge = ObjectMetadata(timestamp: ts(3), contentType: "application/octet-stream", contentLength: space.total)
        let pulled = Atomic<Bool>(false)
        let body = ChunkStream {
            pulled.store(true, ordering: .relaxed)
            return nil
        }
        await #expect(throws: ObjectStoreError.io(operation: "fallocate", errno: ENOSPC)) {
            _ = try await slight.put(key("huge"), metadata: huge, body: body, expectedETag: nil)
        }
        let wasPulled = pulled.load(ordering: .relaxed)
        #expect(!wasPulled, "the body was read before the refusal")
        _ = try await slight.put(key("small"), metadata: metadata(at: ts(3)), body: .bytes([3]), expectedETag: nil)
        #expect(try await tight.head(key("refused")) == .missing)
        #expect(folder.temporaryFiles.isEmpty, "no temporary file is left")
        // Tombstones and metadata still go in: they are how space is freed and kept right.
        #expect(try await tight.post(key("before"), metadata: ObjectMetadataUpdate(timestamp: ts(4), userMetadata: ["A": "1"])) == .updated)
        #expect(try await tight.delete(key("before"), timestamp: ts(5)).hadObject)
        // Off, nothing is refused.
        let off = try DiskObjectStore(devicePath: folder.path, reserve: .none)
        _ = try await off.put(key("after"), metadata: metadata(at: ts(6)), body: .bytes([1, 2]), expectedETag: nil)
        #expect(try await readAll(off.get(key("after"), range: nil)) == [1, 2])
    }

    /// A replication pass asks for every partition's hashes; one whose files did not change
    /// is answered from memory, and its folder is read again after a change or after
    /// ten lookups (which sees what changed behind the store's back).
    @Test func anUnchangedPartitionIsAnsweredFromMemoryUntilAChangeOrItsRelisting() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("cached")
        let empty = (k.partition + 1) % (1 << 16)
        _ = try await store.put(k, metadata: metadata(at: ts(1)), body: .bytes([1]), expectedETag: nil)
        let first = try await store.hashes(in: [k.partition, empty])
        #expect(first[empty] == [:])
        #expect(first[k.partition] == PartitionObject.suffixHashes(try await store.objects(inPartition: k.partition)))
        #expect(first[k.partition]?.keys.sorted() == [k.hash.suffix])

        _ = try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(2)))
        let listings = store.statistics.partitionListings
        let changed = try await store.hashes(in: [k.partition])[k.partition]
        #expect(store.statistics.partitionListings == listings + 1)
        #expect(changed != first[k.partition])
        #expect(changed == PartitionObject.suffixHashes(try await store.objects(inPartition: k.partition)))

        try FileManager.default.removeItem(atPath: "\(folder.path)/objects/\(k.partition)/\(k.hash.suffix)")
        for _ in 0..<5 {
            #expect(try await store.hashes(in: [k.partition])[k.partition] == changed)
            #expect(try await store.hashes(in: k.partition) == changed)
        }
        #expect(store.statistics.partitionListings == listings + 1)
        #expect(try await store.hashes(in: [k.partition])[k.partition] == [:])
        #expect(store.statistics.partitionListings == listings + 2)
    }

    /// A write through the store leaves its suffix's new hash in the cache, from the listing
    /// it makes anyway: the next pass lists partition folders but no suffix folder, and finds
    /// what a store that never saw the writes computes from the disk.
    @Test func aWriteLeavesItsSuffixHashSoAPassListsNoSuffixFolder() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let keys = (0..<40).map { key("suffix-\($0)") }
        for (index, k) in keys.enumerated() {
            _ = try await store.put(k, metadata: metadata(at: ts(Int64(index + 1))), body: .bytes([UInt8(index)]), expectedETag: nil)
        }
        _ = try await store.post(keys[0], metadata: ObjectMetadataUpdate(timestamp: ts(100), userMetadata: ["A": "1"]))
        _ = try await store.delete(keys[1], timestamp: ts(101))
        _ = try await store.put(keys[2], metadata: metadata(at: ts(102)), body: .bytes([9]), expectedETag: nil)
        let partitions = Set(keys.map(\.partition)).sorted()
        let listed = store.statistics.suffixListings
        let cached = try await store.hashes(in: partitions)
        #expect(store.statistics.suffixListings == listed)
        #expect(store.statistics.partitionListings == partitions.count)
        let fresh = try DiskObjectStore(devicePath: folder.path)
        #expect(try await fresh.hashes(in: partitions) == cached)
        #expect(fresh.statistics.suffixListings >= Set(keys.map { "\($0.partition)/\($0.hash.suffix)" }).count)
    }

    /// A crash mid-write leaves a temporary file beside the object's versions (or, from an
    /// earlier build, in `tmp/`). Both are invisible; the first goes with the first listing
    /// of its folder by a later process (the first replication pass lists every folder),
    /// the second when the store opens.
    @Test func leftoverTemporaryFilesAreIgnoredAndCleaned() async throws {
        let folder = try TemporaryDirectory()
        let first = try DiskObjectStore(devicePath: folder.path)
        let k = key("kept")
        _ = try await first.put(k, metadata: metadata(at: ts(1)), body: .bytes([7]), expectedETag: nil)
        let hashes = try await first.hashes(in: k.partition)
        let abandoned = folder.path + "/objects/\(k.partition)/\(k.hash.suffix)/" + DiskObjectStore.temporaryPrefix
            + first.temporaryTag + "-dead"
        let older = folder.path + "/tmp/" + key("half").hash.hex + "-dead.tmp"
        for file in [abandoned, older] {
            #expect(FileManager.default.createFile(atPath: file, contents: Data(repeating: 0xAB, count: 10_000)))
        }
        #expect(try await first.head(key("half")) == .missing)
        #expect(try await first.partitions() == [k.partition])
        #expect(try await first.objects(inPartition: k.partition).map(\.hash) == [k.hash])
        #expect(FileManager.default.fileExists(atPath: abandoned), "the process whose tag it bears still runs")

        let second = try DiskObjectStore(devicePath: folder.path)
        #expect(second.temporaryTag != first.temporaryTag)
        #expect(!FileManager.default.fileExists(atPath: older))
        #expect(try await second.hashes(in: k.partition) == hashes)
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(second.statistics.abandonedTemporaries == 1)
        #expect(folder.temporaryFiles.isEmpty)
        #expect(try await readAll(second.get(k, range: nil)) == [7])
        // Junk among an object's files is ignored too.
        let junk = storedFile(k, "garbage.data", on: folder.path)
        #expect(FileManager.default.createFile(atPath: junk, contents: Data([1, 2, 3])))
        #expect(try await readAll(second.get(k, range: nil)) == [7])
    }

    /// A write's temporary file sits in its object's folder from its first write to its
    /// rename (a rename within one folder); listings meanwhile neither show nor remove it.
    @Test func aWriteInFlightKeepsItsTemporaryFileBesideTheVersions() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("streaming")
        let head = bodyBytes(1 << 20, seed: 4), tail = bodyBytes(10, seed: 5)
        let (pulled, pulling) = AsyncStream<Void>.makeStream()
        let (gate, opening) = AsyncStream<Void>.makeStream()
        let pulls = Mutex(0)
        // The first megabyte fills a write buffer, so it is written before the second pull.
        let body = ChunkStream {
            let pull = pulls.withLock { count in
                count += 1
                return count
            }
            if pull == 1 { return head }
            guard pull == 2 else { return nil }
            pulling.yield()
            for await _ in gate { break }
            return tail
        }
        var meta = metadata(at: ts(1))
        meta.contentLength = head.count + tail.count
        let put = Task { try await store.put(k, metadata: meta, body: body, expectedETag: nil) }
        for await _ in pulled { break }

        let temporaries = folder.temporaryFiles
        #expect(temporaries.count == 1)
        #expect(temporaries.first?.hasPrefix("objects/\(k.partition)/\(k.hash.suffix)/.tmp-\(store.temporaryTag)-") == true)
        #expect(try await store.objects(inPartition: k.partition).isEmpty)
        #expect(try await store.head(k) == .missing)
        #expect(folder.temporaryFiles == temporaries, "a listing leaves a running write's file alone")
        opening.yield()
        _ = try await put.value
        #expect(folder.temporaryFiles.isEmpty)
        #expect(try await readAll(store.get(k, range: nil)) == head + tail)
        #expect(store.statistics.abandonedTemporaries == 0)
    }

    /// A device written in Swift's layout (a folder per object) is flattened when opened,
    /// also when an earlier opening stopped half-way: every version moves, none is lost or
    /// changes, the replicator's hashes stay the same, and the marker spares later openings.
    @Test func aDeviceInSwiftsLayoutIsFlattenedWhenOpened() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let keys = (0..<24).map { key("legacy-\($0)") }
        for (i, k) in keys.enumerated() {
            _ = try await store.put(k, metadata: metadata(at: ts(10)), body: .bytes([UInt8(i), 1, 2]), expectedETag: nil)
            if i % 3 == 0 { _ = try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(20), userMetadata: ["N": "\(i)"])) }
            if i % 5 == 0 { _ = try await store.delete(k, timestamp: ts(30)) }
        }
        let partitions = try await store.partitions()
        let hashes = try await store.hashes(in: partitions)
        var names: [ObjectKey: [String]] = [:]
        for k in keys { names[k] = try storedNames(of: k, on: folder.path) }
        #expect(names.values.contains { $0.count == 2 })

        // Swift's layout: each object's files in `<suffix>/<hash>/`, named by version alone;
        // the first object half-moved (its newest file already flat), and no marker.
        let fm = FileManager.default
        for (i, k) in keys.enumerated() {
            let flat = try #require(names[k])
            let folderOfItsOwn = "\(folder.path)/objects/\(k.partition)/\(k.hash.suffix)/\(k.hash.hex)"
            try fm.createDirectory(atPath: folderOfItsOwn, withIntermediateDirectories: false)
            for name in flat where !(i == 0 && name == flat.last) {
                try fm.moveItem(atPath: storedFile(k, name, on: folder.path), toPath: folderOfItsOwn + "/" + name)
            }
        }
        try fm.removeItem(atPath: folder.path + "/objects/" + LayoutMigration.marker)
        #expect(try LayoutMigration.flatten(objectsPath: folder.path + "/objects") == names.values.map(\.count).reduce(0, +) - 1)
        try fm.removeItem(atPath: folder.path + "/objects/" + LayoutMigration.marker)

        let reopened = try DiskObjectStore(devicePath: folder.path)
        for (i, k) in keys.enumerated() {
            #expect(try storedNames(of: k, on: folder.path) == names[k])
            #expect(!fm.fileExists(atPath: "\(folder.path)/objects/\(k.partition)/\(k.hash.suffix)/\(k.hash.hex)"))
            if i % 5 == 0 {
                #expect(try await reopened.head(k) == .deleted(ts(30)))
            } else {
                let reader = try #require(try await reopened.get(k, range: nil))
                #expect(reader.metadata.userMetadata == (i % 3 == 0 ? ["N": "\(i)"] : [:]))
                #expect(try await reader.body.collect(upTo: 16) == [UInt8(i), 1, 2])
            }
        }
        #expect(try await reopened.hashes(in: partitions) == hashes)
        #expect(fm.fileExists(atPath: folder.path + "/objects/" + LayoutMigration.marker))
        #expect(try LayoutMigration.flatten(objectsPath: folder.path + "/objects") == 0)
    }

    @Test func restartSeesEverything() async throws {
        let folder = try TemporaryDirectory()
        let memory = InMemoryObjectStore()
        do {
            let store = try DiskObjectStore(devicePath: folder.path)
            for target in [store as any ObjectStore, memory] {
                _ = try await target.put(key("a"), metadata: metadata(at: ts(1), user: ["K": "V"]),
                                         body: .bytes(bodyBytes(100_000)), expectedETag: nil)
                _ = try await target.put(key("b"), metadata: metadata(at: ts(2)), body: .bytes([2]), expectedETag: nil)
                _ = try await target.delete(key("b"), timestamp: ts(3))
                _ = try await target.post(key("a"), metadata: ObjectMetadataUpdate(timestamp: ts(4), userMetadata: ["P": "Q"]))
            }
        }
        let reopened = try DiskObjectStore(devicePath: folder.path)
        let reader = try #require(try await reopened.get(key("a"), range: nil))
        #expect(reader.metadata.userMetadata == ["P": "Q"])
        #expect(try await reader.body.collect(upTo: 1 << 20) == bodyBytes(100_000))
        #expect(try await reopened.head(key("b")) == .deleted(ts(3)))
        #expect(try await reopened.head(key("a")) == memory.head(key("a")))
        // The twin and the disk agree on what the replicator compares.
        for partition in try await reopened.partitions() {
            #expect(try await reopened.hashes(in: partition) == memory.hashes(in: partition))
            #expect(try await reopened.objects(inPartition: partition) == memory.objects(inPartition: partition))
        }
        #expect(try await reopened.partitions() == memory.partitions())
    }

    @Test func invalidHashesNeverBecomePaths() throws {
        for bad in ["../../../../../../etc/passwd", "0123456789abcdef0123456789abcde/", "/0123456789abcdef0123456789abcde",
                    "0123456789abcdef0123456789ABCDEF", "", "0123456789abcdef0123456789abcdef0"] {
            #expect(ObjectHash(hex: bad) == nil, "\(bad)")
        }
        let hash = ObjectHash(hex: "0123456789abcdef0123456789abcdef")!
        #expect(ObjectKey(partition: -1, hash: hash, account: "a", container: "c", object: "o") == nil)
        #expect(ObjectKey(partition: 1 << 40, hash: hash, account: "a", container: "c", object: "o") == nil)
        #expect(ObjectKey(partition: 0, hash: hash, account: "a", container: "c", object: String(repeating: "o", count: 1_025)) == nil)
        #expect(AsyncPendingStore.Entry(fileName: "../0123456789abcdef0123456789abcdef-0000000001.00000") == nil)
    }

    @Test func largeBodiesAreReadPastThePageCacheAndStillVerified() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let plain = try DiskObjectStore(devicePath: folder.path + "-plain", directIO: false)
        defer { try? FileManager.default.removeItem(atPath: folder.path + "-plain") }
        let body = bodyBytes(3 << 20 + 5, seed: 3)
        let k = key("large")
        for target in [store, plain] {
            _ = try await target.put(k, metadata: metadata(at: ts(1)), body: .bytes(body), expectedETag: nil)
            #expect(try await readAll(target.get(k, range: nil)) == body)
            #expect(try await readAll(target.get(k, range: 1_000...(1_000 + 1 << 20 + 77))) == Array(body[1_000...(1_000 + 1 << 20 + 77)]))
            // Below the threshold a range stays buffered.
            #expect(try await readAll(target.get(k, range: 5...4_100)) == Array(body[5...4_100]))
        }
        let stored = try #require(folder.files(under: "objects").first { $0.hasSuffix(".data") })
        let probe = try #require(FileHandle(forReadingAtPath: folder.path + "/objects/" + stored))
        let supported = PosixFile.setDirectIO(probe.fileDescriptor, true)
        try probe.close()
        #expect(store.statistics.directReads == (supported ? 2 : 0))
        #expect(plain.statistics.directReads == 0)
        #expect(store.readWindows?.idleCount == (supported ? 1 : 0), "one window, back in the pool after each read")

        try await damage(k, in: store, folder: folder)
        await #expect(throws: ObjectStoreError.self) { _ = try await readAll(store.get(k, range: nil)) }
        #expect(store.statistics.quarantined == 1)
        #expect(try await store.get(k, range: nil) == nil)
    }

    @Test func largeBodiesStartTheirWritebackAsTheyStreamAndSitOnABlockBoundary() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let plain = try DiskObjectStore(devicePath: folder.path + "/plain", directIO: false)
        let body = bodyBytes(3 << 20 + 5, seed: 9)
        let small = bodyBytes(4_096, seed: 2)
        // Chunks of an odd size, so blocks straddle the writes and a partial one is left.
        for target in [store, plain] {
            var meta = metadata(at: ts(1))
            meta.contentLength = body.count
            _ = try await target.put(key("large"), metadata: meta, body: .bytes(body, chunkSize: 100_003), expectedETag: nil)
            // Three MiB in 1 MiB write buffers: two appends before the last bytes, each
            // starting the writeback of what it wrote (Linux only); the end is the flush's.
            #expect(target.statistics.writebackStarts == (isLinux ? 2 : 0))
            _ = try await target.put(key("small"), metadata: metadata(at: ts(1)), body: .bytes(small), expectedETag: nil)
            #expect(target.statistics.writebackStarts == (isLinux ? 2 : 0), "a small body is left to its flush")
            #expect(try await readAll(target.get(key("large"), range: nil)) == body)
            // A small range of the padded file is read through the cache.
            #expect(try await readAll(target.get(key("large"), range: 10...5_000)) == Array(body[10...5_000]))
            #expect(try await readAll(target.get(key("small"), range: nil)) == small)
        }
        func stored(_ name: String, in device: String) throws -> [UInt8] {
            let k = key(name)
            let file = try #require(try storedNames(of: k, on: device).first { $0.hasSuffix(".data") })
            return [UInt8](try #require(FileManager.default.contents(atPath: storedFile(k, file, on: device))))
        }
        func layout(_ file: [UInt8]) throws -> (padding: Int, bodyOffset: Int) {
            let prefix = try DiskFileFormat.decodePrefix(Array(file.prefix(DiskFileFormat.prefixBytes)))
            return (prefix.padding, prefix.bodyOffset)
        }
        let large = try stored("large", in: folder.path)
        let (padding, bodyOffset) = try layout(large)
        #expect(padding > 0 && bodyOffset % PosixFile.directAlignment == 0)
        #expect(Array(large[bodyOffset...]) == body && large.count == bodyOffset + body.count)
        let plainLarge = try stored("large", in: folder.path + "/plain")
        #expect(try layout(plainLarge).padding == 0 && Array(plainLarge[try layout(plainLarge).bodyOffset...]) == body)
        #expect(try layout(try stored("small", in: folder.path)).padding == 0, "a small body is not padded")
    }

    /// A file that is not what the store wrote, or a first-version header with padding
    /// (a field that version always wrote as 0), is quarantined when read, never trusted.
    @Test(arguments: [false, true]) func corruptDataFileIsQuarantinedNotTrusted(paddedFirstVersion: Bool) async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("rot")
        _ = try await store.put(k, metadata: metadata(at: ts(1)), body: .bytes([1, 2, 3]), expectedETag: nil)
        let file = storedFile(k, "0000000001.00000.data", on: folder.path)
        if paddedFirstVersion {
            let handle = try #require(FileHandle(forUpdatingAtPath: file))
            try handle.seek(toOffset: 4)
            try handle.write(contentsOf: [1, DiskFileFormat.Kind.data.rawValue, 0, 8])
            try handle.close()
        } else {
            #expect(FileManager.default.createFile(atPath: file, contents: Data("not a shoal file at all, not even close".utf8)))
        }
        #expect(try await store.head(k) == .missing)
        #expect(store.statistics.quarantined == 1)
        #expect(folder.objectFiles.isEmpty)
        #expect(folder.files(under: "quarantined/objects") == ["\(k.hash.hex)/0000000001.00000.data"])
    }

    /// A write is renamed into place before its one flush, so a crash before the
    /// acknowledgement can leave the new version's name over bytes that never reached the
    /// disk. Such a version does not decode: every read quarantines it and answers with
    /// the version before it, which nothing had removed yet.
    @Test func aVersionACrashCutShortGivesWayToTheOneBefore() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("cut-short")
        _ = try await store.put(k, metadata: metadata(at: ts(1), user: ["Kept": "data"]), body: .bytes([1, 2, 3]), expectedETag: nil)
        _ = try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(2), userMetadata: ["Kept": "meta"]))
        let good = try Data(contentsOf: URL(fileURLWithPath: storedFile(k, "0000000002.00000.meta", on: folder.path)))
        // A newer .data that is empty, and a newer .meta whose record stops half-way.
        #expect(FileManager.default.createFile(atPath: storedFile(k, "0000000003.00000.data", on: folder.path), contents: Data()))
        #expect(FileManager.default.createFile(atPath: storedFile(k, "0000000004.00000.meta", on: folder.path),
                                               contents: good.prefix(good.count - 3)))

        let reader = try #require(try await store.get(k, range: nil))
        #expect(reader.metadata.timestamp == ts(2), "the good .meta's")
        #expect(reader.metadata.userMetadata == ["Kept": "meta"])
        #expect(try await reader.body.collect(upTo: 1 << 20) == [1, 2, 3])
        #expect(store.statistics.quarantined == 2)
        #expect(try storedNames(of: k, on: folder.path) == ["0000000001.00000.data", "0000000002.00000.meta"])
        #expect(Set(folder.files(under: "quarantined/objects/\(k.hash.hex)")) == ["0000000003.00000.data", "0000000004.00000.meta"])
        // The object's next write goes on from there.
        #expect(try await store.delete(k, timestamp: ts(5)).hadObject)
        #expect(try storedNames(of: k, on: folder.path) == ["0000000005.00000.ts"])
    }

    /// A write whose flush fails is not durable: it is refused, its new name is taken back,
    /// and the object reads, lists and hashes as before it. A large body (written past the
    /// page cache), a `.meta` and a tombstone go the same way.
    @Test func aWriteWhoseFlushFailsIsTakenBack() async throws {
        let folder = try TemporaryDirectory()
        let failure = Atomic<Int32>(0)
        let store = try DiskObjectStore(devicePath: folder.path, scriptedFlush: { failure.load(ordering: .relaxed) })
        let k = key("flush-fails")
        let kept = bodyBytes(5_000)
        _ = try await store.put(k, metadata: metadata(at: ts(1), user: ["Kept": "yes"]), body: .bytes(kept), expectedETag: nil)
        let hashesBefore = try await store.hashes(in: k.partition)

        failure.store(EIO, ordering: .relaxed)
        let refused = ObjectStoreError.io(operation: "fsync", errno: EIO)
        await #expect(throws: refused) {
            _ = try await store.put(k, metadata: metadata(at: ts(2)), body: .bytes([9]), expectedETag: nil)
        }
        let large = bodyBytes(3 << 20, seed: 3)
        await #expect(throws: refused) {
            _ = try await store.put(k, metadata: metadata(at: ts(3)), body: .bytes(large), expectedETag: nil)
        }
        await #expect(throws: refused) {
            _ = try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(4), userMetadata: ["Kept": "no"]))
        }
        await #expect(throws: refused) { _ = try await store.delete(k, timestamp: ts(5)) }
        // A first object in a partition of its own leaves no folder either.
        let alone = try #require((0..<100).lazy.map { key("alone-\($0)") }.first { $0.partition != k.partition })
        await #expect(throws: refused) {
            _ = try await store.put(alone, metadata: metadata(at: ts(2)), body: .bytes([9]), expectedETag: nil)
        }
        #expect(try await store.partitions() == [k.partition])
        failure.store(0, ordering: .relaxed)

        #expect(try storedNames(of: k, on: folder.path) == ["0000000001.00000.data"])
        #expect(folder.temporaryFiles.isEmpty)
        let reader = try #require(try await store.get(k, range: nil))
        #expect(reader.metadata.userMetadata == ["Kept": "yes"])
        #expect(try await reader.body.collect(upTo: 1 << 20) == kept)
        #expect(try await store.hashes(in: k.partition) == hashesBefore)
        #expect(try await DiskObjectStore(devicePath: folder.path).hashes(in: k.partition) == hashesBefore, "computed afresh")
        // Once flushes work again, so do writes.
        #expect(try await store.delete(k, timestamp: ts(6)).hadObject)
        #expect(try storedNames(of: k, on: folder.path) == ["0000000006.00000.ts"])
    }

    @Test func aWriteAloneFlushesItsOwnFilesAndConcurrentWritesShareFlushes() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        // Alone: the file, the suffix folder, and the parent of each folder made.
        _ = try await store.put(key("s"), metadata: metadata(at: ts(1)), body: .bytes([1]), expectedETag: nil)
        #expect(store.statistics.syncs == 4, "a new partition: partition and suffix folders made")
        _ = try await store.put(key("s"), metadata: metadata(at: ts(2)), body: .bytes([2]), expectedETag: nil)
        #expect(store.statistics.syncs == 6)
        _ = try await store.delete(key("s"), timestamp: ts(3))
        #expect(store.statistics.syncs == 8)
        // Concurrent writers: never more flushes than alone (file and suffix folder, the partition's
        // and its parent for the new partitions), fewer when they meet; every object readable.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<32 {
                group.addTask { _ = try await store.put(key("c\(index)"), metadata: metadata(at: ts(5)), body: .bytes([UInt8(index)]),
                                                        expectedETag: nil) }
            }
            try await group.waitForAll()
        }
        #expect(store.statistics.syncs - 8 < 32 * 3)
        for index in 0..<32 {
            guard case .present(let stored, _) = try await store.head(key("c\(index)")) else { Issue.record("c\(index) missing"); continue }
            #expect(stored.timestamp == ts(5))
        }
        print("32 concurrent PUTs took \(store.statistics.syncs - 9) flushes")
    }

    @Test func aReleasedStoreLeavesNoDescriptorOpen() throws {
        let folder = try TemporaryDirectory()
        func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }
        let before = openDescriptors()
        for _ in 0..<200 { _ = try DiskObjectStore(devicePath: folder.path) }
        // Other tests run meanwhile and open descriptors too; a leak would add 200.
        #expect(openDescriptors() < before + 100)
    }

    @Test func concurrentPutsOfOneObjectKeepTheNewest() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("race")
        await withTaskGroup(of: Void.self) { group in
            for index in 1...32 {
                group.addTask {
                    _ = try? await store.put(k, metadata: metadata(at: ts(Int64(index))), body: .bytes([UInt8(index)]), expectedETag: nil)
                }
            }
        }
        #expect(try await readAll(store.get(k, range: nil)) == [32])
        #expect(folder.objectFiles.count == 1)
        #expect(folder.temporaryFiles.isEmpty)
    }

    /// Every writer lists the object's files again after its rename, so writers of one
    /// object that overlap leave nothing obsolete behind.
    @Test func concurrentPutsPostsAndDeletesOfOneObjectLeaveOnlyTheCurrentFiles() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("mixed")
        let seed: UInt64 = 0x0B50_1E7E
        var random = SeededRandom(seed: seed)
        var operations: [(kind: Int, at: Int64)] = []
        for _ in 0..<96 { operations.append((Int.random(in: 0..<3, using: &random), Int64.random(in: 1...10_000, using: &random))) }
        await withTaskGroup(of: Void.self) { group in
            for (kind, at) in operations {
                group.addTask {
                    switch kind {
                    case 0: _ = try? await store.put(k, metadata: metadata(at: ts(at)), body: .bytes([1]), expectedETag: nil)
                    case 1: _ = try? await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(at), userMetadata: ["A": "1"]))
                    default: _ = try? await store.delete(k, timestamp: ts(at))
                    }
                }
            }
        }
        let names = folder.objectFiles.map { String($0.split(separator: "-").last!) }
        #expect(HashDirectory(names: names).obsolete.isEmpty, "seed \(seed): \(names)")
        // The suffix's hash each writer left behind is the one its files give now.
        #expect(try await store.hashes(in: k.partition) == DiskObjectStore(devicePath: folder.path).hashes(in: k.partition))
        // A lone PUT after the storm, newer than all of it, leaves its file alone.
        _ = try await store.put(k, metadata: metadata(at: ts(20_000)), body: .bytes([2]), expectedETag: nil)
        #expect(folder.objectFiles.map { String($0.split(separator: "-").last!) } == ["0000020000.00000.data"])
        #expect(try await readAll(store.get(k, range: nil)) == [2])
    }
}

#if os(Linux)
private let isLinux = true
#else
private let isLinux = false
#endif
