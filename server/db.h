/* db.h - the daemon's SQLite database: a small pool of connections to one
 * file in WAL mode (readers never wait for the writer), numbered migrations,
 * and the transaction helpers every state change goes through. */
#ifndef LMD_DB_H
#define LMD_DB_H

#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include "util/error.h"

typedef struct lmd_db_conn {
    sqlite3 *h;
    pthread_mutex_t lock;
} lmd_db_conn;

typedef struct lmd_db {
    lmd_db_conn *conns;
    int n;
    atomic_uint next;    /* where the next acquire starts looking */
} lmd_db;

/* Makes the data folder (--data) if needed; an error naming the problem
 * when the path is a file. */
int lmd_data_dir_make(const char *dir, lm_error *err);

/* Opens n connections to path (creating the file), applies the pending
 * migrations and checks the schema version.  An existing file must pass
 * PRAGMA quick_check and must not be empty (0 bytes). */
int lmd_db_open(lmd_db *db, const char *path, int n, lm_error *err);
void lmd_db_close(lmd_db *db);

/* A connection for this thread's exclusive use until lmd_db_release. */
lmd_db_conn *lmd_db_acquire(lmd_db *db);
void lmd_db_release(lmd_db_conn *c);

/* Applies migrations newer than PRAGMA user_version, each in a transaction. */
int lmd_db_migrate(sqlite3 *h, lm_error *err);

/* BEGIN IMMEDIATE: takes the write lock up front, so two writers never
 * deadlock upgrading a read transaction. */
int lmd_db_begin(sqlite3 *h, lm_error *err);
int lmd_db_commit(sqlite3 *h, lm_error *err);
void lmd_db_rollback(sqlite3 *h);

int lmd_db_exec(sqlite3 *h, const char *sql, lm_error *err);
sqlite3_stmt *lmd_db_prepare(sqlite3 *h, const char *sql, lm_error *err);
/* Steps a statement that returns no rows, then finalizes it. */
int lmd_db_step_done(sqlite3_stmt *st, lm_error *err);
/* Binds a string, or NULL when s is NULL. */
void lmd_db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Column text, or NULL. */
const char *lmd_db_text(sqlite3_stmt *st, int col);

/* Wall-clock time in unix seconds. */
double lmd_now(void);
/* A new random uuid, lower-case text (37 bytes with the NUL). */
void lmd_new_uuid(char out[37]);

#endif
