/* api_leases.c - what workers call: take a lease, heartbeat, read the
 * artifacts of the jobs their job is after, upload artifacts, report the
 * result or the failure. */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "artifacts.h"
#include "db.h"
#include "json_input.h"
#include "queue.h"
#include "util/file.h"
#include "util/uuid.h"

static void reply_problem(lmd_reply *rep, const lmd_json_problem *p) {
    lmd_reply_error(rep, 400, "bad_request", p->field[0] ? p->field : NULL, "%s", p->detail);
}

/* The answer to a lease that is not (or no longer) the job's. */
static int reply_outcome(lmd_reply *rep, lmd_lease_outcome out) {
    switch (out) {
    case LMD_LEASE_OK: return 0;
    case LMD_LEASE_UNKNOWN:
        lmd_reply_error(rep, 404, "not_found", "lease", "no such lease");
        return -1;
    case LMD_LEASE_CANCEL:
        lmd_reply_error(rep, 409, "cancelled", "lease", "the experiment was cancelled");
        return -1;
    case LMD_LEASE_LOST:
        lmd_reply_error(rep, 409, "lease_lost", "lease",
                        "the lease expired and the job went to another worker, or finished");
        return -1;
    }
    return -1;
}

/* The lease id in the path, checked before it reaches the database. */
static const char *lease_param(lmd_request *req, lmd_reply *rep) {
    const char *lease = req->params[0];
    if (lm_uuid_ok(lease)) return lease;
    lmd_reply_error(rep, 404, "not_found", "lease", "no such lease");
    return NULL;
}

void lmd_api_lease_take(lmd_request *req, lmd_reply *rep) {
    static const char *const keys[] = {"worker", "host", "mem_bytes", NULL};
    cJSON *body = lmd_request_json(req, rep);
    if (!body) return;
    lmd_json_problem p;
    const char *worker = NULL, *host = NULL;
    double mem = 0; /* the worker's --mem; absent: it takes any job */
    if (lmd_json_only_keys(body, keys, &p) || lmd_json_string(body, "worker", 128, 0, 1, &worker, &p) ||
        lmd_json_string(body, "host", 255, 0, 1, &host, &p) ||
        lmd_json_number(body, "mem_bytes", 1 << 20, 0x1p52, 0, &mem, &p)) {
        reply_problem(rep, &p);
        cJSON_Delete(body);
        return;
    }
    if (mem != (double)(long long)mem) { /* a count of bytes, as the document says */
        lmd_reply_error(rep, 400, "bad_request", "mem_bytes", "must be a whole number of bytes");
        cJSON_Delete(body);
        return;
    }
    lmd_server *srv = req->srv;
    lmd_lease lease;
    lm_error err;
    /* a worker that gives no host is on the address it calls from */
    lmd_worker_info who = {.name = worker ? worker : req->client, .host = host ? host : req->client,
                           .mem_limit_bytes = (long long)mem, .describes = 1};
    lmd_db_conn *c = lmd_db_acquire(&srv->db);
    int rc = lmd_queue_lease(srv, c->h, &who, &lease, &err);
    lmd_db_release(c);
    cJSON_Delete(body);
    if (rc < 0) { lmd_reply_internal(rep, &err); return; }
    if (rc == 0) { lmd_reply_text(rep, 204, NULL, NULL, 0); return; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "lease", lease.lease_id);
    cJSON_AddStringToObject(o, "experiment_id", lease.experiment_id);
    cJSON_AddStringToObject(o, "job_id", lease.job_id);
    cJSON_AddNumberToObject(o, "job_index", lease.job_idx);
    cJSON_AddNumberToObject(o, "attempt", lease.attempt);
    cJSON_AddNumberToObject(o, "lease_seconds", srv->cfg.lease_seconds);
    /* The spec travels as the exact text submitted: the worker's runner
     * must see the bytes lm_experiment_jobs saw. */
    cJSON_AddStringToObject(o, "spec", lease.spec);
    cJSON_AddItemToObject(o, "job", cJSON_Parse(lease.job));
    lmd_lease_free(&lease);
    lmd_reply_json(rep, 200, o);
}

void lmd_api_lease_heartbeat(lmd_request *req, lmd_reply *rep) {
    static const char *const keys[] = {"progress", "stage", NULL};
    const char *lease = lease_param(req, rep);
    if (!lease) return;
    cJSON *body = lmd_request_json(req, rep);
    if (!body) return;
    lmd_json_problem p;
    double progress = 0;
    const char *stage = NULL;
    if (lmd_json_only_keys(body, keys, &p) || lmd_json_number(body, "progress", 0, 1, 0, &progress, &p) ||
        lmd_json_string(body, "stage", 200, 0, 1, &stage, &p)) {
        reply_problem(rep, &p);
        cJSON_Delete(body);
        return;
    }
    lmd_lease_outcome out;
    double expires;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_queue_heartbeat(req->srv, c->h, lease, progress, stage, &out, &expires, &err);
    lmd_db_release(c);
    cJSON_Delete(body);
    if (rc) { lmd_reply_internal(rep, &err); return; }
    if (out != LMD_LEASE_CANCEL && reply_outcome(rep, out)) return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "cancel", out == LMD_LEASE_CANCEL);
    cJSON_AddNumberToObject(o, "lease_seconds", out == LMD_LEASE_CANCEL ? 0 : req->srv->cfg.lease_seconds);
    lmd_reply_json(rep, 200, o);
}

int lmd_api_lease_upload_begin(lmd_request *req, lmd_reply *rep) {
    const char *lease = lease_param(req, rep), *name = req->params[1];
    if (!lease) return -1;
    if (!lmd_artifact_rel_ok(name)) {
        lmd_reply_error(rep, 400, "bad_request", "name",
                        "an artifact is a file, or a folder and a file ('finetuned-model/config.json'); "
                        "names are [A-Za-z0-9._-], 1-%d bytes, not starting with '.'",
                        LMD_ARTIFACT_NAME_MAX);
        return -1;
    }
    char experiment[37];
    int job_idx = 0;
    lmd_lease_outcome out;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_queue_lease_target(c->h, lease, experiment, &job_idx, &out, &err);
    lmd_db_release(c);
    if (rc) { lmd_reply_internal(rep, &err); return -1; }
    if (reply_outcome(rep, out)) return -1;

    char *job_dir = lmd_artifact_dir(req->srv->artifacts_dir, experiment, job_idx), *dir = job_dir;
    const char *slash = strrchr(name, '/');
    if (slash) {   /* the file's folder inside the job's */
        char folder[LMD_ARTIFACT_NAME_MAX + 1];
        snprintf(folder, sizeof folder, "%.*s", (int)(slash - name), name);
        dir = lm_path_join(job_dir, folder);
        free(job_dir);
        name = slash + 1;
    }
    if (lm_mkdirs(dir, &err)) {
        free(dir);
        lmd_reply_error(rep, 507, "storage_failed", NULL, "%s", err.msg);
        return -1;
    }
    /* A dot name the listings skip, unique per upload, renamed into place
     * only once the whole body is on disk. */
    unsigned long long nonce;
    if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) nonce = (unsigned long long)getpid();
    size_t n = strlen(dir) + strlen(name) + 48;
    req->upload_tmp = lm_xmalloc(n);
    snprintf(req->upload_tmp, n, "%s/.%s.%016llx.part", dir, name, nonce);
    req->upload_dest = lm_path_join(dir, name);
    free(dir);
    req->upload_fd = open(req->upload_tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (req->upload_fd < 0) {
        lmd_reply_error(rep, 507, "storage_failed", NULL, "cannot create the artifact: %s",
                        strerror(errno));
        free(req->upload_tmp);
        req->upload_tmp = NULL;
        return -1;
    }
    return 0;
}

void lmd_api_lease_upload(lmd_request *req, lmd_reply *rep) {
    if (fsync(req->upload_fd) != 0 || close(req->upload_fd) != 0) {
        req->upload_fd = -1;
        lmd_reply_error(rep, 507, "storage_failed", NULL, "cannot flush the artifact: %s", strerror(errno));
        return;
    }
    req->upload_fd = -1;
    /* The lease may have been lost while the body streamed in. */
    char experiment[37];
    int job_idx = 0;
    lmd_lease_outcome out;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_queue_lease_target(c->h, req->params[0], experiment, &job_idx, &out, &err);
    lmd_db_release(c);
    if (rc) { lmd_reply_internal(rep, &err); return; }
    if (reply_outcome(rep, out)) return;
    if (rename(req->upload_tmp, req->upload_dest) != 0) {
        lmd_reply_error(rep, 507, "storage_failed", NULL, "cannot store the artifact: %s", strerror(errno));
        return;
    }
    free(req->upload_tmp);
    req->upload_tmp = NULL; /* renamed: nothing left to remove */
    /* In the table once in place; should this fail the worker's retry
     * renames again and records it then. */
    c = lmd_db_acquire(&req->srv->db);
    rc = lmd_artifact_record(c->h, req->srv->artifacts_dir, experiment, job_idx, req->params[1], &err);
    lmd_db_release(c);
    if (rc) { lmd_reply_internal(rep, &err); return; }
    cJSON *o = cJSON_CreateObject();
    char name[LMD_ARTIFACT_NAME_MAX + 16];
    snprintf(name, sizeof name, "%d/%s", job_idx, req->params[1]);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "bytes", (double)req->upload_len);
    lmd_reply_json(rep, 201, o);
}

/* Whether a reported result is one the aggregation can read, checked
 * against the lease's job before anything is stored: 0 if so, else the 400
 * (naming the field) or the 500 is in rep. */
static int check_result(lmd_request *req, lmd_reply *rep, const char *lease, const cJSON *result) {
    char *job_text = NULL;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int found = lmd_queue_lease_job(c->h, lease, &job_text, &err);
    lmd_db_release(c);
    if (found < 0) { lmd_reply_internal(rep, &err); return -1; }
    if (!found) return 0; /* lmd_queue_complete answers for an unknown lease */
    cJSON *job = cJSON_Parse(job_text);
    free(job_text);
    char field[160] = "";
    int rc = req->srv->runner.check_result(job, result, field, sizeof field, &err);
    cJSON_Delete(job);
    if (rc) lmd_reply_error(rep, 400, "bad_request", field[0] ? field : "result", "%s", err.msg);
    return rc;
}

void lmd_api_lease_complete(lmd_request *req, lmd_reply *rep) {
    static const char *const keys[] = {"result", NULL};
    const char *lease = lease_param(req, rep);
    if (!lease) return;
    cJSON *body = lmd_request_json(req, rep);
    if (!body) return;
    lmd_json_problem p;
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(body, "result");
    if (lmd_json_only_keys(body, keys, &p)) {
        reply_problem(rep, &p);
    } else if (!cJSON_IsObject(result)) {
        lmd_reply_error(rep, 400, "bad_request", "result", "required: the job result object");
    } else if (check_result(req, rep, lease, result) == 0) {
        lmd_lease_outcome out;
        lm_error err;
        lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
        int rc = lmd_queue_complete(req->srv, c->h, lease, result, &out, &err);
        lmd_db_release(c);
        if (rc) lmd_reply_internal(rep, &err);
        else if (reply_outcome(rep, out) == 0) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "state", "succeeded");
            lmd_reply_json(rep, 200, o);
        }
    }
    cJSON_Delete(body);
}

void lmd_api_lease_fail(lmd_request *req, lmd_reply *rep) {
    static const char *const keys[] = {"error", "release", NULL};
    const char *lease = lease_param(req, rep);
    if (!lease) return;
    cJSON *body = lmd_request_json(req, rep);
    if (!body) return;
    lmd_json_problem p;
    const char *error = NULL;
    const cJSON *release = cJSON_GetObjectItemCaseSensitive(body, "release");
    if (lmd_json_only_keys(body, keys, &p) || lmd_json_string(body, "error", 4000, 1, 0, &error, &p)) {
        reply_problem(rep, &p);
    } else if (release && !cJSON_IsBool(release)) {
        lmd_reply_error(rep, 400, "bad_request", "release", "must be true or false");
    } else {
        lmd_lease_outcome out;
        lm_error err;
        lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
        int rc = lmd_queue_fail(req->srv, c->h, lease, error, cJSON_IsTrue(release), &out, &err);
        lmd_db_release(c);
        if (rc) lmd_reply_internal(rep, &err);
        else if (reply_outcome(rep, out) == 0) lmd_reply_json(rep, 200, cJSON_CreateObject());
    }
    cJSON_Delete(body);
}

void lmd_api_lease_inputs(lmd_request *req, lmd_reply *rep) {
    static const char *const allowed[] = {NULL};
    if (lmd_query_only(req, allowed, rep)) return;
    const char *lease = lease_param(req, rep);
    if (!lease) return;
    cJSON *list;
    lmd_lease_outcome out;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_queue_lease_inputs(c->h, lease, &list, &out, &err);
    lmd_db_release(c);
    if (rc) { lmd_reply_internal(rep, &err); return; }
    if (reply_outcome(rep, out)) return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "inputs", list);
    lmd_reply_json(rep, 200, o);
}

void lmd_api_lease_input(lmd_request *req, lmd_reply *rep) {
    static const char *const allowed[] = {NULL};
    if (lmd_query_only(req, allowed, rep)) return;
    const char *lease = lease_param(req, rep), *file;
    if (!lease) return;
    int job_idx;
    if (lmd_artifact_parse(req->params[1], &job_idx, &file) != 0 || job_idx < 0) {
        lmd_reply_error(rep, 400, "bad_request", "name", "an input is named '<job index>/<file>'");
        return;
    }
    char experiment[37];
    int is_input = 0;
    lmd_lease_outcome out;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
    int rc = lmd_queue_lease_input(c->h, lease, job_idx, experiment, &is_input, &out, &err);
    lmd_db_release(c);
    if (rc) { lmd_reply_internal(rep, &err); return; }
    if (reply_outcome(rep, out)) return;
    /* only the jobs this lease's job is after: a worker token reads nothing else */
    if (!is_input) {
        lmd_reply_error(rep, 404, "not_found", "name", "job %d is not one this lease's job is after", job_idx);
        return;
    }
    uint64_t size;
    int fd = lmd_artifact_open(req->srv->artifacts_dir, experiment, job_idx, file, &size);
    if (fd < 0) { lmd_reply_error(rep, 404, "not_found", "name", "no such artifact"); return; }
    lmd_reply_file(rep, fd, size, lmd_content_type(file, 0));
}
