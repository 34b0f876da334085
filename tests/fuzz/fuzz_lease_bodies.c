/* fuzz_lease_bodies.c - the bodies workers POST to the daemon, through the
 * daemon's own handlers (server/api_leases.c) on a real SQLite queue:
 *   POST /v1/leases                    {"worker": ..., "host": ..., "mem_bytes": ...}
 *   POST /v1/leases/{lease}/heartbeat  {"progress": ..., "stage": ...}
 *   POST /v1/leases/{lease}/complete   {"result": {...}}
 *   POST /v1/leases/{lease}/fail       {"error": ..., "release": ...}
 * The first input byte picks the route, the rest is the body.  The daemon
 * is bound to common/experiment as lmntkd is (main.c), so a reported result
 * is checked (lm_experiment_check_result) and, once accepted, finishes a
 * one-job experiment and goes through aggregation (lm_experiment_aggregate).
 *
 * Checked beyond "no crash, no leak, no UB": every reply is 200, 204 or a
 * 400 with an error body (never a 500: nothing here is the server's fault),
 * and an accepted result aggregates: the experiment has succeeded (the
 * check before storing and the aggregation agree on what a result holds). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "api.h"
#include "db.h"
#include "fuzz_util.h"
#include "http.h"
#include "queue.h"
#include "experiment/experiment.h"
#include "server.h"
#include "util/file.h"
#include "util/log.h"

/* One seed, the default kernel formula: a one-job experiment. */
static const char *const spec_one_job = "{\"task\":\"SST-2\",\"data\":\"d\",\"seeds\":[13]}";

static lmd_server srv;
static char lease_id[37];    /* the lease the next heartbeat/complete/fail uses */
static char experiment[37];  /* its experiment */

static void init_once(void) {
    static int done;
    if (done) return;
    done = 1;
    lm_log_set_level(LM_LOG_ERROR);
    lmd_config_defaults(&srv.cfg);
    srv.cfg.lease_seconds = 1e6; /* nothing expires during a campaign */
    srv.cfg.max_attempts = 1000;
    srv.runner = (lmd_runner){"lm_experiment", lm_experiment_jobs, lm_experiment_check_result,
                              lm_experiment_aggregate};
    srv.artifacts_dir = lm_path_join(fuzz_dir(), "artifacts");
    char *db_path = lm_path_join(fuzz_dir(), "queue.db");
    lm_error err;
    if (lmd_db_open(&srv.db, db_path, 1, &err) != 0) {
        fprintf(stderr, "fuzz_lease_bodies: %s\n", err.msg);
        abort();
    }
    free(db_path);
}

/* Makes sure lease_id names a running job: leases the oldest queued one,
 * or submits a one-job experiment and leases that. */
static void ensure_lease(void) {
    if (lease_id[0]) return;
    sqlite3 *h = srv.db.conns[0].h;
    lm_error err;
    lmd_lease l;
    const lmd_worker_info worker = {.name = "fuzz"};
    int rc = lmd_queue_lease(&srv, h, &worker, &l, &err);
    if (rc == 0) {
        cJSON *jobs = NULL;
        char id[37];
        if (lm_experiment_jobs(spec_one_job, &jobs, &err) != 0 ||
            lmd_queue_submit(h, spec_one_job, "SST-2", "default", jobs, NULL, 0, "fuzz", NULL, id,
                             &err) != 0) {
            fprintf(stderr, "fuzz_lease_bodies: submit: %s\n", err.msg);
            abort();
        }
        cJSON_Delete(jobs);
        rc = lmd_queue_lease(&srv, h, &worker, &l, &err);
    }
    if (rc != 1) {
        fprintf(stderr, "fuzz_lease_bodies: lease: %s\n", rc < 0 ? err.msg : "queue empty");
        abort();
    }
    snprintf(lease_id, sizeof lease_id, "%s", l.lease_id);
    snprintf(experiment, sizeof experiment, "%s", l.experiment_id);
    lmd_lease_free(&l);
}

/* The state of the current lease's experiment, and its error. */
static void experiment_state(char state[16], int *has_error) {
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(srv.db.conns[0].h, "SELECT state, error FROM experiments WHERE id = ?1",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
    state[0] = '\0';
    *has_error = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(state, 16, "%s", (const char *)sqlite3_column_text(st, 0));
        *has_error = sqlite3_column_type(st, 1) != SQLITE_NULL;
    }
    sqlite3_finalize(st);
}

/* A finished experiment's result.json is not needed again: removing it
 * keeps a long campaign's scratch folder small. */
static void drop_artifacts(void) {
    char dir[512], file[600];
    snprintf(dir, sizeof dir, "%s/%s", srv.artifacts_dir, experiment);
    snprintf(file, sizeof file, "%s/result.json", dir);
    remove(file);
    remove(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    init_once();
    ensure_lease();
    static const struct { const char *name; void (*handle)(lmd_request *, lmd_reply *); } routes[] = {
        {"take", lmd_api_lease_take},
        {"heartbeat", lmd_api_lease_heartbeat},
        {"complete", lmd_api_lease_complete},
        {"fail", lmd_api_lease_fail},
    };
    int route = data[0] % 4;
    size_t n = size - 1;
    if (n > srv.cfg.max_body_bytes) return 0; /* http.c refuses those with 413 */

    /* As http.c hands a body over: NUL-terminated, length apart. */
    lmd_request *req = calloc(1, sizeof *req);
    req->srv = &srv;
    req->upload_fd = -1;
    snprintf(req->client, sizeof req->client, "fuzz");
    snprintf(req->param_buf, sizeof req->param_buf, "%s", lease_id);
    req->params[0] = req->param_buf;
    req->n_params = route == 0 ? 0 : 1;
    req->body = fuzz_strndup(data + 1, n);
    req->body_len = n;
    lmd_reply rep = {.fd = -1};
    routes[route].handle(req, &rep);

    if (rep.status != 200 && rep.status != 204 && rep.status != 400) {
        fprintf(stderr, "fuzz_lease_bodies: %s answered %u: %.*s\n", routes[route].name, rep.status,
                (int)rep.len, rep.body ? rep.body : "");
        abort();
    }
    if (rep.status == 400 && (!rep.body || !strstr(rep.body, "\"error\""))) abort();
    if (rep.status == 200 && route == 0) {
        /* a job released by an earlier fail was leased again: it is
         * current now (the old lease is gone) */
        cJSON *o = cJSON_Parse(rep.body);
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(o, "lease");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "experiment_id");
        if (!cJSON_IsString(l) || !cJSON_IsString(e)) abort();
        snprintf(lease_id, sizeof lease_id, "%s", l->valuestring);
        snprintf(experiment, sizeof experiment, "%s", e->valuestring);
        cJSON_Delete(o);
    }
    if (rep.status == 200 && route == 2) {
        char state[16];
        int has_error;
        experiment_state(state, &has_error);
        if (strcmp(state, "succeeded") != 0) {
            fprintf(stderr, "fuzz_lease_bodies: after an accepted complete the experiment is '%s'%s\n",
                    state, has_error ? " (with an error)" : "");
            abort();
        }
        drop_artifacts();
        lease_id[0] = '\0';
    }
    if (rep.status == 200 && route == 3) lease_id[0] = '\0';
    free(rep.body);
    free(req->body);
    free(req);
    return 0;
}
