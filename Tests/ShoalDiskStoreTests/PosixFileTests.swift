import Foundation
import Testing
import ShoalPorts
@testable import ShoalDiskStore

/// The few file-system helpers the store builds on: directories made from the leaf up,
/// reads past the page cache.
struct PosixFileTests {
    func makeFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-posix-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func missingParentsAreMadeAndReportedOutermostFirst() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try PosixFile.makeDirectories(folder + "/a/b/c") == [folder + "/a", folder + "/a/b", folder + "/a/b/c"])
        #expect(try PosixFile.makeDirectories(folder + "/a/b/c") == [])
        #expect(try PosixFile.makeDirectories(folder + "/a/b/d") == [folder + "/a/b/d"])
        #expect(try PosixFile.makeDirectories(folder + "/a/x/y") == [folder + "/a/x", folder + "/a/x/y"])
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: folder + "/a/x/y", isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    @Test func aFileInThePathIsAnError() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(FileManager.default.createFile(atPath: folder + "/file", contents: Data()))
        #expect(throws: ObjectStoreError.io(operation: "mkdir", errno: ENOTDIR)) {
            try PosixFile.makeDirectories(folder + "/file/a/b")
        }
    }

    @Test func aDirectReadGivesTheBytesABufferedReadGives() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let size = 3 << 20 + 123
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        #expect(FileManager.default.createFile(atPath: folder + "/body", contents: Data(bytes)))
        let buffered = try PosixFile.openFile(folder + "/body", flags: O_RDONLY)
        let direct = try PosixFile.openFile(folder + "/body", flags: O_RDONLY)
        defer { PosixFile.closeFile(buffered); PosixFile.closeFile(direct) }
        // Where the file system has no direct I/O the same reads go through the window buffered.
        if PosixFile.setDirectIO(direct, true) {
            // The switch took: an unaligned read now fails as direct I/O does.
            #expect(throws: ObjectStoreError.io(operation: "pread", errno: EINVAL)) {
                try PosixFile.read(direct, count: 100, at: 1)
            }
        }
        let chunk = 256 << 10
        let pool = AlignedBufferPool(size: chunk + 2 * PosixFile.directAlignment)
        let window = pool.take()
        defer { pool.give(window) }
        #expect(Int(bitPattern: window.baseAddress) % PosixFile.directAlignment == 0)
        let ranges = [(0, chunk), (1, chunk), (4_095, 4_097), (4_096, 4_096), (1 << 20 + 36, chunk),
                      (size - 10, chunk), (size - chunk, chunk), (size, 10), (size + 5_000, 10), (0, 1)]
        for (offset, count) in ranges {
            let expected = try PosixFile.read(buffered, count: count, at: offset)
            #expect(expected == Array(bytes[min(offset, size)..<min(offset + count, size)]))
            #expect(try PosixFile.readDirect(direct, count: count, at: offset, through: window) == expected,
                    "offset \(offset), count \(count)")
        }
    }

    @Test func buffersAreReusedUpToTheLimit() {
        let pool = AlignedBufferPool(size: 8_192, keep: 2)
        let first = pool.take(), second = pool.take(), third = pool.take()
        pool.give(first)
        pool.give(second)
        pool.give(third)
        #expect(pool.idleCount == 2)
        let again = pool.take()
        #expect(again.baseAddress == second.baseAddress && again.count == 8_192)
        pool.give(again)
    }
}
