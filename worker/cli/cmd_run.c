/* cmd_run.c - `lmntk run spec.json --out DIR`: one experiment, locally,
 * through the same code path as lmntk-worker. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "progress.h"
#include "run/run.h"
#include "util/file.h"

static void usage(FILE *to) {
    fprintf(to, "usage: lmntk run SPEC.json --out DIR [--cache DIR] [--mem 6G]\n"
                "  Runs every job of the experiment and writes DIR/result.json and the\n"
                "  kernels as .npy.  The cache defaults to $LMNTK_CACHE or ~/.cache/lmntk;\n"
                "  --no-cache disables it.\n");
}

const char *cli_default_cache(void) {
    static char buf[1024];
    const char *env = getenv("LMNTK_CACHE");
    if (env && *env) return env;
    const char *home = getenv("HOME");
    snprintf(buf, sizeof buf, "%s/.cache/lmntk", home && *home ? home : "/tmp");
    return buf;
}

int cmd_run(int argc, char **argv) {
    const char *spec_path = NULL, *out = NULL, *cache = cli_default_cache(), *v;
    unsigned long long mem = 0;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) { usage(stdout); return 0; }
        else if ((v = cli_value(&a, "--out"))) out = v;
        else if ((v = cli_value(&a, "--cache"))) cache = v;
        else if (cli_flag(&a, "--no-cache")) cache = NULL;
        else if ((v = cli_value(&a, "--mem"))) {
            if (cli_parse_size(v, &mem)) return cli_bad("run", "--mem takes a size such as 6G or 512M");
        } else if ((v = cli_positional(&a)) && !spec_path) spec_path = v;
        else return cli_unknown("run", &a);
    }
    if (!spec_path || !out) { usage(stderr); return 2; }
    lm_error err;
    char *spec = lm_read_file(spec_path, NULL, &err);
    if (!spec) return cli_fail("run", err.msg);
    lm_run_options opt = {.cache_dir = cache, .mem_budget = (size_t)mem};
    cli_progress pr;
    cli_progress_init(&pr, "run");
    lm_run_hooks hooks = {cli_progress_update, &pr};
    cJSON *result = NULL;
    int rc = lm_run_experiment(spec, &opt, &hooks, out, &result, &err);
    cli_progress_done(&pr);
    free(spec);
    if (rc) return cli_fail("run", err.msg);
    /* the table: method, dev and test mean ± std */
    const cJSON *summary = cJSON_GetObjectItem(result, "summary");
    const cJSON *metric = cJSON_GetObjectItem(result, "metric");
    printf("%-28s %16s %16s\n", "method", "dev", "test");
    const cJSON *row;
    cJSON_ArrayForEach(row, summary) {
        const cJSON *rows = cJSON_GetObjectItem(row, "summary");
        const cJSON *one;
        if (!rows) rows = NULL;
        cJSON *single = NULL;
        if (!rows) {
            single = cJSON_CreateArray();
            cJSON_AddItemReferenceToArray(single, (cJSON *)row);
            rows = single;
        } else {
            printf("model %s\n", cJSON_GetObjectItem(row, "model")->valuestring);
        }
        cJSON_ArrayForEach(one, rows) {
            const cJSON *d = cJSON_GetObjectItem(one, "dev"), *t = cJSON_GetObjectItem(one, "test");
            printf("%-28s %7.1f (%5.1f) %9.1f (%5.1f)\n", cJSON_GetObjectItem(one, "method")->valuestring,
                   100 * cJSON_GetObjectItem(d, "mean")->valuedouble, 100 * cJSON_GetObjectItem(d, "std")->valuedouble,
                   100 * cJSON_GetObjectItem(t, "mean")->valuedouble, 100 * cJSON_GetObjectItem(t, "std")->valuedouble);
            const cJSON *z = cJSON_GetObjectItem(one, "zero_shot_test");
            if (z)
                printf("%-28s %16s %9.1f (%5.1f)\n", "  zero-shot f0", "",
                       100 * cJSON_GetObjectItem(z, "mean")->valuedouble, 100 * cJSON_GetObjectItem(z, "std")->valuedouble);
        }
        cJSON_Delete(single);
    }
    printf("metric: %s x 100, mean (population std) over seeds; result: %s/result.json\n",
           cJSON_IsString(metric) ? metric->valuestring : "acc", out);
    cJSON_Delete(result);
    return 0;
}
