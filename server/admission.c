/* admission.c - the checks of admission.h: the server's side is reading
 * config.json (and a tokenizer's vocabulary) from the models folder; the
 * rules themselves are common/run/admit.c and common/run/memory.c. */
#include "admission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/config.h"
#include "pretrain/pretrain.h"
#include "run/admit.h"
#include "run/memory.h"
#include "tokenize/tokenizer.h"
#include "util/file.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

/* The config of a job's model; 1 when there is none to read (the built-in
 * default); -1 with field and err when it cannot be read. */
static int job_config(const lmd_config *c, const lm_spec *spec, const cJSON *job, lm_config *out,
                      char *field, size_t field_len, lm_error *err) {
    if (spec->is_pretrain) {
        char *dir = lm_path_join(c->models_dir, spec->pretrain.tokenizer);
        lm_tokenizer *tok = lm_tokenizer_load(dir, err);
        free(dir);
        if (!tok) {
            snprintf(field, field_len, "pretrain.tokenizer");
            return -1;
        }
        const lm_spec_pretrain *p = &spec->pretrain;
        lm_pretrain_model_config(lm_tokenizer_vocab_size(tok), p->hidden, p->layers, p->heads, p->ffn,
                                 p->block, out);
        lm_tokenizer_free(tok);
        return 0;
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(job, "model");
    const char *name = cJSON_IsString(m) ? m->valuestring : spec->model;
    if (!name) return 1;
    if (cJSON_IsString(m)) {
        for (int i = 0; i < spec->n_checkpoints; i++)
            if (!strcmp(spec->checkpoints[i], name)) snprintf(field, field_len, "checkpoints[%d]", i);
    } else {
        snprintf(field, field_len, "model");
    }
    char *dir = lm_path_join(c->models_dir, name);
    int rc = lm_config_load(dir, out, err);
    free(dir);
    return rc ? -1 : 0;
}

int lmd_admit_spec(lmd_server *srv, const char *spec_json, size_t len, const cJSON *jobs,
                   uint64_t **mem, lmd_reply *rep) {
    const lmd_config *c = &srv->cfg;
    lm_spec spec;
    char field[128] = "";
    lm_error err;
    *mem = NULL;
    if (lm_spec_parse(spec_json, len, &spec, field, sizeof field, &err)) {
        lmd_reply_error(rep, 400, "invalid_spec", field[0] ? field : NULL, "%s", err.msg);
        lm_spec_free(&spec);
        return -1;
    }
    int rc = 0;
    if (lm_run_check_data(&spec, c->data_root, field, sizeof field, &err)) {
        lmd_reply_error(rep, 400, "invalid_spec", field, "%s", err.msg);
        rc = -1;
    }
    int n = cJSON_GetArraySize(jobs), i = 0;
    uint64_t *bytes = lm_xcalloc((size_t)n + 1, sizeof *bytes);
    for (const cJSON *job = jobs->child; job && rc == 0 && c->models_dir; job = job->next, i++) {
        lm_config mc;
        int have = job_config(c, &spec, job, &mc, field, sizeof field, &err);
        if (have > 0) continue;
        if (have < 0) {
            lmd_reply_error(rep, 400, "invalid_spec", field, "%s", err.msg);
            rc = -1;
            break;
        }
        const cJSON *method = cJSON_GetObjectItemCaseSensitive(job, "method");
        const char *mname = cJSON_IsString(method) ? method->valuestring : "";
        lm_job_memory m;
        if (lm_run_job_memory(&spec, mname, &mc, &m, &err)) {
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
    lm_spec_free(&spec);
    if (rc) free(bytes);
    else *mem = bytes;
    return rc;
}
