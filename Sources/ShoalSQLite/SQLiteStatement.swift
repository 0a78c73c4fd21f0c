import CSQLite3

/// A prepared statement: typed binds, stepping, typed columns. Owned and cached by its
/// ``SQLiteDatabase``; the brokers get one through ``SQLiteDatabase/withStatement(_:_:)``,
/// which resets it afterwards, and never keep it. Parameter and column indexes follow
/// SQLite's: parameters from 1, columns from 0.
public final class SQLiteStatement {
    let handle: OpaquePointer
    let sql: String
    private unowned let database: SQLiteDatabase

    init(handle: OpaquePointer, sql: String, database: SQLiteDatabase) {
        self.handle = handle
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    // MARK: Binding

    public func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    public func bind(_ index: Int32, _ value: Int) throws {
        try bind(index, Int64(value))
    }

    public func bind(_ index: Int32, _ value: String) throws {
        var value = value
        try value.withUTF8 { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { chars in
                try check(shoal_sqlite3_bind_text_transient(handle, index, chars.baseAddress, Int32(chars.count)))
            }
        }
    }

    /// Binds bytes as a BLOB (names are stored as BLOBs so that every comparison is memcmp).
    public func bind(_ index: Int32, bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            try check(shoal_sqlite3_bind_blob_transient(handle, index, buffer.baseAddress, Int32(buffer.count)))
        }
    }

    public func bindNull(_ index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    // MARK: Stepping

    /// Advances to the next row: true when there is one, false when done.
    @discardableResult
    public func step() throws -> Bool {
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(code: result, sql: sql)
        }
    }

    /// Rewinds the statement and clears its bindings, ready for reuse.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Columns

    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// TEXT (or anything converted to it) as a String; "" for NULL.
    public func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// BLOB (or TEXT) as bytes; empty for NULL.
    public func bytes(_ column: Int32) -> [UInt8] {
        guard let blob = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: blob, count: count))
    }

    private func check(_ result: Int32) throws {
        guard result == SQLITE_OK else { throw database.error(code: result, sql: sql) }
    }
}
