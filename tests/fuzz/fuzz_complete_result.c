/* fuzz_complete_result.c - the job results workers report with
 * POST /v1/leases/{lease}/complete, as aggregation (lm_run_aggregate,
 * common/run) meets them once an experiment's last job is in.
 *
 * Input: one byte picking the experiment's spec, then a JSON array of job
 * results.  The array is read as lmd_request_json reads a body (strict),
 * each element must be an object as the complete handler requires, and each
 * goes through the database as text (cJSON_PrintUnformatted, cJSON_Parse),
 * as server/queue.c stores and reloads it.  Results are dealt to the jobs
 * in turn, repeating the array when it is shorter than the job list.
 *
 * Checked beyond "no crash, no leak, no UB": aggregation either fails with
 * a message or gives an object that prints. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "fuzz_util.h"
#include "run/run.h"
#include "spec/json_strict.h"

/* The shapes of result.json: seeds x kernel formulas + fine-tuning with
 * diagnostics (the kernel/FT pairing), a checkpoint sweep (the pre-training
 * curve), a pre-training run, one job. */
static const char *const specs[] = {
    "{\"task\":\"SST-2\",\"data\":\"d\",\"seeds\":[13,21],"
    "\"kernel\":{\"formula\":[\"sgd\",\"signgd\",\"asymmetric_signgd\"]},"
    "\"finetune\":[{\"lr\":1e-5},{\"optimizer\":\"sgd\",\"lr\":1e-3}],\"diagnostics\":{}}",
    "{\"task\":\"SST-2\",\"data\":\"d\",\"seeds\":[13,42],"
    "\"checkpoints\":[\"run/checkpoint-100\",\"run/checkpoint-20\",\"other\"],"
    "\"kernel\":{\"formula\":[\"sgd\",\"signgd\"]},\"finetune\":[{\"optimizer\":\"signgd\",\"lr\":1e-4}]}",
    "{\"pretrain\":{\"tokenizer\":\"default\",\"corpus\":[\"c.txt\"],\"out\":\"run\"}}",
    "{\"task\":\"MNLI\",\"data\":\"d\",\"seeds\":[1]}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *spec = specs[data[0] % (sizeof specs / sizeof specs[0])];
    char field[256];
    lm_error err = {{0}};
    cJSON *arr = lm_json_parse_strict((const char *)data + 1, size - 1, field, sizeof field, &err);
    int n_given = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    cJSON *jobs = NULL;
    if (n_given == 0 || lm_run_list_jobs(spec, &jobs, &err) != 0) {
        if (!jobs && n_given) abort(); /* the fixed specs are valid */
        cJSON_Delete(arr);
        return 0;
    }
    int nj = cJSON_GetArraySize(jobs);
    cJSON *results = cJSON_CreateArray();
    for (int j = 0; j < nj; j++) {
        const cJSON *r = cJSON_GetArrayItem(arr, j % n_given);
        if (!cJSON_IsObject(r)) goto done; /* the complete handler refuses it (400) */
        char *text = cJSON_PrintUnformatted(r);
        cJSON_AddItemToArray(results, cJSON_Parse(text));
        free(text);
    }
    cJSON *out = NULL;
    if (lm_run_aggregate(spec, jobs, results, &out, &err) == 0) {
        char *text = out ? cJSON_PrintUnformatted(out) : NULL;
        if (!text) abort();
        free(text);
    } else if (!err.msg[0]) {
        abort();
    }
    cJSON_Delete(out);
done:
    cJSON_Delete(results);
    cJSON_Delete(jobs);
    cJSON_Delete(arr);
    return 0;
}
