#ifndef SHOAL_CSQLITE3_SHIM_H
#define SHOAL_CSQLITE3_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import.
// These helpers bind text and blobs that SQLite copies before the call returns, so the
// Swift buffer only has to live for the duration of the call. A NULL pointer (an empty
// Swift buffer may have none) binds an empty value, never SQL NULL.
static inline int shoal_sqlite3_bind_text_transient(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text ? text : "", length, SQLITE_TRANSIENT);
}

static inline int shoal_sqlite3_bind_blob_transient(sqlite3_stmt *statement, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(statement, index, bytes ? bytes : (const void *)"", length, SQLITE_TRANSIENT);
}
#endif
