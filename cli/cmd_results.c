/* cmd_results.c - `lmntk results ID`: a finished experiment's result.json
 * on stdout; with --out DIR also every artifact, under its name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "commands.h"
#include "summary.h"
#include "util/file.h"

static int usage(FILE *to) {
    fprintf(to, "usage: lmntk results ID [--out DIR] [--table] [--server URL] [--token T]\n"
                "  Prints result.json, or with --table the result table (method, dev and test\n"
                "  mean (std) over seeds); --out DIR also downloads every artifact.\n");
    return to == stdout ? 0 : 2;
}

/* Downloads one artifact name ("result.json", "3/kernel.npy") into dir. */
static int download(cli_client *c, const char *id, const char *name, const char *dir) {
    char path[512];
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
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(e, "artifacts");
    for (const cJSON *a = names ? names->child : NULL; a; a = a->next, n++)
        if (cJSON_IsString(a) && download(c, id, a->valuestring, dir)) rc = -1;
    const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(e, "jobs");
    for (const cJSON *j = jobs ? jobs->child : NULL; j; j = j->next) {
        names = cJSON_GetObjectItemCaseSensitive(j, "artifacts");
        for (const cJSON *a = names ? names->child : NULL; a; a = a->next, n++)
            if (cJSON_IsString(a) && download(c, id, a->valuestring, dir)) rc = -1;
    }
    fprintf(stderr, "lmntk results: %d artifact%s in %s\n", n, n == 1 ? "" : "s", dir);
    return rc;
}

int cmd_results(int argc, char **argv) {
    cli_client c;
    cli_client_defaults(&c);
    const char *id = NULL, *out = NULL, *v;
    int table = 0;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) return usage(stdout);
        if (cli_client_flag(&c, &a)) continue;
        if ((v = cli_value(&a, "--out"))) out = v;
        else if (cli_flag(&a, "--table")) table = 1;
        else if (!id && (v = cli_positional(&a))) id = v;
        else return cli_unknown("results", &a);
    }
    if (!id) return usage(stderr);
    if (cli_client_open(&c, "results")) return 1;
    int rc = 1;
    cJSON *e = cli_get_experiment(&c, "results", id);
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(e, "state");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(e, "result");
    if (!e) {
        /* printed */
    } else if (!cJSON_IsObject(result)) {
        fprintf(stderr, "lmntk results: experiment %s is %s: no results yet\n", id,
                cJSON_IsString(state) ? state->valuestring : "?");
    } else {
        if (table) {
            cli_print_summary(result, out);
        } else {
            char *text = cJSON_Print(result);
            printf("%s\n", text);
            free(text);
        }
        rc = 0;
        lm_error err;
        if (out && (lm_mkdirs(out, &err) || download_all(&c, id, e, out))) rc = 1;
    }
    cJSON_Delete(e);
    cli_client_close(&c);
    return rc;
}
