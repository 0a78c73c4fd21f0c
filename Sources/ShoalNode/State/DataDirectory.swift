import Foundation
import ShoalCore

/// The node's data folder and the few files the node keeps there:
///
///     cluster.secret      the cluster secret (mode 0600), unless kept elsewhere
///     node.json           ``NodeRecord``
///     state/devices.bin   the last device set seen (so a restart knows the ring at once)
///     state/peers.txt     cluster addresses of the last members seen (to rejoin)
///     devices/d0/         the node's first storage device
///     lock                held (flock) while a node runs on this folder
///
/// Only the node's own services call this; writes go to a temporary file and are renamed.
public struct DataDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var secretPath: String { path + "/cluster.secret" }
    var nodeRecordPath: String { path + "/node.json" }
    var deviceSetPath: String { path + "/state/devices.bin" }
    var peersPath: String { path + "/state/peers.txt" }

    public func devicePath(index: Int) -> String { path + "/devices/d\(index)" }

    /// Creates the folder tree if missing.
    public func prepare() throws {
        for folder in [path, path + "/state", devicePath(index: 0)] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
    }

    /// Takes the folder's lock for the life of the process; fails if another node holds it.
    public func lock() throws -> FileLock { try FileLock(path: path + "/lock") }

    public func loadNodeRecord() throws -> NodeRecord? {
        guard let data = FileManager.default.contents(atPath: nodeRecordPath) else { return nil }
        return try JSONDecoder().decode(NodeRecord.self, from: data)
    }

    public func save(_ record: NodeRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try atomicWrite(encoder.encode(record), to: nodeRecordPath)
    }

    /// Reads a secret from `file` (default: the folder's own); nil when the file is absent.
    public func loadSecret(from file: String? = nil) throws -> ClusterSecret? {
        let source = file ?? secretPath
        guard let data = FileManager.default.contents(atPath: source) else { return nil }
        guard let secret = ClusterSecret(text: String(decoding: data, as: UTF8.self)) else {
            throw DataDirectoryError.badSecret(path: source)
        }
        return secret
    }

    public func save(_ secret: ClusterSecret) throws {
        try atomicWrite(Data((secret.text + "\n").utf8), to: secretPath, permissions: 0o600)
    }

    public func loadDeviceSet() -> DeviceSet? {
        guard let data = FileManager.default.contents(atPath: deviceSetPath) else { return nil }
        return try? DeviceSet(wireBytes: Array(data))
    }

    public func save(_ deviceSet: DeviceSet) throws {
        try atomicWrite(Data(deviceSet.wireBytes()), to: deviceSetPath)
    }

    public func loadPeers() -> [ClusterAddress] {
        guard let data = FileManager.default.contents(atPath: peersPath) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { ClusterAddress(String($0)) }
    }

    public func savePeers(_ peers: [ClusterAddress]) throws {
        try atomicWrite(Data(peers.map(\.description).joined(separator: "\n").utf8), to: peersPath)
    }

    private func atomicWrite(_ data: Data, to target: String, permissions: Int = 0o644) throws {
        let temporary = target + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: permissions]) else {
            throw DataDirectoryError.cannotWrite(path: temporary)
        }
        guard rename(temporary, target) == 0 else {
            unlink(temporary)
            throw DataDirectoryError.cannotWrite(path: target)
        }
    }
}

public enum DataDirectoryError: Error, CustomStringConvertible, Equatable {
    case badSecret(path: String)
    case cannotWrite(path: String)
    case locked(path: String)

    public var description: String {
        switch self {
        case .badSecret(let path): "\(path) does not hold a cluster secret (expected shoal1:<64 hex digits>)"
        case .cannotWrite(let path): "cannot write \(path)"
        case .locked(let path): "\(path) is locked: another shoal node is running on this data folder"
        }
    }
}

/// An exclusive `flock` on a file, released when the process exits or ``release()`` is called.
public final class FileLock: Sendable {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DataDirectoryError.cannotWrite(path: path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw DataDirectoryError.locked(path: path)
        }
    }

    public func release() { close(descriptor) }
}
