/* routes.c - every route of the daemon in one table.  schema/openapi.yaml
 * documents exactly these (tests/openapi/ holds them equal, reading this
 * table's method, pattern, access and body columns). */
#include "api.h"

const lmd_route lmd_routes[] = {
    /* method  pattern                                  access              body */
    {"POST",   "/v1/experiments",                       LMD_ACCESS_USER,    LMD_BODY_JSON, 0, 0, NULL,
     lmd_api_experiment_submit},
    {"GET",    "/v1/experiments",                       LMD_ACCESS_READ,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_experiment_list},
    {"GET",    "/v1/experiments.csv",                   LMD_ACCESS_READ,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_experiment_csv},
    /* {id}: an experiment id, or its first 8 or more characters */
    {"GET",    "/v1/experiments/{id}",                  LMD_ACCESS_READ,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_experiment_get},
    {"PATCH",  "/v1/experiments/{id}",                  LMD_ACCESS_USER,    LMD_BODY_JSON, 0, 0, NULL,
     lmd_api_experiment_patch},
    /* cancel; with ?purge=true delete a finished experiment */
    {"DELETE", "/v1/experiments/{id}",                  LMD_ACCESS_USER,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_experiment_cancel},
    {"POST",   "/v1/experiments/{id}/rerun",            LMD_ACCESS_USER,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_experiment_rerun},
    {"PUT",    "/v1/experiments/{id}/tags/{tag}",       LMD_ACCESS_USER,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_experiment_tag_put},
    {"DELETE", "/v1/experiments/{id}/tags/{tag}",       LMD_ACCESS_USER,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_experiment_tag_delete},
    /* name is "result.json", "[<model>/]seed<S>/<method>/<file>" or
     * "<job index>/<file>": it takes the rest of the path. */
    {"GET",    "/v1/experiments/{id}/artifacts/{name}", LMD_ACCESS_READ,    LMD_BODY_NONE, 1, 0, NULL,
     lmd_api_experiment_artifact},
    {"GET",    "/v1/workers",                           LMD_ACCESS_READ,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_workers},
    {"GET",    "/v1/models",                            LMD_ACCESS_READ,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_models},
    {"GET",    "/v1/tasks",                             LMD_ACCESS_READ,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_tasks},
    {"GET",    "/v1/schema",                            LMD_ACCESS_READ,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_schema},
    {"POST",   "/v1/leases",                            LMD_ACCESS_WORKER,  LMD_BODY_JSON, 0, 0, NULL,
     lmd_api_lease_take},
    {"POST",   "/v1/leases/{lease}/heartbeat",          LMD_ACCESS_WORKER,  LMD_BODY_JSON, 0, 0, NULL,
     lmd_api_lease_heartbeat},
    /* name is a file, or a folder and a file ("finetuned-model/config.json") */
    {"PUT",    "/v1/leases/{lease}/artifacts/{name}",   LMD_ACCESS_WORKER,  LMD_BODY_FILE, 1, 0,
     lmd_api_lease_upload_begin, lmd_api_lease_upload},
    {"POST",   "/v1/leases/{lease}/complete",           LMD_ACCESS_WORKER,  LMD_BODY_JSON, 0, 0, NULL,
     lmd_api_lease_complete},
    {"POST",   "/v1/leases/{lease}/fail",               LMD_ACCESS_WORKER,  LMD_BODY_JSON, 0, 0, NULL,
     lmd_api_lease_fail},
    /* the artifacts of the jobs the lease's job is after (a merge job's
     * tiles); name is "<job index>/<file>" */
    {"GET",    "/v1/leases/{lease}/inputs",             LMD_ACCESS_WORKER,  LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_lease_inputs},
    {"GET",    "/v1/leases/{lease}/inputs/{name}",      LMD_ACCESS_WORKER,  LMD_BODY_NONE, 1, 0, NULL,
     lmd_api_lease_input},
    {"GET",    "/healthz",                              LMD_ACCESS_OPEN,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_healthz},
    {"GET",    "/metrics",                              LMD_ACCESS_READ,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_api_metrics},
    {"GET",    "/",                                     LMD_ACCESS_OPEN,    LMD_BODY_NONE, 0, 0, NULL,
     lmd_static_index},
    /* The dashboard's files: tried only when no route above has the path. */
    {"GET",    "/{path}",                               LMD_ACCESS_OPEN,    LMD_BODY_NONE, 1, 1, NULL,
     lmd_static_file},
};

const int lmd_n_routes = (int)(sizeof lmd_routes / sizeof lmd_routes[0]);
