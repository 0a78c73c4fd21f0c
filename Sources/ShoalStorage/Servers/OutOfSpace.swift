import Foundation
import ShoalPorts
import ShoalSQLite

/// Whether an error says the device is full, as the object store (`ENOSPC`, `EDQUOT`) or
/// SQLite (`SQLITE_FULL`) says it: the servers answer it with 507 and the replication
/// server with ``ObjectReplicationResponse/full``, so writes and pushes go to a handoff.
func isOutOfSpace(_ error: any Error) -> Bool {
    switch error {
    case ObjectStoreError.io(_, let code): code == ENOSPC || code == EDQUOT
    case let error as SQLiteError: error.isDiskFull
    default: false
    }
}
