import ShoalCore

/// Updates of the single stats row (`container_stat`, `account_stat`) that both brokers
/// share: timestamps that only move forward, metadata merged per key, Swift's `delete_db`.
/// Called inside the brokers' transactions.
enum StatsRow {
    /// `column = timestamp` where the stored one is older (internal-form timestamps sort
    /// as text: fixed-width digits, then the optional `_offset`).
    static func raise(column: String, to timestamp: SwiftTimestamp, table: String, in db: SQLiteDatabase) throws {
        try db.withStatement("UPDATE \(table) SET \(column) = ? WHERE \(column) < ?") { statement in
            try statement.bind(1, timestamp.internal)
            try statement.bind(2, timestamp.internal)
            try statement.step()
        }
    }

    static func set(column: String, to value: SwiftTimestamp, table: String, in db: SQLiteDatabase) throws {
        try db.withStatement("UPDATE \(table) SET \(column) = ?") { statement in
            try statement.bind(1, value.internal)
            try statement.step()
        }
    }

    static func metadata(table: String, in db: SQLiteDatabase, path: String) throws -> TimestampedMetadata {
        let json = try db.withStatement("SELECT metadata FROM \(table)") { statement in
            try statement.step() ? statement.string(0) : ""
        }
        return try TimestampedMetadata(json: json, path: path)
    }

    static func mergeMetadata(
        _ items: [String: TimestampedMetadata.Item], table: String, in db: SQLiteDatabase, path: String
    ) throws {
        var metadata = try metadata(table: table, in: db, path: path)
        guard metadata.merge(items) else { return }
        try db.withStatement("UPDATE \(table) SET metadata = ?") { statement in
            try statement.bind(1, metadata.json)
            try statement.step()
        }
    }

    /// Clears every metadata key at `timestamp`, then records the delete (status `DELETED`,
    /// status change at `timestamp`) if `timestamp` is newer than the stored delete.
    static func markDeleted(timestamp: SwiftTimestamp, table: String, in db: SQLiteDatabase, path: String) throws {
        let current = try metadata(table: table, in: db, path: path)
        let cleared = current.items.mapValues { _ in TimestampedMetadata.Item(value: "", timestamp: timestamp) }
        try mergeMetadata(cleared, table: table, in: db, path: path)
        try db.withStatement("""
            UPDATE \(table) SET delete_timestamp = ?, status = 'DELETED', status_changed_at = ?
            WHERE delete_timestamp < ?
            """) { statement in
            try statement.bind(1, timestamp.internal)
            try statement.bind(2, timestamp.internal)
            try statement.bind(3, timestamp.internal)
            try statement.step()
        }
    }
}
