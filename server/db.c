/* db.c - connection pool, migrations and transaction helpers. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uuid/uuid.h>
#include "migrations.h"
#include "util/file.h"
#include "util/log.h"

/* SQLite's own busy handler sleeps in steps of up to 100 ms, which turns a
 * queue of writers into a long latency tail; poll every 0.2-1 ms instead,
 * for up to ~10 s. */
static int wait_for_lock(void *arg, int tries) {
    (void)arg;
    if (tries >= 12000) return 0;
    struct timespec ts = {0, tries < 100 ? 200000 : 1000000};
    nanosleep(&ts, NULL);
    return 1;
}

static int configure(sqlite3 *h, lm_error *err) {
    /* FULL: a reported result must survive a power cut, not only a crash. */
    static const char *pragmas =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "PRAGMA foreign_keys=ON;";
    sqlite3_busy_handler(h, wait_for_lock, NULL);
    return lmd_db_exec(h, pragmas, err);
}

/* Rows of PRAGMA foreign_key_check (0 when every reference resolves). */
static int foreign_key_problems(sqlite3 *h) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK) return 1;
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) n++;
    sqlite3_finalize(st);
    return n;
}

static int migrate_all(sqlite3 *h, lm_error *err) {
    if (lmd_db_begin(h, err)) return -1;
    sqlite3_stmt *st = lmd_db_prepare(h, "PRAGMA user_version", err);
    if (!st) { lmd_db_rollback(h); return -1; }
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version < 0) { lmd_db_rollback(h); return lm_fail(err, "cannot read PRAGMA user_version"); }
    if (version > lmd_n_migrations) {
        lmd_db_rollback(h);
        return lm_fail(err, "database schema version %d is newer than this lmntkd (%d)", version,
                       lmd_n_migrations);
    }
    for (int k = version; k < lmd_n_migrations; k++) {
        const lmd_migration *m = &lmd_migrations[k];
        char set_version[64];
        snprintf(set_version, sizeof set_version, "PRAGMA user_version=%d", m->number);
        if (lmd_db_exec(h, m->sql, err) || lmd_db_exec(h, set_version, err)) {
            lmd_db_rollback(h);
            return lm_fail_prefix(err, "migration %s", m->name);
        }
        lm_info("database: applied migration %s", m->name);
    }
    if (foreign_key_problems(h)) {
        lmd_db_rollback(h);
        return lm_fail(err, "the migrations leave references that do not resolve (PRAGMA foreign_key_check)");
    }
    return lmd_db_commit(h, err);
}

/* Foreign keys are off while migrations run (a migration may rebuild a
 * table others refer to, which SQLite allows only so; the switch is a no-op
 * inside a transaction, hence here) and checked before the commit. */
int lmd_db_migrate(sqlite3 *h, lm_error *err) {
    if (lmd_db_exec(h, "PRAGMA foreign_keys=OFF", err)) return -1;
    int rc = migrate_all(h, err);
    lm_error ignored;
    if (lmd_db_exec(h, "PRAGMA foreign_keys=ON", rc ? &ignored : err)) rc = -1;
    return rc;
}

int lmd_data_dir_make(const char *dir, lm_error *err) {
    struct stat sb;
    if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return lm_fail(err, "data: %s is a file, not a folder (--data names the folder that holds "
                            "lmntk.db and the artifacts)", dir);
    return lm_mkdirs(dir, err);
}

/* PRAGMA quick_check: a damaged file stops the daemon at start, before
 * any request could read half a table or write into a broken b-tree. */
static int check_integrity(sqlite3 *h, const char *path, lm_error *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
        return lm_fail(err, "%s is damaged or not an lmntk database (%s); restore it from a "
                            "backup, or move it away to start with an empty one", path, sqlite3_errmsg(h));
    char first[512] = "";
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (n++ == 0) snprintf(first, sizeof first, "%s", line ? line : "");
    }
    if (rc != SQLITE_DONE && !first[0]) snprintf(first, sizeof first, "%s", sqlite3_errmsg(h));
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && n == 1 && !strcmp(first, "ok")) return 0;
    for (char *p = first; *p; p++) if (*p == '\n') *p = ' '; /* one log line */
    return lm_fail(err, "%s is damaged (PRAGMA quick_check: %s%s); restore it from a backup, or "
                        "move it away to start with an empty one", path, first, n > 1 ? " ..." : "");
}

int lmd_db_open(lmd_db *db, const char *path, int n, lm_error *err) {
    memset(db, 0, sizeof *db);
    /* SQLite takes an empty file for an empty database; for lmntk it means
     * a database that lost everything (a truncation), so it is refused. */
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0)
        return lm_fail(err, "%s is empty (0 bytes): not the daemon's database; restore it from a "
                            "backup, or remove it to start with an empty one", path);
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return lm_fail(err, "%s is not a regular file", path);
    db->conns = lm_xcalloc((size_t)n, sizeof *db->conns);
    for (int i = 0; i < n; i++) {
        lmd_db_conn *c = &db->conns[i];
        pthread_mutex_init(&c->lock, NULL);
        db->n = i + 1;
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        if (sqlite3_open_v2(path, &c->h, flags, NULL) != SQLITE_OK) {
            lm_fail(err, "%s: cannot open database: %s", path,
                    c->h ? sqlite3_errmsg(c->h) : "out of memory");
            lmd_db_close(db);
            return -1;
        }
        if (i == 0 && check_integrity(c->h, path, err)) {
            lmd_db_close(db);
            return -1;
        }
        if (configure(c->h, err) || (i == 0 && lmd_db_migrate(c->h, err))) {
            lm_fail_prefix(err, "%s", path);
            lmd_db_close(db);
            return -1;
        }
    }
    return 0;
}

void lmd_db_close(lmd_db *db) {
    for (int i = 0; i < db->n; i++) {
        sqlite3_close_v2(db->conns[i].h);
        pthread_mutex_destroy(&db->conns[i].lock);
    }
    free(db->conns);
    memset(db, 0, sizeof *db);
}

lmd_db_conn *lmd_db_acquire(lmd_db *db) {
    unsigned start = atomic_fetch_add(&db->next, 1);
    for (int i = 0; i < db->n; i++) {
        lmd_db_conn *c = &db->conns[(start + (unsigned)i) % (unsigned)db->n];
        if (pthread_mutex_trylock(&c->lock) == 0) return c;
    }
    lmd_db_conn *c = &db->conns[start % (unsigned)db->n];
    pthread_mutex_lock(&c->lock);
    return c;
}

void lmd_db_release(lmd_db_conn *c) { pthread_mutex_unlock(&c->lock); }

int lmd_db_exec(sqlite3 *h, const char *sql, lm_error *err) {
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        lm_fail(err, "database: %s", msg ? msg : sqlite3_errmsg(h));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int lmd_db_begin(sqlite3 *h, lm_error *err) { return lmd_db_exec(h, "BEGIN IMMEDIATE", err); }
int lmd_db_commit(sqlite3 *h, lm_error *err) {
    if (lmd_db_exec(h, "COMMIT", err) == 0) return 0;
    lmd_db_rollback(h);
    return -1;
}
void lmd_db_rollback(sqlite3 *h) {
    if (!sqlite3_get_autocommit(h)) sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *lmd_db_prepare(sqlite3 *h, const char *sql, lm_error *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
        lm_fail(err, "database: %s", sqlite3_errmsg(h));
        return NULL;
    }
    return st;
}

int lmd_db_step_done(sqlite3_stmt *st, lm_error *err) {
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) lm_fail(err, "database: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

void lmd_db_bind_text(sqlite3_stmt *st, int i, const char *s) {
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

const char *lmd_db_text(sqlite3_stmt *st, int col) {
    return (const char *)sqlite3_column_text(st, col);
}

double lmd_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void lmd_new_uuid(char out[37]) {
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}
