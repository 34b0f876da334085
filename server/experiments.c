/* experiments.c - the read side of experiments: rows to API JSON. */
#include "experiments.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "artifacts.h"
#include "db.h"
#include "run/run.h"

int lmd_state_valid(const char *s) {
    static const char *states[] = {"queued", "running", "succeeded", "failed", "cancelled"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (!strcmp(s, states[i])) return 1;
    return 0;
}

cJSON *lmd_time_json(sqlite3_stmt *st, int col) {
    if (sqlite3_column_type(st, col) == SQLITE_NULL) return cJSON_CreateNull();
    double t = sqlite3_column_double(st, col);
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[40], out[48];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms = (int)((t - (double)secs) * 1000);
    snprintf(out, sizeof out, "%s.%03dZ", buf, ms < 0 ? 0 : ms > 999 ? 999 : ms);
    return cJSON_CreateString(out);
}

static cJSON *text_or_null(sqlite3_stmt *st, int col) {
    const char *s = lmd_db_text(st, col);
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* A JSON column parsed back into the tree (it was stored by us, so valid). */
static cJSON *json_or_null(sqlite3_stmt *st, int col) {
    const char *s = lmd_db_text(st, col);
    cJSON *v = s ? cJSON_Parse(s) : NULL;
    return v ? v : cJSON_CreateNull();
}

/* The columns both views share, in this order. */
#define SUMMARY_COLUMNS \
    "e.seq, e.id, json_extract(e.spec, '$.name'), e.state, e.task, e.model, e.n_jobs," \
    " e.created_at, e.updated_at, e.finished_at, e.error," \
    " (SELECT AVG(CASE j.state WHEN 'succeeded' THEN 1.0 ELSE j.progress END)" \
    "  FROM jobs j WHERE j.experiment_id = e.id)"

static cJSON *summary(sqlite3_stmt *st) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "id", text_or_null(st, 1));
    cJSON_AddItemToObject(o, "name", text_or_null(st, 2));
    cJSON_AddItemToObject(o, "state", text_or_null(st, 3));
    cJSON_AddItemToObject(o, "task", text_or_null(st, 4));
    cJSON_AddItemToObject(o, "model", text_or_null(st, 5));
    cJSON_AddNumberToObject(o, "n_jobs", sqlite3_column_int(st, 6));
    cJSON_AddNumberToObject(o, "progress", sqlite3_column_double(st, 11));
    cJSON_AddItemToObject(o, "created_at", lmd_time_json(st, 7));
    cJSON_AddItemToObject(o, "updated_at", lmd_time_json(st, 8));
    cJSON_AddItemToObject(o, "finished_at", lmd_time_json(st, 9));
    cJSON_AddItemToObject(o, "error", text_or_null(st, 10));
    return o;
}

/* The display names of the spec's methods, so that the dashboard shows
 * what the CLI prints (an empty object for a spec the runner cannot read). */
static cJSON *method_labels(const char *spec_text) {
    cJSON *labels = NULL;
    lm_error err;
    if (!spec_text || lm_run_method_labels(spec_text, &labels, &err) != 0) return cJSON_CreateObject();
    return labels;
}

static int add_jobs(sqlite3 *h, const char *artifacts_dir, const char *id, cJSON *o, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT idx, id, seed, method, job, state, attempts, progress, stage, worker, error,"
        " result, started_at, finished_at, lease_expires"
        " FROM jobs WHERE experiment_id = ?1 ORDER BY idx", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    cJSON *jobs = cJSON_AddArrayToObject(o, "jobs");
    cJSON *counts = cJSON_AddObjectToObject(o, "jobs_by_state");
    static const char *states[] = {"queued", "running", "succeeded", "failed", "cancelled"};
    for (int i = 0; i < 5; i++) cJSON_AddNumberToObject(counts, states[i], 0);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *j = cJSON_CreateObject();
        int idx = sqlite3_column_int(st, 0);
        cJSON_AddNumberToObject(j, "index", idx);
        cJSON_AddItemToObject(j, "id", text_or_null(st, 1));
        if (sqlite3_column_type(st, 2) == SQLITE_NULL) cJSON_AddNullToObject(j, "seed");
        else cJSON_AddNumberToObject(j, "seed", (double)sqlite3_column_int64(st, 2));
        cJSON_AddItemToObject(j, "method", text_or_null(st, 3));
        cJSON_AddItemToObject(j, "job", json_or_null(st, 4));
        cJSON_AddItemToObject(j, "state", text_or_null(st, 5));
        cJSON_AddNumberToObject(j, "attempts", sqlite3_column_int(st, 6));
        cJSON_AddNumberToObject(j, "progress", sqlite3_column_double(st, 7));
        cJSON_AddItemToObject(j, "stage", text_or_null(st, 8));
        cJSON_AddItemToObject(j, "worker", text_or_null(st, 9));
        cJSON_AddItemToObject(j, "error", text_or_null(st, 10));
        cJSON_AddItemToObject(j, "result", json_or_null(st, 11));
        cJSON_AddItemToObject(j, "started_at", lmd_time_json(st, 12));
        cJSON_AddItemToObject(j, "finished_at", lmd_time_json(st, 13));
        cJSON_AddItemToObject(j, "lease_expires", lmd_time_json(st, 14));
        cJSON_AddItemToObject(j, "artifacts", lmd_artifact_list(artifacts_dir, id, idx));
        cJSON_AddItemToArray(jobs, j);
        cJSON *c = cJSON_GetObjectItemCaseSensitive(counts, lmd_db_text(st, 5));
        if (c) cJSON_SetNumberValue(c, c->valuedouble + 1);
    }
    sqlite3_finalize(st);
    return 0;
}

int lmd_experiment_view(sqlite3 *h, const char *artifacts_dir, const char *id, cJSON **out,
                        lm_error *err) {
    *out = NULL;
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT " SUMMARY_COLUMNS ", e.spec, e.result FROM experiments e WHERE e.id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    /* One read transaction, so the experiment and its jobs agree. */
    if (lmd_db_exec(h, "BEGIN", err)) { sqlite3_finalize(st); return -1; }
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *o = summary(st);
        cJSON_AddItemToObject(o, "spec", json_or_null(st, 12));
        cJSON_AddItemToObject(o, "method_labels", method_labels(lmd_db_text(st, 12)));
        cJSON *result = json_or_null(st, 13);
        cJSON *diag = cJSON_GetObjectItemCaseSensitive(result, "diagnostics");
        cJSON_AddItemToObject(o, "diagnostics", diag ? cJSON_Duplicate(diag, 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "result", result);
        cJSON_AddItemToObject(o, "artifacts", lmd_artifact_list(artifacts_dir, id, -1));
        rc = add_jobs(h, artifacts_dir, id, o, err);
        if (rc == 0) *out = o;
        else cJSON_Delete(o);
    }
    sqlite3_finalize(st);
    lmd_db_exec(h, "COMMIT", NULL);
    return rc;
}

int lmd_experiment_page(sqlite3 *h, const lmd_experiment_filter *f, cJSON **out, lm_error *err) {
    *out = NULL;
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT " SUMMARY_COLUMNS " FROM experiments e"
        " WHERE (?1 IS NULL OR e.state = ?1) AND (?2 IS NULL OR e.task = ?2)"
        " AND (?3 IS NULL OR e.model = ?3) AND (?4 = 0 OR e.seq < ?4)"
        " ORDER BY e.seq DESC LIMIT ?5", err);
    if (!st) return -1;
    lmd_db_bind_text(st, 1, f->state);
    lmd_db_bind_text(st, 2, f->task);
    lmd_db_bind_text(st, 3, f->model);
    sqlite3_bind_int64(st, 4, f->before_seq);
    sqlite3_bind_int(st, 5, f->limit + 1); /* one more tells whether a next page exists */
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "experiments");
    int n = 0;
    long long last_seq = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == f->limit) break;
        cJSON_AddItemToArray(list, summary(st));
        last_seq = sqlite3_column_int64(st, 0);
        n++;
    }
    int more = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        lm_fail(err, "database: %s", sqlite3_errmsg(h));
        sqlite3_finalize(st);
        cJSON_Delete(o);
        return -1;
    }
    sqlite3_finalize(st);
    if (more) {
        char cursor[32];
        snprintf(cursor, sizeof cursor, "%lld", last_seq);
        cJSON_AddStringToObject(o, "next_cursor", cursor);
    } else {
        cJSON_AddNullToObject(o, "next_cursor");
    }
    *out = o;
    return 0;
}
