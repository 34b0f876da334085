/* cmd_kernel.c - `lmntk kernel --model DIR --task SST-2 --data SPLIT_DIR
 * --formula sgd --out OUT`: eNTK kernels and f0 of a split's train, dev and
 * test sets as .npy files with a JSON manifest, through the cache. */
#include "util/clock.h"
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "progress.h"
#include "run/kernels.h"
#include "run/setup.h"
#include "util/file.h"

const char *cli_default_cache(void);

static void usage(FILE *to) {
    fprintf(to,
            "usage: lmntk kernel --model DIR --task TASK --data SPLIT_DIR --formula F --out OUT\n"
            "                    [--params all|no_embeddings|no_head|biases] [--binary]\n"
            "                    [--mem 6G] [--cache DIR | --no-cache] [--projection K [--projection-seed S]]\n"
            "  F: sgd, signgd or asymmetric_signgd (needs --binary).  Writes OUT/kernel-{train,dev,test}.npy\n"
            "  ([N_train, C, N_X, C] float64; asymmetric: [2, ...] with the flipped kernel), f0-*.npy\n"
            "  ([N_X, C] float32) and OUT/manifest.json.  Prints cache hits and misses; the\n"
            "  cache's secret is as for `lmntk run`.\n"
            "  --projection K: approximate with a K-dimensional CountSketch of the gradients\n"
            "  (opt-in; the relative error on train x train is measured and reported).\n");
}


int cmd_kernel(int argc, char **argv) {
    const char *model = NULL, *task_name = NULL, *data = NULL, *out = NULL, *v;
    const char *cache_dir = cli_default_cache();
    lm_kernel_formula formula = LM_KF_SGD;
    lm_param_set ps = LM_PS_ALL;
    int binary = 0, proj = 0, proj_seed = 0;
    unsigned long long mem = 0;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) { usage(stdout); return 0; }
        else if ((v = cli_value(&a, "--model"))) model = v;
        else if ((v = cli_value(&a, "--task"))) task_name = v;
        else if ((v = cli_value(&a, "--data"))) data = v;
        else if ((v = cli_value(&a, "--out"))) out = v;
        else if ((v = cli_value(&a, "--cache"))) cache_dir = v;
        else if (cli_flag(&a, "--no-cache")) cache_dir = NULL;
        else if (cli_flag(&a, "--binary")) binary = 1;
        else if ((v = cli_value(&a, "--formula"))) {
            int f = lm_kernel_formula_parse(v);
            if (f < 0) return cli_bad("kernel", "--formula: sgd, signgd or asymmetric_signgd");
            formula = (lm_kernel_formula)f;
        } else if ((v = cli_value(&a, "--params"))) {
            /* LoRA needs its factors, which only a spec describes (lmntk run) */
            int p = lm_param_set_parse(v);
            if (p < 0 || p == LM_PS_LORA) return cli_bad("kernel", "--params: all, no_embeddings, no_head or biases");
            ps = (lm_param_set)p;
        } else if ((v = cli_value(&a, "--mem"))) {
            if (cli_parse_size(v, &mem)) return cli_bad("kernel", "--mem takes a size such as 6G or 512M");
        } else if ((v = cli_value(&a, "--projection"))) {
            if (cli_parse_int(v, 1, 1 << 24, &proj)) return cli_bad("kernel", "--projection takes a dimension >= 1");
        } else if ((v = cli_value(&a, "--projection-seed"))) {
            if (cli_parse_int(v, 0, 1 << 30, &proj_seed)) return cli_bad("kernel", "--projection-seed takes an integer >= 0");
        } else return cli_unknown("kernel", &a);
    }
    if (!model || !task_name || !data || !out) { usage(stderr); return 2; }
    if (formula == LM_KF_ASYM && !binary)
        return cli_bad("kernel", "asymmetric_signgd needs --binary (spec §3.2)");
    lm_error err;
    lm_task *task = lm_task_builtin(task_name, &err);
    if (!task) return cli_fail("kernel", err.msg);
    if (binary && task->n_labels != 2) {
        lm_task_free(task);
        return cli_bad("kernel", "--binary needs a 2-class task");
    }
    lm_job_setup js;
    if (lm_job_setup_open(&js, lm_xstrdup(model), lm_xstrdup(data), task, 1, &err)) {
        lm_job_setup_free(&js);
        return cli_fail("kernel", err.msg);
    }
    cli_progress pr;
    cli_progress_init(&pr, "kernel");
    lm_kernel_request rq = {.model = &js.model, .model_digest = js.model_digest, .train = &js.split[0]};
    rq.os = (lm_output_spec){.head = LM_HEAD_MLM, .n_out = task->n_labels, .vocab = js.label_words,
                             .binary = binary};
    rq.opt = (lm_kernel_options){.formula = formula, .params = ps, .mem_budget = (size_t)mem,
                                 .progress = {cli_progress_update, &pr},
                                 .projection_dim = proj, .projection_seed = (uint64_t)proj_seed};
    const lm_encoded_split *sets[3] = {&js.split[0], &js.split[1], &js.split[2]};
    rq.sets = sets;
    rq.n_sets = 3;
    lm_cache *cache = NULL;
    int rc = 1;
    if (cache_dir && !(cache = lm_cache_open(cache_dir, NULL, &err)))
        fprintf(stderr, "lmntk kernel: warning: %s; computing without the cache\n", err.msg);
    lm_kernel_result kr;
    lm_kernel_cache_stats cs;
    double t0 = lm_now();
    if (lm_kernels_cached(cache, &rq, &kr, &cs, &err)) {
        cli_progress_done(&pr);
        cli_fail("kernel", err.msg);
        goto done;
    }
    cli_progress_done(&pr);
    double secs = lm_now() - t0;
    cJSON *man = cJSON_CreateObject();
    cJSON_AddStringToObject(man, "model", model);
    cJSON_AddStringToObject(man, "model_sha256", js.model_digest);
    cJSON_AddStringToObject(man, "task", task->name);
    cJSON_AddStringToObject(man, "data", data);
    cJSON_AddStringToObject(man, "formula", lm_kernel_formula_name(formula));
    cJSON_AddStringToObject(man, "params", lm_param_set_name(ps));
    cJSON_AddNumberToObject(man, "parameters", (double)lm_param_set_size(&js.model, ps));
    cJSON_AddBoolToObject(man, "binary", binary);
    cJSON *lw = cJSON_AddArrayToObject(man, "label_word_ids");
    for (int i = 0; i < task->n_labels; i++) cJSON_AddItemToArray(lw, cJSON_CreateNumber(js.label_words[i]));
    cJSON *labels = cJSON_AddObjectToObject(man, "labels");
    static const char *names[3] = {"train", "dev", "test"};
    for (int s = 0; s < 3; s++) {
        cJSON *arr = cJSON_AddArrayToObject(labels, names[s]);
        for (int i = 0; i < js.split[s].n; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(js.split[s].ex[i].label));
    }
    cJSON *files = cJSON_AddArrayToObject(man, "files");
    if (lm_kernels_export(out, "", &kr, names, files, &err)) {
        cli_fail("kernel", err.msg);
        cJSON_Delete(man);
        lm_kernel_result_free(&kr);
        goto done;
    }
    cJSON_AddNumberToObject(man, "seconds", secs);
    cJSON_AddNumberToObject(man, "gflop", kr.flops / 1e9);
    cJSON_AddNumberToObject(man, "cache_hits", cs.hits);
    cJSON_AddNumberToObject(man, "cache_misses", cs.misses);
    if (proj) {
        cJSON_AddNumberToObject(man, "projection_dim", proj);
        cJSON_AddNumberToObject(man, "projection_seed", proj_seed);
        if (cs.misses) {
            cJSON_AddNumberToObject(man, "projection_train_rel_frobenius_error", kr.projection_rel_error);
            printf("projection %d: relative Frobenius error on train x train %.3g\n", proj,
                   kr.projection_rel_error);
        }
    }
    char *text = cJSON_Print(man), *path = lm_path_join(out, "manifest.json");
    if (lm_write_file_atomic(path, text, strlen(text), &err)) cli_fail("kernel", err.msg);
    else {
        printf("kernel %s: %d train x (%d, %d, %d) examples, %d outputs; %.1f s, %.1f GFLOP; "
               "cache: %d hits, %d misses; wrote %s\n", lm_kernel_formula_name(formula), js.split[0].n,
               js.split[0].n, js.split[1].n, js.split[2].n, kr.dim, secs, kr.flops / 1e9, cs.hits,
               cs.misses, out);
        rc = 0;
    }
    free(text);
    free(path);
    cJSON_Delete(man);
    lm_kernel_result_free(&kr);
done:
    if (cache) lm_cache_close(cache);
    lm_job_setup_free(&js);
    return rc;
}
