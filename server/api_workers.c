/* api_workers.c - GET /v1/workers: the workers the daemon has heard from,
 * what each runs now, and whether any is alive while jobs wait (the
 * dashboard warns when none is). */
#include "api.h"

#include <stdio.h>
#include "db.h"
#include "experiments.h"

void lmd_api_workers(lmd_request *req, lmd_reply *rep) {
    static const char *const allowed[] = {NULL};
    if (lmd_query_only(req, allowed, rep)) return;
    lmd_server *srv = req->srv;
    /* alive: heard from within two lease times (as /metrics counts them) */
    double alive_since = lmd_now() - 2 * srv->cfg.lease_seconds;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&srv->db);
    sqlite3_stmt *st = lmd_db_prepare(c->h,
        "SELECT w.name, w.host, w.mem_limit_bytes, w.first_seen, w.last_seen, w.last_seen >= ?1,"
        " j.experiment_id, j.idx, j.seed, j.method, j.progress, j.stage, j.started_at"
        " FROM workers w LEFT JOIN jobs j ON j.id ="
        "  (SELECT id FROM jobs WHERE worker = w.name AND state = 'running' ORDER BY started_at DESC LIMIT 1)"
        " ORDER BY w.last_seen DESC", &err);
    cJSON *o = NULL;
    if (st) {
        sqlite3_bind_double(st, 1, alive_since);
        o = cJSON_CreateObject();
        cJSON *list = cJSON_AddArrayToObject(o, "workers");
        int live = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            cJSON *w = cJSON_CreateObject();
            cJSON_AddStringToObject(w, "name", lmd_db_text(st, 0));
            cJSON_AddItemToObject(w, "host", lmd_text_json(st, 1));
            cJSON_AddItemToObject(w, "mem_limit_bytes", lmd_int_json(st, 2));
            cJSON_AddItemToObject(w, "first_seen", lmd_time_json(st, 3));
            cJSON_AddItemToObject(w, "last_heartbeat", lmd_time_json(st, 4));
            int alive = sqlite3_column_int(st, 5);
            live += alive;
            cJSON_AddBoolToObject(w, "alive", alive);
            if (sqlite3_column_type(st, 6) == SQLITE_NULL) {
                cJSON_AddNullToObject(w, "job");
            } else {
                cJSON *j = cJSON_AddObjectToObject(w, "job");
                cJSON_AddStringToObject(j, "experiment_id", lmd_db_text(st, 6));
                cJSON_AddNumberToObject(j, "index", sqlite3_column_int(st, 7));
                cJSON_AddItemToObject(j, "seed", lmd_int_json(st, 8)); /* null: pretrain */
                cJSON_AddStringToObject(j, "method", lmd_db_text(st, 9) ? lmd_db_text(st, 9) : "");
                cJSON_AddNumberToObject(j, "progress", sqlite3_column_double(st, 10));
                cJSON_AddItemToObject(j, "stage", lmd_text_json(st, 11));
                cJSON_AddItemToObject(j, "started_at", lmd_time_json(st, 12));
            }
            cJSON_AddItemToArray(list, w);
        }
        sqlite3_finalize(st);
        cJSON_AddNumberToObject(o, "alive", live);
        st = lmd_db_prepare(c->h, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'", &err);
        if (st && sqlite3_step(st) == SQLITE_ROW) cJSON_AddNumberToObject(o, "queued_jobs", sqlite3_column_int(st, 0));
        if (st) sqlite3_finalize(st);
        else { cJSON_Delete(o); o = NULL; }
    }
    lmd_db_release(c);
    if (!o) { lmd_reply_internal(rep, &err); return; }
    lmd_reply_json(rep, 200, o);
    rep->no_store = 1;
}
