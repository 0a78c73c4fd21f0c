#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalCore
import ShoalPorts

/// Container updates the object role could not deliver, kept on the device until the
/// updater delivers them: `<device>/async_pending/<suffix>/<hash>-<timestamp>`, each file
/// the magic `SHAP`, a version byte and an encoded ``ContainerUpdate``, fsynced before
/// `save` returns (Swift's async pendings). Written by the object server, listed, loaded
/// and removed by the updater.
public final class AsyncPendingStore: Sendable {
    /// One saved update: the object's hash and the update's timestamp name its file.
    public struct Entry: Hashable, Sendable {
        public let hash: ObjectHash
        public let timestamp: SwiftTimestamp

        public init(hash: ObjectHash, timestamp: SwiftTimestamp) {
            self.hash = hash
            self.timestamp = timestamp
        }

        /// `<hash>-<timestamp>`.
        public var fileName: String { hash.hex + "-" + timestamp.internal }

        /// Nil for names that are not `<32 hex>-<timestamp>`.
        public init?(fileName: String) {
            let parts = fileName.split(separator: "-", maxSplits: 1)
            guard parts.count == 2, let hash = ObjectHash(hex: String(parts[0])),
                  let timestamp = SwiftTimestamp(String(parts[1])), timestamp.internal == parts[1]
            else { return nil }
            self.init(hash: hash, timestamp: timestamp)
        }
    }

    public let devicePath: String
    private let io: DiskIO
    private static let magic: [UInt8] = Array("SHAP".utf8)
    private static let version: UInt8 = 1
    /// Tries at a rename into a suffix folder that `list` may remove meanwhile.
    private static let renameAttempts = 3

    private var pendingPath: String { devicePath + "/async_pending" }
    private var tmpPath: String { devicePath + "/tmp" }

    /// Opens (creating if needed) the pending folder of the device at `devicePath`.
    public init(devicePath: String, io: DiskIO = .shared) throws {
        var path = devicePath
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.devicePath = path
        self.io = io
        try PosixFile.makeDirectories(path + "/async_pending")
        try PosixFile.makeDirectories(path + "/tmp")
    }

    /// Durably saves `update` for the object with `hash`; a second save with the same hash
    /// and timestamp replaces the first.
    @discardableResult
    public func save(_ update: ContainerUpdate, objectHash hash: ObjectHash) async throws -> Entry {
        let entry = Entry(hash: hash, timestamp: update.timestamp)
        let bytes = AsyncPendingStore.magic + [AsyncPendingStore.version] + update.wireBytes()
        try await io.run {
            let temporary = "\(self.tmpPath)/pending-\(hash.hex)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).tmp"
            let fd = try PosixFile.openFile(temporary, flags: O_WRONLY | O_CREAT | O_EXCL)
            var open = true
            do {
                try PosixFile.write(fd, bytes, at: 0)
                try PosixFile.dataSync(fd)
                PosixFile.closeFile(fd)
                open = false
                let directory = "\(self.pendingPath)/\(hash.suffix)"
                var created: [String] = []
                // `list` removes empty suffix folders: one may go between making it and the
                // rename, which then fails with ENOENT; make it again (a rename that lands
                // leaves the folder not empty, so it stays).
                for attempt in 1...Self.renameAttempts {
                    created += try PosixFile.makeDirectories(directory)
                    do {
                        try PosixFile.renameFile(temporary, to: directory + "/" + entry.fileName)
                        break
                    } catch ObjectStoreError.io(_, let code) where code == ENOENT && attempt < Self.renameAttempts {
                        continue
                    }
                }
                try PosixFile.syncDirectory(directory)
                for made in Set(created) { try PosixFile.syncDirectory(PosixFile.parent(of: made)) }
            } catch {
                if open { PosixFile.closeFile(fd) }
                PosixFile.unlinkFile(temporary)
                throw error
            }
        }
        return entry
    }

    /// Every saved entry, oldest timestamp first. Removes the suffix folders it finds empty
    /// (as Swift's updater does), so a burst of pendings, once delivered, does not leave
    /// thousands of folders for every later sweep to open.
    public func list() async throws -> [Entry] {
        try await io.run {
            var entries: [Entry] = []
            for suffix in try PosixFile.list(self.pendingPath) where ObjectHash.isSuffix(suffix) {
                let folder = self.pendingPath + "/" + suffix
                let names = try PosixFile.list(folder)
                if names.isEmpty {
                    PosixFile.removeEmptyDirectory(folder)
                    continue
                }
                for name in names {
                    if let entry = Entry(fileName: name), entry.hash.suffix == suffix { entries.append(entry) }
                }
            }
            return entries.sorted { ($0.timestamp, $0.hash) < ($1.timestamp, $1.hash) }
        }
    }

    /// The update saved as `entry`, or nil when it is gone. Throws ``ObjectStoreError/corrupt(path:)``
    /// when the file does not decode (the updater removes it).
    public func load(_ entry: Entry) async throws -> ContainerUpdate? {
        let file = path(of: entry)
        return try await io.run {
            let fd: Int32
            do {
                fd = try PosixFile.openFile(file, flags: O_RDONLY)
            } catch ObjectStoreError.io(_, let code) where code == ENOENT {
                return nil
            }
            defer { PosixFile.closeFile(fd) }
            let bytes = try PosixFile.read(fd, count: 16 * 1024, at: 0)
            guard bytes.count > 5, Array(bytes.prefix(4)) == AsyncPendingStore.magic, bytes[4] == AsyncPendingStore.version,
                  let update = try? ContainerUpdate(wireBytes: Array(bytes[5...]))
            else { throw ObjectStoreError.corrupt(path: file) }
            return update
        }
    }

    /// Deletes a delivered entry; an entry already gone is fine.
    public func remove(_ entry: Entry) async throws {
        let file = path(of: entry)
        try await io.run { _ = PosixFile.unlinkFile(file) }
    }

    private func path(of entry: Entry) -> String {
        "\(pendingPath)/\(entry.hash.suffix)/\(entry.fileName)"
    }
}
