import Foundation
import ShoalCore

/// The database of one container replica (OpenStack Swift's `ContainerBroker`): its
/// objects with their latest version or tombstone, counts and bytes kept exact by
/// triggers, timestamps and metadata. One SQLite file per replica at a path the caller
/// chooses (the container role puts it under its device and partition).
///
/// Called by the container role's request handlers (object updates, listings, HEAD,
/// container PUT/POST/DELETE), by the object updater and by replication. It is an actor
/// running on the ``SQLiteExecutor`` it is given, so its blocking SQLite calls stay off
/// Swift's cooperative pool. Making one does no I/O; ``create(account:container:putTimestamp:)``
/// makes the file and every other call opens it on first use
/// (``BrokerError/notFound(path:)`` when it does not exist).
public actor ContainerBroker: ReplicatedDatabase {
    public nonisolated let path: String
    private nonisolated let executor: SQLiteExecutor
    private var file: DatabaseHandle
    private var waitingRows: [([ObjectRecord], CheckedContinuation<Void, any Error>)] = []

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public init(path: String, executor: SQLiteExecutor, durability: SQLiteDatabase.Durability = .full) {
        self.path = path
        self.executor = executor
        file = DatabaseHandle(path: path, durability: durability)
    }

    /// Whether the database file exists (Swift's `os.path.exists(broker.db_file)`).
    public var exists: Bool { file.exists }

    /// Creates the database for `account`/`container`, first put at `putTimestamp`.
    /// Throws ``BrokerError/alreadyExists(path:)`` when there is one.
    public func create(account: String, container: String, putTimestamp: SwiftTimestamp) throws {
        try file.create { db in
            try db.execute(Self.schema)
            let zero = SwiftTimestamp(ticks: 0).internal
            try db.withStatement("""
                INSERT INTO container_stat (account, container, created_at, put_timestamp, delete_timestamp,
                    status_changed_at, object_count, bytes_used, metadata, id)
                VALUES (?, ?, ?, ?, ?, ?, 0, 0, '', ?)
                """) { statement in
                try statement.bind(1, account)
                try statement.bind(2, container)
                try statement.bind(3, putTimestamp.internal)
                try statement.bind(4, putTimestamp.internal)
                try statement.bind(5, zero)
                try statement.bind(6, putTimestamp.internal)
                try statement.bind(7, UUID().uuidString)
                try statement.step()
            }
        }
    }

    /// Closes the file; the next call reopens it.
    public func close() {
        file.close()
    }

    // MARK: Objects

    /// Records an object version (an object server's update after a PUT). Ignored when the
    /// database already holds a version or tombstone at the same or a newer timestamp.
    /// Returns whether it was applied.
    @discardableResult
    public func putObject(
        name: String, timestamp: SwiftTimestamp, size: Int64, contentType: String, etag: String
    ) throws -> Bool {
        try merge(items: [ObjectRecord(name: name, timestamp: timestamp, size: size, contentType: contentType, etag: etag)]) == 1
    }

    /// Records one object row (an object server's update) together with the rows that
    /// arrive while a commit is on the disk: group commit. Each caller returns once the
    /// transaction holding its row is durable, so the guarantee is ``merge(items:)``'s, but
    /// N concurrent updates of one container cost one fsync instead of N (Swift gets the
    /// same effect by appending to a `.pending` file).
    public func commit(_ record: ObjectRecord) async throws {
        try await commit([record])
    }

    /// ``commit(_:)`` for several rows at once (an object server's batch of updates).
    public func commit(_ records: [ObjectRecord]) async throws {
        guard !records.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waitingRows.append((records, continuation))
            if waitingRows.count == 1 { Task { self.flushWaitingRows() } }
        }
    }

    /// Transactions ``commit(_:)`` has written (for tests and metrics).
    public private(set) var groupCommits = 0

    private func flushWaitingRows() {
        let batch = waitingRows
        waitingRows = []
        guard !batch.isEmpty else { return }
        groupCommits += 1
        do {
            try merge(items: batch.flatMap(\.0))
            for (_, continuation) in batch { continuation.resume() }
        } catch {
            for (_, continuation) in batch { continuation.resume(throwing: error) }
        }
    }

    /// Records a DELETE as a tombstone, with the same last-writer-wins rule.
    @discardableResult
    public func deleteObject(name: String, timestamp: SwiftTimestamp) throws -> Bool {
        try merge(items: [.tombstone(name: name, timestamp: timestamp)]) == 1
    }

    /// Applies many versions and tombstones in one transaction (one fsync): updaters and
    /// replication. Each record replaces the row of its name only when it is strictly newer;
    /// a replaced row gets a new ROWID, so ``items(afterRow:limit:)`` sees it again.
    /// Returns how many records were applied.
    @discardableResult
    public func merge(items: [ObjectRecord]) throws -> Int {
        let db = try open()
        return try db.transaction {
            var applied = 0
            for item in items {
                let name = Array(item.name.utf8)
                let current = try db.withStatement(
                    "SELECT created_at FROM object WHERE deleted IN (0, 1) AND name = ?"
                ) { statement -> String? in
                    try statement.bind(1, bytes: name)
                    return try statement.step() ? statement.string(0) : nil
                }
                if let current {
                    guard let stored = SwiftTimestamp(current) else {
                        throw BrokerError.corrupt(path: path, reason: "bad created_at \(current)")
                    }
                    if stored >= item.timestamp { continue }
                    try db.withStatement("DELETE FROM object WHERE deleted IN (0, 1) AND name = ?") { statement in
                        try statement.bind(1, bytes: name)
                        try statement.step()
                    }
                }
                try db.withStatement(
                    "INSERT INTO object (name, created_at, size, content_type, etag, deleted) VALUES (?, ?, ?, ?, ?, ?)"
                ) { statement in
                    try statement.bind(1, bytes: name)
                    try statement.bind(2, item.timestamp.internal)
                    try statement.bind(3, item.size)
                    try statement.bind(4, item.contentType)
                    try statement.bind(5, item.etag)
                    try statement.bind(6, item.deleted ? 1 : 0)
                    try statement.step()
                }
                applied += 1
            }
            return applied
        }
    }

    /// The live objects and subdirs for `query`, in Swift's order and with its
    /// prefix/delimiter/marker/end_marker/limit/reverse rules.
    public func list(query: ListingQuery) throws -> [ObjectListing] {
        try open().listing(
            table: "object", columns: "name, created_at, size, content_type, etag", query: query,
            entry: { row in
                .object(ObjectListingEntry(
                    name: String(decoding: row.bytes(0), as: UTF8.self), bytes: row.int64(2), etag: row.string(4),
                    contentType: row.string(3), lastModified: SwiftTimestamp(row.string(1)) ?? SwiftTimestamp(ticks: 0)))
            },
            subdir: { .subdir(SubdirEntry(prefix: $0)) })
    }

    /// Rows (tombstones included) with a ROWID above `afterRow`, in ROWID order: what
    /// replication sends to a peer from its last sync point.
    public func items(afterRow: Int64, limit: Int) throws -> [ObjectRecord] {
        try open().withStatement("""
            SELECT ROWID, name, created_at, size, content_type, etag, deleted FROM object
            WHERE ROWID > ? ORDER BY ROWID LIMIT ?
            """) { statement in
            try statement.bind(1, afterRow)
            try statement.bind(2, limit)
            var records: [ObjectRecord] = []
            while try statement.step() {
                records.append(ObjectRecord(
                    name: String(decoding: statement.bytes(1), as: UTF8.self),
                    timestamp: SwiftTimestamp(statement.string(2)) ?? SwiftTimestamp(ticks: 0),
                    size: statement.int64(3), contentType: statement.string(4), etag: statement.string(5),
                    deleted: statement.int64(6) != 0, rowID: statement.int64(0)))
            }
            return records
        }
    }

    // MARK: The container itself

    /// Counts, bytes, timestamps and metadata.
    public func info() throws -> ContainerInfo {
        let db = try open()
        let maxRow = try db.withStatement("SELECT coalesce(max(ROWID), -1) FROM object") { statement -> Int64 in
            try statement.step()
            return statement.int64(0)
        }
        return try db.withStatement("""
            SELECT account, container, created_at, put_timestamp, delete_timestamp, status_changed_at,
                object_count, bytes_used, metadata, id FROM container_stat
            """) { row in
            guard try row.step() else { throw BrokerError.corrupt(path: path, reason: "no container_stat row") }
            return ContainerInfo(
                account: row.string(0), container: row.string(1), createdAt: try timestamp(row.string(2)),
                putTimestamp: try timestamp(row.string(3)), deleteTimestamp: try timestamp(row.string(4)),
                statusChangedAt: try timestamp(row.string(5)), objectCount: row.int64(6), bytesUsed: row.int64(7),
                metadata: try TimestampedMetadata(json: row.string(8), path: path), id: row.string(9), maxRow: maxRow)
        }
    }

    /// Sets metadata keys last-writer-wins per key; an empty value deletes its key.
    public func updateMetadata(_ values: [String: String], timestamp: SwiftTimestamp) throws {
        try updateMetadata(values.mapValues { TimestampedMetadata.Item(value: $0, timestamp: timestamp) })
    }

    /// The per-key form, for replication (each key with its own timestamp).
    public func updateMetadata(_ items: [String: TimestampedMetadata.Item]) throws {
        let db = try open()
        try db.transaction { try StatsRow.mergeMetadata(items, table: "container_stat", in: db, path: path) }
    }

    /// A container PUT on an existing database: takes `timestamp` as the put timestamp if
    /// it is newer; when that revives a deleted container, its status changes at `timestamp`.
    public func updatePutTimestamp(_ timestamp: SwiftTimestamp) throws {
        let db = try open()
        try db.transaction {
            let wasDeleted = try info().isDeleted
            try StatsRow.raise(column: "put_timestamp", to: timestamp, table: "container_stat", in: db)
            if wasDeleted, try !info().isDeleted {
                try StatsRow.set(column: "status_changed_at", to: timestamp, table: "container_stat", in: db)
            }
        }
    }

    /// A container DELETE (Swift's `delete_db`): clears every metadata key at `timestamp`
    /// and records the delete timestamp if it is newer. The caller checks ``isEmpty`` first
    /// (409 otherwise).
    public func markDeleted(timestamp: SwiftTimestamp) throws {
        let db = try open()
        try db.transaction {
            try StatsRow.markDeleted(timestamp: timestamp, table: "container_stat", in: db, path: path)
        }
    }

    /// No objects and a delete newer than the last put: HEAD and GET answer 404.
    public var isDeleted: Bool {
        get throws { try info().isDeleted }
    }

    /// No live objects: a container DELETE may go ahead.
    public var isEmpty: Bool {
        get throws {
            try open().withStatement("SELECT object_count FROM container_stat") { statement in
                try statement.step() && statement.int64(0) <= 0
            }
        }
    }

    // MARK: Replication

    /// ``ReplicatedDatabase/create(replicaOf:)``: the container `info` names.
    public func create(replicaOf info: ReplicationInfo) throws {
        guard let container = info.container else {
            throw BrokerError.corrupt(path: path, reason: "account replication info for a container database")
        }
        try create(account: info.account, container: container, putTimestamp: info.createdAt)
    }

    public func withReplicationTables<T>(_ body: (SQLiteDatabase, ReplicationTables) throws -> T) throws -> T {
        try body(open(), .container)
    }

    // MARK: Internals

    private func open() throws -> SQLiteDatabase { try file.open() }

    private func timestamp(_ text: String) throws -> SwiftTimestamp { try file.timestamp(text) }
}
