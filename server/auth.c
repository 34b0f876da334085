/* auth.c - bearer tokens, stored as their sha256. */
#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "db.h"
#include "store/sha256.h"

const char *lmd_principal_kind_name(lmd_principal_kind k) {
    return k == LMD_PRINCIPAL_USER ? "user" : k == LMD_PRINCIPAL_WORKER ? "worker" : "anonymous";
}

lmd_principal_kind lmd_principal_kind_parse(const char *s) {
    if (!strcmp(s, "user")) return LMD_PRINCIPAL_USER;
    if (!strcmp(s, "worker")) return LMD_PRINCIPAL_WORKER;
    return LMD_PRINCIPAL_ANONYMOUS;
}

int lmd_auth_lookup(sqlite3 *h, const char *token, lmd_principal *who, lm_error *err) {
    char hash[LM_SHA256_HEX_LEN + 1];
    lm_sha256_hex(token, strlen(token), hash);
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT id, kind FROM tokens WHERE hash = ?1 AND revoked_at IS NULL", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        who->token_id = sqlite3_column_int64(st, 0);
        who->kind = lmd_principal_kind_parse(lmd_db_text(st, 1));
    } else if (rc != SQLITE_DONE) {
        lm_fail(err, "database: %s", sqlite3_errmsg(h));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int lmd_auth_create(sqlite3 *h, lmd_principal_kind kind, const char *note, char out[LMD_TOKEN_MAX],
                    long long *id, lm_error *err) {
    if (kind == LMD_PRINCIPAL_ANONYMOUS) return lm_fail(err, "a token is of kind user or worker");
    uint8_t secret[32];
    if (getrandom(secret, sizeof secret, 0) != (ssize_t)sizeof secret)
        return lm_fail(err, "cannot read random bytes");
    char hex[2 * sizeof secret + 1];
    lm_hex(secret, sizeof secret, hex);
    /* The prefix says the kind, so a leaked token is recognisable. */
    snprintf(out, LMD_TOKEN_MAX, "lmntk_%s_%s", kind == LMD_PRINCIPAL_USER ? "u" : "w", hex);
    char hash[LM_SHA256_HEX_LEN + 1];
    lm_sha256_hex(out, strlen(out), hash);
    sqlite3_stmt *st = lmd_db_prepare(h,
        "INSERT INTO tokens(kind, hash, note, created_at) VALUES (?1, ?2, ?3, ?4)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, lmd_principal_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    lmd_db_bind_text(st, 3, note);
    sqlite3_bind_double(st, 4, lmd_now());
    if (lmd_db_step_done(st, err)) return -1;
    *id = sqlite3_last_insert_rowid(h);
    return 0;
}

int lmd_auth_revoke(sqlite3 *h, long long id, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h,
        "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_double(st, 2, lmd_now());
    if (lmd_db_step_done(st, err)) return -1;
    return sqlite3_changes(h) == 1 ? 0 : lm_fail(err, "no live token with id %lld", id);
}
