/* cmd_submit.c - `lmntk submit spec.json`: sends a spec to a server and
 * prints the new experiment's id (alone on stdout, for scripts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "commands.h"
#include "util/file.h"

static int usage(FILE *to) {
    fprintf(to, "usage: lmntk submit SPEC.json [--server URL] [--token T]\n"
                    "  SPEC '-' reads stdin.  Prints the experiment id.\n");
    return to == stdout ? 0 : 2;
}

int cmd_submit(int argc, char **argv) {
    cli_client c;
    cli_client_defaults(&c);
    const char *spec_path = NULL, *v;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) return usage(stdout);
        if (cli_client_flag(&c, &a)) continue;
        if (spec_path || !(v = cli_positional(&a))) return cli_unknown("submit", &a);
        spec_path = v;
    }
    if (!spec_path) return usage(stderr);
    lm_error err;
    size_t len;
    char *spec = lm_read_file(strcmp(spec_path, "-") ? spec_path : "/dev/stdin", &len, &err);
    if (!spec) {
        fprintf(stderr, "lmntk submit: %s\n", err.msg);
        return 1;
    }
    if (cli_client_open(&c, "submit")) { free(spec); return 1; }
    lmw_response r;
    int rc = 1;
    if (lmw_http_send(&c.http, "POST", "/v1/experiments", spec, len, "application/json", &r, &err)) {
        fprintf(stderr, "lmntk submit: %s\n", err.msg);
    } else {
        cJSON *o = r.status == 201 ? lmw_response_json(&r) : NULL;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        if (cJSON_IsString(id)) {
            printf("%s\n", id->valuestring);
            rc = 0;
        } else {
            fprintf(stderr, "lmntk submit: %s: ", spec_path);
            cli_print_error("submit", &r);
        }
        cJSON_Delete(o);
        lmw_response_free(&r);
    }
    cli_client_close(&c);
    free(spec);
    return rc;
}
