/* access.c - the ownership rules of access.h. */
#include "access.h"

#include <string.h>
#include "api.h"
#include "db.h"

const char *lmd_read_scope(const lmd_request *req) {
    if (!req->srv->cfg.read_auth || req->who.kind == LMD_PRINCIPAL_ADMIN) return NULL;
    return req->who.kind == LMD_PRINCIPAL_USER ? req->who.user : "";
}

int lmd_may_access(const lmd_request *req, const char *owner, int change) {
    if (req->who.kind == LMD_PRINCIPAL_ADMIN) return 1;
    if (!change && !req->srv->cfg.read_auth) return 1;
    return req->who.kind == LMD_PRINCIPAL_USER && owner && !strcmp(owner, req->who.user);
}

int lmd_experiment_access(lmd_request *req, const char *id, int change, int *n_jobs, lmd_reply *rep) {
    if (!lmd_uuid_ok(id)) {
        lmd_reply_error(rep, 404, "not_found", "id", "no such experiment");
        return 0;
    }
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    sqlite3_stmt *st = lmd_db_prepare(c->h, "SELECT owner, n_jobs FROM experiments WHERE id = ?1", &err);
    int found = -1, allowed = 0;
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            found = 1;
            allowed = lmd_may_access(req, lmd_db_text(st, 0), change);
            if (n_jobs) *n_jobs = sqlite3_column_int(st, 1);
        } else if (rc == SQLITE_DONE) {
            found = 0;
        } else {
            lm_fail(&err, "database: %s", sqlite3_errmsg(c->h));
        }
        sqlite3_finalize(st);
    }
    lmd_db_release(c);
    if (found < 0) {
        lmd_reply_internal(rep, &err);
        return -1;
    }
    if (!found || !allowed) {
        lmd_reply_error(rep, 404, "not_found", "id", "no such experiment");
        return 0;
    }
    return 1;
}
