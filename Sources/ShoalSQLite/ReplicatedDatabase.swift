import CSQLite3
import ShoalCore

/// A container or account database as replication sees it: the calls OpenStack Swift's
/// db_replicator makes on a `DatabaseBroker`. ``ContainerBroker`` (rows are
/// ``ObjectRecord``s) and ``AccountBroker`` (``ContainerRecord``s) conform; the replicator
/// and the servers' `REPLICATE` verb are written once against this protocol.
///
/// The sync points are Swift's `incoming_sync` and `outgoing_sync` tables: for each remote
/// database id, the highest row of the sender's that the receiver has merged. A receiver
/// records an incoming point with every batch it merges; a sender records an outgoing
/// point once a peer acknowledged everything up to it. Points only move forward.
public protocol ReplicatedDatabase: Actor {
    associatedtype Row: ReplicatedRow

    nonisolated var path: String { get }
    var exists: Bool { get }
    /// Rows (deleted ones included) above `afterRow`, in row order.
    func items(afterRow: Int64, limit: Int) throws -> [Row]
    /// Applies rows another replica sent, newest wins per name; returns how many changed
    /// this database (an unchanged row keeps its row id, so it is not sent on again).
    @discardableResult
    func merge(items: [Row]) throws -> Int
    /// Creates the database anew for the names in `info`, put at its creation time (so
    /// merging `info` next, as the caller does, gives every timestamp `info`'s);
    /// ``BrokerError/alreadyExists(path:)`` when there is one.
    func create(replicaOf info: ReplicationInfo) throws
    func close()
    /// The open database and its table names: what the shared implementations in this
    /// protocol's extension work on. Not for callers outside ShoalSQLite.
    func withReplicationTables<T>(_ body: (SQLiteDatabase, ReplicationTables) throws -> T) throws -> T
}

/// A row that replicates: it knows its row id in the database it was read from.
public protocol ReplicatedRow: Codable, WireCodable, Sendable {
    var rowID: Int64 { get }
}

extension ObjectRecord: ReplicatedRow {}
extension ContainerRecord: ReplicatedRow {}

/// Which sync-point table: rows others sent us, or rows we sent others.
public enum SyncDirection: Sendable {
    case incoming
    case outgoing

    var table: String { self == .incoming ? "incoming_sync" : "outgoing_sync" }
}

extension ReplicatedDatabase {
    /// What is wrong with this replica's file, as SQLite's `PRAGMA quick_check` and the
    /// replication tables see it: empty when it is sound. A file SQLite cannot read as a
    /// database (`SQLITE_NOTADB`, `SQLITE_CORRUPT`) is reported, not thrown; other
    /// errors (a busy or unreadable disk) are thrown, since they say nothing of the file.
    public func integrityProblems() throws -> [String] {
        do {
            return try withReplicationTables { db, tables in
                var problems: [String] = []
                try db.withStatement("PRAGMA quick_check") { row in
                    while try row.step() {
                        let line = row.string(0)
                        if line != "ok" { problems.append(line) }
                    }
                }
                if problems.isEmpty { _ = try tables.info(in: db, path: path) }
                return problems
            }
        } catch let error as SQLiteError where [SQLITE_NOTADB, SQLITE_CORRUPT].contains(error.primaryCode) {
            return [error.message]
        } catch BrokerError.corrupt(_, let reason) {
            return [reason]
        }
    }

    /// The names, timestamps, metadata, id and largest row of this replica.
    public func replicationInfo() throws -> ReplicationInfo {
        try withReplicationTables { db, tables in try tables.info(in: db, path: path) }
    }

    /// Swift's `merge_timestamps` and `update_metadata` with another replica's info: the
    /// earliest creation, the newest put, the newest delete (and its `DELETED` status), the
    /// latest status change, and each metadata key's newest value.
    public func merge(replicationInfo info: ReplicationInfo) throws {
        try withReplicationTables { db, tables in
            try db.transaction { try tables.merge(info, in: db, path: path) }
        }
    }

    /// The largest row id, `-1` when there are no rows.
    public var maxRow: Int64 {
        get throws { try withReplicationTables { db, tables in try tables.maxRow(in: db) } }
    }

    /// The sync point for `remoteID`, `-1` when there is none.
    public func syncPoint(for remoteID: String, _ direction: SyncDirection) throws -> Int64 {
        try withReplicationTables { db, _ in try ReplicationTables.syncPoint(for: remoteID, direction, in: db) }
    }

    /// Raises the sync point for `remoteID` to `point` (a lower point is ignored).
    public func recordSyncPoint(_ point: Int64, for remoteID: String, _ direction: SyncDirection) throws {
        try withReplicationTables { db, _ in try ReplicationTables.record(point, for: remoteID, direction, in: db) }
    }
}
