/* client.h - what the server commands of `lmntk` share: the --server and
 * --token flags (defaults $LMNTK_SERVER, $LMNTK_TOKEN), calls, and fetching
 * an experiment by its id or the first 8 or more characters of it. */
#ifndef LM_CLI_CLIENT_H
#define LM_CLI_CLIENT_H

#include <cjson/cJSON.h>
#include "cli_args.h"
#include "http_client.h"

typedef struct cli_client {
    const char *server;
    const char *token;
    lmw_http http;
} cli_client;

/* Fills the defaults from the environment. */
void cli_client_defaults(cli_client *c);

/* Consumes the current argument when it is --server or --token; 1 if so. */
int cli_client_flag(cli_client *c, cli_args *a);

/* Connects (libcurl set-up); prints the error and returns -1 on failure. */
int cli_client_open(cli_client *c, const char *command);
void cli_client_close(cli_client *c);

/* The experiment's path ("/v1/experiments/<id or prefix><suffix>"), the id
 * checked for characters that would leave it; prints why and returns -1. */
int cli_experiment_path(const char *command, const char *id, const char *suffix, char *out, size_t cap);

/* GET /v1/experiments/<id> as JSON; prints why and returns NULL on failure. */
cJSON *cli_get_experiment(cli_client *c, const char *command, const char *id);

/* GET path and write its body to stdout as it is (a CSV export); prints why
 * and returns 1 on failure. */
int cli_print_raw(cli_client *c, const char *command, const char *path);

/* Prints "lmntk <command>: <error reply>" for a non-2xx reply. */
void cli_print_error(const char *command, const lmw_response *r);

/* method path [JSON body]; the reply's JSON in *reply (may be NULL) when
 * its status is want.  Prints why and returns -1 otherwise. */
int cli_call(cli_client *c, const char *command, const char *method, const char *path, const cJSON *body,
             long want, cJSON **reply);

/* Appends "&name=value" (value percent-encoded; nothing when value is NULL)
 * to a query string of cap bytes. */
void cli_query_add(char *query, size_t cap, const char *name, const char *value);

#endif
