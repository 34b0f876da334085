/* cmd_run.c - `lmntk run spec.json --out DIR`: one experiment, locally,
 * through the same code path as lmntk-worker. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "progress.h"
#include "summary.h"
#include "run/run.h"
#include "util/file.h"

static void usage(FILE *to) {
    fprintf(to, "usage: lmntk run SPEC.json --out DIR [--cache DIR] [--mem 6G] [--models DIR]\n"
                "                 [--data-root DIR]\n"
                "  Runs every job of the experiment and writes DIR/result.json and each job's\n"
                "  files in DIR/seed<S>/<method>/ (kernels as .npy; the daemon serves the same\n"
                "  names).  The cache defaults to $LMNTK_CACHE or ~/.cache/lmntk; --no-cache\n"
                "  disables it.  --models and --data-root are lmntk-worker's: the spec's model\n"
                "  is a name (or a path to a folder) of the models directory, its data is\n"
                "  relative to the data root, so one spec file serves both.  Cache entries\n"
                "  carry a MAC under the secret in $LMNTK_CACHE_SECRET_FILE, else\n"
                "  ~/.config/lmntk/cache-secret (made on first use); entries made under\n"
                "  another secret are ignored and recomputed.\n");
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
    const char *spec_path = NULL, *out = NULL, *cache = cli_default_cache(), *models = NULL,
               *data_root = NULL, *v;
    unsigned long long mem = 0;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) { usage(stdout); return 0; }
        else if ((v = cli_value(&a, "--out"))) out = v;
        else if ((v = cli_value(&a, "--cache"))) cache = v;
        else if (cli_flag(&a, "--no-cache")) cache = NULL;
        else if ((v = cli_value(&a, "--models"))) models = v;
        else if ((v = cli_value(&a, "--data-root"))) data_root = v;
        else if ((v = cli_value(&a, "--mem"))) {
            if (cli_parse_size(v, &mem)) return cli_bad("run", "--mem takes a size such as 6G or 512M");
        } else if ((v = cli_positional(&a)) && !spec_path) spec_path = v;
        else return cli_unknown("run", &a);
    }
    if (!spec_path || !out) { usage(stderr); return 2; }
    lm_error err;
    char *spec = lm_read_file(spec_path, NULL, &err);
    if (!spec) return cli_fail("run", err.msg);
    lm_run_options opt = {.cache_dir = cache, .models_dir = models, .data_root = data_root,
                          .mem_budget = (size_t)mem};
    cli_progress pr;
    cli_progress_init(&pr, "run");
    lm_run_hooks hooks = {cli_progress_update, &pr};
    cJSON *result = NULL;
    int rc = lm_run_experiment(spec, &opt, &hooks, out, &result, &err);
    cli_progress_done(&pr);
    free(spec);
    if (rc) return cli_fail("run", err.msg);
    cli_print_summary(result, out);
    cJSON_Delete(result);
    return 0;
}
