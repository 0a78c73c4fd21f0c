import Foundation
import ShoalCore
@testable import ShoalDiskStore
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

    /// The objects' files of the device here (the layout's marker left out).
    var objectFiles: [String] { files(under: "objects").filter { $0 != LayoutMigration.marker } }

    /// Temporary files anywhere on the device here: in `tmp/`, or beside an object's versions.
    var temporaryFiles: [String] {
        files().filter { $0.hasPrefix("tmp/") || ($0.split(separator: "/").last ?? "").hasPrefix(DiskObjectStore.temporaryPrefix) }
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

/// The path of the version `name` (`<timestamp>.<kind>`) of `key` on the device at
/// `device`: `objects/<partition>/<suffix>/<hash>-<name>`, the store's flat layout.
func storedFile(_ key: ObjectKey, _ name: String, on device: String) -> String {
    DiskObjectStore.ObjectFiles(directory: "\(device)/objects/\(key.partition)/\(key.hash.suffix)", hash: key.hash).path(name)
}

/// The version names of `key`'s files on the device at `device`.
func storedNames(of key: ObjectKey, on device: String) throws -> [String] {
    let prefix = key.hash.hex + DiskObjectStore.ObjectFiles.separator
    return try FileManager.default.contentsOfDirectory(atPath: "\(device)/objects/\(key.partition)/\(key.hash.suffix)")
        .filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
}

/// Bit rot: flips one bit of the stored body of `key` (the last byte on disk, so the header
/// still decodes) without touching its recorded MD5.
func damage(_ key: ObjectKey, in store: any ObjectStore, folder: TemporaryDirectory?) async throws {
    if let memory = store as? InMemoryObjectStore {
        #expect(await memory.corrupt(key.hash, inPartition: key.partition, offset: Int.max / 2))
        return
    }
    let device = try #require(folder).path
    let name = try #require(try storedNames(of: key, on: device).first { $0.hasSuffix(".data") })
    let handle = try #require(FileHandle(forUpdatingAtPath: storedFile(key, name, on: device)))
    let end = try handle.seekToEnd()
    try handle.seek(toOffset: end - 1)
    let last = try #require(try handle.read(upToCount: 1)).first!
    try handle.seek(toOffset: end - 1)
    try handle.write(contentsOf: [last ^ 0x01])
    try handle.close()
}
