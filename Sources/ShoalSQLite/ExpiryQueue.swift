import Foundation
import ShoalCore

/// The objects on one device that carry an `X-Delete-At`, by time: what the object
/// expirer works through. Every replica records its own object, so each node expires what
/// it stores with no shared queue (where OpenStack Swift keeps a hidden
/// `.expiring_objects` account). Writing an entry is part of the object PUT, so an
/// acknowledged object with an expiry is always found.
public actor ExpiryQueue {
    public struct Entry: Hashable, Sendable {
        public let deleteAt: Int64
        public let account: String
        public let container: String
        public let object: String
        /// The version that set the expiry: a newer version with no expiry outlives it.
        public let timestamp: SwiftTimestamp

        public init(deleteAt: Int64, account: String, container: String, object: String, timestamp: SwiftTimestamp) {
            self.deleteAt = deleteAt
            self.account = account
            self.container = container
            self.object = object
            self.timestamp = timestamp
        }
    }

    public nonisolated let path: String
    private nonisolated let executor: SQLiteExecutor
    private var file: DatabaseHandle

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public init(path: String, executor: SQLiteExecutor, durability: SQLiteDatabase.Durability = .full) {
        self.path = path
        self.executor = executor
        file = DatabaseHandle(path: path, durability: durability)
    }

    private func open() throws -> SQLiteDatabase {
        try file.open(creatingWith: """
            CREATE TABLE IF NOT EXISTS expiring (
                delete_at INTEGER NOT NULL, account TEXT NOT NULL, container TEXT NOT NULL, object TEXT NOT NULL,
                timestamp TEXT NOT NULL, PRIMARY KEY (account, container, object, timestamp));
            CREATE INDEX IF NOT EXISTS expiring_by_time ON expiring (delete_at);
            """)
    }

    public func add(_ entry: Entry) throws {
        try open().withStatement(
            "INSERT OR REPLACE INTO expiring (delete_at, account, container, object, timestamp) VALUES (?, ?, ?, ?, ?)"
        ) { statement in
            try statement.bind(1, entry.deleteAt)
            try statement.bind(2, entry.account)
            try statement.bind(3, entry.container)
            try statement.bind(4, entry.object)
            try statement.bind(5, entry.timestamp.internal)
            _ = try statement.step()
        }
    }

    /// Up to `limit` entries due at `now` (seconds), oldest first.
    public func due(now: Int64, limit: Int) throws -> [Entry] {
        try open().withStatement(
            "SELECT delete_at, account, container, object, timestamp FROM expiring WHERE delete_at <= ? ORDER BY delete_at LIMIT ?"
        ) { statement in
            try statement.bind(1, now)
            try statement.bind(2, limit)
            var entries: [Entry] = []
            while try statement.step() {
                guard let timestamp = SwiftTimestamp(statement.string(4)) else { continue }
                entries.append(Entry(deleteAt: statement.int64(0), account: statement.string(1), container: statement.string(2),
                                     object: statement.string(3), timestamp: timestamp))
            }
            return entries
        }
    }

    public func remove(_ entry: Entry) throws {
        try open().withStatement(
            "DELETE FROM expiring WHERE account = ? AND container = ? AND object = ? AND timestamp = ?"
        ) { statement in
            try statement.bind(1, entry.account)
            try statement.bind(2, entry.container)
            try statement.bind(3, entry.object)
            try statement.bind(4, entry.timestamp.internal)
            _ = try statement.step()
        }
    }

    public var count: Int {
        get throws {
            try open().withStatement("SELECT COUNT(*) FROM expiring") { statement in
                _ = try statement.step()
                return Int(statement.int64(0))
            }
        }
    }

    public func close() {
        file.close()
    }
}
