/* artifacts.h - the files a job leaves in its folder, each described in the
 * job result's "artifacts" manifest ({file, content, dtype, shape}). */
#ifndef LM_RUN_ARTIFACTS_H
#define LM_RUN_ARTIFACTS_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "store/npy.h"

/* Writes dir/file as .npy and adds its description to manifest (may be NULL). */
int lm_run_npy_artifact(const char *dir, const char *file, const char *content, lm_npy_dtype t,
                        int rank, const int64_t *shape, const void *data, cJSON *manifest,
                        lm_error *err);

#endif
