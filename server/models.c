/* models.c - the registered model folders. */
#include "models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "artifacts.h"
#include "dirlist.h"
#include "util/file.h"

int lmd_model_registered(const char *models_dir, const char *name) {
    /* The same alphabet as artifact names: no '/', no '..', no dot files. */
    if (!models_dir || !lmd_artifact_file_ok(name)) return 0;
    char *dir = lm_path_join(models_dir, name);
    char *config = lm_path_join(dir, "config.json");
    int ok = lm_file_exists(config);
    free(config);
    free(dir);
    return ok;
}

static int is_visible_file(const char *dir, const char *name) {
    if (name[0] == '.') return 0;
    char *path = lm_path_join(dir, name);
    int ok = lm_file_exists(path);
    free(path);
    return ok;
}

static cJSON *describe(const char *models_dir, const char *name) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "name", name);
    cJSON *files = cJSON_AddArrayToObject(m, "files");
    double bytes = 0;
    char *dir = lm_path_join(models_dir, name);
    size_t n;
    char **names = lmd_dir_names(dir, is_visible_file, &n);
    for (size_t i = 0; i < n; i++) {
        char *path = lm_path_join(dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0) bytes += (double)st.st_size;
        free(path);
        cJSON_AddItemToArray(files, cJSON_CreateString(names[i]));
    }
    lmd_dir_names_free(names, n);
    free(dir);
    cJSON_AddNumberToObject(m, "bytes", bytes);
    return m;
}

/* Folders of models_dir that hold a model. */
static int is_model(const char *models_dir, const char *name) {
    return lmd_model_registered(models_dir, name);
}

cJSON *lmd_model_list(const char *models_dir) {
    cJSON *out = cJSON_CreateArray();
    size_t n;
    char **names = lmd_dir_names(models_dir, is_model, &n);
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(out, describe(models_dir, names[i]));
    lmd_dir_names_free(names, n);
    return out;
}
