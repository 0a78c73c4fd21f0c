/// The container database's tables, after OpenStack Swift's `container/backend.py`:
/// object names are BLOBs of UTF-8 (every comparison is memcmp, Swift's order, whatever
/// a bound marker holds); triggers keep `object_count` and `bytes_used` exact on every
/// insert and delete; rows are never updated in place (DELETE then INSERT, so a changed
/// row gets a new ROWID for replication), and one `(deleted, name)` index serves both the
/// listings (`deleted = 0`) and the lookups by name (`deleted IN (0, 1)`).
extension ContainerBroker {
    static let schema = """
        CREATE TABLE object (
            ROWID INTEGER PRIMARY KEY AUTOINCREMENT,
            name BLOB NOT NULL,
            created_at TEXT NOT NULL,
            size INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            etag TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX ix_object_deleted_name ON object (deleted, name);
        CREATE TABLE container_stat (
            account TEXT NOT NULL,
            container TEXT NOT NULL,
            created_at TEXT NOT NULL,
            put_timestamp TEXT NOT NULL,
            delete_timestamp TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT '',
            status_changed_at TEXT NOT NULL,
            object_count INTEGER NOT NULL DEFAULT 0,
            bytes_used INTEGER NOT NULL DEFAULT 0,
            metadata TEXT NOT NULL DEFAULT '',
            id TEXT NOT NULL
        );
        CREATE TRIGGER object_insert AFTER INSERT ON object
        BEGIN
            UPDATE container_stat
            SET object_count = object_count + (1 - new.deleted),
                bytes_used = bytes_used + (1 - new.deleted) * new.size;
        END;
        CREATE TRIGGER object_delete AFTER DELETE ON object
        BEGIN
            UPDATE container_stat
            SET object_count = object_count - (1 - old.deleted),
                bytes_used = bytes_used - (1 - old.deleted) * old.size;
        END;
        CREATE TRIGGER object_update BEFORE UPDATE ON object
        BEGIN
            SELECT RAISE(FAIL, 'UPDATE not allowed; DELETE and INSERT');
        END;
        PRAGMA user_version = 1;
        """
}
