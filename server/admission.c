/* admission.c - the checks of admission.h, from the HTTP side: the rules
 * and the reading of config.json are common/admit/data.c and
 * common/admit/memory.c. */
#include "admission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admit/data.h"
#include "admit/memory.h"
#include "admit/shards.h"
#include "queue.h"
#include "util/file.h"
#include "util/log.h"
#include "util/rootpath.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

int lmd_admit_spec(lmd_server *srv, const lm_spec *spec, const cJSON *jobs, uint64_t **mem, lmd_reply *rep) {
    const lmd_config *c = &srv->cfg;
    char field[128] = "";
    lm_error err;
    *mem = NULL;
    int rc = 0;
    if (lm_admit_check_data(spec, c->data_root, field, sizeof field, &err)) {
        lmd_reply_error(rep, 400, "invalid_spec", field, "%s", err.msg);
        rc = -1;
    }
    int n = cJSON_GetArraySize(jobs), i = 0;
    uint64_t *bytes = lm_xcalloc((size_t)n + 1, sizeof *bytes);
    /* a model's config.json is read once for its run of jobs (a sweep's
     * jobs of one checkpoint are consecutive), not once per job */
    lm_config mc;
    const char *read_for = NULL;
    int have = 1;
    for (const cJSON *job = jobs->child; job && rc == 0 && c->models_dir; job = job->next, i++) {
        const cJSON *jm = cJSON_GetObjectItemCaseSensitive(job, "model");
        const char *name = cJSON_IsString(jm) ? jm->valuestring : "";
        if (!read_for || strcmp(name, read_for)) {
            have = lm_admit_job_config(spec, job, c->models_dir, &mc, field, sizeof field, &err);
            read_for = name;
        }
        if (have > 0) continue;
        if (have < 0) {
            lmd_reply_error(rep, 400, "invalid_spec", field, "%s", err.msg);
            rc = -1;
            break;
        }
        const cJSON *method = cJSON_GetObjectItemCaseSensitive(job, "method");
        const char *mname = cJSON_IsString(method) ? method->valuestring : "";
        lm_job_memory m;
        if (lm_admit_job_memory(spec, mname, &mc, &m, &err)) {
            lmd_reply_error(rep, 400, "invalid_spec", NULL, "job %d: %s", i, err.msg);
            rc = -1;
            break;
        }
        bytes[i] = m.total;
        if (m.total > c->max_job_memory) {
            lmd_reply_error(rep, 400, "invalid_spec", m.field,
                            "job %d (%s) needs at least %.2f GiB (weights %.2f, training state %.2f, "
                            "activations %.2f, projection %.2f, kernels %.2f), more than the %.2f GiB "
                            "of the largest worker (max_job_memory)",
                            i, mname, m.total / GIB, m.weights / GIB, m.state / GIB,
                            m.activations / GIB, m.projection / GIB, m.kernels / GIB,
                            c->max_job_memory / GIB);
            rc = -1;
        }
    }
    if (rc) free(bytes);
    else *mem = bytes;
    return rc;
}

int lmd_admit_auto_shards(lmd_server *srv, const lm_spec *spec) {
    const lmd_config *c = &srv->cfg;
    char field[128];
    lm_error err;
    int shards = 1;
    if (spec->is_pretrain || !spec->has_kernel || spec->kernel.shards > 0 || !c->models_dir) return shards;
    /* the model of the first job: a sweep's first checkpoint */
    cJSON *job = cJSON_CreateObject();
    if (spec->n_checkpoints) cJSON_AddStringToObject(job, "model", spec->checkpoints[0]);
    lm_config mc;
    int have = lm_admit_job_config(spec, job, c->models_dir, &mc, field, sizeof field, &err);
    cJSON_Delete(job);
    if (have == 0) {
        char *split = NULL, *leaf_rel = NULL;
        if (c->data_root && spec->n_seeds > 0) {
            char leaf[64];
            snprintf(leaf, sizeof leaf, "%d-%u", spec->k, spec->seeds[0]);
            leaf_rel = lm_path_join(spec->data, leaf);
            if (lm_root_path_resolve(c->data_root, leaf_rel, LM_ROOT_DIR, &split, &err)) split = NULL;
        }
        int live = 0;
        lmd_db_conn *conn = lmd_db_acquire(&srv->db);
        if (lmd_queue_live_workers(srv, conn->h, &live, &err)) live = 0;
        lmd_db_release(conn);
        lm_shard_estimate est;
        lm_admit_shards(spec, &mc, split, live, &est);
        shards = est.shards;
        lm_info("auto shards: %.3g FLOPs, about %.0f s on one worker, %d live worker%s: %d tile%s per kernel",
                est.flops, est.seconds, live, live == 1 ? "" : "s", shards, shards == 1 ? "" : "s");
        free(split);
        free(leaf_rel);
    }
    return shards;
}
