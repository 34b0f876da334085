/* queue.c - experiments and jobs through their states, one transaction per
 * change.  The SQL is the state machine drawn in queue.h. */
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "artifacts.h"
#include "db.h"
#include "results.h"
#include "util/log.h"

void lmd_lease_free(lmd_lease *l) {
    free(l->spec);
    free(l->job);
    l->spec = l->job = NULL;
}

/* A statement that must succeed; on failure rolls back and returns -1. */
#define TRY(expr) do { if ((expr) != 0) goto fail; } while (0)

/* The job_deps rows of the jobs' "after" lists (indices of earlier jobs of
 * the list, so the dependencies have no cycle), inside the caller's
 * transaction. */
static int insert_deps(sqlite3 *h, const cJSON *jobs, char (*ids)[37], lm_error *err) {
    int idx = 0;
    for (const cJSON *j = jobs->child; j; j = j->next, idx++) {
        const cJSON *after = cJSON_GetObjectItemCaseSensitive(j, "after"), *a;
        if (after && !cJSON_IsArray(after)) return lm_fail(err, "job %d: \"after\" is not a list", idx);
        cJSON_ArrayForEach(a, after) {
            if (!cJSON_IsNumber(a) || a->valuedouble < 0 || a->valuedouble >= idx ||
                a->valuedouble != (double)(int)a->valuedouble)
                return lm_fail(err, "job %d: \"after\" must name earlier jobs by index", idx);
            sqlite3_stmt *st = lmd_db_prepare(h, "INSERT OR IGNORE INTO job_deps(job_id, after_id) VALUES (?1, ?2)", err);
            if (!st) return -1;
            sqlite3_bind_text(st, 1, ids[idx], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, ids[(int)a->valuedouble], -1, SQLITE_STATIC);
            if (lmd_db_step_done(st, err)) return -1;
        }
    }
    return 0;
}

int lmd_queue_submit(sqlite3 *h, const char *spec_json, const char *task, const char *model,
                     const cJSON *jobs, const uint64_t *mem, long long token_id, const char *owner,
                     const char *rerun_of, char id_out[37], lm_error *err) {
    double now = lmd_now();
    char (*ids)[37] = NULL;
    lmd_new_uuid(id_out);
    TRY(lmd_db_begin(h, err));
    /* A re-run keeps the name its original has now (it may have been renamed). */
    sqlite3_stmt *st = lmd_db_prepare(h,
        "INSERT INTO experiments(id, task, model, spec, n_jobs, token_id, created_at, updated_at, owner,"
        " name, rerun_of)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, CASE WHEN ?9 IS NULL THEN json_extract(?4, '$.name')"
        " ELSE (SELECT name FROM experiments WHERE id = ?9) END, ?9)", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, id_out, -1, SQLITE_STATIC);
    lmd_db_bind_text(st, 2, task);
    lmd_db_bind_text(st, 3, model);
    sqlite3_bind_text(st, 4, spec_json, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, cJSON_GetArraySize(jobs));
    if (token_id > 0) sqlite3_bind_int64(st, 6, token_id);
    sqlite3_bind_double(st, 7, now);
    lmd_db_bind_text(st, 8, owner && *owner ? owner : NULL);
    lmd_db_bind_text(st, 9, rerun_of);
    TRY(lmd_db_step_done(st, err));

    int idx = 0, n_jobs = cJSON_GetArraySize(jobs);
    ids = lm_xcalloc((size_t)n_jobs + 1, sizeof *ids);
    for (const cJSON *j = jobs->child; j; j = j->next, idx++) {
        char *job_id = ids[idx];
        lmd_new_uuid(job_id);
        char *text = cJSON_PrintUnformatted(j);
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
        const cJSON *method = cJSON_GetObjectItemCaseSensitive(j, "method");
        st = lmd_db_prepare(h,
            "INSERT INTO jobs(id, experiment_id, idx, job, seed, method, queued_at, mem_bytes)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
        if (!st) { free(text); goto fail; }
        sqlite3_bind_text(st, 1, job_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id_out, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, idx);
        sqlite3_bind_text(st, 4, text, -1, free);
        if (cJSON_IsNumber(seed)) sqlite3_bind_int64(st, 5, (sqlite3_int64)seed->valuedouble);
        lmd_db_bind_text(st, 6, cJSON_IsString(method) ? method->valuestring : NULL);
        sqlite3_bind_double(st, 7, now);
        if (mem && mem[idx]) sqlite3_bind_int64(st, 8, (sqlite3_int64)mem[idx]);
        TRY(lmd_db_step_done(st, err));
    }
    TRY(insert_deps(h, jobs, ids, err));
    free(ids);
    ids = NULL;
    st = lmd_db_prepare(h, "UPDATE experiments SET seeds_total ="
                           " (SELECT COUNT(DISTINCT seed) FROM jobs WHERE experiment_id = ?1) WHERE id = ?1", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, id_out, -1, SQLITE_STATIC);
    TRY(lmd_db_step_done(st, err));
    return lmd_db_commit(h, err);
fail:
    free(ids);
    lmd_db_rollback(h);
    return -1;
}

/* The experiment's state, inside the caller's transaction: 1 found, 0 no
 * such experiment, -1 error. */
static int read_state(sqlite3 *h, const char *experiment_id, char state_out[16], lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h, "SELECT state FROM experiments WHERE id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, experiment_id, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    snprintf(state_out, 16, "%s", found ? lmd_db_text(st, 0) : "");
    sqlite3_finalize(st);
    return found;
}

int lmd_queue_cancel(sqlite3 *h, const char *experiment_id, char state_out[16], lm_error *err) {
    double now = lmd_now();
    TRY(lmd_db_begin(h, err));
    int found = read_state(h, experiment_id, state_out, err);
    if (found < 0) goto fail;
    if (!found) { lmd_db_rollback(h); return 1; }
    if (strcmp(state_out, "queued") != 0 && strcmp(state_out, "running") != 0) {
        lmd_db_rollback(h);
        return 0;
    }
    sqlite3_stmt *st = lmd_db_prepare(h, "UPDATE experiments SET state = 'cancelled', updated_at = ?2,"
                           " finished_at = ?2 WHERE id = ?1", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, experiment_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, now);
    TRY(lmd_db_step_done(st, err));
    /* Running jobs keep their lease id: their next heartbeat says cancel. */
    st = lmd_db_prepare(h, "UPDATE jobs SET state = 'cancelled', finished_at = ?2"
                           " WHERE experiment_id = ?1 AND state IN ('queued', 'running')", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, experiment_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, now);
    TRY(lmd_db_step_done(st, err));
    return lmd_db_commit(h, err);
fail:
    lmd_db_rollback(h);
    return -1;
}

int lmd_queue_delete(lmd_server *srv, sqlite3 *h, const char *experiment_id, char state_out[16],
                     lm_error *err) {
    TRY(lmd_db_begin(h, err));
    int found = read_state(h, experiment_id, state_out, err);
    if (found < 0) goto fail;
    if (!found) { lmd_db_rollback(h); return 1; }
    if (!strcmp(state_out, "queued") || !strcmp(state_out, "running")) {
        lmd_db_rollback(h);
        return 0;
    }
    /* The write lock is held: no upload or result can land in between. */
    int trashed = lmd_artifact_trash(srv->artifacts_dir, experiment_id, err);
    if (trashed < 0) goto fail;
    static const char *const deletes[] = {
        "DELETE FROM artifacts WHERE experiment_id = ?1",
        "DELETE FROM job_deps WHERE job_id IN (SELECT id FROM jobs WHERE experiment_id = ?1)",
        "DELETE FROM experiment_tags WHERE experiment_id = ?1",
        "DELETE FROM jobs WHERE experiment_id = ?1",
        "DELETE FROM experiments WHERE id = ?1",
    };
    for (size_t i = 0; i < sizeof deletes / sizeof deletes[0]; i++) {
        sqlite3_stmt *st = lmd_db_prepare(h, deletes[i], err);
        if (!st) goto untrash;
        sqlite3_bind_text(st, 1, experiment_id, -1, SQLITE_STATIC);
        if (lmd_db_step_done(st, err)) goto untrash;
    }
    if (lmd_db_commit(h, err)) goto untrash;
    if (trashed) lmd_artifact_remove_trash(srv->artifacts_dir, experiment_id);
    lm_info("experiment %s deleted", experiment_id);
    return 0;
untrash:
    if (trashed) lmd_artifact_untrash(srv->artifacts_dir, experiment_id);
fail:
    lmd_db_rollback(h);
    return -1;
}

/* Notes that a worker was heard from.  At most every quarter lease (and 5 s):
 * an idle worker polls often, and a row that does not change costs no
 * fsync. */
static int touch_worker(lmd_server *srv, sqlite3 *h, const lmd_worker_info *w, double now, lm_error *err) {
    if (!w || !w->name) return 0;
    double every = srv->cfg.lease_seconds / 4 < 5 ? srv->cfg.lease_seconds / 4 : 5;
    /* host and memory limit only come with a lease call; a heartbeat keeps them */
    sqlite3_stmt *st = lmd_db_prepare(h,
        "INSERT INTO workers(name, last_seen, first_seen, host, mem_limit_bytes) VALUES (?1, ?2, ?2, ?4, ?5)"
        " ON CONFLICT(name) DO UPDATE SET last_seen = excluded.last_seen,"
        " host = CASE WHEN ?6 THEN excluded.host ELSE workers.host END,"
        " mem_limit_bytes = CASE WHEN ?6 THEN excluded.mem_limit_bytes ELSE workers.mem_limit_bytes END"
        " WHERE excluded.last_seen - workers.last_seen >= ?3 OR (?6 AND"
        " (workers.host IS NOT excluded.host OR workers.mem_limit_bytes IS NOT excluded.mem_limit_bytes))", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, w->name, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, now);
    sqlite3_bind_double(st, 3, every);
    lmd_db_bind_text(st, 4, w->host);
    if (w->mem_limit_bytes > 0) sqlite3_bind_int64(st, 5, w->mem_limit_bytes);
    sqlite3_bind_int(st, 6, w->describes);
    return lmd_db_step_done(st, err);
}

/* A worker known by name only (its heartbeats and reports). */
static lmd_worker_info named(const char *name) { return (lmd_worker_info){.name = name}; }

int lmd_queue_lease(lmd_server *srv, sqlite3 *h, const lmd_worker_info *worker, lmd_lease *out,
                    lm_error *err) {
    memset(out, 0, sizeof *out);
    double now = lmd_now();
    TRY(lmd_db_begin(h, err));
    /* A job too large for this worker stays queued for a larger one (at
     * submit, a job larger than every worker was refused). */
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT j.id, j.experiment_id, j.idx, j.job, j.attempts, e.spec"
        " FROM jobs j JOIN experiments e ON e.id = j.experiment_id"
        " WHERE j.state = 'queued' AND (?1 = 0 OR j.mem_bytes IS NULL OR j.mem_bytes <= ?1)"
        /* a job that is after others waits until all of them succeeded */
        " AND NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs p ON p.id = d.after_id"
        "  WHERE d.job_id = j.id AND p.state != 'succeeded')"
        " ORDER BY j.queued_at, j.rowid LIMIT 1", err);
    if (!st) goto fail;
    sqlite3_bind_int64(st, 1, worker && worker->mem_limit_bytes > 0 ? worker->mem_limit_bytes : 0);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) { lm_fail(err, "database: %s", sqlite3_errmsg(h)); goto fail; }
        TRY(touch_worker(srv, h, worker, now, err));
        return lmd_db_commit(h, err) == 0 ? 0 : -1;
    }
    snprintf(out->job_id, sizeof out->job_id, "%s", lmd_db_text(st, 0));
    snprintf(out->experiment_id, sizeof out->experiment_id, "%s", lmd_db_text(st, 1));
    out->job_idx = sqlite3_column_int(st, 2);
    out->job = lm_xstrdup(lmd_db_text(st, 3));
    out->attempt = sqlite3_column_int(st, 4) + 1;
    out->spec = lm_xstrdup(lmd_db_text(st, 5));
    sqlite3_finalize(st);

    lmd_new_uuid(out->lease_id);
    out->expires = now + srv->cfg.lease_seconds;
    st = lmd_db_prepare(h,
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_id = ?2,"
        " lease_expires = ?3, worker = ?4, started_at = ?5, progress = 0, stage = NULL"
        " WHERE id = ?1", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, out->job_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, out->lease_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, out->expires);
    lmd_db_bind_text(st, 4, worker ? worker->name : NULL);
    sqlite3_bind_double(st, 5, now);
    TRY(lmd_db_step_done(st, err));
    st = lmd_db_prepare(h, "UPDATE experiments SET state = 'running', updated_at = ?2"
                           " WHERE id = ?1 AND state = 'queued'", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, out->experiment_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, now);
    TRY(lmd_db_step_done(st, err));
    TRY(touch_worker(srv, h, worker, now, err));
    TRY(lmd_db_commit(h, err));
    return 1;
fail:
    lmd_db_rollback(h);
    lmd_lease_free(out);
    return -1;
}

/* The job a lease names, inside the caller's transaction. */
typedef struct lease_row {
    char job_id[37];
    char experiment_id[37];
    char state[16];
    char worker[128];
    int idx;
    int attempts;
} lease_row;

/* Reads a row selected as: id, experiment_id, state, idx, attempts, worker. */
#define LEASE_ROW_COLUMNS "id, experiment_id, state, idx, attempts, worker"
static void read_lease_row(sqlite3_stmt *st, lease_row *row) {
    snprintf(row->job_id, sizeof row->job_id, "%s", lmd_db_text(st, 0));
    snprintf(row->experiment_id, sizeof row->experiment_id, "%s", lmd_db_text(st, 1));
    snprintf(row->state, sizeof row->state, "%s", lmd_db_text(st, 2));
    row->idx = sqlite3_column_int(st, 3);
    row->attempts = sqlite3_column_int(st, 4);
    const char *w = lmd_db_text(st, 5);
    snprintf(row->worker, sizeof row->worker, "%s", w ? w : "?");
}

/* 1 found, 0 not found, -1 error. */
static int find_lease(sqlite3 *h, const char *lease_id, lease_row *row, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT " LEASE_ROW_COLUMNS " FROM jobs WHERE lease_id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, lease_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) read_lease_row(st, row);
    else if (rc != SQLITE_DONE) lm_fail(err, "database: %s", sqlite3_errmsg(h));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* A lease still owns its job while the job runs, or waits in the queue
 * after the lease expired and nobody has taken it since. */
static int lease_owns_job(const lease_row *row) {
    return !strcmp(row->state, "running") || !strcmp(row->state, "queued");
}

static lmd_lease_outcome outcome_of(const lease_row *row) {
    if (lease_owns_job(row)) return LMD_LEASE_OK;
    if (!strcmp(row->state, "cancelled")) return LMD_LEASE_CANCEL;
    return LMD_LEASE_LOST;
}

int lmd_queue_heartbeat(lmd_server *srv, sqlite3 *h, const char *lease_id, double progress,
                        const char *stage, lmd_lease_outcome *out, double *expires, lm_error *err) {
    double now = lmd_now();
    lease_row row;
    *expires = 0;
    TRY(lmd_db_begin(h, err));
    int found = find_lease(h, lease_id, &row, err);
    if (found < 0) goto fail;
    *out = found ? outcome_of(&row) : LMD_LEASE_UNKNOWN;
    if (*out != LMD_LEASE_OK) { lmd_db_rollback(h); return 0; }
    *expires = now + srv->cfg.lease_seconds;
    sqlite3_stmt *st = lmd_db_prepare(h,
        "UPDATE jobs SET state = 'running', progress = ?2, stage = ?3, lease_expires = ?4"
        " WHERE id = ?1", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, row.job_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, progress < 0 ? 0 : progress > 1 ? 1 : progress);
    lmd_db_bind_text(st, 3, stage);
    sqlite3_bind_double(st, 4, *expires);
    TRY(lmd_db_step_done(st, err));
    lmd_worker_info w = named(row.worker);
    TRY(touch_worker(srv, h, &w, now, err));
    return lmd_db_commit(h, err);
fail:
    lmd_db_rollback(h);
    return -1;
}

/* Marks a job failed for good, the experiment failed with it, and cancels
 * the experiment's other live jobs. */
static int fail_for_good(sqlite3 *h, const lease_row *row, const char *error, double now,
                         lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h,
        "UPDATE jobs SET state = 'failed', error = ?2, finished_at = ?3, lease_expires = NULL"
        " WHERE id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, row->job_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, now);
    if (lmd_db_step_done(st, err)) return -1;

    char why[1200];
    snprintf(why, sizeof why, "job %d failed after %d attempt%s: %s", row->idx, row->attempts,
             row->attempts == 1 ? "" : "s", error);
    /* the jobs after it (and after those) cannot run: they fail with its
     * reason rather than be cancelled */
    char dep_why[1300];
    snprintf(dep_why, sizeof dep_why, "job %d, which this job is after, failed: %s", row->idx, error);
    st = lmd_db_prepare(h,
        "WITH RECURSIVE later(id) AS (SELECT job_id FROM job_deps WHERE after_id = ?1"
        " UNION SELECT d.job_id FROM job_deps d JOIN later l ON d.after_id = l.id)"
        " UPDATE jobs SET state = 'failed', error = ?2, finished_at = ?3, lease_expires = NULL"
        " WHERE id IN (SELECT id FROM later) AND state IN ('queued', 'running')", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, row->job_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, dep_why, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, now);
    if (lmd_db_step_done(st, err)) return -1;
    st = lmd_db_prepare(h,
        "UPDATE experiments SET state = 'failed', error = ?2, updated_at = ?3, finished_at = ?3"
        " WHERE id = ?1 AND state IN ('queued', 'running')", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, row->experiment_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, now);
    if (lmd_db_step_done(st, err)) return -1;
    st = lmd_db_prepare(h, "UPDATE jobs SET state = 'cancelled', finished_at = ?2"
                           " WHERE experiment_id = ?1 AND state IN ('queued', 'running')", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, row->experiment_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, now);
    if (lmd_db_step_done(st, err)) return -1;
    lm_warn("experiment %s failed: %s", row->experiment_id, why);
    return 0;
}

/* Combines the job results of a finished experiment into result.json. */
static int finish_experiment(lmd_server *srv, sqlite3 *h, const char *experiment_id, double now,
                             lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h, "SELECT spec FROM experiments WHERE id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, experiment_id, -1, SQLITE_STATIC);
    char *spec = sqlite3_step(st) == SQLITE_ROW ? lm_xstrdup(lmd_db_text(st, 0)) : NULL;
    sqlite3_finalize(st);
    if (!spec) return lm_fail(err, "experiment %s vanished", experiment_id);

    cJSON *jobs = cJSON_CreateArray(), *results = cJSON_CreateArray(), *result = NULL;
    int rc = -1;
    if (lmd_queue_job_results(h, experiment_id, NULL, 0, jobs, results, err)) goto out;

    lm_error aerr;
    lm_error_clear(&aerr);
    const char *state = "succeeded";
    char *result_text = NULL, *error = NULL;
    if (srv->runner.aggregate(spec, jobs, results, &result, &aerr) != 0) {
        state = "failed";
        size_t n = strlen(aerr.msg) + 32;
        error = lm_xmalloc(n);
        snprintf(error, n, "aggregating the results: %s", aerr.msg);
        lm_warn("experiment %s: %s", experiment_id, error);
    } else {
        char *pretty = cJSON_Print(result);
        result_text = cJSON_PrintUnformatted(result);
        /* The file first: if it cannot be written the transaction rolls
         * back and the worker's report is retried. */
        size_t len = strlen(pretty);
        rc = lmd_artifact_write(srv->artifacts_dir, experiment_id, "result.json", pretty, len, err);
        free(pretty);
        if (rc == 0) rc = lmd_artifact_record(h, srv->artifacts_dir, experiment_id, -1, "result.json", err);
        if (rc == 0) rc = lmd_results_store_final(h, experiment_id, result, err);
        if (rc) { free(result_text); goto out; }
    }
    st = lmd_db_prepare(h,
        "UPDATE experiments SET state = ?2, result = ?3, error = ?4, updated_at = ?5,"
        " finished_at = ?5 WHERE id = ?1", err);
    rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, experiment_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
        lmd_db_bind_text(st, 3, result_text);
        lmd_db_bind_text(st, 4, error);
        sqlite3_bind_double(st, 5, now);
        rc = lmd_db_step_done(st, err);
    }
    free(result_text);
    free(error);
    if (rc == 0) lm_info("experiment %s %s", experiment_id, state);
out:
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    cJSON_Delete(result);
    free(spec);
    return rc;
}

int lmd_queue_complete(lmd_server *srv, sqlite3 *h, const char *lease_id, const cJSON *result,
                       lmd_lease_outcome *out, lm_error *err) {
    double now = lmd_now();
    lease_row row;
    TRY(lmd_db_begin(h, err));
    int found = find_lease(h, lease_id, &row, err);
    if (found < 0) goto fail;
    if (!found) { *out = LMD_LEASE_UNKNOWN; lmd_db_rollback(h); return 0; }
    if (!strcmp(row.state, "succeeded")) { *out = LMD_LEASE_OK; lmd_db_rollback(h); return 0; }
    *out = outcome_of(&row);
    if (*out != LMD_LEASE_OK) { lmd_db_rollback(h); return 0; }

    char *text = cJSON_PrintUnformatted(result);
    sqlite3_stmt *st = lmd_db_prepare(h,
        "UPDATE jobs SET state = 'succeeded', result = ?2, progress = 1, stage = NULL,"
        " error = NULL, finished_at = ?3, lease_expires = NULL WHERE id = ?1", err);
    if (!st) { free(text); goto fail; }
    sqlite3_bind_text(st, 1, row.job_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, text, -1, free);
    sqlite3_bind_double(st, 3, now);
    TRY(lmd_db_step_done(st, err));
    lmd_worker_info w = named(row.worker);
    TRY(touch_worker(srv, h, &w, now, err));

    st = lmd_db_prepare(h, "SELECT COUNT(*) FROM jobs WHERE experiment_id = ?1"
                           " AND state != 'succeeded'", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, row.experiment_id, -1, SQLITE_STATIC);
    int left = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (left < 0) { lm_fail(err, "database: %s", sqlite3_errmsg(h)); goto fail; }
    if (left == 0) TRY(finish_experiment(srv, h, row.experiment_id, now, err));
    else TRY(lmd_results_update_partial(srv, h, row.experiment_id, err));
    return lmd_db_commit(h, err);
fail:
    lmd_db_rollback(h);
    return -1;
}

int lmd_queue_fail(lmd_server *srv, sqlite3 *h, const char *lease_id, const char *error,
                   int release, lmd_lease_outcome *out, lm_error *err) {
    double now = lmd_now();
    lease_row row;
    TRY(lmd_db_begin(h, err));
    int found = find_lease(h, lease_id, &row, err);
    if (found < 0) goto fail;
    if (!found) { *out = LMD_LEASE_UNKNOWN; lmd_db_rollback(h); return 0; }
    *out = outcome_of(&row);
    if (*out == LMD_LEASE_CANCEL) { lmd_db_rollback(h); *out = LMD_LEASE_OK; return 0; }
    if (*out != LMD_LEASE_OK) { lmd_db_rollback(h); return 0; }

    if (!release && row.attempts >= srv->cfg.max_attempts) {
        TRY(fail_for_good(h, &row, error, now, err));
        return lmd_db_commit(h, err);
    }
    sqlite3_stmt *st = lmd_db_prepare(h,
        "UPDATE jobs SET state = 'queued', attempts = attempts - ?2, error = ?3, lease_id = NULL,"
        " lease_expires = NULL, progress = 0, stage = NULL WHERE id = ?1", err);
    if (!st) goto fail;
    sqlite3_bind_text(st, 1, row.job_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, release && row.attempts > 0 ? 1 : 0);
    if (release) sqlite3_bind_null(st, 3);
    else sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
    TRY(lmd_db_step_done(st, err));
    return lmd_db_commit(h, err);
fail:
    lmd_db_rollback(h);
    return -1;
}

int lmd_queue_expire(lmd_server *srv, sqlite3 *h, int *n, lm_error *err) {
    double now = lmd_now();
    *n = 0;
    TRY(lmd_db_begin(h, err));
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT " LEASE_ROW_COLUMNS " FROM jobs WHERE state = 'running' AND lease_expires < ?1", err);
    if (!st) goto fail;
    sqlite3_bind_double(st, 1, now);
    /* Collect first: the updates below change the rows being scanned. */
    lease_row *rows = NULL;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if ((size_t)*n == cap) rows = lm_xrealloc(rows, (cap = cap ? cap * 2 : 8) * sizeof *rows);
        read_lease_row(st, &rows[(*n)++]);
    }
    sqlite3_finalize(st);
    for (int i = 0; i < *n; i++) {
        lease_row *r = &rows[i];
        char why[256];
        snprintf(why, sizeof why, "lease expired: worker %s stopped sending heartbeats", r->worker);
        lm_warn("job %d of experiment %s: %s", r->idx, r->experiment_id, why);
        if (r->attempts >= srv->cfg.max_attempts) {
            if (fail_for_good(h, r, why, now, err)) { free(rows); goto fail; }
            continue;
        }
        /* The lease id stays: should that worker come back before anyone
         * else takes the job, its heartbeat takes the job back. */
        st = lmd_db_prepare(h, "UPDATE jobs SET state = 'queued', error = ?2, progress = 0,"
                               " stage = NULL, lease_expires = NULL WHERE id = ?1", err);
        if (!st) { free(rows); goto fail; }
        sqlite3_bind_text(st, 1, r->job_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, why, -1, SQLITE_TRANSIENT);
        if (lmd_db_step_done(st, err)) { free(rows); goto fail; }
    }
    free(rows);
    return lmd_db_commit(h, err);
fail:
    lmd_db_rollback(h);
    return -1;
}

int lmd_queue_recover(lmd_server *srv, sqlite3 *h, lm_error *err) {
    TRY(lmd_db_begin(h, err));
    sqlite3_stmt *st = lmd_db_prepare(h,
        "UPDATE jobs SET lease_expires = MAX(COALESCE(lease_expires, 0), ?1)"
        " WHERE state = 'running'", err);
    if (!st) goto fail;
    sqlite3_bind_double(st, 1, lmd_now() + srv->cfg.lease_seconds);
    TRY(lmd_db_step_done(st, err));
    int kept = sqlite3_changes(h);
    TRY(lmd_db_commit(h, err));
    if (kept) lm_info("kept %d running lease%s from before the restart", kept, kept == 1 ? "" : "s");
    return 0;
fail:
    lmd_db_rollback(h);
    return -1;
}

int lmd_queue_lease_target(sqlite3 *h, const char *lease_id, char experiment_out[37], int *job_idx,
                           lmd_lease_outcome *out, lm_error *err) {
    lease_row row;
    int found = find_lease(h, lease_id, &row, err);
    if (found < 0) return -1;
    *out = found ? outcome_of(&row) : LMD_LEASE_UNKNOWN;
    if (found) {
        memcpy(experiment_out, row.experiment_id, 37);
        *job_idx = row.idx;
    }
    return 0;
}

int lmd_queue_lease_job(sqlite3 *h, const char *lease_id, char **job_out, lm_error *err) {
    *job_out = NULL;
    sqlite3_stmt *st = lmd_db_prepare(h, "SELECT job FROM jobs WHERE lease_id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, lease_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *job_out = lm_xstrdup(lmd_db_text(st, 0));
    else if (rc != SQLITE_DONE) lm_fail(err, "database: %s", sqlite3_errmsg(h));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int lmd_queue_lease_inputs(sqlite3 *h, const char *lease_id, cJSON **list, lmd_lease_outcome *out, lm_error *err) {
    lease_row row;
    *list = NULL;
    int found = find_lease(h, lease_id, &row, err);
    if (found < 0) return -1;
    *out = found ? outcome_of(&row) : LMD_LEASE_UNKNOWN;
    if (*out != LMD_LEASE_OK) return 0;
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT a.job_idx, a.file, a.bytes FROM job_deps d JOIN jobs p ON p.id = d.after_id"
        " JOIN artifacts a ON a.experiment_id = p.experiment_id AND a.job_idx = p.idx"
        " WHERE d.job_id = ?1 ORDER BY a.job_idx, a.file", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, row.job_id, -1, SQLITE_STATIC);
    cJSON *arr = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *e = cJSON_CreateObject();
        char name[LMD_ARTIFACT_NAME_MAX + 16];
        snprintf(name, sizeof name, "%d/%s", sqlite3_column_int(st, 0), lmd_db_text(st, 1));
        cJSON_AddStringToObject(e, "name", name);
        cJSON_AddNumberToObject(e, "job", sqlite3_column_int(st, 0));
        cJSON_AddStringToObject(e, "file", lmd_db_text(st, 1));
        cJSON_AddNumberToObject(e, "bytes", (double)sqlite3_column_int64(st, 2));
        cJSON_AddItemToArray(arr, e);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(arr);
        return lm_fail(err, "database: %s", sqlite3_errmsg(h));
    }
    *list = arr;
    return 0;
}

int lmd_queue_lease_input(sqlite3 *h, const char *lease_id, int job_idx, char experiment_out[37], int *is_input,
                          lmd_lease_outcome *out, lm_error *err) {
    lease_row row;
    *is_input = 0;
    int found = find_lease(h, lease_id, &row, err);
    if (found < 0) return -1;
    *out = found ? outcome_of(&row) : LMD_LEASE_UNKNOWN;
    if (*out != LMD_LEASE_OK) return 0;
    memcpy(experiment_out, row.experiment_id, 37);
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT 1 FROM job_deps d JOIN jobs p ON p.id = d.after_id WHERE d.job_id = ?1 AND p.idx = ?2", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, row.job_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, job_idx);
    int rc = sqlite3_step(st);
    *is_input = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : lm_fail(err, "database: %s", sqlite3_errmsg(h));
}

int lmd_queue_job_results(sqlite3 *h, const char *experiment_id, const double *seeds, int n_seeds, cJSON *jobs,
                          cJSON *results, lm_error *err) {
    sqlite3_stmt *st =
        lmd_db_prepare(h, "SELECT job, result, seed FROM jobs WHERE experiment_id = ?1 ORDER BY idx", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, experiment_id, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (seeds) {
            int in = 0;
            for (int i = 0; sqlite3_column_type(st, 2) != SQLITE_NULL && i < n_seeds && !in; i++)
                in = seeds[i] == sqlite3_column_double(st, 2);
            if (!in) continue;
        }
        cJSON_AddItemToArray(jobs, cJSON_Parse(lmd_db_text(st, 0)));
        cJSON_AddItemToArray(results, cJSON_Parse(lmd_db_text(st, 1)));
    }
    sqlite3_finalize(st);
    return 0;
}

int lmd_queue_live_workers(lmd_server *srv, sqlite3 *h, int *n, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h, "SELECT COUNT(*) FROM workers WHERE last_seen >= ?1", err);
    if (!st) return -1;
    sqlite3_bind_double(st, 1, lmd_now() - 2 * srv->cfg.lease_seconds);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : lm_fail(err, "database: %s", sqlite3_errmsg(h));
}
