#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalCore
import ShoalPorts

/// The object role's store on one local device, laid out as OpenStack Swift lays it out but
/// one level flatter: `<device>/objects/<partition>/<suffix>/<hash>-<timestamp>.data|.ts|.meta`
/// (Swift keeps each object's files in a folder of their own, `<suffix>/<hash>/`, which costs
/// every new object a `mkdir`, a directory block and a directory flush, while a suffix folder
/// holds well under one object on a full device), temporary files in `<device>/tmp/`. Each
/// version is one file (``DiskFileFormat``: header, then body), written to `tmp`, renamed
/// into place and flushed once (the flush shared with the concurrent writers: ``GroupSync``),
/// so nothing is acknowledged before it is durable, and a version a crash cut short never
/// reads as whole (it fails its checksum, and reads quarantine it). A device written in
/// Swift's layout is moved to this one when opened (``LayoutMigration``). All blocking calls
/// run on a ``DiskIO`` pool. Created by the node for each device it serves; the object
/// server and the replicator call it through ``ObjectStore``.
public final class DiskObjectStore: ObjectStore {
    public let devicePath: String
    /// Buffered-bytes and fsync counters.
    public let statistics: DiskStoreStatistics
    let io: DiskIO
    /// Size of the chunks a GET body yields.
    let readChunkBytes: Int
    /// Buffers for reading large bodies past the page cache; nil when direct I/O is off.
    let readWindows: AlignedBufferPool?
    /// A PUT gathers small chunks up to this many bytes before one write call.
    let writeBufferBytes: Int
    /// Each suffix's hash until a write changes it.
    let suffixHashes = SuffixHashCache()
    /// The device's group commit.
    let durability: GroupSync
    /// The free space a data write must leave (Swift's `fallocate_reserve`); a write that
    /// would not is refused with `ENOSPC` before its temporary file is made. Tombstones and
    /// `.meta` files are never refused for it.
    let reserve: SpaceReserve

    var objectsPath: String { devicePath + "/objects" }
    var tmpPath: String { devicePath + "/tmp" }

    /// Opens (creating if needed) the store at `devicePath` and empties `tmp/`, where a crash
    /// may have left the temporary files of pending updates and of builds that made their
    /// object files there (those in suffix folders go with their next listing). Blocks
    /// briefly: call it at start-up, before serving.
    /// `directIO` reads bodies of ``directReadBytes`` or more past the page cache where the
    /// file system allows it, and puts the bodies of ``largeBodyBytes`` or more it writes on
    /// a block boundary for that.
    public convenience init(devicePath: String, io: DiskIO = .shared, readChunkBytes: Int = 256 * 1024,
                            writeBufferBytes: Int = 1 << 20, reserve: SpaceReserve = .none, directIO: Bool = true) throws {
        try self.init(devicePath: devicePath, io: io, readChunkBytes: readChunkBytes, writeBufferBytes: writeBufferBytes,
                      reserve: reserve, directIO: directIO, scriptedFlush: nil)
    }

    /// `scriptedFlush`, when set, stands in for every flush, a lone writer's and the group's:
    /// tests make flushes fail through it.
    init(devicePath: String, io: DiskIO = .shared, readChunkBytes: Int = 256 * 1024, writeBufferBytes: Int = 1 << 20,
         reserve: SpaceReserve = .none, directIO: Bool = true, scriptedFlush: GroupSync.Flush?) throws {
        self.devicePath = DiskObjectStore.absolute(devicePath)
        self.reserve = reserve
        self.io = io
        self.readChunkBytes = max(4_096, readChunkBytes)
        readWindows = directIO ? AlignedBufferPool(size: self.readChunkBytes + 2 * PosixFile.directAlignment) : nil
        self.writeBufferBytes = max(4_096, writeBufferBytes)
        let statistics = DiskStoreStatistics()
        self.statistics = statistics
        try PosixFile.makeDirectories(self.devicePath)
        let flush = try scriptedFlush ?? GroupSync.fileSystemFlush(of: self.devicePath)
        durability = GroupSync(flush: {
            statistics.countSyncs(1)
            return flush()
        }, alone: scriptedFlush)
        try PosixFile.makeDirectories(objectsPath)
        try LayoutMigration.flatten(objectsPath: objectsPath)
        try PosixFile.makeDirectories(tmpPath)
        for name in try PosixFile.list(tmpPath) { PosixFile.unlinkFile(tmpPath + "/" + name) }
    }

    /// Where one object's files live: its suffix folder, `<device>/objects/<partition>/<suffix>`,
    /// under names that start with its hash. Built only from a validated hash.
    struct ObjectFiles {
        let directory: String
        let hash: ObjectHash

        /// `<hash>-`: what every file name of this object starts with.
        var prefix: String { hash.hex + ObjectFiles.separator }

        /// The path of the file this object's versions call `name` (`<timestamp>.<kind>`).
        func path(_ name: String) -> String { directory + "/" + prefix + name }

        static let separator = "-"

        /// The hash and version name of a stored file name, nil for anything else.
        static func split(_ stored: String) -> (hash: ObjectHash, name: String)? {
            guard let hash = ObjectHash(hex: String(stored.prefix(32))) else { return nil }
            let rest = stored.dropFirst(32)
            guard rest.hasPrefix(separator), rest.count > separator.count else { return nil }
            return (hash, String(rest.dropFirst(separator.count)))
        }
    }

    func files(_ key: ObjectKey) -> ObjectFiles {
        files(partition: key.partition, hash: key.hash)
    }

    func files(partition: Int, hash: ObjectHash) -> ObjectFiles {
        ObjectFiles(directory: suffixDirectory(partition: partition, suffix: hash.suffix), hash: hash)
    }

    func suffixDirectory(partition: Int, suffix: String) -> String {
        "\(objectsPath)/\(partition)/\(suffix)"
    }

    /// The version names (`<timestamp>.<kind>`) of an object's files. Blocking.
    func names(_ files: ObjectFiles) throws -> [String] {
        let prefix = files.prefix
        return try PosixFile.list(files.directory).compactMap { name in
            name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : nil
        }
    }

    /// Lists an object's files and classifies them. Blocking.
    func scan(_ files: ObjectFiles) throws -> HashDirectory {
        HashDirectory(names: try names(files))
    }

    /// What every temporary file's name starts with. It is made in the folder its object's
    /// versions live in, so installing it is a rename inside one folder. A rename across
    /// folders takes the file system's one rename lock: in off-CPU stacks under 16 MiB PUTs
    /// every writer queued on it behind one waiting for a folder block the disk was busy
    /// writing, and 4 KiB PUTs ran 21 % faster without it (docs/performance.md). It never
    /// parses as a version (``ObjectFiles/split(_:)``).
    static let temporaryPrefix = ".tmp-"

    /// Made fresh each time a store opens, and part of the names of its temporary files
    /// (`.tmp-<tag>-<random>`): one with another tag was left behind by a process that is
    /// gone, and a listing of its folder for its objects removes it
    /// (``removeAbandonedTemporaries(_:in:)``). After a restart the first replication pass
    /// lists every suffix folder, so what a crash left does not stay. A device has one
    /// store open at a time (opening one empties `tmp/` too).
    let temporaryTag = String(UInt64.random(in: 0...UInt64.max), radix: 16)

    /// Creates a new temporary file in the folder of `files`, making the folder (and its
    /// partition's) when missing, or when a replicator emptying it removed it meanwhile.
    /// Returns its descriptor, its path and the folders made, whose parents the install's
    /// flush covers. Blocking.
    func createTemporary(in files: ObjectFiles) throws(ObjectStoreError) -> (fd: Int32, path: String, created: [String]) {
        let path = "\(files.directory)/\(Self.temporaryPrefix)\(temporaryTag)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        var created: [String] = []
        var attempt = 1
        while true {
            do {
                return (try PosixFile.openFile(path, flags: O_WRONLY | O_CREAT | O_EXCL), path, created)
            } catch {
                guard case .io(_, ENOENT) = error, attempt < 3 else { throw error }
                created += try PosixFile.makeDirectories(files.directory)
                attempt += 1
            }
        }
    }

    /// Removes the folders a write made for its temporary file (``createTemporary(in:)``),
    /// the deepest first, when the write did not go in and nothing else is in them: a failed
    /// write leaves no empty partition folder behind. Blocking; best effort.
    func removeIfEmpty(_ created: [String]) {
        for path in created.reversed() { _ = PosixFile.removeEmptyDirectory(path) }
    }

    /// Unlinks the temporary files among `stored` (the names in `directory`) that another
    /// process made: none of its writes is in flight any more. Blocking; best effort.
    func removeAbandonedTemporaries(_ stored: [String], in directory: String) {
        let own = Self.temporaryPrefix + temporaryTag + "-"
        for name in stored where name.hasPrefix(Self.temporaryPrefix) && !name.hasPrefix(own) {
            if PosixFile.unlinkFile(directory + "/" + name) { statistics.countAbandonedTemporary() }
        }
    }

    /// A file of `bytes` or more leaves the page cache once it is durable (Swift's object
    /// server drops what a PUT wrote too): a freshly written large body is seldom read back
    /// at once, and keeping it would push out what is.
    static let dropCacheBytes = 1 << 20

    /// A whole or ranged read of this many bytes or more goes past the page cache
    /// (`O_DIRECT`), from the disk into a reused buffer. Such bodies left the cache after
    /// their PUT anyway, and a buffered read of them fills fresh page-cache pages, which
    /// costs far more CPU than the copy (measured: 550–740 MB/s of CPU buffered against
    /// 4.5–4.9 GB/s direct, reading 16 MiB files the cache had dropped; see
    /// docs/performance.md). Smaller reads keep the cache, where hot small objects live.
    static let directReadBytes = 1 << 20

    /// A body declared this large or larger is written as it streams, with the writeback of
    /// each write started at once (its flush at the end then finds little left), at a
    /// block-aligned offset in its file (a version 2 ``DiskFileFormat``) so that reads can
    /// go past the page cache. Written past the cache (`O_DIRECT`, one write in flight per
    /// file), 16 MiB PUTs reached 74–85 MB/s where the kernel's own writeback, started
    /// early, gives 101–106 (docs/performance.md).
    static let largeBodyBytes = 1 << 20

    /// Makes a finished temporary file the version `name` of `key`: the rename (within its
    /// folder), one flush that makes the bytes and the new names durable together, then the
    /// unlinking of what the new file made obsolete. The flush is a group commit
    /// (``GroupSync``): the file's fdatasync and the directories' fsyncs when the writer is
    /// alone, a shared flush of the device otherwise. A crash before it ends may leave the
    /// new name over bytes that never reached the disk; that version was not acknowledged,
    /// does not decode, and reads quarantine it and answer with the one before, which is
    /// only unlinked once the new one is durable. `created` names the folders made for the
    /// temporary file (``createTemporary(in:)``). Blocking; closes `fd`.
    func install(temporary: String, fd: Int32, as name: String, for key: ObjectKey, bytes: Int = 0,
                 created: [String] = []) throws {
        let files = files(key)
        let target = files.path(name)
        do {
            try PosixFile.renameFile(temporary, to: target)
        } catch {
            PosixFile.closeFile(fd)
            PosixFile.unlinkFile(temporary)
            removeIfEmpty(created)
            throw error
        }
        // One flush covers the bytes and the names: the file's own, the suffix folder (the
        // rename lives there) and the parent of each folder made for it, or one group flush.
        let directories = Array(Set([files.directory] + created.map(PosixFile.parent(of:))))
        do {
            try durability.sync { [statistics] in
                statistics.countSyncs(1 + directories.count)
                do throws(ObjectStoreError) {
                    try PosixFile.dataSync(fd)
                    for path in directories { try PosixFile.syncDirectory(path) }
                } catch {
                    return error.errno ?? EIO
                }
                return 0
            }
        } catch {
            // Not durable: the version is taken back, so the failed write leaves the old one
            // (a replication pass may have hashed the suffix with it meanwhile).
            PosixFile.closeFile(fd)
            PosixFile.unlinkFile(target)
            removeIfEmpty(created)
            invalidateHashes(partition: key.partition, suffix: key.hash.suffix)
            throw error
        }
        if bytes >= Self.dropCacheBytes { PosixFile.dropCache(fd) }
        PosixFile.closeFile(fd)
        // The new names are durable, so the suffix's cached hash is stale from here. One listing
        // of the suffix folder, taken after that, serves both the unlinking of what the new
        // file made obsolete and the suffix's new hash: a replication pass then finds the
        // suffix in the cache instead of listing its folder again.
        let suffix = key.hash.suffix
        let token = invalidateHashes(partition: key.partition, suffix: suffix)
        let names = Self.group(try PosixFile.list(files.directory), suffix: suffix)
        for obsolete in HashDirectory(names: names[key.hash] ?? []).obsolete { PosixFile.unlinkFile(files.path(obsolete)) }
        if let hash = PartitionObject.suffixHashes(Self.objects(names))[suffix] {
            suffixHashes.store(hash, partition: key.partition, suffix: suffix, token: token)
        }
    }

    /// Writes a small header-only file (`.ts` or `.meta`) at `timestamp` and installs it. Blocking.
    func commitSmallFile(kind: DiskFileFormat.Kind, record: [UInt8], timestamp: SwiftTimestamp, for key: ObjectKey) throws {
        let (fd, temporary, created) = try createTemporary(in: files(key))
        do {
            try PosixFile.write(fd, DiskFileFormat.smallFile(kind: kind, record: record), at: 0)
        } catch {
            PosixFile.closeFile(fd)
            PosixFile.unlinkFile(temporary)
            removeIfEmpty(created)
            throw error
        }
        let name = HashDirectory.FileName(timestamp: timestamp, kind: kind).name
        try install(temporary: temporary, fd: fd, as: name, for: key, created: created)
    }

    private static func absolute(_ path: String) -> String {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        if trimmed.hasPrefix("/") { return trimmed }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return trimmed }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cwd + "/" + trimmed
    }
}
