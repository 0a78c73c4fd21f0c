#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalPorts

/// Thin, blocking wrappers over the POSIX calls the disk store needs: full writes and
/// reads at an offset (looping over short transfers and EINTR), fsync, rename, directory
/// listing and creation. Called only from ``DiskIO`` threads.
enum PosixFile {
    static func fail(_ operation: String) -> ObjectStoreError { .io(operation: operation, errno: errno) }

    static func openFile(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(ObjectStoreError) -> Int32 {
        while true {
            let fd = open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw fail("open") }
        }
    }

    static func closeFile(_ fd: Int32) { _ = close(fd) }

    /// Writes every byte of `buffer` at `offset`, however many calls it takes.
    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int) throws(ObjectStoreError) {
        let written = try transfer(buffer.count, "pwrite") { done in
            pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
        }
        guard written == buffer.count else { throw .io(operation: "pwrite", errno: EIO) }
    }

    /// Calls `move(done)`, a pread or pwrite of what is left from `done` on, until `count`
    /// bytes moved, retrying EINTR; stops early when a call moves nothing or `endsAt(done)`.
    /// Returns the bytes moved.
    private static func transfer(_ count: Int, _ operation: String, endsAt: (Int) -> Bool = { _ in false },
                                 _ move: (Int) -> Int) throws(ObjectStoreError) -> Int {
        var done = 0
        while done < count {
            let moved = move(done)
            if moved < 0 {
                if errno == EINTR { continue }
                throw fail(operation)
            }
            done += moved
            if moved == 0 || endsAt(done) { break }
        }
        return done
    }

    static func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int) throws(ObjectStoreError) {
        let failure: ObjectStoreError? = bytes.withUnsafeBytes { buffer in
            do throws(ObjectStoreError) {
                try write(fd, buffer, at: offset)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    static func read(_ fd: Int32, count: Int, at offset: Int) throws(ObjectStoreError) -> [UInt8] {
        var failure: ObjectStoreError?
        let result = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(ObjectStoreError) {
                initialized = try readFully(fd, into: UnsafeMutableRawBufferPointer(buffer), at: offset, blocks: false)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return result
    }

    /// Fills `buffer` from `offset`, looping over short reads and EINTR, and returns how
    /// many bytes it read: fewer only at the end of the file. With `blocks` (direct I/O),
    /// a read that ends off a block boundary is the end of the file, since the next offset
    /// could not be read.
    private static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
                                  blocks: Bool) throws(ObjectStoreError) -> Int {
        try transfer(buffer.count, "pread", endsAt: { blocks && $0 % directAlignment != 0 }) { done in
            pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
        }
    }

    /// The block size direct I/O aligns offsets, lengths and buffers to (the largest
    /// logical block size of the disks this runs on).
    static let directAlignment = 4_096

    /// Linux's `O_DIRECT`, which Swift's Glibc module does not export (it is a GNU
    /// extension): `asm-generic/fcntl.h` on x86-64, `asm/fcntl.h` on arm64.
    static var directFlag: Int32? {
        #if os(Linux) && arch(x86_64)
        return 0o40000
        #elseif os(Linux) && arch(arm64)
        return 0o200000
        #else
        return nil
        #endif
    }

    /// Switches an open file to direct I/O or back: with it on, reads and writes go between
    /// the disk and the caller's (aligned) buffer, past the page cache. Returns whether the
    /// descriptor is now as asked; turning it on fails where the file system or platform
    /// has none (tmpfs before Linux 6.6, macOS), and the descriptor is then unchanged.
    static func setDirectIO(_ fd: Int32, _ on: Bool) -> Bool {
        #if canImport(Glibc)
        guard let direct = directFlag else { return !on }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, on ? flags | direct : flags & ~direct) == 0 else { return false }
        return (fcntl(fd, F_GETFL) & direct != 0) == on
        #else
        return !on
        #endif
    }

    /// Reads up to `count` bytes at `offset` from a file opened for direct I/O, through
    /// `window`: an aligned buffer of at least `count + 2 × directAlignment` bytes. The
    /// read covers the whole blocks around the range; the range is copied out. Fewer bytes
    /// only at the end of the file.
    static func readDirect(_ fd: Int32, count: Int, at offset: Int,
                           through window: UnsafeMutableRawBufferPointer) throws(ObjectStoreError) -> [UInt8] {
        let first = offset - offset % directAlignment
        let end = offset + count
        let wanted = (end + directAlignment - 1) / directAlignment * directAlignment - first
        precondition(wanted <= window.count, "direct read window too small")
        let done = try readFully(fd, into: UnsafeMutableRawBufferPointer(rebasing: window[0..<wanted]), at: first, blocks: true)
        let skip = offset - first
        let available = max(0, min(count, done - skip))
        return [UInt8](UnsafeRawBufferPointer(rebasing: window[skip..<(skip + available)]))
    }

    /// Starts writing a file's dirty pages in `length` bytes from `offset` to the disk and
    /// returns without waiting for them (`sync_file_range(2)` with `SYNC_FILE_RANGE_WRITE`):
    /// a large body streaming in keeps the disk busy as it comes, instead of leaving all of
    /// it for the flush at its end. Durability is unchanged: only the flush makes bytes
    /// durable. Returns false where the call is missing (not Linux) or refused.
    @discardableResult
    static func startWriteback(_ fd: Int32, offset: Int, length: Int) -> Bool {
        guard let syncFileRange, length > 0 else { return false }
        return syncFileRange(fd, Int64(offset), Int64(length), syncFileRangeWrite) == 0
    }

    /// `SYNC_FILE_RANGE_WRITE` in Linux's `fcntl.h`.
    private static let syncFileRangeWrite: UInt32 = 2

    /// glibc's `sync_file_range`, which its headers declare only under `_GNU_SOURCE`.
    private static let syncFileRange = cFunction(named: "sync_file_range",
                                                 as: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)

    /// A function of the C library that its Swift module does not declare (glibc declares
    /// some only under `_GNU_SOURCE`), looked up by name in the running process; nil where
    /// the platform has none.
    static func cFunction<Function>(named name: String, as type: Function.Type) -> Function? {
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    static func dataSync(_ fd: Int32) throws(ObjectStoreError) {
        #if canImport(Glibc)
        guard fdatasync(fd) == 0 else { throw fail("fdatasync") }
        #else
        guard fsync(fd) == 0 else { throw fail("fsync") }
        #endif
    }

    /// Tells the kernel a file's cached pages will not be read soon (they are clean after a
    /// sync, so it frees them). Advice only: a failure changes nothing.
    static func dropCache(_ fd: Int32) {
        #if canImport(Glibc)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
        #endif
    }

    /// fsyncs a directory so a rename or a new entry in it survives a crash.
    static func syncDirectory(_ path: String) throws(ObjectStoreError) {
        let fd = try openFile(path, flags: O_RDONLY | O_DIRECTORY)
        defer { closeFile(fd) }
        guard fsync(fd) == 0 else { throw fail("fsync dir") }
    }

    static func renameFile(_ from: String, to: String) throws(ObjectStoreError) {
        guard rename(from, to) == 0 else { throw fail("rename") }
    }

    /// Removes a file; false when it was not there (or could not be removed), which callers
    /// that only want it gone may ignore.
    @discardableResult
    static func unlinkFile(_ path: String) -> Bool {
        unlink(path) == 0
    }

    /// Removes a directory if it is empty; false when it is not (or is gone already).
    @discardableResult
    static func removeEmptyDirectory(_ path: String) -> Bool {
        rmdir(path) == 0
    }

    /// Creates `path` and missing parents; returns the directories it created, outermost first.
    /// Works up from `path` itself: when its parent exists (the usual case) that is one call,
    /// and a missing suffix folder (the usual case for a new object) costs three, not one per
    /// component of the path.
    @discardableResult
    static func makeDirectories(_ path: String) throws(ObjectStoreError) -> [String] {
        if mkdir(path, 0o755) == 0 { return [path] }
        switch errno {
        case EEXIST:
            return []
        case ENOENT:
            let up = parent(of: path)
            guard up != path, up != "/", path.contains("/") else { throw fail("mkdir") }
            var created = try makeDirectories(up)
            if mkdir(path, 0o755) == 0 {
                created.append(path)
            } else if errno != EEXIST {  // another writer may have made it meanwhile
                throw fail("mkdir")
            }
            return created
        default:
            throw fail("mkdir")
        }
    }

    /// Names in a directory (without `.` and `..`); empty when it does not exist.
    static func list(_ path: String) throws(ObjectStoreError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT || errno == ENOTDIR { return [] }
            throw fail("opendir")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The parent directory of a path.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
