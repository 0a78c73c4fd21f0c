import Foundation
import ShoalCore

/// The database of one account replica (OpenStack Swift's `AccountBroker`): its
/// containers with the put/delete timestamps and usage their container servers reported,
/// totals kept exact by triggers, timestamps and metadata.
///
/// Called by the account role's request handlers (container updates, listings, HEAD,
/// account PUT/POST/DELETE), by the container updater and by replication. Like
/// ``ContainerBroker`` it is an actor on a ``SQLiteExecutor``, does no I/O when made, and
/// opens its file on first use.
public actor AccountBroker: ReplicatedDatabase {
    public nonisolated let path: String
    private nonisolated let executor: SQLiteExecutor
    private var file: DatabaseHandle

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public init(path: String, executor: SQLiteExecutor, durability: SQLiteDatabase.Durability = .full) {
        self.path = path
        self.executor = executor
        file = DatabaseHandle(path: path, durability: durability)
    }

    public var exists: Bool { file.exists }

    /// Creates the database for `account`, first put at `putTimestamp`.
    /// Throws ``BrokerError/alreadyExists(path:)`` when there is one.
    public func create(account: String, putTimestamp: SwiftTimestamp) throws {
        try file.create { db in
            try db.execute(Self.schema)
            try db.withStatement("""
                INSERT INTO account_stat (account, created_at, put_timestamp, delete_timestamp, status_changed_at, id)
                VALUES (?, ?, ?, ?, ?, ?)
                """) { statement in
                try statement.bind(1, account)
                try statement.bind(2, putTimestamp.internal)
                try statement.bind(3, putTimestamp.internal)
                try statement.bind(4, SwiftTimestamp(ticks: 0).internal)
                try statement.bind(5, putTimestamp.internal)
                try statement.bind(6, UUID().uuidString)
                try statement.step()
            }
        }
    }

    public func close() {
        file.close()
    }

    // MARK: Containers

    /// Records a container's state as its container server reports it (Swift's
    /// `put_container`): the newer of the stored and reported put timestamps, the newer of
    /// the delete timestamps, and the reported counts (as Swift, the last report's usage
    /// stands). The container counts as deleted when its delete is newer than its put and it
    /// holds no objects.
    public func putContainer(
        name: String, putTimestamp: SwiftTimestamp, deleteTimestamp: SwiftTimestamp, objectCount: Int64, bytesUsed: Int64
    ) throws {
        try merge(items: [ContainerRecord(
            name: name, putTimestamp: putTimestamp, deleteTimestamp: deleteTimestamp,
            objectCount: objectCount, bytesUsed: bytesUsed)])
    }

    /// Many container records in one transaction: updaters and replication. A record that
    /// leaves the stored row as it is writes nothing (the row keeps its ROWID, so
    /// replication does not send it back and forth). Returns how many rows were written.
    @discardableResult
    public func merge(items: [ContainerRecord]) throws -> Int {
        let db = try open()
        return try db.transaction {
            var applied = 0
            for item in items {
                let name = Array(item.name.utf8)
                var record = item
                let stored = try db.withStatement("""
                    SELECT put_timestamp, delete_timestamp, object_count, bytes_used FROM container
                    WHERE deleted IN (0, 1) AND name = ?
                    """) { statement -> ContainerRecord? in
                    try statement.bind(1, bytes: name)
                    guard try statement.step() else { return nil }
                    return ContainerRecord(
                        name: item.name, putTimestamp: try timestamp(statement.string(0)),
                        deleteTimestamp: try timestamp(statement.string(1)), objectCount: statement.int64(2),
                        bytesUsed: statement.int64(3))
                }
                if let stored {
                    record.putTimestamp = max(record.putTimestamp, stored.putTimestamp)
                    record.deleteTimestamp = max(record.deleteTimestamp, stored.deleteTimestamp)
                    let merged = ContainerRecord(
                        name: item.name, putTimestamp: record.putTimestamp, deleteTimestamp: record.deleteTimestamp,
                        objectCount: record.objectCount, bytesUsed: record.bytesUsed)
                    if merged == stored { continue }
                    try db.withStatement("DELETE FROM container WHERE deleted IN (0, 1) AND name = ?") { statement in
                        try statement.bind(1, bytes: name)
                        try statement.step()
                    }
                }
                record.deleted = record.deleteTimestamp > record.putTimestamp && record.objectCount == 0
                try db.withStatement("""
                    INSERT INTO container (name, put_timestamp, delete_timestamp, object_count, bytes_used, deleted)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """) { statement in
                    try statement.bind(1, bytes: name)
                    try statement.bind(2, record.putTimestamp.internal)
                    try statement.bind(3, record.deleteTimestamp.internal)
                    try statement.bind(4, record.objectCount)
                    try statement.bind(5, record.bytesUsed)
                    try statement.bind(6, record.deleted ? 1 : 0)
                    try statement.step()
                }
                applied += 1
            }
            return applied
        }
    }

    /// The live containers and subdirs for `query`, with the same rules as object listings.
    public func list(query: ListingQuery) throws -> [ContainerListing] {
        try open().listing(
            table: "container", columns: "name, object_count, bytes_used, put_timestamp", query: query,
            entry: { row in
                .container(ContainerListingEntry(
                    name: String(decoding: row.bytes(0), as: UTF8.self), count: row.int64(1), bytes: row.int64(2),
                    lastModified: SwiftTimestamp(row.string(3)) ?? SwiftTimestamp(ticks: 0)))
            },
            subdir: { .subdir(SubdirEntry(prefix: $0)) })
    }

    /// Rows (deleted containers included) with a ROWID above `afterRow`, in ROWID order.
    public func items(afterRow: Int64, limit: Int) throws -> [ContainerRecord] {
        try open().withStatement("""
            SELECT ROWID, name, put_timestamp, delete_timestamp, object_count, bytes_used FROM container
            WHERE ROWID > ? ORDER BY ROWID LIMIT ?
            """) { statement in
            try statement.bind(1, afterRow)
            try statement.bind(2, limit)
            var records: [ContainerRecord] = []
            while try statement.step() {
                records.append(ContainerRecord(
                    name: String(decoding: statement.bytes(1), as: UTF8.self),
                    putTimestamp: try timestamp(statement.string(2)), deleteTimestamp: try timestamp(statement.string(3)),
                    objectCount: statement.int64(4), bytesUsed: statement.int64(5), rowID: statement.int64(0)))
            }
            return records
        }
    }

    // MARK: The account itself

    public func info() throws -> AccountInfo {
        let db = try open()
        let maxRow = try db.withStatement("SELECT coalesce(max(ROWID), -1) FROM container") { statement -> Int64 in
            try statement.step()
            return statement.int64(0)
        }
        return try db.withStatement("""
            SELECT account, created_at, put_timestamp, delete_timestamp, status_changed_at, container_count,
                object_count, bytes_used, metadata, id, status FROM account_stat
            """) { row in
            guard try row.step() else { throw BrokerError.corrupt(path: path, reason: "no account_stat row") }
            return AccountInfo(
                account: row.string(0), createdAt: try timestamp(row.string(1)), putTimestamp: try timestamp(row.string(2)),
                deleteTimestamp: try timestamp(row.string(3)), statusChangedAt: try timestamp(row.string(4)),
                containerCount: row.int64(5), objectCount: row.int64(6), bytesUsed: row.int64(7),
                metadata: try TimestampedMetadata(json: row.string(8), path: path), id: row.string(9), maxRow: maxRow,
                statusDeleted: row.string(10) == "DELETED")
        }
    }

    /// Sets metadata keys last-writer-wins per key; an empty value deletes its key.
    public func updateMetadata(_ values: [String: String], timestamp: SwiftTimestamp) throws {
        try updateMetadata(values.mapValues { TimestampedMetadata.Item(value: $0, timestamp: timestamp) })
    }

    public func updateMetadata(_ items: [String: TimestampedMetadata.Item]) throws {
        let db = try open()
        try db.transaction { try StatsRow.mergeMetadata(items, table: "account_stat", in: db, path: path) }
    }

    /// An account PUT on an existing database: takes `timestamp` as the put timestamp if newer.
    public func updatePutTimestamp(_ timestamp: SwiftTimestamp) throws {
        let db = try open()
        try db.transaction { try StatsRow.raise(column: "put_timestamp", to: timestamp, table: "account_stat", in: db) }
    }

    /// An account DELETE (Swift's `delete_db`): clears the metadata at `timestamp`, marks
    /// the account `DELETED` and records the delete timestamp if newer. The reaper removes
    /// the containers afterwards.
    public func markDeleted(timestamp: SwiftTimestamp) throws {
        let db = try open()
        try db.transaction { try StatsRow.markDeleted(timestamp: timestamp, table: "account_stat", in: db, path: path) }
    }

    public var isDeleted: Bool {
        get throws { try info().isDeleted }
    }

    /// No live containers.
    public var isEmpty: Bool {
        get throws {
            try open().withStatement("SELECT container_count FROM account_stat") { statement in
                try statement.step() && statement.int64(0) <= 0
            }
        }
    }

    // MARK: Replication

    /// ``ReplicatedDatabase/create(replicaOf:)``: the account `info` names.
    public func create(replicaOf info: ReplicationInfo) throws {
        try create(account: info.account, putTimestamp: info.createdAt)
    }

    public func withReplicationTables<T>(_ body: (SQLiteDatabase, ReplicationTables) throws -> T) throws -> T {
        try body(open(), .account)
    }

    // MARK: Internals

    private func open() throws -> SQLiteDatabase { try file.open() }

    private func timestamp(_ text: String) throws -> SwiftTimestamp { try file.timestamp(text) }
}
