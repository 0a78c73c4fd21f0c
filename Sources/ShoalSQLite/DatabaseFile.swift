import Foundation
import ShoalCore

/// Creating and opening the one-file databases of the brokers. Creation is atomic: the
/// schema is written to a temporary file beside the target, synced, and hard-linked into
/// place, so a crash never leaves a half-made database where a broker looks, and of two
/// racing creators exactly one wins (the other gets ``BrokerError/alreadyExists(path:)``).
enum DatabaseFile {
    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Creates the database at `path` with `initialize` (schema and first rows, run in one
    /// transaction), then opens it.
    static func create(
        path: String, durability: SQLiteDatabase.Durability, initialize: (SQLiteDatabase) throws -> Void
    ) throws -> SQLiteDatabase {
        if exists(path) { throw BrokerError.alreadyExists(path: path) }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let temporary = path + ".tmp-" + UUID().uuidString
        defer { unlink(temporary) }
        do {
            let database = try SQLiteDatabase(path: temporary, create: true, durability: durability)
            try database.transaction { try initialize(database) }
            // Closing the last connection checkpoints the WAL into the file and removes it.
            database.close()
            try syncFile(temporary)
        }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { throw BrokerError.alreadyExists(path: path) }
            throw SQLiteError(code: 0, message: "link \(temporary) → \(path): \(String(cString: strerror(errno)))")
        }
        try syncFile(directory.isEmpty ? "." : directory)
        return try SQLiteDatabase(path: path, create: false, durability: durability)
    }

    /// Opens an existing database; ``BrokerError/notFound(path:)`` when there is none.
    static func open(path: String, durability: SQLiteDatabase.Durability) throws -> SQLiteDatabase {
        guard exists(path) else { throw BrokerError.notFound(path: path) }
        return try SQLiteDatabase(path: path, create: false, durability: durability)
    }

    private static func syncFile(_ path: String) throws {
        let descriptor = Foundation.open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw SQLiteError(code: 0, message: "open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw SQLiteError(code: 0, message: "fsync \(path): \(String(cString: strerror(errno)))")
        }
    }
}
