/* fuzz_complete_result.c - the job results workers report with
 * POST /v1/leases/{lease}/complete, through what lmntkd does with them
 * (common/experiment): the check before a result is stored
 * (lm_experiment_check_result), then, once every job is in, aggregation
 * (lm_experiment_aggregate) of multi-job experiments.
 *
 * Input: one byte picking the experiment's spec, then a JSON array of job
 * results.  The array is read as lmd_request_json reads a body (strict),
 * each element must be an object as the complete handler requires, and each
 * goes through the database as text (cJSON_PrintUnformatted, cJSON_Parse),
 * as server/queue.c stores and reloads it.  Results are dealt to the jobs
 * in turn, repeating the array when it is shorter than the job list; a job
 * whose result the check refuses gets the first one it accepts (the worker
 * would have retried), and when none passes there is nothing to aggregate.
 *
 * Checked beyond "no crash, no leak, no UB": a refusal names a reason, and
 * results that all passed the check aggregate into an object that prints
 * (the check and the aggregation agree on what a result must hold). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "fuzz_util.h"
#include "experiment/experiment.h"
#include "spec/json_strict.h"
#include "util/file.h"

/* The experiments of tests/fixtures/experiment (kernels; kernels and
 * fine-tuning with diagnostics; a checkpoint sweep), whose real job results
 * are the seeds, and a pre-training run. */
static char *specs[4];

static void load_specs(void) {
    if (specs[0]) return;
    static const char *const dirs[3] = {"kernels", "finetune", "sweep"};
    for (int i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/tests/fixtures/experiment/%s/spec.json", fuzz_source_root(), dirs[i]);
        lm_error err;
        if (!(specs[i] = lm_read_file(path, NULL, &err))) {
            fprintf(stderr, "fuzz_complete_result: %s\n", err.msg);
            abort();
        }
    }
    specs[3] = lm_xstrdup("{\"pretrain\":{\"tokenizer\":\"default\",\"corpus\":[\"c.txt\"],\"out\":\"run\"}}");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    load_specs();
    const char *spec = specs[data[0] % 4];
    char field[256];
    lm_error err = {{0}};
    cJSON *arr = lm_json_parse_strict((const char *)data + 1, size - 1, field, sizeof field, &err);
    int n_given = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    cJSON *jobs = NULL;
    if (n_given == 0 || lm_experiment_jobs(spec, &jobs, &err) != 0) {
        if (!jobs && n_given) abort(); /* the fixed specs are valid */
        cJSON_Delete(arr);
        return 0;
    }
    int nj = cJSON_GetArraySize(jobs);
    cJSON *results = cJSON_CreateArray();
    for (int j = 0; j < nj; j++) {
        const cJSON *job = cJSON_GetArrayItem(jobs, j);
        cJSON *accepted = NULL;
        for (int k = 0; k < n_given && !accepted; k++) {
            const cJSON *r = cJSON_GetArrayItem(arr, (j + k) % n_given);
            if (!cJSON_IsObject(r)) continue; /* the complete handler refuses it (400) */
            lm_error_clear(&err);
            if (lm_experiment_check_result(job, r, field, sizeof field, &err) != 0) {
                if (!err.msg[0]) abort();
                continue;
            }
            char *text = cJSON_PrintUnformatted(r);
            accepted = cJSON_Parse(text);
            free(text);
        }
        if (!accepted) goto done;
        cJSON_AddItemToArray(results, accepted);
    }
    cJSON *out = NULL;
    if (lm_experiment_aggregate(spec, jobs, results, &out, &err) != 0) {
        fprintf(stderr, "fuzz_complete_result: checked results do not aggregate: %s\n", err.msg);
        abort();
    }
    char *text = out ? cJSON_PrintUnformatted(out) : NULL;
    if (!text) abort();
    free(text);
    cJSON_Delete(out);
done:
    cJSON_Delete(results);
    cJSON_Delete(jobs);
    cJSON_Delete(arr);
    return 0;
}
