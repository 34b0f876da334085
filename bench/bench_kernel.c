/* bench_kernel.c - the eNTK job of the kernels issue: a roberta-base-shaped
 * model (random weights), SST-2 16-shot seed 42 (32 train, 32 dev, 872
 * test), the sgd kernel over all parameters for all three splits.  Prints
 * wall time, the FLOPs of the algorithm, achieved GFLOP/s against the
 * machine's SGEMM measured in the same run, and peak RSS; then signgd and
 * asymmetric_signgd, and optionally a 64-shot MNLI run (192 train, 3
 * classes) under the same memory budget.
 *
 *   build/bench/bench_kernel [--formulas sgd,signgd,asymmetric_signgd]
 *        [--mnli] [--layers 12] [--mem 6G] [--data ../shared/data] [--repeat N]
 *
 * --repeat N runs the formulas N times, alternating, and prints each
 * formula's time over the first's (the machine may be shared: the spread
 * of N ratios measured side by side says how much).
 *
 * bench/torch_kernel.py times the paper's way (functorch jacrev + vmapped
 * jvp) on a subset and scales it; bench/README.md shows both together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "kernel/kernel.h"
#include "prompt/prompt.h"
#include "util/file.h"

static double run_one(lm_model *m, const char *data_root, const char *task_name, const char *split,
                      lm_kernel_formula f, int binary, size_t mem, double *flops, size_t *peak) {
    lm_error err;
    char *tokdir = lm_path_join(data_root, "tokenizers/roberta-base");
    lm_tokenizer *tok = lm_tokenizer_load(tokdir, &err);
    free(tokdir);
    if (!tok) { fprintf(stderr, "%s\n", err.msg); exit(1); }
    lm_task *task = lm_task_builtin(task_name, &err);
    char *dir = lm_path_join(data_root, split);
    lm_encoded_split sp[3];
    const char *names[3] = {"train", "dev", "test"};
    for (int i = 0; i < 3; i++)
        if (lm_prompt_load_split(tok, task, dir, names[i], 1, &sp[i], &err)) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = sp[0].n_labels, .vocab = sp[0].label_word_ids,
                         .binary = binary};
    lm_kernel_options opt = {.formula = f, .params = LM_PS_ALL, .mem_budget = mem};
    lm_example_set train = {sp[0].n, sp[0].ex};
    lm_example_set sets[3] = {{sp[0].n, sp[0].ex}, {sp[1].n, sp[1].ex}, {sp[2].n, sp[2].ex}};
    lm_kernel_result r;
    double t = bench_now();
    if (lm_kernel_compute(m, &os, &opt, &train, sets, 3, &r, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    t = bench_now() - t;
    *flops = r.flops;
    *peak = r.peak_bytes;
    lm_kernel_result_free(&r);
    for (int i = 0; i < 3; i++) lm_encoded_split_free(&sp[i]);
    free(dir);
    lm_task_free(task);
    lm_tokenizer_free(tok);
    return t;
}

int main(int argc, char **argv) {
    const char *data = "../shared/data", *formulas = "sgd,signgd,asymmetric_signgd";
    int layers = 12, mnli = 0, repeat = 1;
    double mem_gb = 6;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mnli")) mnli = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--formulas")) formulas = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--layers")) layers = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--data")) data = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--mem")) mem_gb = atof(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--repeat")) repeat = atoi(argv[++i]);
    }
    char buf[256];
    const char *names[8];
    int nf = 0;
    snprintf(buf, sizeof buf, "%s", formulas);
    lm_kernel_formula fs[8];
    for (char *tok = strtok(buf, ","); tok && nf < 8; tok = strtok(NULL, ",")) {
        int parsed = lm_kernel_formula_parse(tok);
        if (parsed < 0) {
            fprintf(stderr, "bench_kernel: unknown formula '%s'\n", tok);
            return 2;
        }
        fs[nf] = (lm_kernel_formula)parsed;
        names[nf++] = tok;
    }
    size_t mem = (size_t)(mem_gb * (1 << 30));
    lm_model m;
    bench_roberta_base(&m, layers, 1);
    double sg = bench_sgemm_gflops(64, 88, 1 << 20 >> 4) ; /* the kernel products' shape */
    double sg_sq = bench_sgemm_gflops(2048, 2048, 2048);
    printf("{\"bench\": \"sgemm\", \"gflops_kernel_shape\": %.2f, \"gflops_2048\": %.2f}\n", sg, sg_sq);
    double lo[8], hi[8];
    for (int rep = 0; rep < (repeat > 0 ? repeat : 1); rep++) {
        double first = 0;
        for (int k = 0; k < nf; k++) {
            const char *tok = names[k];
            lm_kernel_formula f = fs[k];
            double flops;
            size_t peak;
            double t = run_one(&m, data, "SST-2", "k-shot-1k-test/SST-2/16-42", f, f == LM_KF_ASYM, mem, &flops, &peak);
            if (k == 0) first = t;
            double ratio = t / first;
            if (rep == 0 || ratio < lo[k]) lo[k] = ratio;
            if (rep == 0 || ratio > hi[k]) hi[k] = ratio;
            printf("{\"bench\": \"kernel\", \"task\": \"SST-2\", \"k\": 16, \"formula\": \"%s\", \"layers\": %d, "
                   "\"run\": %d, \"seconds\": %.1f, \"over_%s\": %.3f, \"gflop\": %.1f, \"gflops\": %.2f, "
                   "\"ratio_to_sgemm\": %.3f, \"planned_peak_mb\": %.0f, \"peak_rss_mb\": %.0f}\n", tok, layers,
                   rep + 1, t, names[0], ratio, flops / 1e9, flops / t / 1e9, flops / t / 1e9 / sg_sq,
                   peak / 1048576.0, bench_peak_rss_mb());
            fflush(stdout);
        }
    }
    for (int k = 1; k < nf && repeat > 1; k++)
        printf("{\"bench\": \"kernel_ratio\", \"formula\": \"%s\", \"over\": \"%s\", \"runs\": %d, "
               "\"min\": %.3f, \"max\": %.3f}\n", names[k], names[0], repeat, lo[k], hi[k]);
    if (mnli) {
        double flops;
        size_t peak;
        double t = run_one(&m, data, "MNLI", "k-shot-1k-test/MNLI/64-42", LM_KF_SGD, 0, mem, &flops, &peak);
        printf("{\"bench\": \"kernel\", \"task\": \"MNLI\", \"k\": 64, \"formula\": \"sgd\", \"layers\": %d, "
               "\"seconds\": %.1f, \"gflop\": %.1f, \"gflops\": %.2f, \"planned_peak_mb\": %.0f, "
               "\"peak_rss_mb\": %.0f}\n", layers, t, flops / 1e9, flops / t / 1e9, peak / 1048576.0,
               bench_peak_rss_mb());
    }
    lm_model_free(&m);
    return 0;
}
