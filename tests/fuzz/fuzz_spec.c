/* fuzz_spec.c - experiment specs as the daemon takes them at submit:
 * lm_spec_validate (which is lm_spec_parse) and lm_experiment_jobs
 * (common/spec, common/experiment) on the bytes of a POST /v1/experiments
 * body.
 *
 * Checked beyond "no crash, no leak, no UB":
 *   - a refusal names a reason;
 *   - a parsed spec's normalised form (lm_spec_to_json) parses again to
 *     the same normalised form (spec.h promises that round trip);
 *   - a valid spec expands into at least one job. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "fuzz_util.h"
#include "experiment/experiment.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > LM_SPEC_MAX_BYTES) return 0; /* the daemon refuses those before parsing */
    char *text = fuzz_strndup(data, size);
    char field[256];
    lm_error err = {{0}};
    lm_spec spec;
    if (lm_spec_parse(text, size, &spec, field, sizeof field, &err) != 0) {
        if (!err.msg[0]) abort();
    } else {
        cJSON *norm = lm_spec_to_json(&spec);
        char *norm_text = cJSON_PrintUnformatted(norm);
        lm_spec again;
        if (lm_spec_parse(norm_text, strlen(norm_text), &again, field, sizeof field, &err) != 0) abort();
        cJSON *norm2 = lm_spec_to_json(&again);
        if (!cJSON_Compare(norm, norm2, 1)) abort();
        cJSON_Delete(norm2);
        lm_spec_free(&again);
        free(norm_text);
        cJSON_Delete(norm);

        cJSON *jobs = NULL;
        if (lm_experiment_jobs(text, &jobs, &err) != 0 || cJSON_GetArraySize(jobs) < 1) abort();
        cJSON_Delete(jobs);
    }
    lm_spec_free(&spec);
    free(text);
    return 0;
}
