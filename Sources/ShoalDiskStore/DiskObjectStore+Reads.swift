#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalCore
import ShoalPorts

extension DiskObjectStore {
    /// The current `.data` of an object, opened: its descriptor, merged metadata, stored
    /// path, where its body starts, and the body bytes the first read already brought in.
    struct OpenedData {
        /// The `.data` file's path.
        var file: String
        var fd: Int32
        var metadata: ObjectMetadata
        var path: String
        var bodyOffset: Int
        var leading: [UInt8]
        /// The decoded prefix and the record, which a body check starts from.
        var prefix: DiskFileFormat.Prefix
        var record: [UInt8]
    }

    /// What the first read of a file brings in: the header of any file and, for small
    /// objects, the whole body.
    static let firstReadBytes = 64 * 1024

    public func head(_ key: ObjectKey) async throws -> ObjectState {
        try await io.run {
            let (state, opened) = try self.openCurrent(key)
            if let opened {
                PosixFile.closeFile(opened.fd)
                return .present(opened.metadata, path: opened.path)
            }
            if let newest = state.newest { return .deleted(newest.timestamp) }
            return .missing
        }
    }

    public func get(_ key: ObjectKey, range: ClosedRange<Int>?) async throws -> ObjectReader? {
        guard let opened = try await io.run({ try self.openCurrent(key).1 }) else { return nil }
        let size = opened.metadata.contentLength
        var start = 0
        var length = size
        if let range {
            guard range.lowerBound >= 0, range.lowerBound < size else {
                PosixFile.closeFile(opened.fd)
                throw ObjectStoreError.rangeNotSatisfiable(sizeBytes: size)
            }
            start = range.lowerBound
            length = min(range.upperBound, size - 1) - start + 1
        }
        let served = range.map { _ in start...(start + length - 1) }
        let partition = key.partition, hash = key.hash, file = opened.file
        // A body read whole at open is checked here, once: bad, it is never served and goes out
        // of the way for the replicator; good, the cursor need not check it again.
        let readWhole = range == nil && size > 0 && opened.leading.count == size
        if readWhole, !opened.leadingIsIntact {
            PosixFile.closeFile(opened.fd)
            try await quarantine(file: file, partition: partition, hash: hash)
            return nil
        }
        let check = readWhole ? nil : opened.check
        let cursor = FileBodyCursor(store: self, opened: opened, start: start, length: length, checking: check) {
            try? await self.quarantine(file: file, partition: partition, hash: hash)
        }
        return ObjectReader(metadata: opened.metadata, path: opened.path, range: served,
                            body: ChunkStream { try await cursor.next() })
    }

    /// Finds the current version and opens its `.data`, merging a newer `.meta`; retries
    /// when a concurrent write removed a file between listing and opening. A version whose
    /// header or `.meta` record does not decode (a write a crash cut short before it was
    /// acknowledged, or rot) is quarantined on the spot, as Swift's object server does, and
    /// the version before it answers. Blocking.
    func openCurrent(_ key: ObjectKey) throws -> (HashDirectory, OpenedData?) {
        let files = files(key)
        var vanished = 0
        while true {
            let state = try scan(files)
            guard let newest = state.newest, newest.kind == .data else { return (state, nil) }
            var bad = files.path(newest.name)
            do {
                var opened = try openData(bad)
                if let meta = state.meta {
                    bad = files.path(meta.name)
                    do {
                        opened.metadata = opened.metadata.applying(try readMeta(bad))
                    } catch {
                        PosixFile.closeFile(opened.fd)
                        throw error
                    }
                }
                return (state, opened)
            } catch ObjectStoreError.io(let operation, let code) where code == ENOENT {
                vanished += 1
                if vanished >= 5 { throw ObjectStoreError.io(operation: operation, errno: code) }
            } catch ObjectStoreError.corrupt {
                // Each pass moves one file away, so the listing shrinks until a good one answers.
                try quarantineNow(file: bad, partition: key.partition, hash: key.hash)
            }
        }
    }

    /// Opens a `.data` file and decodes its header. Blocking; the caller closes `fd`.
    func openData(_ file: String) throws -> OpenedData {
        let fd = try PosixFile.openFile(file, flags: O_RDONLY)
        do {
            var bytes = try PosixFile.read(fd, count: DiskObjectStore.firstReadBytes, at: 0)
            let prefix = try DiskFileFormat.decodePrefix(Array(bytes.prefix(DiskFileFormat.prefixBytes)))
            guard prefix.kind == .data else { throw ObjectStoreError.corrupt(path: file) }
            if bytes.count < prefix.bodyOffset {
                bytes += try PosixFile.read(fd, count: prefix.bodyOffset - bytes.count, at: bytes.count)
                guard bytes.count == prefix.bodyOffset else { throw ObjectStoreError.corrupt(path: file) }
            }
            let record = Array(bytes[prefix.recordStart..<prefix.recordEnd])
            let (path, metadata) = try DiskFileFormat.decodeData(record: record, prefix: prefix)
            let leading = Array(bytes[prefix.bodyOffset...].prefix(prefix.bodyLength))
            return OpenedData(file: file, fd: fd, metadata: metadata, path: path, bodyOffset: prefix.bodyOffset, leading: leading,
                              prefix: prefix, record: record)
        } catch is WireError {
            PosixFile.closeFile(fd)
            throw ObjectStoreError.corrupt(path: file)
        } catch {
            PosixFile.closeFile(fd)
            throw error
        }
    }

    /// Reads a `.meta` file's update. Blocking.
    func readMeta(_ file: String) throws -> ObjectMetadataUpdate {
        let record = try readRecord(of: file, kind: .meta)
        do {
            return try ObjectMetadataUpdate(wireBytes: record)
        } catch {
            throw ObjectStoreError.corrupt(path: file)
        }
    }

    /// The record of a header-only file (`.ts`, `.meta`), checked against its checksum.
    /// Blocking.
    func readRecord(of file: String, kind: DiskFileFormat.Kind) throws -> [UInt8] {
        let fd = try PosixFile.openFile(file, flags: O_RDONLY)
        defer { PosixFile.closeFile(fd) }
        do {
            let head = try PosixFile.read(fd, count: DiskFileFormat.prefixBytes, at: 0)
            let prefix = try DiskFileFormat.decodePrefix(head)
            guard prefix.kind == kind else { throw ObjectStoreError.corrupt(path: file) }
            let record = try PosixFile.read(fd, count: prefix.recordLength, at: prefix.recordStart)
            guard record.count == prefix.recordLength, DiskFileFormat.recordIsIntact(record, prefix: prefix) else {
                throw ObjectStoreError.corrupt(path: file)
            }
            return record
        } catch is WireError {
            throw ObjectStoreError.corrupt(path: file)
        }
    }
}

extension DiskObjectStore.OpenedData {
    /// What a whole read of the body is checked against.
    var check: BodyCheck { BodyCheck(prefix: prefix, record: record) }

    /// Whether the body read whole at open (``leading``) passes the check.
    var leadingIsIntact: Bool {
        var check = check
        check.update(leading)
        return check.failure() == nil
    }
}
