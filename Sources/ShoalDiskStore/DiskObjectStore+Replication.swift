#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalCore
import ShoalPorts

/// What the replicator and the auditor need from the disk: an object's versions as they are
/// stored, removal of a shipped handoff copy, tombstone reclaim, and quarantine of a bad
/// replica (`<device>/quarantined/objects/<hash>/`, as Swift keeps it).
extension DiskObjectStore {
    var quarantinePath: String { devicePath + "/quarantined/objects" }

    public func replica(of hash: ObjectHash, inPartition partition: Int) async throws -> ObjectReplica? {
        try await io.run {
            let files = self.files(partition: partition, hash: hash)
            let state = try self.scan(files)
            guard let newest = state.newest else { return nil }
            let file = files.path(newest.name)
            switch newest.kind {
            case .data:
                let opened = try self.openData(file)
                PosixFile.closeFile(opened.fd)
                let meta = try state.meta.map { try self.readMeta(files.path($0.name)) }
                return ObjectReplica(path: opened.path, base: .data(opened.metadata), meta: meta)
            case .tombstone:
                let path = try self.readTombstonePath(file)
                return ObjectReplica(path: path, base: .tombstone(newest.timestamp), meta: nil)
            case .meta:
                return nil
            }
        }
    }

    public func remove(_ object: PartitionObject, inPartition partition: Int) async throws -> Bool {
        try await io.run {
            let files = self.files(partition: partition, hash: object.hash)
            let names = try self.names(files)
            let state = HashDirectory(names: names)
            guard let newest = state.newest, newest.timestamp == object.timestamp,
                  (newest.kind == .tombstone) == object.isTombstone, state.meta?.timestamp == object.metaTimestamp
            else { return false }
            for name in names { PosixFile.unlinkFile(files.path(name)) }
            self.removeEmptyParents(of: files.directory)
            self.invalidateHashes(partition: partition, suffix: object.hash.suffix)
            return true
        }
    }

    public func reclaimTombstones(inPartition partition: Int, before cutoff: SwiftTimestamp) async throws -> Int {
        let old = try await objects(inPartition: partition).filter { $0.isTombstone && $0.timestamp < cutoff }
        var reclaimed = 0
        for object in old where try await remove(object, inPartition: partition) { reclaimed += 1 }
        return reclaimed
    }

    public func audit(_ hash: ObjectHash, inPartition partition: Int) async throws -> AuditOutcome {
        let files = files(partition: partition, hash: hash)
        let found: Result<OpenedData, ObjectStoreError>? = try await io.run {
            let state = try self.scan(files)
            guard let newest = state.newest, newest.kind == .data else { return nil }
            let file = files.path(newest.name)
            do {
                return .success(try self.openData(file))
            } catch ObjectStoreError.corrupt {
                return .failure(.corrupt(path: file))
            }
        }
        switch found {
        case nil:
            return .noData
        case .failure(.corrupt(let file))?:
            try await quarantine(file: file, partition: partition, hash: hash)
            return .quarantined(reason: "unreadable header")
        case .failure(let error)?:
            throw error
        case .success(let opened)?:
            let cursor = FileBodyCursor(store: self, opened: opened, start: 0, length: opened.metadata.contentLength,
                                        checking: opened.check.includingMD5())
            do {
                var bytes = 0
                while let chunk = try await cursor.next() { bytes += chunk.count }
                return .verified(bytes: bytes)
            } catch ObjectStoreError.corrupt(let reason) {
                try await quarantine(file: opened.file, partition: partition, hash: hash)
                return .quarantined(reason: reason)
            }
        }
    }

    /// Moves one bad file of `hash` into quarantine, if it is still in place, so the
    /// object's current version falls back to the one before it, or to nothing, and a
    /// peer's copy restores it.
    func quarantine(file: String, partition: Int, hash: ObjectHash) async throws {
        try await io.run { try self.quarantineNow(file: file, partition: partition, hash: hash) }
    }

    /// ``quarantine(file:partition:hash:)`` on the calling disk thread. Blocking.
    func quarantineNow(file: String, partition: Int, hash: ObjectHash) throws {
        let destination = quarantinePath + "/" + hash.hex
        try PosixFile.makeDirectories(destination)
        let stored = file.split(separator: "/").last.map(String.init) ?? "unknown"
        let name = ObjectFiles.split(stored)?.name ?? stored
        do throws(ObjectStoreError) {
            try PosixFile.renameFile(file, to: destination + "/" + name)
        } catch {
            if case .io(_, ENOENT) = error { return }  // superseded meanwhile: nothing bad is left in place
            throw error
        }
        try PosixFile.syncDirectory(destination)
        try PosixFile.syncDirectory(PosixFile.parent(of: file))
        statistics.countQuarantine()
        invalidateHashes(partition: partition, suffix: hash.suffix)
    }

    /// A `.ts` file's stored path. Blocking.
    private func readTombstonePath(_ file: String) throws -> String {
        do {
            return try DiskFileFormat.decodeTombstone(record: readRecord(of: file, kind: .tombstone)).path
        } catch is WireError {
            throw ObjectStoreError.corrupt(path: file)
        }
    }

    /// Removes the suffix folder and then its partition folder when they became empty (a
    /// handoff partition disappears once shipped). Blocking; best effort.
    private func removeEmptyParents(of directory: String) {
        var current = directory
        let stop = "\(objectsPath)"
        while current.count > stop.count, current.hasPrefix(stop + "/"), rmdir(current) == 0 {
            current = PosixFile.parent(of: current)
        }
    }
}
