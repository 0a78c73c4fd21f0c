import Foundation
import ShoalCore
import ShoalDiskStore
import ShoalPorts
import ShoalSimulation
import Testing

/// The adapters the behavioural suite runs against.
enum StoreKind: String, CaseIterable {
    case disk
    case memory

    /// A fresh, empty store of this kind and the folder it lives in (nil for memory).
    func make() throws -> (any ObjectStore, TemporaryDirectory?) {
        switch self {
        case .disk:
            let folder = try TemporaryDirectory()
            return (try DiskObjectStore(devicePath: folder.path), folder)
        case .memory:
            return (InMemoryObjectStore(chunkBytes: 1_000), nil)
        }
    }
}


/// A uniquely named folder under the system temp directory, removed when released.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "shoal-disk-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Relative paths of every file below the folder, sorted.
    func files(under relative: String = "") -> [String] {
        let base = relative.isEmpty ? path : path + "/" + relative
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var found: [String] = []
        while let item = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + item, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(item)
            }
        }
        return found.sorted()
    }
}

let testHasher = PathHasher(prefix: "shoal-test-prefix", suffix: "shoal-test-suffix")

/// The key of `/AUTH_test/c/<name>` in a ring of 2^10 partitions.
func key(_ name: String, account: String = "AUTH_test", container: String = "c") -> ObjectKey {
    ObjectKey(account: account, container: container, object: name, hasher: testHasher, partPower: 10)!
}

func ts(_ seconds: Int64, offset: UInt64 = 0) -> SwiftTimestamp {
    SwiftTimestamp(ticks: seconds * SwiftTimestamp.ticksPerSecond, offset: offset)
}

func metadata(at timestamp: SwiftTimestamp, type: String = "application/octet-stream",
              user: [String: String] = [:], other: [String: String] = [:]) -> ObjectMetadata {
    ObjectMetadata(timestamp: timestamp, contentType: type, userMetadata: user, otherHeaders: other)
}

/// A deterministic body of `count` bytes.
func bodyBytes(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}

/// Reads a GET body to the end (small bodies only).
func readAll(_ reader: ObjectReader?) async throws -> [UInt8]? {
    guard let reader else { return nil }
    return try await reader.body.collect(upTo: 64 << 20)
}

/// Bit rot: flips one bit of the stored body of `key` (the last byte on disk, so the header
/// still decodes) without touching its recorded MD5.
func damage(_ key: ObjectKey, in store: any ObjectStore, folder: TemporaryDirectory?) async throws {
    if let memory = store as? InMemoryObjectStore {
        #expect(await memory.corrupt(key.hash, inPartition: key.partition, offset: Int.max / 2))
        return
    }
    let directory = "\(try #require(folder).path)/objects/\(key.partition)/\(key.hash.suffix)/\(key.hash.hex)"
    let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".data") })
    let handle = try #require(FileHandle(forUpdatingAtPath: directory + "/" + name))
    let end = try handle.seekToEnd()
    try handle.seek(toOffset: end - 1)
    let last = try #require(try handle.read(upToCount: 1)).first!
    try handle.seek(toOffset: end - 1)
    try handle.write(contentsOf: [last ^ 0x01])
    try handle.close()
}
