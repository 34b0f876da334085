/* access.c - the ownership rules of access.h. */
#include "access.h"

#include <string.h>
#include "api.h"
#include "db.h"
#include "experiments.h"

const char *lmd_read_scope(const lmd_request *req) {
    if (!req->srv->cfg.read_auth || req->who.kind == LMD_PRINCIPAL_ADMIN) return NULL;
    return req->who.kind == LMD_PRINCIPAL_USER ? req->who.user : "";
}

int lmd_may_access(const lmd_request *req, const char *owner, int change) {
    if (req->who.kind == LMD_PRINCIPAL_ADMIN) return 1;
    if (!change && !req->srv->cfg.read_auth) return 1;
    return req->who.kind == LMD_PRINCIPAL_USER && owner && !strcmp(owner, req->who.user);
}

int lmd_find_experiment(lmd_request *req, lmd_reply *rep, const char *given, int change, char id[37]) {
    lm_error err;
    char owner[LMD_USER_MAX];
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    /* a prefix is resolved among what the caller may read, so that it
     * neither leaks nor is made ambiguous by others' experiments */
    int rc = lmd_experiment_resolve(c->h, given, lmd_read_scope(req), id, owner, sizeof owner, &err);
    lmd_db_release(c);
    if (rc < 0) {
        lmd_reply_internal(rep, &err);
        return 0;
    }
    if (rc == 2) {
        lmd_reply_error(rep, 409, "ambiguous_id", "id",
                        "'%.40s' is the start of more than one experiment id; give more of it", given);
        return 0;
    }
    if (rc == 0 || !lmd_may_access(req, owner[0] ? owner : NULL, change)) {
        lmd_reply_error(rep, 404, "not_found", "id",
                        "no such experiment (an id, or its first 8 or more characters)");
        return 0;
    }
    return 1;
}
