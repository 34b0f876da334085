/* api_experiments.c - submit, list, show and cancel experiments; serve
 * their artifacts. */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "access.h"
#include "admission.h"
#include "artifacts.h"
#include "db.h"
#include "experiments.h"
#include "json_input.h"
#include "models.h"
#include "queue.h"
#include "spec/json_strict.h"
#include "spec/spec.h"
#include "util/file.h"
#include "util/uuid.h"

int lmd_uuid_ok(const char *s) { return lm_uuid_ok(s); }

void lmd_reply_internal(lmd_reply *rep, const lm_error *err) {
    lmd_reply_error(rep, 500, "internal", NULL, "%s", err->msg);
}

typedef struct { const char *const *allowed; const char *bad; } query_check;

static enum MHD_Result check_query_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value) {
    (void)kind; (void)value;
    query_check *q = cls;
    for (const char *const *a = q->allowed; *a; a++)
        if (!strcmp(*a, key)) return MHD_YES;
    q->bad = key;
    return MHD_NO;
}

int lmd_query_only(lmd_request *req, const char *const *allowed, lmd_reply *rep) {
    query_check q = {allowed, NULL};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_query_key, &q);
    if (!q.bad) return 0;
    lmd_reply_error(rep, 400, "bad_request", q.bad, "unknown query parameter");
    return -1;
}

/* Model names of a spec ("model", each of "checkpoints") must be folders
 * of the models directory. */
static int check_pretrain(const char *dir, const cJSON *p, lmd_reply *rep) {
    const char *tok = cJSON_GetObjectItemCaseSensitive(p, "tokenizer")->valuestring;
    const char *out = cJSON_GetObjectItemCaseSensitive(p, "out")->valuestring;
    char *tdir = dir && lm_model_name_ok(tok) ? lm_path_join(dir, tok) : NULL;
    char *vocab = tdir ? lm_path_join(tdir, "vocab.json") : NULL;
    int tok_ok = vocab && lm_file_exists(vocab);
    free(vocab);
    free(tdir);
    if (!tok_ok) {
        lmd_reply_error(rep, 400, "invalid_spec", "pretrain.tokenizer",
                        "'%.200s' is not a registered model or tokenizer folder with a vocab.json "
                        "(GET /v1/models lists the models)", tok);
        return -1;
    }
    /* a run folder may be continued; a model folder is never overwritten */
    if (lmd_model_registered(dir, out)) {
        lmd_reply_error(rep, 409, "conflict", "pretrain.out",
                        "'%.200s' is a registered model; name the run something else", out);
        return -1;
    }
    return 0;
}

static int check_models(lmd_request *req, const cJSON *spec, lmd_reply *rep) {
    const char *dir = req->srv->cfg.models_dir;
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(spec, "pretrain");
    if (pre) return check_pretrain(dir, pre, rep);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(spec, "model");
    if (model && !lmd_model_registered(dir, model->valuestring)) {
        lmd_reply_error(rep, 400, "invalid_spec", "model",
                        "'%.200s' is not a registered model name (GET /v1/models lists them)",
                        model->valuestring);
        return -1;
    }
    const cJSON *cps = cJSON_GetObjectItemCaseSensitive(spec, "checkpoints");
    int i = 0;
    for (const cJSON *c = cps ? cps->child : NULL; c; c = c->next, i++) {
        if (lmd_model_registered(dir, c->valuestring)) continue;
        char field[32];
        snprintf(field, sizeof field, "checkpoints[%d]", i);
        lmd_reply_error(rep, 400, "invalid_spec", field,
                        "'%.200s' is not a registered model name (GET /v1/models lists them)",
                        c->valuestring);
        return -1;
    }
    return 0;
}

/* What the filters of GET /v1/experiments see as the experiment's model. */
static const char *model_label(const cJSON *spec) {
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(spec, "pretrain");
    if (pre) return cJSON_GetObjectItemCaseSensitive(pre, "out")->valuestring;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(spec, "model");
    if (cJSON_IsString(model)) return model->valuestring;
    const cJSON *cps = cJSON_GetObjectItemCaseSensitive(spec, "checkpoints");
    if (cps && cJSON_IsString(cps->child)) return cps->child->valuestring;
    return NULL;
}

void lmd_api_experiment_submit(lmd_request *req, lmd_reply *rep) {
    lmd_server *srv = req->srv;
    if (req->body_len > srv->cfg.max_spec_bytes) {
        lmd_reply_error(rep, 413, "payload_too_large", NULL, "specs are limited to %zu bytes",
                        srv->cfg.max_spec_bytes);
        return;
    }
    const char *text = req->body ? req->body : "";
    char field[256];
    lm_error err;
    if (lm_spec_validate(text, req->body_len, field, sizeof field, &err) != 0) {
        lmd_reply_error(rep, 400, "invalid_spec", field[0] ? field : NULL, "%s", err.msg);
        return;
    }
    cJSON *spec = lm_json_parse_strict(text, req->body_len, field, sizeof field, &err);
    if (!spec) { lmd_reply_internal(rep, &err); return; }
    cJSON *jobs = NULL;
    if (check_models(req, spec, rep) != 0) goto out;
    if (srv->runner.list_jobs(text, &jobs, &err) != 0) {
        lmd_reply_error(rep, 400, "invalid_spec", NULL, "%s", err.msg);
        goto out;
    }
    int n = cJSON_GetArraySize(jobs);
    if (!cJSON_IsArray(jobs) || n == 0) {
        lmd_reply_error(rep, 400, "invalid_spec", NULL, "the spec expands into no jobs");
        goto out;
    }
    if (n > srv->cfg.max_jobs) {
        lmd_reply_error(rep, 400, "invalid_spec", NULL,
                        "the spec expands into %d jobs; this server takes at most %d", n,
                        srv->cfg.max_jobs);
        goto out;
    }
    uint64_t *mem = NULL;
    if (lmd_admit_spec(srv, text, req->body_len, jobs, &mem, rep) != 0) goto out;
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(spec, "task");
    char id[37];
    lmd_db_conn *c = lmd_db_acquire(&srv->db);
    int rc = lmd_queue_submit(c->h, text, cJSON_IsString(task) ? task->valuestring : NULL,
                              model_label(spec), jobs, mem, req->who.token_id, req->who.user, id, &err);
    lmd_db_release(c);
    free(mem);
    if (rc) { lmd_reply_internal(rep, &err); goto out; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "state", "queued");
    cJSON_AddNumberToObject(o, "n_jobs", n);
    char url[96];
    snprintf(url, sizeof url, "/v1/experiments/%s", id);
    cJSON_AddStringToObject(o, "url", url);
    lmd_reply_json(rep, 201, o);
    snprintf(rep->location, sizeof rep->location, "%s", url);
out:
    cJSON_Delete(jobs);
    cJSON_Delete(spec);
}

/* A decimal in [lo, hi], strictly: no sign, no spaces, no trailing text. */
static int parse_count(const char *s, long long lo, long long hi, long long *out) {
    if (!s || !*s || strlen(s) > 18) return -1;
    long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

void lmd_api_experiment_list(lmd_request *req, lmd_reply *rep) {
    static const char *const allowed[] = {"state", "task", "model", "limit", "cursor", NULL};
    if (lmd_query_only(req, allowed, rep)) return;
    lmd_experiment_filter f = {
        .state = lmd_query(req, "state"),
        .task = lmd_query(req, "task"),
        .model = lmd_query(req, "model"),
        .owner = lmd_read_scope(req),
        .limit = 50,
    };
    if (f.state && !lmd_state_valid(f.state)) {
        lmd_reply_error(rep, 400, "bad_request", "state",
                        "must be queued, running, succeeded, failed or cancelled");
        return;
    }
    const char *strs[] = {"task", f.task, "model", f.model};
    for (int i = 0; i < 4; i += 2) {
        if (strs[i + 1] && (strlen(strs[i + 1]) > 256 || !lmd_utf8_ok(strs[i + 1], strlen(strs[i + 1])))) {
            lmd_reply_error(rep, 400, "bad_request", strs[i], "must be UTF-8 text of at most 256 bytes");
            return;
        }
    }
    long long v;
    const char *limit = lmd_query(req, "limit"), *cursor = lmd_query(req, "cursor");
    if (limit) {
        if (parse_count(limit, 1, 200, &v)) {
            lmd_reply_error(rep, 400, "bad_request", "limit", "must be an integer in [1, 200]");
            return;
        }
        f.limit = (int)v;
    }
    if (cursor) {
        if (parse_count(cursor, 1, (1ll << 53), &v)) {
            lmd_reply_error(rep, 400, "bad_request", "cursor", "not a cursor this server gave");
            return;
        }
        f.before_seq = v;
    }
    cJSON *page;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_experiment_page(c->h, &f, &page, &err);
    lmd_db_release(c);
    if (rc) { lmd_reply_internal(rep, &err); return; }
    lmd_reply_json(rep, 200, page);
    rep->no_store = 1;
}

void lmd_api_experiment_get(lmd_request *req, lmd_reply *rep) {
    const char *id = req->params[0];
    if (lmd_experiment_access(req, id, 0, NULL, rep) != 1) return;
    cJSON *o;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_experiment_view(c->h, req->srv->artifacts_dir, id, &o, &err);
    lmd_db_release(c);
    if (rc) { lmd_reply_internal(rep, &err); return; }
    if (!o) { lmd_reply_error(rep, 404, "not_found", "id", "no such experiment"); return; }
    lmd_reply_json(rep, 200, o);
    rep->no_store = 1;
}

void lmd_api_experiment_cancel(lmd_request *req, lmd_reply *rep) {
    const char *id = req->params[0];
    if (lmd_experiment_access(req, id, 1, NULL, rep) != 1) return;
    char state[16];
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_queue_cancel(c->h, id, state, &err);
    lmd_db_release(c);
    if (rc < 0) { lmd_reply_internal(rep, &err); return; }
    if (rc == 1) { lmd_reply_error(rep, 404, "not_found", "id", "no such experiment"); return; }
    if (!strcmp(state, "succeeded") || !strcmp(state, "failed")) {
        lmd_reply_error(rep, 409, "conflict", NULL, "the experiment already %s", state);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "state", "cancelled");
    lmd_reply_json(rep, 200, o);
}

void lmd_api_experiment_artifact(lmd_request *req, lmd_reply *rep) {
    const char *id = req->params[0], *name = req->params[1], *file;
    int job_idx, n_jobs = 0;
    if (lmd_experiment_access(req, id, 0, &n_jobs, rep) != 1) return;
    if (lmd_artifact_parse(name, &job_idx, &file) != 0) {
        lmd_reply_error(rep, 400, "bad_request", "name",
                        "an artifact name is 'result.json' or '<job index>/<file>' with file in "
                        "[A-Za-z0-9._-], not starting with '.'");
        return;
    }
    uint64_t size;
    int fd = job_idx < n_jobs
                 ? lmd_artifact_open(req->srv->artifacts_dir, id, job_idx, file, &size)
                 : -1;
    if (fd < 0) { lmd_reply_error(rep, 404, "not_found", "name", "no such artifact"); return; }
    lmd_reply_file(rep, fd, size, lmd_content_type(file, 0));
}
