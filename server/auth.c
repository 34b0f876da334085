/* auth.c - bearer tokens, stored as their sha256. */
#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "db.h"
#include "store/sha256.h"

const char *lmd_principal_kind_name(lmd_principal_kind k) {
    switch (k) {
    case LMD_PRINCIPAL_USER: return "user";
    case LMD_PRINCIPAL_WORKER: return "worker";
    case LMD_PRINCIPAL_ADMIN: return "admin";
    default: return "anonymous";
    }
}

lmd_principal_kind lmd_principal_kind_parse(const char *s) {
    if (!strcmp(s, "user")) return LMD_PRINCIPAL_USER;
    if (!strcmp(s, "worker")) return LMD_PRINCIPAL_WORKER;
    if (!strcmp(s, "admin")) return LMD_PRINCIPAL_ADMIN;
    return LMD_PRINCIPAL_ANONYMOUS;
}

int lmd_user_name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n >= LMD_USER_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '-'))
            return 0;
    }
    return 1;
}

int lmd_auth_lookup(sqlite3 *h, const char *token, lmd_principal *who, lm_error *err) {
    char hash[LM_SHA256_HEX_LEN + 1];
    lm_sha256_hex(token, strlen(token), hash);
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT id, kind, user_name FROM tokens WHERE hash = ?1 AND revoked_at IS NULL", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        who->token_id = sqlite3_column_int64(st, 0);
        who->kind = lmd_principal_kind_parse(lmd_db_text(st, 1));
        snprintf(who->user, sizeof who->user, "%s", lmd_db_text(st, 2));
    } else if (rc != SQLITE_DONE) {
        lm_fail(err, "database: %s", sqlite3_errmsg(h));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int lmd_auth_create(sqlite3 *h, lmd_principal_kind kind, const char *user, const char *note,
                    char out[LMD_TOKEN_MAX], long long *id, lm_error *err) {
    if (kind == LMD_PRINCIPAL_ANONYMOUS) return lm_fail(err, "a token is of kind user, admin or worker");
    if (user && !lmd_user_name_ok(user))
        return lm_fail(err, "user '%s': a user name is 1-%d characters of A-Z a-z 0-9 . _ @ -", user,
                       LMD_USER_MAX - 1);
    uint8_t secret[32];
    if (getrandom(secret, sizeof secret, 0) != (ssize_t)sizeof secret)
        return lm_fail(err, "cannot read random bytes");
    char hex[2 * sizeof secret + 1];
    lm_hex(secret, sizeof secret, hex);
    /* The prefix says the kind, so a leaked token is recognisable. */
    const char *prefix = kind == LMD_PRINCIPAL_USER ? "u" : kind == LMD_PRINCIPAL_ADMIN ? "a" : "w";
    snprintf(out, LMD_TOKEN_MAX, "lmntk_%s_%s", prefix, hex);
    char hash[LM_SHA256_HEX_LEN + 1];
    lm_sha256_hex(out, strlen(out), hash);
    if (lmd_db_begin(h, err)) return -1;
    /* Without a user name the token is its own user, named after its id. */
    sqlite3_stmt *st = lmd_db_prepare(h,
        "INSERT INTO tokens(kind, user_name, hash, note, created_at) VALUES (?1, COALESCE(?5, ''), ?2, ?3, ?4)",
        err);
    if (!st) { lmd_db_rollback(h); return -1; }
    sqlite3_bind_text(st, 1, lmd_principal_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    lmd_db_bind_text(st, 3, note);
    sqlite3_bind_double(st, 4, lmd_now());
    lmd_db_bind_text(st, 5, user);
    if (lmd_db_step_done(st, err)) { lmd_db_rollback(h); return -1; }
    *id = sqlite3_last_insert_rowid(h);
    st = lmd_db_prepare(h, "UPDATE tokens SET user_name = 'token-' || id WHERE id = ?1 AND user_name = ''", err);
    if (!st) { lmd_db_rollback(h); return -1; }
    sqlite3_bind_int64(st, 1, *id);
    if (lmd_db_step_done(st, err)) { lmd_db_rollback(h); return -1; }
    return lmd_db_commit(h, err);
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
