#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalCore
import ShoalPorts

extension DiskObjectStore {
    public func put(_ key: ObjectKey, metadata: ObjectMetadata, body: ChunkStream, expectedETag: String?,
                    digest: BodyDigest) async throws -> StoredObject {
        do { try metadata.validate() } catch { throw ObjectStoreError.invalidMetadata(error) }
        // A body large enough to be written before it ends is checked against the reserve
        // before any of it is read (a small one is checked when its file is made).
        if metadata.contentLength >= writeBufferBytes, !reserve.isDisabled {
            let (reserve, devicePath, length) = (reserve, devicePath, metadata.contentLength)
            guard try await io.run({ reserve.allows(writing: length, under: devicePath) }) else {
                throw ObjectStoreError.io(operation: "fallocate", errno: ENOSPC)
            }
        }
        let writer = DataFileWriter(store: self, key: key, metadata: metadata)
        // A supplied digest is trusted here (the sender hashed the body; the transport
        // authenticates every chunk) and proven by the auditor; the checksum is always computed.
        var hasher: ETagHasher? = digest.isComputed ? ETagHasher() : nil
        var checksum = CRC32()
        var sizeBytes = 0
        // Chunks wait until a write buffer's worth has come (one trip to the disk threads
        // per buffer), as they came: the writer copies each once, into the page cache or
        // its staging buffer.
        var pending: [[UInt8]] = []
        var pendingBytes = 0
        defer { statistics.release(pendingBytes) }
        do {
            for try await chunk in body {
                hasher?.update(chunk)
                checksum.update(chunk)
                sizeBytes += chunk.count
                statistics.hold(chunk.count)
                pending.append(chunk)
                pendingBytes += chunk.count
                if pendingBytes >= writeBufferBytes {
                    try await writer.append(pending)
                    statistics.release(pendingBytes)
                    pending = []
                    pendingBytes = 0
                }
            }
            let etag = try digest.etag { hasher?.finalize() ?? "" }
            if let expectedETag, expectedETag.lowercased() != etag {
                throw ObjectStoreError.etagMismatch(expected: expectedETag, actual: etag)
            }
            try await writer.finish(pending, sizeBytes: sizeBytes, etag: etag, bodyChecksum: checksum)
            return StoredObject(timestamp: metadata.timestamp, etag: etag, sizeBytes: sizeBytes)
        } catch {
            await writer.discard()
            throw error
        }
    }

    public func delete(_ key: ObjectKey, timestamp: SwiftTimestamp) async throws -> DeleteOutcome {
        try await io.run {
            // One look serves the answer and the check: the data's metadata (its X-Delete-At
            // decides between 204 and 404) is read in the same hop as the tombstone's write.
            let (state, opened) = try self.openCurrent(key)
            let current: ObjectState
            if let opened {
                PosixFile.closeFile(opened.fd)
                current = .present(opened.metadata, path: opened.path)
            } else if let newest = state.newest {
                current = .deleted(newest.timestamp)
            } else {
                current = .missing
            }
            if let newest = state.newest, newest.timestamp >= timestamp { return .outdated(current: current) }
            let record = DiskFileFormat.tombstoneRecord(path: key.path, timestamp: timestamp)
            try self.commitSmallFile(kind: .tombstone, record: record, timestamp: timestamp, for: key)
            return .deleted(previous: current)
        }
    }

    public func post(_ key: ObjectKey, metadata: ObjectMetadataUpdate) async throws -> PostOutcome {
        do { try metadata.validate() } catch { throw ObjectStoreError.invalidMetadata(error) }
        return try await io.run {
            let state = try self.scan(self.files(key))
            guard let newest = state.newest else { return .notFound(deletedAt: nil) }
            guard newest.kind == .data else { return .notFound(deletedAt: newest.timestamp) }
            if let existing = state.newestTimestamp, existing >= metadata.timestamp { return .outdated(existing: existing) }
            try self.commitSmallFile(kind: .meta, record: metadata.wireBytes(), timestamp: metadata.timestamp, for: key)
            return .updated
        }
    }
}

/// One PUT's temporary `.data` file: created on the first write (after checking that no
/// newer version exists), appended to as the body streams, then finished (header rewritten
/// with size and MD5, synced, renamed) or discarded. Used by one task at a time.
///
/// A body declared ``DiskObjectStore/largeBodyBytes`` or larger starts on a block boundary
/// (the record is padded, so it can be read past the page cache), and each append starts
/// the writeback of what it wrote (``PosixFile/startWriteback(_:offset:length:)``): the disk
/// works while the rest of the body arrives, and the flush at the end finds little left.
final class DataFileWriter: @unchecked Sendable {
    private let store: DiskObjectStore
    private let key: ObjectKey
    private let metadata: ObjectMetadata
    private var fd: Int32 = -1
    private var temporary = ""
    private var offset = 0
    /// The encoded metadata record, once the file is made (the checksum covers it).
    private var record: [UInt8] = []
    private var padding = 0
    /// Folders made for the temporary file, whose parents the install's flush covers.
    private var created: [String] = []
    /// Appends start the writeback of what they wrote (a large body).
    private var pushes = false
    /// Where the writeback started so far ends.
    private var pushed = 0

    init(store: DiskObjectStore, key: ObjectKey, metadata: ObjectMetadata) {
        self.store = store
        self.key = key
        self.metadata = metadata
    }

    /// Writes `chunks` in order, behind what is written, and starts their writeback.
    func append(_ chunks: [[UInt8]]) async throws {
        try await store.io.run {
            try self.openIfNeeded()
            try self.write(chunks)
            if self.pushes, self.offset > self.pushed,
               PosixFile.startWriteback(self.fd, offset: self.pushed, length: self.offset - self.pushed) {
                self.store.statistics.countWritebackStart()
                self.pushed = self.offset
            }
        }
    }

    /// Writes the last chunks and the final prefix, syncs and installs the file.
    /// `bodyChecksum` is the CRC-32 of the whole body.
    func finish(_ chunks: [[UInt8]], sizeBytes: Int, etag: String, bodyChecksum: CRC32) async throws {
        try await store.io.run {
            // A body that fits one write (most small ones) is opened here: the look for newer
            // versions the opening made is the last one before the rename, as it would be below.
            let openedNow = self.fd < 0
            try self.openIfNeeded()
            try self.write(chunks)
            let md5 = DiskFileFormat.md5Bytes(hex: etag)
            let checksum = DiskFileFormat.checksumBeforeBody(record: self.record, md5: md5)
            let prefix = DiskFileFormat.encodePrefix(kind: .data, bodyLength: sizeBytes, md5: md5, recordLength: self.record.count,
                                                     padding: self.padding, checksum: checksum.followed(by: bodyChecksum).value)
            try PosixFile.write(self.fd, prefix, at: 0)
            if !openedNow { try self.checkNotOutdated() }
            let name = HashDirectory.FileName(timestamp: self.metadata.timestamp, kind: .data).name
            let fd = self.fd
            self.fd = -1
            try self.store.install(temporary: self.temporary, fd: fd, as: name, for: self.key, bytes: self.offset,
                                   created: self.created)
        }
    }

    func discard() async {
        _ = try? await store.io.run {
            if self.fd >= 0 {
                PosixFile.closeFile(self.fd)
                PosixFile.unlinkFile(self.temporary)
                self.store.removeIfEmpty(self.created)
                self.fd = -1
            }
        }
    }

    /// Creates the temporary file with a placeholder prefix and the metadata record, once
    /// the device is known to keep its reserve free after the whole file (the declared
    /// length; a body that turns out longer is refused by the disk itself if it must be).
    private func openIfNeeded() throws {
        guard fd < 0 else { return }
        try checkNotOutdated()
        let record = DiskFileFormat.dataRecord(path: key.path, metadata: metadata)
        let large = metadata.contentLength >= DiskObjectStore.largeBodyBytes
        let headerBytes = DiskFileFormat.prefixBytes + record.count
        let padding = large && store.readWindows != nil
            ? DiskFileFormat.padding(after: headerBytes, alignment: PosixFile.directAlignment) : 0
        let prefix = DiskFileFormat.encodePrefix(kind: .data, bodyLength: 0, md5: [], recordLength: record.count, padding: padding,
                                                 checksum: 0)
        guard store.reserve.allows(writing: headerBytes + padding + max(0, metadata.contentLength), under: store.devicePath)
        else { throw ObjectStoreError.io(operation: "fallocate", errno: ENOSPC) }
        (fd, temporary, created) = try store.createTemporary(in: store.files(key))
        self.record = record
        self.padding = padding
        pushes = large
        try PosixFile.write(fd, prefix + record + [UInt8](repeating: 0, count: padding), at: 0)
        offset = headerBytes + padding
    }

    private func write(_ chunks: [[UInt8]]) throws {
        for chunk in chunks where !chunk.isEmpty {
            try PosixFile.write(fd, chunk, at: offset)
            offset += chunk.count
        }
    }

    private func checkNotOutdated() throws {
        if let newest = try store.scan(store.files(key)).newest, newest.timestamp >= metadata.timestamp {
            throw ObjectStoreError.outdated(existing: newest.timestamp)
        }
    }
}
