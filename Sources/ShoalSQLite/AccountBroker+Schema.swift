/// The account database's tables, after OpenStack Swift's `account/backend.py`, with the
/// same conventions as ``ContainerBroker``'s: BLOB names, triggers for the totals, no
/// in-place updates, one `(deleted, name)` index.
extension AccountBroker {
    static let schema = """
        CREATE TABLE container (
            ROWID INTEGER PRIMARY KEY AUTOINCREMENT,
            name BLOB NOT NULL,
            put_timestamp TEXT NOT NULL,
            delete_timestamp TEXT NOT NULL,
            object_count INTEGER NOT NULL,
            bytes_used INTEGER NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX ix_container_deleted_name ON container (deleted, name);
        CREATE TABLE account_stat (
            account TEXT NOT NULL,
            created_at TEXT NOT NULL,
            put_timestamp TEXT NOT NULL,
            delete_timestamp TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT '',
            status_changed_at TEXT NOT NULL,
            container_count INTEGER NOT NULL DEFAULT 0,
            object_count INTEGER NOT NULL DEFAULT 0,
            bytes_used INTEGER NOT NULL DEFAULT 0,
            metadata TEXT NOT NULL DEFAULT '',
            id TEXT NOT NULL
        );
        CREATE TRIGGER container_insert AFTER INSERT ON container
        BEGIN
            UPDATE account_stat
            SET container_count = container_count + (1 - new.deleted),
                object_count = object_count + new.object_count,
                bytes_used = bytes_used + new.bytes_used;
        END;
        CREATE TRIGGER container_delete AFTER DELETE ON container
        BEGIN
            UPDATE account_stat
            SET container_count = container_count - (1 - old.deleted),
                object_count = object_count - old.object_count,
                bytes_used = bytes_used - old.bytes_used;
        END;
        CREATE TRIGGER container_update BEFORE UPDATE ON container
        BEGIN
            SELECT RAISE(FAIL, 'UPDATE not allowed; DELETE and INSERT');
        END;
        PRAGMA user_version = 1;
        """
}
