import CSQLite3

/// A failed SQLite call, with SQLite's own message and the statement that failed. Thrown
/// by ``SQLiteDatabase`` and everything built on it.
public struct SQLiteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The extended result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, ...).
    public let code: Int32
    /// `sqlite3_errmsg` at the time of the failure, or our own words for misuse.
    public let message: String
    /// The SQL being prepared or run, when there was one.
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (`code & 0xFF`).
    public var primaryCode: Int32 { code & 0xFF }

    /// The disk is full (`SQLITE_FULL`): the server answers 507.
    public var isDiskFull: Bool { primaryCode == SQLITE_FULL }

    public var description: String {
        "SQLite error \(code): \(message)" + (sql.map { " [\($0)]" } ?? "")
    }
}
