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
        var done = 0
        while done < buffer.count {
            let written = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if written < 0 {
                if errno == EINTR { continue }
                throw fail("pwrite")
            }
            done += written
        }
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
        var result = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: ObjectStoreError?
        result.withUnsafeMutableBytes { buffer in
            while done < count {
                let got = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = fail("pread")
                    return
                }
                if got == 0 { break }
                done += got
            }
        }
        if let failure { throw failure }
        if done < count { result.removeLast(count - done) }
        return result
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

    /// Removes a file; a file already gone is fine.
    static func unlinkFile(_ path: String) {
        _ = unlink(path)
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
