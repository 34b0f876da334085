/* experiments.c - the read side of experiments: rows to API JSON. */
#include "experiments.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "artifacts.h"
#include "db.h"
#include "experiment/methods.h"
#include "experiments_query.h"

static const char *const states[] = {"queued", "running", "succeeded", "failed", "cancelled"};

int lmd_state_bits(const char *list, unsigned *bits) {
    *bits = 0;
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        int found = 0;
        for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
            if (strlen(states[i]) == n && !strncmp(p, states[i], n)) *bits |= 1u << i, found = 1;
        if (!found) return -1;
        if (!p[n]) return 0;
        p += n + 1;
    }
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

cJSON *lmd_int_json(sqlite3_stmt *st, int col) {
    if (sqlite3_column_type(st, col) == SQLITE_NULL) return cJSON_CreateNull();
    return cJSON_CreateNumber((double)sqlite3_column_int64(st, col));
}

cJSON *lmd_text_json(sqlite3_stmt *st, int col) {
    const char *s = lmd_db_text(st, col);
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* A JSON column parsed back into the tree (it was stored by us, so valid). */
static cJSON *json_or_null(sqlite3_stmt *st, int col) {
    const char *s = lmd_db_text(st, col);
    cJSON *v = s ? cJSON_Parse(s) : NULL;
    return v ? v : cJSON_CreateNull();
}


int lmd_experiment_resolve(sqlite3 *h, const char *given, const char *owner, char id_out[37],
                           char *owner_out, size_t owner_cap, lm_error *err) {
    size_t n = strlen(given);
    char prefix[37];
    if (n < 8 || n > 36) return 0;
    for (size_t i = 0; i <= n; i++) {
        char c = (char)tolower((unsigned char)given[i]);
        if (c && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-')) return 0;
        prefix[i] = c;
    }
    /* ids are [0-9a-f-]: all of them below 'z', so [prefix, prefix+"z")
     * holds exactly the ids that start with prefix, and the index finds them */
    sqlite3_stmt *st = lmd_db_prepare(h, "SELECT id, owner FROM experiments WHERE id >= ?1 AND id < ?1 || 'z'"
                                         " AND (?2 IS NULL OR owner = ?2) ORDER BY id LIMIT 2", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
    lmd_db_bind_text(st, 2, owner);
    int found = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!found) {
            snprintf(id_out, 37, "%s", lmd_db_text(st, 0));
            const char *o = lmd_db_text(st, 1);
            snprintf(owner_out, owner_cap, "%s", o ? o : "");
        }
        found++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return lm_fail(err, "database: %s", sqlite3_errmsg(h));
    return found == 0 ? 0 : found == 1 || !strcmp(id_out, prefix) ? 1 : 2;
}

/* The summary of the row st stands on (columns of LMD_SUMMARY_COLUMNS). */
cJSON *lmd_summary_json(sqlite3_stmt *st) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "id", lmd_text_json(st, 1));
    cJSON_AddItemToObject(o, "name", lmd_text_json(st, 2));
    cJSON_AddItemToObject(o, "state", lmd_text_json(st, 3));
    cJSON_AddItemToObject(o, "task", lmd_text_json(st, 4));
    cJSON_AddItemToObject(o, "model", lmd_text_json(st, 5));
    cJSON_AddNumberToObject(o, "n_jobs", sqlite3_column_int(st, 6));
    cJSON_AddNumberToObject(o, "progress", sqlite3_column_double(st, 11));
    cJSON_AddItemToObject(o, "created_at", lmd_time_json(st, 7));
    cJSON_AddItemToObject(o, "updated_at", lmd_time_json(st, 8));
    cJSON_AddItemToObject(o, "finished_at", lmd_time_json(st, 9));
    cJSON_AddItemToObject(o, "error", lmd_text_json(st, 10));
    cJSON_AddItemToObject(o, "tags", json_or_null(st, 17));
    cJSON_AddItemToObject(o, "rerun_of", lmd_text_json(st, 16));
    int total = sqlite3_column_int(st, 14), done = sqlite3_column_int(st, 15);
    cJSON_AddNumberToObject(o, "seeds_total", total);
    cJSON_AddNumberToObject(o, "seeds_done", done);
    cJSON_AddNumberToObject(o, "remaining_seeds", total > done ? total - done : 0);
    cJSON_AddItemToObject(o, "metrics", json_or_null(st, 12));
    cJSON_AddBoolToObject(o, "metrics_partial", sqlite3_column_int(st, 13));
    cJSON_AddItemToObject(o, "owner", lmd_text_json(st, 18));
    /* the spec's k (its default 16 when it names none), for the runs table;
     * null for pre-training, which has no task and no k */
    cJSON_AddItemToObject(o, "k", lmd_int_json(st, 19));
    return o;
}

/* The display names of the spec's methods, so that the dashboard shows
 * what the CLI prints (an empty object for a spec that cannot be read). */
static cJSON *method_labels(const char *spec_text) {
    cJSON *labels = NULL;
    lm_error err;
    if (!spec_text || lm_method_labels(spec_text, &labels, &err) != 0) return cJSON_CreateObject();
    return labels;
}

/* One experiment's artifacts: "artifacts" (its own, as names), "files"
 * (every one, described) and each job's "artifacts" as "<index>/<file>"
 * names, the form older clients build. */
static int add_artifacts(sqlite3 *h, const char *id, cJSON *o, cJSON *jobs, lm_error *err) {
    cJSON *files = lmd_artifact_files(h, id, err);
    if (!files) return -1;
    cJSON *own = cJSON_AddArrayToObject(o, "artifacts");
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        const cJSON *job = cJSON_GetObjectItemCaseSensitive(f, "job");
        const char *file = cJSON_GetObjectItemCaseSensitive(f, "file")->valuestring;
        if (!cJSON_IsNumber(job)) {
            cJSON_AddItemToArray(own, cJSON_CreateString(file));
            continue;
        }
        cJSON *names = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(jobs, (int)job->valuedouble), "artifacts");
        char name[400];
        snprintf(name, sizeof name, "%d/%s", (int)job->valuedouble, file);
        if (names) cJSON_AddItemToArray(names, cJSON_CreateString(name));
    }
    cJSON_AddItemToObject(o, "files", files);
    return 0;
}

static int add_jobs(sqlite3 *h, const char *id, cJSON *o, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT idx, id, seed, method, job, state, attempts, progress, stage, worker, error,"
        " result, started_at, finished_at, lease_expires, json_extract(job, '$.label'),"
        " json_extract(job, '$.model')"
        " FROM jobs WHERE experiment_id = ?1 ORDER BY idx", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    cJSON *jobs = cJSON_AddArrayToObject(o, "jobs");
    cJSON *counts = cJSON_AddObjectToObject(o, "jobs_by_state");
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) cJSON_AddNumberToObject(counts, states[i], 0);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "index", sqlite3_column_int(st, 0));
        cJSON_AddItemToObject(j, "id", lmd_text_json(st, 1));
        cJSON_AddItemToObject(j, "seed", lmd_int_json(st, 2));
        cJSON_AddItemToObject(j, "method", lmd_text_json(st, 3));
        cJSON_AddItemToObject(j, "label", lmd_text_json(st, 15));
        cJSON_AddItemToObject(j, "model", lmd_text_json(st, 16));
        cJSON_AddItemToObject(j, "job", json_or_null(st, 4));
        cJSON_AddItemToObject(j, "state", lmd_text_json(st, 5));
        cJSON_AddNumberToObject(j, "attempts", sqlite3_column_int(st, 6));
        cJSON_AddNumberToObject(j, "progress", sqlite3_column_double(st, 7));
        cJSON_AddItemToObject(j, "stage", lmd_text_json(st, 8));
        cJSON_AddItemToObject(j, "worker", lmd_text_json(st, 9));
        cJSON_AddItemToObject(j, "error", lmd_text_json(st, 10));
        cJSON_AddItemToObject(j, "result", json_or_null(st, 11));
        cJSON_AddItemToObject(j, "started_at", lmd_time_json(st, 12));
        cJSON_AddItemToObject(j, "finished_at", lmd_time_json(st, 13));
        cJSON_AddItemToObject(j, "lease_expires", lmd_time_json(st, 14));
        cJSON_AddArrayToObject(j, "artifacts");
        cJSON_AddItemToArray(jobs, j);
        cJSON *c = cJSON_GetObjectItemCaseSensitive(counts, lmd_db_text(st, 5));
        if (c) cJSON_SetNumberValue(c, c->valuedouble + 1);
    }
    sqlite3_finalize(st);
    return add_artifacts(h, id, o, jobs, err);
}

int lmd_experiment_summary(sqlite3 *h, const char *id, cJSON **out, lm_error *err) {
    *out = NULL;
    sqlite3_stmt *st = lmd_db_prepare(h, "SELECT " LMD_SUMMARY_COLUMNS " FROM experiments e WHERE e.id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) *out = lmd_summary_json(st);
    sqlite3_finalize(st);
    return 0;
}

int lmd_experiment_view(sqlite3 *h, const char *id, cJSON **out, lm_error *err) {
    *out = NULL;
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT " LMD_SUMMARY_COLUMNS ", e.spec, e.result, e.partial FROM experiments e WHERE e.id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    /* One read transaction, so the experiment and its jobs agree. */
    if (lmd_db_exec(h, "BEGIN", err)) { sqlite3_finalize(st); return -1; }
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *o = lmd_summary_json(st);
        int col = LMD_SUMMARY_NCOLS;
        cJSON_AddItemToObject(o, "spec", json_or_null(st, col));
        cJSON_AddItemToObject(o, "method_labels", method_labels(lmd_db_text(st, col)));
        cJSON *result = json_or_null(st, col + 1);
        cJSON *diag = cJSON_GetObjectItemCaseSensitive(result, "diagnostics");
        cJSON_AddItemToObject(o, "diagnostics", diag ? cJSON_Duplicate(diag, 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "result", result);
        cJSON_AddItemToObject(o, "partial_result", json_or_null(st, col + 2));
        rc = add_jobs(h, id, o, err);
        if (rc == 0) *out = o;
        else cJSON_Delete(o);
    }
    sqlite3_finalize(st);
    lmd_db_exec(h, "COMMIT", NULL);
    return rc;
}

int lmd_experiment_page(sqlite3 *h, const lmd_experiment_filter *f, cJSON **out, char field[32],
                        lm_error *err) {
    *out = NULL;
    lmd_query q;
    int rc = lmd_query_open(h, f, "", 1, &q, field, err);
    if (rc) return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "experiments");
    int n = 0, more = 0;
    while ((rc = sqlite3_step(q.st)) == SQLITE_ROW) {
        if (n == f->limit) { more = 1; break; }
        cJSON_AddItemToArray(list, lmd_summary_json(q.st));
        lmd_query_note_last(&q);
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        lm_fail(err, "database: %s", sqlite3_errmsg(h));
        lmd_query_close(&q);
        cJSON_Delete(o);
        return -1;
    }
    if (more) {
        char *cursor = lmd_query_cursor(&q);
        cJSON_AddStringToObject(o, "next_cursor", cursor);
        free(cursor);
    } else {
        cJSON_AddNullToObject(o, "next_cursor");
    }
    long long total = 0;
    rc = lmd_query_count(h, f, &total, err);
    lmd_query_close(&q);
    if (rc) { cJSON_Delete(o); return -1; }
    cJSON_AddNumberToObject(o, "total", (double)total);
    *out = o;
    return 0;
}
