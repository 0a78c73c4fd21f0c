import Foundation
import Testing
import ShoalPorts
@testable import ShoalStorage

/// Archives made by the system's GNU tar (plain and gzip, with a name longer than ustar's
/// 100 bytes) read back entry by entry, fed in odd-sized chunks.
struct ArchiveTests {
    static let files: [String: [UInt8]] = [
        "top.txt": Array("top\n".utf8),
        "dir/empty": [],
        "dir/sub/data.bin": (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) },
        "dir/" + String(repeating: "long-name-", count: 15) + ".txt": Array("long\n".utf8),
    ]

    func makeArchive(gzip: Bool) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-tar-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, bytes) in Self.files {
            let url = folder.appendingPathComponent("src/" + name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let archive = folder.appendingPathComponent(gzip ? "a.tar.gz" : "a.tar")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = [gzip ? "-czf" : "-cf", archive.path, "-C", folder.appendingPathComponent("src").path, "."]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        return Array(try Data(contentsOf: archive))
    }

    func read(_ archive: [UInt8], gzip: Bool, skipping: Set<String> = []) async throws -> [String: [UInt8]] {
        let reader = try TarReader(body: .bytes(archive, chunkSize: 777), gzip: gzip)
        var found: [String: [UInt8]] = [:]
        while let entry = try await reader.next() {
            let name = entry.name.hasPrefix("./") ? String(entry.name.dropFirst(2)) : entry.name
            if skipping.contains(name) { continue }
            found[name] = try await entry.body.collect(upTo: 1 << 20)
            #expect(found[name]?.count == entry.size)
        }
        return found
    }

    @Test(arguments: [false, true])
    func filesComeOutWithTheirBytes(gzip: Bool) async throws {
        let archive = try makeArchive(gzip: gzip)
        #expect(try await read(archive, gzip: gzip) == Self.files)
    }

    @Test func anEntryLeftUnreadIsSkipped() async throws {
        let archive = try makeArchive(gzip: false)
        var expected = Self.files
        expected["dir/sub/data.bin"] = nil
        #expect(try await read(archive, gzip: false, skipping: ["dir/sub/data.bin"]) == expected)
    }

    @Test func damagedArchivesFailCleanly() async throws {
        var archive = try makeArchive(gzip: false)
        archive[150] ^= 0xFF  // inside the first header's checksum
        await #expect(throws: ArchiveError.self) { _ = try await read(archive, gzip: false) }
        let gz = try makeArchive(gzip: true)
        await #expect(throws: ArchiveError.self) { _ = try await read(Array(gz.prefix(10)) + [1, 2, 3, 4, 5, 6, 7, 8], gzip: true) }
    }
}
