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
    /* A name or run/checkpoint: plain names, no '..', no dot files. */
    if (!models_dir || !lm_model_name_ok(name)) return 0;
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

static int is_folder(const char *dir, const char *name) {
    if (!lm_plain_name_ok(name)) return 0;
    char *p = lm_path_join(dir, name);
    int ok = lm_dir_exists(p);
    free(p);
    return ok;
}

static int by_step(const void *a, const void *b) {
    int x = lm_checkpoint_name_step(*(char *const *)a), y = lm_checkpoint_name_step(*(char *const *)b);
    if (x != y) return x < y ? -1 : 1;
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every model: the folders of models_dir that hold one, then the models one
 * level down ("run/checkpoint-N", a pre-training run's), in step order. */
cJSON *lmd_model_list(const char *models_dir) {
    cJSON *out = cJSON_CreateArray();
    size_t n;
    char **names = lmd_dir_names(models_dir, is_model, &n);
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(out, describe(models_dir, names[i]));
    lmd_dir_names_free(names, n);
    names = lmd_dir_names(models_dir, is_folder, &n);
    for (size_t i = 0; i < n; i++) {
        char *run = lm_path_join(models_dir, names[i]);
        size_t nc;
        char **cps = lmd_dir_names(run, is_model, &nc);
        if (nc > 1) qsort(cps, nc, sizeof *cps, by_step);
        for (size_t k = 0; k < nc; k++) {
            char *name = lm_path_join(names[i], cps[k]);
            cJSON *m = describe(models_dir, name);
            int step = lm_checkpoint_name_step(cps[k]);
            if (step >= 0) cJSON_AddNumberToObject(m, "pretrain_step", (double)step);
            cJSON_AddItemToArray(out, m);
            free(name);
        }
        lmd_dir_names_free(cps, nc);
        free(run);
    }
    lmd_dir_names_free(names, n);
    return out;
}
