/* api.h - the handlers of the routes in routes.c, one file per area:
 * api_experiments.c, api_leases.c, api_catalog.c, api_ops.c, static_files.c. */
#ifndef LMD_API_H
#define LMD_API_H

#include "http.h"

/* Experiments (users). */
void lmd_api_experiment_submit(lmd_request *req, lmd_reply *rep);
void lmd_api_experiment_list(lmd_request *req, lmd_reply *rep);
void lmd_api_experiment_csv(lmd_request *req, lmd_reply *rep);
void lmd_api_experiment_get(lmd_request *req, lmd_reply *rep);
void lmd_api_experiment_patch(lmd_request *req, lmd_reply *rep);
void lmd_api_experiment_cancel(lmd_request *req, lmd_reply *rep);
void lmd_api_experiment_rerun(lmd_request *req, lmd_reply *rep);
void lmd_api_experiment_tag_put(lmd_request *req, lmd_reply *rep);
void lmd_api_experiment_tag_delete(lmd_request *req, lmd_reply *rep);
void lmd_api_experiment_artifact(lmd_request *req, lmd_reply *rep);

/* Workers, as users see them. */
void lmd_api_workers(lmd_request *req, lmd_reply *rep);

/* Leases (workers). */
void lmd_api_lease_take(lmd_request *req, lmd_reply *rep);
void lmd_api_lease_heartbeat(lmd_request *req, lmd_reply *rep);
int lmd_api_lease_upload_begin(lmd_request *req, lmd_reply *rep);
void lmd_api_lease_upload(lmd_request *req, lmd_reply *rep);
void lmd_api_lease_complete(lmd_request *req, lmd_reply *rep);
void lmd_api_lease_fail(lmd_request *req, lmd_reply *rep);
void lmd_api_lease_inputs(lmd_request *req, lmd_reply *rep);
void lmd_api_lease_input(lmd_request *req, lmd_reply *rep);

/* Catalog. */
void lmd_api_models(lmd_request *req, lmd_reply *rep);
void lmd_api_tasks(lmd_request *req, lmd_reply *rep);
void lmd_api_schema(lmd_request *req, lmd_reply *rep);

/* Operations. */
void lmd_api_healthz(lmd_request *req, lmd_reply *rep);
void lmd_api_metrics(lmd_request *req, lmd_reply *rep);

/* The dashboard. */
void lmd_static_index(lmd_request *req, lmd_reply *rep);
void lmd_static_file(lmd_request *req, lmd_reply *rep);

/* Shared by the handlers. */
void lmd_reply_internal(lmd_reply *rep, const lm_error *err);
/* 400 for a query argument not in allowed (NULL-terminated); returns -1. */
int lmd_query_only(lmd_request *req, const char *const *allowed, lmd_reply *rep);

#endif
