/* shards.c - the automatic number of tiles of a kernel (see shards.h). */
#include "admit/shards.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/file.h"

#define BYTES_PER_TOKEN 4.0

/* Bytes of the split's files: all of them, and the training file's. */
static int split_bytes(const char *dir, double *all, double *train) {
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) return -1;
    struct dirent *e;
    *all = *train = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *path = lm_path_join(dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            *all += (double)st.st_size;
            if (!strncmp(e->d_name, "train.", 6)) *train += (double)st.st_size;
        }
        free(path);
    }
    closedir(d);
    return *all > 0 && *train > 0 ? 0 : -1;
}

void lm_admit_shards(const lm_spec *spec, const lm_config *cfg, const char *split_dir, int live_workers,
                     lm_shard_estimate *out) {
    memset(out, 0, sizeof *out);
    double C = spec->n_classes > 0 ? spec->n_classes : 2, R = spec->binary ? 1 : C;
    double H = cfg->hidden, I = cfg->intermediate, L = cfg->n_layers;
    double P = L * (4 * H * H + 2 * H * I);
    double all, train;
    out->train_examples = spec->k * C;
    if (split_bytes(split_dir, &all, &train) == 0) {
        out->tokens = all / BYTES_PER_TOKEN;
        double per_example = train / BYTES_PER_TOKEN / out->train_examples;
        out->eval_examples = out->tokens / (per_example > 1 ? per_example : 1);
    } else {
        out->eval_examples = 2 * out->train_examples + 1000;
        out->tokens = out->eval_examples * 40;
    }
    out->flops = 2 * P * (1 + R) * out->tokens + 2 * P * (out->train_examples * R) * (out->eval_examples * R);
    out->seconds = out->flops / (LM_SHARD_WORKER_GFLOPS * 1e9);
    double n = floor(out->seconds / LM_SHARD_MIN_SECONDS);
    if (n > live_workers) n = live_workers;
    if (n > LM_SHARD_MAX) n = LM_SHARD_MAX;
    out->shards = n < 1 ? 1 : (int)n;
}
