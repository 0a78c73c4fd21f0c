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

// SQLite's page cache hands each new connection a bulk of SQLITE_DEFAULT_PCACHE_INITSZ pages
// (20 on Debian, about 85 KB, all touched to link them up). A node keeps a dozen idle
// databases open, so it asks for pages one at a time as a cache grows instead. Must run
// before SQLite initializes; returns SQLITE_MISUSE afterwards, which changes nothing.
static inline int shoal_sqlite3_page_cache_without_bulk(void) {
    return sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
}
#endif
