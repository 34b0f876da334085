/* cmd_status.c - `lmntk status ID`: an experiment's state, progress and
 * jobs as a table (--json: the server's JSON). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "commands.h"

static int usage(FILE *to) {
    fprintf(to, "usage: lmntk status ID [--json] [--server URL] [--token T]\n"
                "  ID: an experiment id, or its first 8 or more characters.\n");
    return to == stdout ? 0 : 2;
}

static const char *str(const cJSON *o, const char *key, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_status(const cJSON *e) {
    printf("experiment %s%s%s%s\n", str(e, "id", "?"), str(e, "name", NULL) ? "  (" : "",
           str(e, "name", ""), str(e, "name", NULL) ? ")" : "");
    printf("state      %s  %.0f%%\n", str(e, "state", "?"), 100 * num(e, "progress"));
    printf("task       %s    model %s\n", str(e, "task", "?"), str(e, "model", "(default)"));
    printf("seeds      %.0f of %.0f done%s\n", num(e, "seeds_done"), num(e, "seeds_total"),
           cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "partial_result"))
               ? " (lmntk results gives the partial result)" : "");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(e, "tags"), *t;
    if (cJSON_GetArraySize(tags)) {
        printf("tags      ");
        cJSON_ArrayForEach(t, tags) printf(" %s", t->valuestring);
        printf("\n");
    }
    if (str(e, "rerun_of", NULL)) printf("re-runs    %s\n", str(e, "rerun_of", ""));
    printf("created    %s    finished %s\n", str(e, "created_at", "-"), str(e, "finished_at", "-"));
    if (str(e, "error", NULL)) printf("error      %s\n", str(e, "error", ""));
    const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(e, "jobs");
    printf("\n%4s  %-12s %-16s %-18s %-10s %5s %4s  %-20s %s\n", "job", "seed", "method", "", "state", "done",
           "try", "worker", "stage / error");
    for (const cJSON *j = jobs ? jobs->child : NULL; j; j = j->next) {
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
        char seed_text[24] = "-";
        if (cJSON_IsNumber(seed)) snprintf(seed_text, sizeof seed_text, "%.0f", seed->valuedouble);
        const char *note = str(j, "error", NULL) ? str(j, "error", "") : str(j, "stage", "");
        printf("%4.0f  %-12s %-16s %-18s %-10s %4.0f%% %4.0f  %-20.20s %.80s\n", num(j, "index"), seed_text,
               str(j, "method", "-"), str(j, "label", ""), str(j, "state", "?"), 100 * num(j, "progress"),
               num(j, "attempts"), str(j, "worker", "-"), note);
    }
}

int cmd_status(int argc, char **argv) {
    cli_client c;
    cli_client_defaults(&c);
    const char *id = NULL, *v;
    int json = 0;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) return usage(stdout);
        if (cli_flag(&a, "--json")) json = 1;
        else if (cli_client_flag(&c, &a)) continue;
        else if (!id && (v = cli_positional(&a))) id = v;
        else return cli_unknown("status", &a);
    }
    if (!id) return usage(stderr);
    if (cli_client_open(&c, "status")) return 1;
    cJSON *e = cli_get_experiment(&c, "status", id);
    cli_client_close(&c);
    if (!e) return 1;
    if (json) {
        char *text = cJSON_Print(e);
        printf("%s\n", text);
        free(text);
    } else {
        print_status(e);
    }
    cJSON_Delete(e);
    return 0;
}
