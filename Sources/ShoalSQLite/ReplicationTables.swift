import ShoalCore

/// The tables of a container or account database that replication reads and writes: the
/// stats row (`container_stat`, `account_stat`), the row table (`object`, `container`) and
/// the sync-point tables. Shared by both brokers through ``ReplicatedDatabase``.
public struct ReplicationTables: Sendable {
    let stats: String
    let rows: String
    /// The stats row's column holding the container name, if it has one.
    let containerColumn: String?

    static let container = ReplicationTables(stats: "container_stat", rows: "object", containerColumn: "container")
    static let account = ReplicationTables(stats: "account_stat", rows: "container", containerColumn: nil)

    /// Made on first use, so databases created before replication get them too.
    static let syncSchema = """
        CREATE TABLE IF NOT EXISTS incoming_sync (remote_id TEXT PRIMARY KEY, sync_point INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS outgoing_sync (remote_id TEXT PRIMARY KEY, sync_point INTEGER NOT NULL);
        """

    func maxRow(in db: SQLiteDatabase) throws -> Int64 {
        try db.withStatement("SELECT coalesce(max(ROWID), -1) FROM \(rows)") { statement in
            try statement.step()
            return statement.int64(0)
        }
    }

    func info(in db: SQLiteDatabase, path: String) throws -> ReplicationInfo {
        let maxRow = try maxRow(in: db)
        return try db.withStatement("""
            SELECT account, \(containerColumn ?? "NULL"), created_at, put_timestamp, delete_timestamp,
                status_changed_at, status, metadata, id FROM \(stats)
            """) { row in
            guard try row.step() else { throw BrokerError.corrupt(path: path, reason: "no \(stats) row") }
            func timestamp(_ column: Int32) throws -> SwiftTimestamp {
                guard let value = SwiftTimestamp(row.string(column)) else {
                    throw BrokerError.corrupt(path: path, reason: "bad timestamp \(row.string(column))")
                }
                return value
            }
            return ReplicationInfo(
                account: row.string(0), container: row.isNull(1) ? nil : row.string(1), createdAt: try timestamp(2),
                putTimestamp: try timestamp(3), deleteTimestamp: try timestamp(4), statusChangedAt: try timestamp(5),
                statusDeleted: row.string(6) == "DELETED", metadata: try TimestampedMetadata(json: row.string(7), path: path),
                id: row.string(8), maxRow: maxRow)
        }
    }

    /// Called inside a transaction. Internal-form timestamps compare as text.
    func merge(_ info: ReplicationInfo, in db: SQLiteDatabase, path: String) throws {
        try db.withStatement("""
            UPDATE \(stats) SET created_at = min(created_at, ?), put_timestamp = max(put_timestamp, ?),
                status_changed_at = max(status_changed_at, ?)
            """) { statement in
            try statement.bind(1, info.createdAt.internal)
            try statement.bind(2, info.putTimestamp.internal)
            try statement.bind(3, info.statusChangedAt.internal)
            try statement.step()
        }
        try db.withStatement("""
            UPDATE \(stats) SET delete_timestamp = ?, status = CASE WHEN ? THEN 'DELETED' ELSE status END
            WHERE delete_timestamp < ?
            """) { statement in
            try statement.bind(1, info.deleteTimestamp.internal)
            try statement.bind(2, info.statusDeleted ? 1 : 0)
            try statement.bind(3, info.deleteTimestamp.internal)
            try statement.step()
        }
        try StatsRow.mergeMetadata(info.metadata.items, table: stats, in: db, path: path)
    }

    static func syncPoint(for remoteID: String, _ direction: SyncDirection, in db: SQLiteDatabase) throws -> Int64 {
        try db.execute(syncSchema)
        return try db.withStatement("SELECT sync_point FROM \(direction.table) WHERE remote_id = ?") { statement in
            try statement.bind(1, remoteID)
            return try statement.step() ? statement.int64(0) : -1
        }
    }

    static func record(_ point: Int64, for remoteID: String, _ direction: SyncDirection, in db: SQLiteDatabase) throws {
        try db.execute(syncSchema)
        try db.withStatement("""
            INSERT INTO \(direction.table) (remote_id, sync_point) VALUES (?, ?)
            ON CONFLICT (remote_id) DO UPDATE SET sync_point = max(sync_point, excluded.sync_point)
            """) { statement in
            try statement.bind(1, remoteID)
            try statement.bind(2, point)
            try statement.step()
        }
    }
}
