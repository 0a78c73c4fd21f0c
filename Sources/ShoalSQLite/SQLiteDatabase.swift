import CSQLite3

/// One open SQLite database file: a thin layer over the C API with a prepared-statement
/// cache, typed statements (``SQLiteStatement``), transactions and errors that carry
/// SQLite's message.
///
/// Used by the container and account brokers, which own one each. It is not thread-safe
/// and not `Sendable`: its owner (an actor running on a ``SQLiteExecutor`` thread) makes
/// every call, one at a time, off Swift's cooperative pool because every call may block on
/// the disk.
///
/// Durability: WAL journal with `synchronous=FULL`. A commit returns only after the WAL is
/// fsynced, so an acknowledged write survives a crash or power loss (with `NORMAL`, WAL
/// commits are only synced at checkpoints and the last ones can roll back). That costs one
/// fsync per commit — fewer than a rollback journal, which OpenStack Swift uses and which
/// needs two or more — and callers that write many rows (replication, updaters) batch them
/// in one transaction.
public final class SQLiteDatabase {
    /// How much a commit waits for the disk.
    public enum Durability: Sendable {
        /// `synchronous=FULL`: every commit is on disk when it returns. The default.
        case full
        /// `synchronous=NORMAL`: consistent after a crash but the last commits may be lost.
        /// For tests and caches only.
        case normal
    }

    /// The path this database was opened at.
    public let path: String
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]
    private var inTransaction = false

    /// Opens (and with `create`, creates) the database at `path`, in WAL mode, with a busy
    /// timeout so a second connection from another process waits instead of failing.
    public init(
        path: String, create: Bool = true, durability: Durability = .full, busyTimeout: Duration = .seconds(25)
    ) throws {
        self.path = path
        Self.configureOnce
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        if create { flags |= SQLITE_OPEN_CREATE }
        let result = sqlite3_open_v2(path, &db, flags, nil)
        guard result == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw SQLiteError(code: result, message: "\(message) (\(path))")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: milliseconds))
        try execute("PRAGMA journal_mode=WAL")
        try execute(durability == .full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
    }

    deinit { close() }

    /// Process-wide SQLite settings, made before the first connection opens.
    private static let configureOnce: Void = {
        _ = shoal_sqlite3_page_cache_without_bulk()
    }()

    /// Finalizes the cached statements and closes the file. Later calls throw.
    public func close() {
        statements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one or more statements that take no parameters (schema, pragmas).
    public func execute(_ sql: String) throws {
        let db = try open()
        var message: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(db, sql, nil, nil, &message)
        guard result == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(message)
            throw SQLiteError(code: result, message: text, sql: sql)
        }
    }

    /// Lends the cached prepared statement for `sql` (preparing it the first time) and
    /// resets it when `body` returns, so it can be bound afresh next time.
    public func withStatement<T>(_ sql: String, _ body: (SQLiteStatement) throws -> T) throws -> T {
        let statement = try prepared(sql)
        defer { statement.reset() }
        return try body(statement)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT` (rolled back if it throws). Not nested.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        precondition(!inTransaction, "SQLiteDatabase transactions do not nest")
        try execute("BEGIN IMMEDIATE")
        inTransaction = true
        defer { inTransaction = false }
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE (not counting triggers).
    public var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// The ROWID of the last successful INSERT on this connection.
    public var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    // MARK: Internals

    func error(code: Int32, sql: String?) -> SQLiteError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "database is closed"
        return SQLiteError(code: code, message: message, sql: sql)
    }

    private func open() throws -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "database is closed (\(path))") }
        return handle
    }

    private func prepared(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        let db = try open()
        var statement: OpaquePointer?
        let result = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard result == SQLITE_OK, let statement else { throw error(code: result, sql: sql) }
        let wrapped = SQLiteStatement(handle: statement, sql: sql, database: self)
        statements[sql] = wrapped
        return wrapped
    }
}
