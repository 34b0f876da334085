/* cmd_wait.c - `lmntk wait ID`: polls an experiment until it finishes,
 * showing its progress on stderr (the progress bar of `lmntk run`).  Exit 0
 * when it succeeded, 1 when it failed or was cancelled, 3 on --timeout. */
#include "util/clock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "client.h"
#include "commands.h"
#include "progress.h"

static int usage(FILE *to) {
    fprintf(to, "usage: lmntk wait ID [--timeout SECONDS] [--interval SECONDS] [--quiet]\n"
                "                 [--server URL] [--token T]\n"
                "  ID: an experiment id, or its first 8 or more characters.\n");
    return to == stdout ? 0 : 2;
}

/* Draws the experiment's progress; returns its state. */
static const char *show(cli_progress *pr, const cJSON *e, int quiet) {
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(e, "state");
    const cJSON *progress = cJSON_GetObjectItemCaseSensitive(e, "progress");
    const cJSON *n_jobs = cJSON_GetObjectItemCaseSensitive(e, "n_jobs");
    const cJSON *done = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "jobs_by_state"),
                                                         "succeeded");
    const char *s = cJSON_IsString(state) ? state->valuestring : "?";
    char stage[96];
    snprintf(stage, sizeof stage, "%s %d/%d jobs", s, cJSON_IsNumber(done) ? (int)done->valuedouble : 0,
             cJSON_IsNumber(n_jobs) ? (int)n_jobs->valuedouble : 0);
    if (!quiet) cli_progress_update(pr, cJSON_IsNumber(progress) ? progress->valuedouble : 0, stage);
    return s;
}

int cmd_wait(int argc, char **argv) {
    cli_client c;
    cli_client_defaults(&c);
    const char *id = NULL, *v;
    double timeout = 0, interval = 1;
    int quiet = 0;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) return usage(stdout);
        if (cli_flag(&a, "--quiet")) quiet = 1;
        else if (cli_client_flag(&c, &a)) continue;
        else if ((v = cli_value(&a, "--timeout"))) timeout = atof(v);
        else if ((v = cli_value(&a, "--interval"))) interval = atof(v);
        else if (!id && (v = cli_positional(&a))) id = v;
        else return cli_unknown("wait", &a);
    }
    if (!id || interval <= 0 || timeout < 0) return usage(stderr);
    if (cli_client_open(&c, "wait")) return 1;
    cli_progress pr;
    cli_progress_init(&pr, "wait");
    double deadline = timeout > 0 ? lm_now() + timeout : 0;
    int rc = -1, misses = 0;
    char why[1024] = "";
    while (rc < 0) {
        cJSON *e = cli_get_experiment(&c, "wait", id);
        if (!e) {
            /* A daemon restarting is not the end of the experiment. */
            if (++misses >= 30) rc = 1;
        } else {
            misses = 0;
            const char *s = show(&pr, e, quiet);
            const cJSON *error = cJSON_GetObjectItemCaseSensitive(e, "error");
            if (!strcmp(s, "succeeded")) rc = 0;
            else if (!strcmp(s, "failed") || !strcmp(s, "cancelled")) {
                snprintf(why, sizeof why, "experiment %s %s%s%s", id, s, cJSON_IsString(error) ? ": " : "",
                         cJSON_IsString(error) ? error->valuestring : "");
                rc = 1;
            }
            cJSON_Delete(e);
        }
        if (rc < 0 && deadline > 0 && lm_now() + interval > deadline) {
            snprintf(why, sizeof why, "timed out after %.0f s", timeout);
            rc = 3;
        }
        if (rc < 0) usleep((useconds_t)(interval * 1e6));
    }
    if (!quiet) cli_progress_done(&pr);
    if (why[0]) fprintf(stderr, "lmntk wait: %s\n", why);
    cli_client_close(&c);
    return rc;
}
