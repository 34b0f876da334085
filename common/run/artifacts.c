/* artifacts.c - .npy artifacts with their manifest entries (artifacts.h). */
#include "run/artifacts.h"

#include <stdlib.h>
#include "util/file.h"

int lm_run_npy_artifact(const char *dir, const char *file, const char *content, lm_npy_dtype t,
                        int rank, const int64_t *shape, const void *data, cJSON *manifest,
                        lm_error *err) {
    char *path = lm_path_join(dir, file);
    int rc = lm_npy_write(path, t, rank, shape, data, err);
    free(path);
    if (rc || !manifest) return rc;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "file", file);
    cJSON_AddStringToObject(e, "content", content);
    cJSON_AddStringToObject(e, "dtype", lm_npy_dtype_descr(t));
    cJSON *sh = cJSON_AddArrayToObject(e, "shape");
    for (int i = 0; i < rank; i++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)shape[i]));
    cJSON_AddItemToArray(manifest, e);
    return 0;
}
