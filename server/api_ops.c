/* api_ops.c - /healthz and /metrics, for load balancers and Prometheus. */
#include "api.h"

#include <string.h>
#include "db.h"
#include "metrics.h"

void lmd_api_healthz(lmd_request *req, lmd_reply *rep) {
    lmd_server *srv = req->srv;
    lm_error err;
    lmd_db_conn *c = lmd_db_acquire(&srv->db);
    int db_ok = lmd_db_exec(c->h, "SELECT 1", &err) == 0;
    lmd_db_release(c);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", db_ok ? "ok" : "database unavailable");
    cJSON_AddStringToObject(o, "version", LMNTK_VERSION);
    cJSON_AddStringToObject(o, "runner", srv->runner.name);
    cJSON_AddNumberToObject(o, "uptime_seconds", lmd_now() - srv->started_at);
    lmd_reply_json(rep, db_ok ? 200 : 503, o);
    rep->no_store = 1;
}

void lmd_api_metrics(lmd_request *req, lmd_reply *rep) {
    lm_error err;
    char *text = lmd_metrics_render(req->srv, &err);
    if (!text) { lmd_reply_internal(rep, &err); return; }
    lmd_reply_text(rep, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    rep->no_store = 1;
}
