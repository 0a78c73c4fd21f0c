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

/// The database file a broker or queue owns: opened on first use and kept open until
/// ``close()``. Lives inside the owning actor, so every call is on its SQLite thread.
struct DatabaseHandle {
    let path: String
    let durability: SQLiteDatabase.Durability
    private var database: SQLiteDatabase?

    init(path: String, durability: SQLiteDatabase.Durability) {
        self.path = path
        self.durability = durability
    }

    var exists: Bool { database != nil || DatabaseFile.exists(path) }

    /// Creates the file atomically (``DatabaseFile/create(path:durability:initialize:)``) and keeps it open.
    mutating func create(initialize: (SQLiteDatabase) throws -> Void) throws {
        database = try DatabaseFile.create(path: path, durability: durability, initialize: initialize)
    }

    /// The open database; ``BrokerError/notFound(path:)`` when the file does not exist.
    mutating func open() throws -> SQLiteDatabase {
        if let database { return database }
        let opened = try DatabaseFile.open(path: path, durability: durability)
        database = opened
        return opened
    }

    /// The open database, made (with its folder) and given `schema` if needed: for
    /// files whose schema is idempotent (`CREATE ... IF NOT EXISTS`).
    mutating func open(creatingWith schema: String) throws -> SQLiteDatabase {
        if let database { return database }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let opened = try SQLiteDatabase(path: path, create: true, durability: durability)
        try opened.execute(schema)
        database = opened
        return opened
    }

    mutating func close() {
        database?.close()
        database = nil
    }

    /// A stored timestamp; a value that does not parse means the file is corrupt.
    func timestamp(_ text: String) throws -> SwiftTimestamp {
        guard let value = SwiftTimestamp(text) else { throw BrokerError.corrupt(path: path, reason: "bad timestamp \(text)") }
        return value
    }
}
