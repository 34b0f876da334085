/* test_queue.c - the state machine of experiments and jobs (server/queue.c)
 * on a real SQLite file, with the runner test double: leases, heartbeats,
 * results, failures, expiry, cancellation, release, restart recovery, jobs
 * after other jobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../check.h"
#include "artifacts.h"
#include "db.h"
#include "experiments.h"
#include "migrations.h"
#include "queue.h"
#include "runner_double.h"
#include "util/file.h"

static lmd_server srv;
static sqlite3 *h;

static void nap(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* One text value of a query with one text parameter. */
static char *query(const char *sql, const char *arg) {
    static char out[4096];
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    out[0] = '\0';
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static void submit(const char *spec, char id[37]) {
    cJSON *jobs;
    lm_error err;
    CHECK(runner_double_list_jobs(spec, 1, &jobs, &err) == 0);
    CHECK_MSG(lmd_queue_submit(h, spec, "SST-2", "tiny", jobs, NULL, 0, "alice", NULL, id, &err) == 0, "%s", err.msg);
    cJSON_Delete(jobs);
}

static int lease(lmd_lease *l) {
    lm_error err;
    lmd_worker_info w = {.name = "w", .host = "h", .describes = 1};
    int rc = lmd_queue_lease(&srv, h, &w, l, &err);
    CHECK_MSG(rc >= 0, "%s", err.msg);
    return rc;
}

static lmd_lease_outcome heartbeat(const char *lease_id) {
    lmd_lease_outcome out;
    double expires;
    lm_error err;
    CHECK_MSG(lmd_queue_heartbeat(&srv, h, lease_id, 0.5, "stage", &out, &expires, &err) == 0, "%s", err.msg);
    return out;
}

static lmd_lease_outcome complete(const char *lease_id, double score) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "score", score);
    lmd_lease_outcome out;
    lm_error err;
    CHECK_MSG(lmd_queue_complete(&srv, h, lease_id, r, &out, &err) == 0, "%s", err.msg);
    cJSON_Delete(r);
    return out;
}

static lmd_lease_outcome fail_job(const char *lease_id, int release) {
    lmd_lease_outcome out;
    lm_error err;
    CHECK_MSG(lmd_queue_fail(&srv, h, lease_id, "boom", release, &out, &err) == 0, "%s", err.msg);
    return out;
}

static int expire(void) {
    int n;
    lm_error err;
    CHECK_MSG(lmd_queue_expire(&srv, h, &n, &err) == 0, "%s", err.msg);
    return n;
}

static const char *exp_state(const char *id) { return query("SELECT state FROM experiments WHERE id = ?1", id); }

static void test_migrations(void) {
    CHECK_MSG(atoi(query("PRAGMA user_version", NULL)) == lmd_n_migrations, "user_version");
    lm_error err;
    CHECK(lmd_db_migrate(h, &err) == 0); /* again: nothing to do */
    CHECK(!strcmp(query("PRAGMA journal_mode", NULL), "wal"));
    /* Every file of schema/migrations/ is compiled in, in order. */
    for (int i = 0; i < lmd_n_migrations; i++) {
        CHECK(lmd_migrations[i].number == i + 1);
        char *path = lm_path_join(MIGRATIONS_DIR, lmd_migrations[i].name);
        CHECK_MSG(lm_file_exists(path), "%s", path);
        free(path);
    }
    char next[512];
    snprintf(next, sizeof next, "%s/%04d_", MIGRATIONS_DIR, lmd_n_migrations + 1);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s* >/dev/null 2>&1", next);
    CHECK_MSG(system(cmd) != 0, "a migration %04d exists but is not in migrations.c", lmd_n_migrations + 1);
}

static void test_success_path(void) {
    char id[37];
    submit("{\"seeds\":[1,2]}", id);
    CHECK(!strcmp(exp_state(id), "queued"));
    lmd_lease a, b, none;
    CHECK(lease(&a) == 1 && a.job_idx == 0 && a.attempt == 1);
    CHECK(!strcmp(exp_state(id), "running"));
    CHECK(lease(&b) == 1 && b.job_idx == 1);
    CHECK(lease(&none) == 0);
    CHECK(heartbeat(a.lease_id) == LMD_LEASE_OK);
    CHECK(!strcmp(query("SELECT stage FROM jobs WHERE lease_id = ?1", a.lease_id), "stage"));
    CHECK(heartbeat("00000000-0000-4000-8000-000000000000") == LMD_LEASE_UNKNOWN);
    CHECK(complete(a.lease_id, 0.25) == LMD_LEASE_OK);
    CHECK(complete(a.lease_id, 0.25) == LMD_LEASE_OK); /* a retried report */
    CHECK(heartbeat(a.lease_id) == LMD_LEASE_LOST);     /* the job is finished */
    CHECK(!strcmp(exp_state(id), "running"));
    /* b fails once (max_attempts 2): back to the queue, its lease gone. */
    CHECK(fail_job(b.lease_id, 0) == LMD_LEASE_OK);
    CHECK(!strcmp(query("SELECT state FROM jobs WHERE experiment_id = ?1 AND idx = 1", id), "queued"));
    CHECK(!strcmp(query("SELECT error FROM jobs WHERE experiment_id = ?1 AND idx = 1", id), "boom"));
    CHECK(heartbeat(b.lease_id) == LMD_LEASE_UNKNOWN);
    lmd_lease b2;
    CHECK(lease(&b2) == 1 && b2.job_idx == 1 && b2.attempt == 2);
    CHECK(complete(b2.lease_id, 0.75) == LMD_LEASE_OK);
    CHECK(!strcmp(exp_state(id), "succeeded"));
    cJSON *r = cJSON_Parse(query("SELECT result FROM experiments WHERE id = ?1", id));
    CHECK(r && cJSON_GetObjectItem(r, "n")->valueint == 2);
    CHECK(r && cJSON_GetObjectItem(r, "mean_score")->valuedouble == 0.5);
    cJSON_Delete(r);
    char path[512];
    snprintf(path, sizeof path, "%s/%s/result.json", srv.artifacts_dir, id);
    CHECK_MSG(lm_file_exists(path), "%s", path);
    lmd_lease_free(&a); lmd_lease_free(&b); lmd_lease_free(&b2);
}

static void test_expiry(void) {
    char id[37];
    submit("{\"seeds\":[3]}", id);
    lmd_lease a, b, c;
    CHECK(lease(&a) == 1);
    CHECK(expire() == 0);
    nap(srv.cfg.lease_seconds + 0.1);
    CHECK(expire() == 1);
    CHECK(!strcmp(query("SELECT state FROM jobs WHERE experiment_id = ?1", id), "queued"));
    /* Nobody took it yet: the late worker's heartbeat takes it back. */
    CHECK(heartbeat(a.lease_id) == LMD_LEASE_OK);
    CHECK(!strcmp(query("SELECT state FROM jobs WHERE experiment_id = ?1", id), "running"));
    nap(srv.cfg.lease_seconds + 0.1);
    CHECK(expire() == 1);
    /* This time another worker takes it: the old lease is gone. */
    CHECK(lease(&b) == 1 && b.attempt == 2);
    CHECK(heartbeat(a.lease_id) == LMD_LEASE_UNKNOWN);
    CHECK(complete(a.lease_id, 1) == LMD_LEASE_UNKNOWN);
    /* Attempts used up: the second expiry fails the job and the experiment. */
    nap(srv.cfg.lease_seconds + 0.1);
    CHECK(expire() == 1);
    CHECK(!strcmp(exp_state(id), "failed"));
    CHECK(strstr(query("SELECT error FROM experiments WHERE id = ?1", id), "lease expired") != NULL);
    CHECK(lease(&c) == 0);
    lmd_lease_free(&a); lmd_lease_free(&b);
}

static void test_cancel(void) {
    char id[37], state[16];
    lm_error err;
    submit("{\"seeds\":[4,5]}", id);
    lmd_lease a, none;
    CHECK(lease(&a) == 1);
    CHECK(lmd_queue_cancel(h, id, state, &err) == 0 && !strcmp(state, "running"));
    CHECK(!strcmp(exp_state(id), "cancelled"));
    CHECK(heartbeat(a.lease_id) == LMD_LEASE_CANCEL);
    CHECK(complete(a.lease_id, 1) == LMD_LEASE_CANCEL);
    CHECK(fail_job(a.lease_id, 0) == LMD_LEASE_OK);   /* the worker's acknowledgement */
    CHECK(lease(&none) == 0);                          /* job 1 was cancelled too */
    CHECK(lmd_queue_cancel(h, id, state, &err) == 0 && !strcmp(state, "cancelled"));
    CHECK(lmd_queue_cancel(h, "00000000-0000-4000-8000-000000000000", state, &err) == 1);
    lmd_lease_free(&a);
}

static void test_release_and_recover(void) {
    char id[37];
    lm_error err;
    submit("{\"seeds\":[6]}", id);
    lmd_lease a, b;
    CHECK(lease(&a) == 1 && a.attempt == 1);
    CHECK(fail_job(a.lease_id, 1) == LMD_LEASE_OK);   /* handed back: no attempt used */
    CHECK(lease(&b) == 1 && b.attempt == 1);
    /* A restart after a long downtime: the lease is extended, not expired. */
    sqlite3_exec(h, "UPDATE jobs SET lease_expires = 1 WHERE state = 'running'", NULL, NULL, NULL);
    CHECK(lmd_queue_recover(&srv, h, &err) == 0);
    CHECK(expire() == 0);
    CHECK(heartbeat(b.lease_id) == LMD_LEASE_OK);
    CHECK(complete(b.lease_id, 0.5) == LMD_LEASE_OK);
    CHECK(!strcmp(exp_state(id), "succeeded"));
    lmd_lease_free(&a); lmd_lease_free(&b);
}

/* A worker is leased only jobs whose least memory fits what it advertises;
 * a larger job waits, in order, for a larger worker. */
static void test_memory_fit(void) {
    const char *spec = "{\"seeds\":[1,2,3]}";
    cJSON *jobs;
    lm_error err;
    CHECK(runner_double_list_jobs(spec, 1, &jobs, &err) == 0);
    uint64_t mem[3] = {8u << 20, 2u << 20, 0}; /* 8 MiB, 2 MiB, unknown */
    char id[37];
    CHECK_MSG(lmd_queue_submit(h, spec, "SST-2", "tiny", jobs, mem, 0, "bob", NULL, id, &err) == 0, "%s", err.msg);
    cJSON_Delete(jobs);
    CHECK(!strcmp(query("SELECT group_concat(COALESCE(mem_bytes, 'null')) FROM jobs WHERE experiment_id = ?1"
                        " ORDER BY idx", id), "8388608,2097152,null"));
    lmd_lease a, b, c, none;
    lmd_worker_info small = {.name = "small", .mem_limit_bytes = 4 << 20, .describes = 1};
    lmd_worker_info large = {.name = "large", .mem_limit_bytes = 8 << 20, .describes = 1};
    CHECK(lmd_queue_lease(&srv, h, &small, &a, &err) == 1 && a.job_idx == 1);
    CHECK(lmd_queue_lease(&srv, h, &small, &b, &err) == 1 && b.job_idx == 2); /* unknown: any */
    CHECK(lmd_queue_lease(&srv, h, &small, &none, &err) == 0);
    CHECK(lmd_queue_lease(&srv, h, &large, &c, &err) == 1 && c.job_idx == 0);
    lmd_lease_free(&a);
    lmd_lease_free(&b);
    lmd_lease_free(&c);
}

/* Ids by prefix: 8 characters or more, any case, unique or ambiguous. */
/* The jobs of spec with job 2 after jobs 0 and 1 (a merge after its tiles). */
static void submit_after(const char *spec, char id[37]) {
    cJSON *jobs;
    lm_error err;
    CHECK(runner_double_list_jobs(spec, 1, &jobs, &err) == 0);
    cJSON *after = cJSON_AddArrayToObject(cJSON_GetArrayItem(jobs, 2), "after");
    cJSON_AddItemToArray(after, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(after, cJSON_CreateNumber(1));
    CHECK_MSG(lmd_queue_submit(h, spec, "SST-2", "tiny", jobs, NULL, 0, "alice", NULL, id, &err) == 0, "%s", err.msg);
    cJSON_Delete(jobs);
}

/* A job after others is leased only once all of them succeeded, reads
 * their artifacts (and only theirs) through its lease, and fails with the
 * reason when one of them fails for good; "after" must name earlier jobs;
 * a delete takes the dependencies along. */
static void test_dependencies(void) {
    char id[37], state[16];
    lm_error err;
    submit_after("{\"seeds\":[11,12,13]}", id);
    CHECK(atoi(query("SELECT COUNT(*) FROM job_deps d JOIN jobs j ON j.id = d.job_id WHERE j.experiment_id = ?1",
                     id)) == 2);
    lmd_lease a, b, c, none;
    CHECK(lease(&a) == 1 && a.job_idx == 0);
    CHECK(lease(&b) == 1 && b.job_idx == 1);
    CHECK(lease(&none) == 0); /* job 2 waits for both */
    /* job 0 leaves a tile file */
    char *dir = lmd_artifact_dir(srv.artifacts_dir, id, 0), *file = lm_path_join(dir, "kernel-tiles.bin");
    CHECK(lm_mkdirs(dir, &err) == 0 && lm_write_file_atomic(file, "tile", 4, &err) == 0);
    CHECK(lmd_artifact_record(h, srv.artifacts_dir, id, 0, "kernel-tiles.bin", &err) == 0);
    free(file);
    free(dir);
    CHECK(complete(a.lease_id, 0.5) == LMD_LEASE_OK);
    CHECK(lease(&none) == 0); /* job 1 still runs */
    CHECK(complete(b.lease_id, 0.5) == LMD_LEASE_OK);
    CHECK(lease(&c) == 1 && c.job_idx == 2);
    cJSON *inputs;
    lmd_lease_outcome out;
    CHECK(lmd_queue_lease_inputs(h, c.lease_id, &inputs, &out, &err) == 0 && out == LMD_LEASE_OK);
    char *text = inputs ? cJSON_PrintUnformatted(inputs) : NULL;
    CHECK_MSG(text && !strcmp(text, "[{\"name\":\"0/kernel-tiles.bin\",\"job\":0,\"file\":\"kernel-tiles.bin\","
                                    "\"bytes\":4}]"), "inputs %s", text ? text : "(none)");
    free(text);
    cJSON_Delete(inputs);
    char exp[37];
    int is_input;
    CHECK(lmd_queue_lease_input(h, c.lease_id, 0, exp, &is_input, &out, &err) == 0 && is_input && !strcmp(exp, id));
    CHECK(lmd_queue_lease_input(h, c.lease_id, 2, exp, &is_input, &out, &err) == 0 && !is_input);
    CHECK(lmd_queue_lease_inputs(h, a.lease_id, &inputs, &out, &err) == 0 && out == LMD_LEASE_LOST && !inputs);
    CHECK(complete(c.lease_id, 0.5) == LMD_LEASE_OK);
    CHECK(!strcmp(exp_state(id), "succeeded"));
    CHECK(lmd_queue_delete(&srv, h, id, state, &err) == 0);
    CHECK(atoi(query("SELECT COUNT(*) FROM job_deps", NULL)) == 0);
    lmd_lease_free(&a); lmd_lease_free(&b); lmd_lease_free(&c);

    /* job 0 fails for good (max_attempts 2): job 2 fails with its reason */
    submit_after("{\"seeds\":[14,15,16]}", id);
    CHECK(lease(&a) == 1 && a.job_idx == 0 && fail_job(a.lease_id, 0) == LMD_LEASE_OK);
    lmd_lease_free(&a);
    CHECK(lease(&a) == 1 && a.job_idx == 0 && fail_job(a.lease_id, 0) == LMD_LEASE_OK);
    CHECK(!strcmp(exp_state(id), "failed"));
    CHECK(!strcmp(query("SELECT state FROM jobs WHERE experiment_id = ?1 AND idx = 2", id), "failed"));
    CHECK(!strcmp(query("SELECT error FROM jobs WHERE experiment_id = ?1 AND idx = 2", id),
                  "job 0, which this job is after, failed: boom"));
    CHECK(!strcmp(query("SELECT state FROM jobs WHERE experiment_id = ?1 AND idx = 1", id), "cancelled"));
    CHECK(lease(&none) == 0);
    lmd_lease_free(&a);

    /* "after" names an earlier job of the list, or the submit is refused */
    cJSON *jobs;
    CHECK(runner_double_list_jobs("{\"seeds\":[17,18]}", 1, &jobs, &err) == 0);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(jobs->child, "after"), cJSON_CreateNumber(1));
    CHECK(lmd_queue_submit(h, "{\"seeds\":[17,18]}", "SST-2", "tiny", jobs, NULL, 0, "alice", NULL, id, &err) != 0);
    CHECK_MSG(strstr(err.msg, "earlier jobs") != NULL, "%s", err.msg);
    cJSON_Delete(jobs);
}

static void test_resolve(void) {
    lm_error err;
    char id[37], owner[64];
    CHECK(sqlite3_exec(h, "INSERT INTO experiments(id, spec, n_jobs, created_at, updated_at) VALUES"
                          " ('abcdef01-1111-4000-8000-000000000001', '{}', 0, 1, 1),"
                          " ('abcdef01-2222-4000-8000-000000000002', '{}', 0, 1, 1),"
                          " ('abcdef0a-3333-4000-8000-000000000003', '{}', 0, 1, 1)", NULL, NULL, NULL) == SQLITE_OK);
    CHECK(lmd_experiment_resolve(h, "abcdef01", NULL, id, owner, sizeof owner, &err) == 2);            /* two start so */
    CHECK(lmd_experiment_resolve(h, "abcdef01-2", NULL, id, owner, sizeof owner, &err) == 1 &&
          !strcmp(id, "abcdef01-2222-4000-8000-000000000002"));
    CHECK(lmd_experiment_resolve(h, "ABCDEF0A", NULL, id, owner, sizeof owner, &err) == 1 &&
          !strcmp(id, "abcdef0a-3333-4000-8000-000000000003"));
    CHECK(lmd_experiment_resolve(h, "abcdef01-1111-4000-8000-000000000001", NULL, id, owner, sizeof owner, &err) == 1);
    CHECK(lmd_experiment_resolve(h, "abcdef0", NULL, id, owner, sizeof owner, &err) == 0);             /* 7 are too few */
    CHECK(lmd_experiment_resolve(h, "abcdef0z", NULL, id, owner, sizeof owner, &err) == 0);
    CHECK(lmd_experiment_resolve(h, "abcdef01%", NULL, id, owner, sizeof owner, &err) == 0);
    CHECK(lmd_experiment_resolve(h, "ffffffff", NULL, id, owner, sizeof owner, &err) == 0);
    /* resolved among one owner's experiments only */
    sqlite3_exec(h, "UPDATE experiments SET owner = 'carol' WHERE id LIKE 'abcdef01-1%'", NULL, NULL, NULL);
    CHECK(lmd_experiment_resolve(h, "abcdef01", "carol", id, owner, sizeof owner, &err) == 1 &&
          !strcmp(id, "abcdef01-1111-4000-8000-000000000001") && !strcmp(owner, "carol"));
    CHECK(lmd_experiment_resolve(h, "abcdef0a", "carol", id, owner, sizeof owner, &err) == 0);
    sqlite3_exec(h, "DELETE FROM experiments WHERE id LIKE 'abcdef0%'", NULL, NULL, NULL);
}

int main(void) {
    char dir[] = "/tmp/lmntk-test-queue.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    lm_error err;
    lmd_config_defaults(&srv.cfg);
    srv.cfg.lease_seconds = 0.5;
    srv.cfg.max_attempts = 2;
    srv.runner = (lmd_runner){"test double", runner_double_list_jobs, runner_double_check_result,
                              runner_double_aggregate};
    srv.artifacts_dir = lm_path_join(dir, "artifacts");
    char *db_path = lm_path_join(dir, "test.db");
    CHECK_MSG(lmd_db_open(&srv.db, db_path, 1, &err) == 0, "%s", err.msg);
    h = srv.db.conns[0].h;

    test_migrations();
    test_success_path();
    test_expiry();
    test_cancel();
    test_release_and_recover();
    test_memory_fit();
    test_dependencies();
    test_resolve();

    lmd_db_close(&srv.db);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    free(db_path);
    free(srv.artifacts_dir);
    lmd_config_free(&srv.cfg);
    return check_exit("test_queue");
}
