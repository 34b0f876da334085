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

/* A model named by its path: the models-directory name it stands for (new
 * string), or NULL when it is not a path to a registered model. */
static char *model_name_of_path(const char *dir, const char *value) {
    if (!dir || lmd_model_registered(dir, value)) return NULL;
    char *rel = lm_path_under(value, dir);
    if (rel && lmd_model_registered(dir, rel)) return rel;
    free(rel);
    return NULL;
}

/* Rewrites the models a spec names by a path inside the models directory
 * ("/srv/models/roberta-base") to their names ("roberta-base"), so that
 * the spec file of `lmntk run --models /srv/models` is accepted as it is,
 * and workers, whose models directory may be mounted elsewhere, get names.
 * Returns 1 when spec changed. */
static int names_for_paths(const char *dir, cJSON *spec) {
    int changed = 0;
    cJSON *model = cJSON_GetObjectItemCaseSensitive(spec, "model");
    char *name = cJSON_IsString(model) ? model_name_of_path(dir, model->valuestring) : NULL;
    if (name) {
        cJSON_ReplaceItemInObjectCaseSensitive(spec, "model", cJSON_CreateString(name));
        changed = 1;
        free(name);
    }
    cJSON *cps = cJSON_GetObjectItemCaseSensitive(spec, "checkpoints");
    for (cJSON *c = cps ? cps->child : NULL; c; c = c->next) {
        name = cJSON_IsString(c) ? model_name_of_path(dir, c->valuestring) : NULL;
        if (!name) continue;
        cJSON_SetValuestring(c, name);
        changed = 1;
        free(name);
    }
    return changed;
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
                        "'%.200s' is neither a registered model name (GET /v1/models lists them) nor a "
                        "path to one inside the server's models directory", model->valuestring);
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

/* Validates a spec, expands it into jobs and queues it: the body of a
 * submit, and a re-run of an experiment's spec.  Replies 201 or the error. */
static void queue_spec(lmd_request *req, lmd_reply *rep, const char *text, size_t len, const char *rerun_of) {
    lmd_server *srv = req->srv;
    char field[256];
    lm_error err;
    if (lm_spec_validate(text, len, field, sizeof field, &err) != 0) {
        lmd_reply_error(rep, 400, "invalid_spec", field[0] ? field : NULL, "%s", err.msg);
        return;
    }
    cJSON *spec = lm_json_parse_strict(text, len, field, sizeof field, &err);
    if (!spec) { lmd_reply_internal(rep, &err); return; }
    cJSON *jobs = NULL;
    char *rewritten = NULL;
    lm_spec parsed;
    int have_parsed = 0;
    if (names_for_paths(srv->cfg.models_dir, spec)) {
        /* the stored spec names the models; what workers and list_jobs see */
        rewritten = cJSON_Print(spec);
        text = rewritten;
        len = strlen(rewritten);
        if (lm_spec_validate(text, len, field, sizeof field, &err) != 0) {
            lmd_reply_error(rep, 400, "invalid_spec", field[0] ? field : NULL, "%s", err.msg);
            goto out;
        }
    }
    if (check_models(req, spec, rep) != 0) goto out;
    /* parsed once for the admission checks; a spec it refuses is refused
     * by list_jobs below with the same reason */
    have_parsed = 1;
    int parsed_ok = lm_spec_parse(text, len, &parsed, field, sizeof field, &err) == 0;
    if (srv->runner.list_jobs(text, parsed_ok ? lmd_admit_auto_shards(srv, &parsed) : 1, &jobs, &err) != 0) {
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
    if (!parsed_ok) {
        lmd_reply_error(rep, 400, "invalid_spec", field[0] ? field : NULL, "%s", err.msg);
        goto out;
    }
    uint64_t *mem = NULL;
    if (lmd_admit_spec(srv, &parsed, jobs, &mem, rep) != 0) goto out;
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(spec, "task");
    char id[37];
    lmd_db_conn *c = lmd_db_acquire(&srv->db);
    int rc = lmd_queue_submit(c->h, text, cJSON_IsString(task) ? task->valuestring : NULL,
                              model_label(spec), jobs, mem, req->who.token_id, req->who.user, rerun_of, id,
                              &err);
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
    if (rerun_of) cJSON_AddStringToObject(o, "rerun_of", rerun_of);
    lmd_reply_json(rep, 201, o);
    snprintf(rep->location, sizeof rep->location, "%s", url);
out:
    if (have_parsed) lm_spec_free(&parsed);
    free(rewritten);
    cJSON_Delete(jobs);
    cJSON_Delete(spec);
}

void lmd_api_experiment_submit(lmd_request *req, lmd_reply *rep) {
    if (req->body_len > req->srv->cfg.max_spec_bytes) {
        lmd_reply_error(rep, 413, "payload_too_large", NULL, "specs are limited to %zu bytes",
                        req->srv->cfg.max_spec_bytes);
        return;
    }
    queue_spec(req, rep, req->body ? req->body : "", req->body_len, NULL);
}

void lmd_api_experiment_rerun(lmd_request *req, lmd_reply *rep) {
    char id[37];
    if (!lmd_find_experiment(req, rep, req->params[0], 0, id)) return;
    lm_error err;
    char *spec = NULL;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    sqlite3_stmt *st = lmd_db_prepare(c->h, "SELECT spec FROM experiments WHERE id = ?1", &err);
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) spec = lm_xstrdup(lmd_db_text(st, 0));
        sqlite3_finalize(st);
    }
    lmd_db_release(c);
    if (!spec) {
        if (!st) lmd_reply_internal(rep, &err);
        else lmd_reply_error(rep, 404, "not_found", "id", "no such experiment");
        return;
    }
    /* the same spec, checked again: a model may have gone since */
    queue_spec(req, rep, spec, strlen(spec), id);
    free(spec);
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

/* The query parameters of GET /v1/experiments and /v1/experiments.csv:
 * filters and sort (both), page (the list), one experiment (the export).
 * id_buf holds a resolved id.  Returns -1 with rep filled. */
static int read_filter(lmd_request *req, lmd_reply *rep, lmd_experiment_filter *f, int paged, char id_buf[37]) {
    static const char *const list_keys[] = {"state", "task", "model", "tag", "q", "sort", "order", "limit",
                                            "cursor", NULL};
    static const char *const csv_keys[] = {"state", "task", "model", "tag", "q", "sort", "order", "id", NULL};
    if (lmd_query_only(req, paged ? list_keys : csv_keys, rep)) return -1;
    *f = (lmd_experiment_filter){.task = lmd_query(req, "task"), .model = lmd_query(req, "model"),
                                 .tag = lmd_query(req, "tag"), .text = lmd_query(req, "q"),
                                 .sort = lmd_query(req, "sort"), .order = -1, .limit = 50,
                                 .owner = lmd_read_scope(req)};
    const char *state = lmd_query(req, "state"), *order = lmd_query(req, "order");
    if (state && lmd_state_bits(state, &f->states)) {
        lmd_reply_error(rep, 400, "bad_request", "state",
                        "must be queued, running, succeeded, failed or cancelled, or a comma-separated list");
        return -1;
    }
    const char *strs[] = {"task", f->task, "model", f->model, "tag", f->tag, "q", f->text};
    for (int i = 0; i < 8; i += 2) {
        if (strs[i + 1] && (strlen(strs[i + 1]) > 256 || !lmd_utf8_ok(strs[i + 1], strlen(strs[i + 1])))) {
            lmd_reply_error(rep, 400, "bad_request", strs[i], "must be UTF-8 text of at most 256 bytes");
            return -1;
        }
    }
    if (order) {
        if (strcmp(order, "asc") && strcmp(order, "desc")) {
            lmd_reply_error(rep, 400, "bad_request", "order", "must be asc or desc");
            return -1;
        }
        f->order = !strcmp(order, "desc");
    }
    const char *limit = lmd_query(req, "limit"), *id = lmd_query(req, "id");
    f->cursor = lmd_query(req, "cursor");
    long long v;
    if (limit) {
        if (parse_count(limit, 1, LMD_LIST_MAX_LIMIT, &v)) {
            lmd_reply_error(rep, 400, "bad_request", "limit", "must be an integer in [1, %d]", LMD_LIST_MAX_LIMIT);
            return -1;
        }
        f->limit = (int)v;
    }
    if (id) {
        if (!lmd_find_experiment(req, rep, id, 0, id_buf)) return -1;
        f->id = id_buf;
    }
    return 0;
}

/* 400 for a bad sort, order or cursor; 500 otherwise. */
static void reply_query_error(lmd_reply *rep, int rc, const char *field, const lm_error *err) {
    if (rc == 1) lmd_reply_error(rep, 400, "bad_request", field, "%s", err->msg);
    else lmd_reply_internal(rep, err);
}

void lmd_api_experiment_list(lmd_request *req, lmd_reply *rep) {
    lmd_experiment_filter f;
    char id[37], field[32];
    if (read_filter(req, rep, &f, 1, id)) return;
    cJSON *page;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_experiment_page(c->h, &f, &page, field, &err);
    lmd_db_release(c);
    if (rc) { reply_query_error(rep, rc, field, &err); return; }
    lmd_reply_json(rep, 200, page);
    rep->no_store = 1;
}

void lmd_api_experiment_csv(lmd_request *req, lmd_reply *rep) {
    lmd_experiment_filter f;
    char id[37], field[32];
    if (read_filter(req, rep, &f, 0, id)) return;
    char *csv;
    size_t len;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_experiment_csv(c->h, &f, &csv, &len, field, &err);
    lmd_db_release(c);
    if (rc) { reply_query_error(rep, rc, field, &err); return; }
    lmd_reply_text(rep, 200, "text/csv; charset=utf-8", csv, len);
    rep->no_store = 1;
}

void lmd_api_experiment_get(lmd_request *req, lmd_reply *rep) {
    char id[37];
    if (!lmd_find_experiment(req, rep, req->params[0], 0, id)) return;
    cJSON *o;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_experiment_view(c->h, id, &o, &err);
    lmd_db_release(c);
    if (rc) { lmd_reply_internal(rep, &err); return; }
    if (!o) { lmd_reply_error(rep, 404, "not_found", "id", "no such experiment"); return; }
    lmd_reply_json(rep, 200, o);
    rep->no_store = 1;
}

/* The experiment's summary as the reply (after a change). */
static void reply_summary(lmd_request *req, lmd_reply *rep, const char *id) {
    cJSON *o;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_experiment_summary(c->h, id, &o, &err);
    lmd_db_release(c);
    if (rc) lmd_reply_internal(rep, &err);
    else if (!o) lmd_reply_error(rep, 404, "not_found", "id", "no such experiment");
    else lmd_reply_json(rep, 200, o);
}

void lmd_api_experiment_cancel(lmd_request *req, lmd_reply *rep) {
    static const char *const allowed[] = {"purge", NULL};
    if (lmd_query_only(req, allowed, rep)) return;
    const char *purge = lmd_query(req, "purge");
    if (purge && strcmp(purge, "true") && strcmp(purge, "false")) {
        lmd_reply_error(rep, 400, "bad_request", "purge", "must be true or false");
        return;
    }
    char id[37];
    if (!lmd_find_experiment(req, rep, req->params[0], 1, id)) return;
    int deleting = purge && !strcmp(purge, "true");
    char state[16];
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = deleting ? lmd_queue_delete(req->srv, c->h, id, state, &err) : lmd_queue_cancel(c->h, id, state, &err);
    lmd_db_release(c);
    if (rc < 0) { lmd_reply_internal(rep, &err); return; }
    if (rc == 1) { lmd_reply_error(rep, 404, "not_found", "id", "no such experiment"); return; }
    int live = !strcmp(state, "queued") || !strcmp(state, "running");
    if (deleting && live) {
        lmd_reply_error(rep, 409, "conflict", NULL,
                        "the experiment is %s: cancel it first (DELETE without purge), then delete it", state);
        return;
    }
    if (!deleting && (!strcmp(state, "succeeded") || !strcmp(state, "failed"))) {
        lmd_reply_error(rep, 409, "conflict", NULL,
                        "the experiment already %s (DELETE ?purge=true deletes it)", state);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "state", deleting ? "deleted" : "cancelled");
    lmd_reply_json(rep, 200, o);
}

/* ---- names and tags ------------------------------------------------------------ */

#define MAX_TAGS 32

/* 1..64 of [A-Za-z0-9._:+@=-]: a URL path segment as it is, no spaces. */
static int tag_ok(const char *t) {
    size_t n = strlen(t);
    if (n == 0 || n > 64) return 0;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("._:+@=-", *p)))
            return 0;
    return 1;
}

/* Renames (when name_given) and adds and removes tags, in one transaction.
 * Returns 1 when the experiment would have more than MAX_TAGS tags. */
static int update_experiment(sqlite3 *h, const char *id, int name_given, const char *name, const cJSON *add,
                             const cJSON *remove, lm_error *err) {
    if (lmd_db_begin(h, err)) return -1;
    sqlite3_stmt *st;
    if (name_given) {
        st = lmd_db_prepare(h, "UPDATE experiments SET name = ?2, updated_at = ?3 WHERE id = ?1", err);
        if (!st) goto fail;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        lmd_db_bind_text(st, 2, name);
        sqlite3_bind_double(st, 3, lmd_now());
        if (lmd_db_step_done(st, err)) goto fail;
    }
    const cJSON *lists[2] = {add, remove};
    for (int k = 0; k < 2; k++) {
        const cJSON *t;
        cJSON_ArrayForEach(t, lists[k]) {
            st = lmd_db_prepare(h, k == 0 ? "INSERT OR IGNORE INTO experiment_tags(experiment_id, tag) VALUES (?1, ?2)"
                                          : "DELETE FROM experiment_tags WHERE experiment_id = ?1 AND tag = ?2", err);
            if (!st) goto fail;
            sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, t->valuestring, -1, SQLITE_STATIC);
            if (lmd_db_step_done(st, err)) goto fail;
        }
    }
    st = lmd_db_prepare(h, "SELECT COUNT(*) FROM experiment_tags WHERE experiment_id = ?1", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (n > MAX_TAGS) {
        lmd_db_rollback(h);
        return 1;
    }
    return lmd_db_commit(h, err);
fail:
    lmd_db_rollback(h);
    return -1;
}

/* A list of tags in body[key]: NULL when absent; -1 with rep filled when bad. */
static int tag_list(const cJSON *body, const char *key, const cJSON **out, lmd_reply *rep) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, key);
    *out = a;
    if (!a) return 0;
    int i = 0;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > MAX_TAGS) {
        lmd_reply_error(rep, 400, "bad_request", key, "must be an array of at most %d tags", MAX_TAGS);
        return -1;
    }
    for (const cJSON *t = a->child; t; t = t->next, i++) {
        if (cJSON_IsString(t) && tag_ok(t->valuestring)) continue;
        char field[48];
        snprintf(field, sizeof field, "%s[%d]", key, i);
        lmd_reply_error(rep, 400, "bad_request", field, "a tag is 1-64 of letters, digits and ._:+@=-");
        return -1;
    }
    return 0;
}

/* Applies a change and replies with the summary. */
static void change(lmd_request *req, lmd_reply *rep, const char *id, int name_given, const char *name,
                   const cJSON *add, const cJSON *remove) {
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = update_experiment(c->h, id, name_given, name, add, remove, &err);
    lmd_db_release(c);
    if (rc < 0) lmd_reply_internal(rep, &err);
    else if (rc == 1) lmd_reply_error(rep, 409, "conflict", "tags", "an experiment has at most %d tags", MAX_TAGS);
    else reply_summary(req, rep, id);
}

void lmd_api_experiment_patch(lmd_request *req, lmd_reply *rep) {
    static const char *const keys[] = {"name", "add_tags", "remove_tags", NULL};
    char id[37];
    if (!lmd_find_experiment(req, rep, req->params[0], 1, id)) return;
    cJSON *body = lmd_request_json(req, rep);
    if (!body) return;
    lmd_json_problem p;
    const char *name = NULL;
    const cJSON *name_item = cJSON_GetObjectItemCaseSensitive(body, "name"), *add, *remove;
    if (lmd_json_only_keys(body, keys, &p) ||
        (name_item && !cJSON_IsNull(name_item) && lmd_json_string(body, "name", 200, 1, 1, &name, &p))) {
        lmd_reply_error(rep, 400, "bad_request", p.field[0] ? p.field : NULL, "%s", p.detail);
    } else if (tag_list(body, "add_tags", &add, rep) == 0 && tag_list(body, "remove_tags", &remove, rep) == 0) {
        change(req, rep, id, name_item != NULL, name, add, remove);
    }
    cJSON_Delete(body);
}

static void tag_route(lmd_request *req, lmd_reply *rep, int adding) {
    char id[37];
    if (!lmd_find_experiment(req, rep, req->params[0], 1, id)) return;
    const char *tag = req->params[1];
    if (!tag_ok(tag)) {
        lmd_reply_error(rep, 400, "bad_request", "tag", "a tag is 1-64 of letters, digits and ._:+@=-");
        return;
    }
    cJSON *list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, cJSON_CreateString(tag));
    change(req, rep, id, 0, NULL, adding ? list : NULL, adding ? NULL : list);
    cJSON_Delete(list);
}

void lmd_api_experiment_tag_put(lmd_request *req, lmd_reply *rep) { tag_route(req, rep, 1); }
void lmd_api_experiment_tag_delete(lmd_request *req, lmd_reply *rep) { tag_route(req, rep, 0); }

/* ---- artifacts ------------------------------------------------------------------- */

/* The job index of a name's seed form; -1 with rep filled when none. */
static int job_of_seed_form(lmd_request *req, lmd_reply *rep, const char *id, const char *model,
                            long long seed, const char *slug) {
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    sqlite3_stmt *st = lmd_db_prepare(c->h,
        /* the folder of lm_method_job_dir: a tile job's slug ends in -tile-<part> */
        "SELECT idx FROM jobs WHERE experiment_id = ?1 AND seed = ?2"
        " AND replace(method, ':', '-') || COALESCE('-tile-' || json_extract(job, '$.tile.part'), '') = ?3"
        " AND (?4 = '' OR json_extract(job, '$.model') = ?4) LIMIT 2", &err);
    int idx = -1, n = 0;
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, seed);
        sqlite3_bind_text(st, 3, slug, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, model, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) idx = sqlite3_column_int(st, 0), n++;
        sqlite3_finalize(st);
    }
    lmd_db_release(c);
    if (!st) lmd_reply_internal(rep, &err);
    else if (n == 0)
        lmd_reply_error(rep, 404, "not_found", "name", "the experiment has no job of seed %lld and method %s%s%s",
                        seed, slug, model[0] ? " on " : "", model);
    else if (n > 1)
        lmd_reply_error(rep, 409, "ambiguous_name", "name",
                        "the experiment sweeps checkpoints: name the model first "
                        "(<model>/seed%lld/%s/<file>)", seed, slug);
    return n == 1 ? idx : -1;
}

void lmd_api_experiment_artifact(lmd_request *req, lmd_reply *rep) {
    const char *name = req->params[1], *file;
    char id[37], model[256], slug[64];
    long long seed;
    int job_idx;
    if (!lmd_find_experiment(req, rep, req->params[0], 0, id)) return;
    if (lmd_artifact_parse(name, &job_idx, &file) == 0) {
        /* result.json, or <job index>/<file> */
    } else if (lmd_artifact_parse_seed_form(name, model, &seed, slug, &file) == 0) {
        if ((job_idx = job_of_seed_form(req, rep, id, model, seed, slug)) < 0) return;
    } else {
        lmd_reply_error(rep, 400, "bad_request", "name",
                        "an artifact name is 'result.json', '[<model>/]seed<S>/<method>/<file>' (method "
                        "with '-' for ':', e.g. seed42/kernel-sgd/kernel-train.npy) or "
                        "'<job index>/<file>'; names are [A-Za-z0-9._-], not starting with '.'");
        return;
    }
    uint64_t size;
    int fd = lmd_artifact_open(req->srv->artifacts_dir, id, job_idx, file, &size);
    if (fd < 0) { lmd_reply_error(rep, 404, "not_found", "name", "no such artifact"); return; }
    lmd_reply_file(rep, fd, size, lmd_content_type(file, 0));
}
