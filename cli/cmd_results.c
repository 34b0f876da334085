/* cmd_results.c - `lmntk results ID`: an experiment's result.json on
 * stdout (while seeds remain, the result of those finished, said so on
 * stderr); --table its result table; --csv one line per (method, seed) as
 * GET /v1/experiments.csv gives it; --out DIR also every artifact, at the
 * path the daemon serves it by (seed<S>/<method>/<file>). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "commands.h"
#include "summary.h"
#include "util/file.h"

static int usage(FILE *to) {
    fprintf(to, "usage: lmntk results ID [--out DIR] [--table | --csv] [--server URL] [--token T]\n"
                "  ID: an experiment id, or its first 8 or more characters.\n"
                "  Prints result.json, --table the result table (method, dev and test mean (std)\n"
                "  over seeds), --csv one line per (method, seed) with the selected\n"
                "  hyper-parameters, dev, test and diagnostics.  While seeds remain, the result\n"
                "  of the finished ones.  --out DIR also downloads every artifact, as\n"
                "  DIR/seed<S>/<method>/<file> (the layout of lmntk run --out).\n");
    return to == stdout ? 0 : 2;
}

/* Downloads an artifact path ("result.json", "seed42/kernel-sgd/kernel-train.npy") into dir. */
static int download(cli_client *c, const char *id, const char *name, const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "/v1/experiments/%s/artifacts/%s", id, name);
    char *dest = lm_path_join(dir, name);
    char *slash = strrchr(dest, '/');
    lm_error err;
    long status;
    int rc = 0;
    *slash = '\0';
    if (lm_mkdirs(dest, &err)) rc = -1;
    *slash = '/';
    if (rc == 0) rc = lmw_http_download(&c->http, path, dest, &status, &err);
    if (rc) fprintf(stderr, "lmntk results: %s: %s\n", name, err.msg);
    free(dest);
    return rc;
}

static int download_all(cli_client *c, const char *id, const cJSON *e, const char *dir) {
    int rc = 0, n = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "files")) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(f, "path");
        if (cJSON_IsString(path) && download(c, id, path->valuestring, dir)) rc = -1;
        n++;
    }
    fprintf(stderr, "lmntk results: %d artifact%s in %s\n", n, n == 1 ? "" : "s", dir);
    return rc;
}

static int print_csv(cli_client *c, const char *id) {
    char path[256];
    snprintf(path, sizeof path, "/v1/experiments.csv?id=%s", id);
    return cli_print_raw(c, "results", path);
}

int cmd_results(int argc, char **argv) {
    cli_client c;
    cli_client_defaults(&c);
    const char *id = NULL, *out = NULL, *v;
    int table = 0, csv = 0;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) return usage(stdout);
        if (cli_client_flag(&c, &a)) continue;
        if ((v = cli_value(&a, "--out"))) out = v;
        else if (cli_flag(&a, "--table")) table = 1;
        else if (cli_flag(&a, "--csv")) csv = 1;
        else if (!id && (v = cli_positional(&a))) id = v;
        else return cli_unknown("results", &a);
    }
    if (!id || (table && csv)) return usage(stderr);
    if (cli_client_open(&c, "results")) return 1;
    int rc = 1;
    cJSON *e = cli_get_experiment(&c, "results", id);
    const cJSON *full_id = cJSON_GetObjectItemCaseSensitive(e, "id");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(e, "state");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(e, "result");
    const cJSON *partial = cJSON_GetObjectItemCaseSensitive(e, "partial_result");
    if (!e || !cJSON_IsString(full_id)) {
        /* printed */
    } else if (!cJSON_IsObject(result) && !cJSON_IsObject(partial)) {
        fprintf(stderr, "lmntk results: experiment %s is %s: no results yet\n", full_id->valuestring,
                cJSON_IsString(state) ? state->valuestring : "?");
    } else {
        if (!cJSON_IsObject(result)) {
            const cJSON *left = cJSON_GetObjectItemCaseSensitive(e, "remaining_seeds");
            const cJSON *done = cJSON_GetObjectItemCaseSensitive(e, "seeds_done");
            fprintf(stderr, "lmntk results: experiment %s is %s: partial result of %d finished seed%s, %d remain\n",
                    full_id->valuestring, cJSON_IsString(state) ? state->valuestring : "?",
                    cJSON_IsNumber(done) ? (int)done->valuedouble : 0,
                    cJSON_IsNumber(done) && done->valuedouble == 1 ? "" : "s",
                    cJSON_IsNumber(left) ? (int)left->valuedouble : 0);
            result = partial;
        }
        rc = 0;
        if (csv) {
            rc = print_csv(&c, full_id->valuestring);
        } else if (table) {
            cli_print_summary(result, out);
        } else {
            char *text = cJSON_Print(result);
            printf("%s\n", text);
            free(text);
        }
        lm_error err;
        if (rc == 0 && out && (lm_mkdirs(out, &err) || download_all(&c, full_id->valuestring, e, out))) rc = 1;
    }
    cJSON_Delete(e);
    cli_client_close(&c);
    return rc;
}
