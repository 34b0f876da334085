/* client.c - flags and calls shared by the server commands of lmntk. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_client_defaults(cli_client *c) {
    memset(c, 0, sizeof *c);
    c->server = getenv("LMNTK_SERVER");
    if (!c->server || !*c->server) c->server = "http://127.0.0.1:8080";
    c->token = getenv("LMNTK_TOKEN");
}

int cli_client_flag(cli_client *c, cli_args *a) {
    const char *v;
    if ((v = cli_value(a, "--server"))) c->server = v;
    else if ((v = cli_value(a, "--token"))) c->token = v;
    else return 0;
    return 1;
}

int cli_client_open(cli_client *c, const char *command) {
    lm_error err;
    if (lmw_http_global_init(&err) || lmw_http_init(&c->http, c->server, c->token, 60, &err)) {
        fprintf(stderr, "lmntk %s: %s\n", command, err.msg);
        return -1;
    }
    return 0;
}

void cli_client_close(cli_client *c) { lmw_http_free(&c->http); }

void cli_print_error(const char *command, const lmw_response *r) {
    char why[1024];
    lmw_response_describe(r, why, sizeof why);
    fprintf(stderr, "lmntk %s: %s\n", command, why);
}

int cli_experiment_path(const char *command, const char *id, const char *suffix, char *out, size_t cap) {
    if (!id[0] || strlen(id) > 64 || strpbrk(id, "/?#%")) {
        fprintf(stderr, "lmntk %s: '%s' is not an experiment id\n", command, id);
        return -1;
    }
    snprintf(out, cap, "/v1/experiments/%s%s", id, suffix);
    return 0;
}

int cli_print_raw(cli_client *c, const char *command, const char *path) {
    lmw_response r;
    lm_error err;
    if (lmw_http_json(&c->http, "GET", path, NULL, &r, &err)) {
        fprintf(stderr, "lmntk %s: %s\n", command, err.msg);
        return 1;
    }
    int rc = r.status == 200 ? 0 : 1;
    if (rc) cli_print_error(command, &r);
    else fwrite(r.body, 1, r.len, stdout);
    lmw_response_free(&r);
    return rc;
}

cJSON *cli_get_experiment(cli_client *c, const char *command, const char *id) {
    char path[256];
    if (cli_experiment_path(command, id, "", path, sizeof path)) return NULL;
    lmw_response r;
    lm_error err;
    if (lmw_http_json(&c->http, "GET", path, NULL, &r, &err)) {
        fprintf(stderr, "lmntk %s: %s\n", command, err.msg);
        return NULL;
    }
    cJSON *o = r.status == 200 ? lmw_response_json(&r) : NULL;
    if (r.status != 200) cli_print_error(command, &r);
    else if (!o) fprintf(stderr, "lmntk %s: the server's reply is not JSON\n", command);
    lmw_response_free(&r);
    return o;
}

int cli_call(cli_client *c, const char *command, const char *method, const char *path, const cJSON *body,
             long want, cJSON **reply) {
    lmw_response r;
    lm_error err;
    if (reply) *reply = NULL;
    if (lmw_http_json(&c->http, method, path, body, &r, &err)) {
        fprintf(stderr, "lmntk %s: %s\n", command, err.msg);
        return -1;
    }
    int rc = r.status == want ? 0 : -1;
    if (rc) cli_print_error(command, &r);
    else if (reply) *reply = lmw_response_json(&r);
    lmw_response_free(&r);
    return rc;
}

void cli_query_add(char *query, size_t cap, const char *name, const char *value) {
    if (!value) return;
    size_t n = strlen(query);
    n += (size_t)snprintf(query + n, n < cap ? cap - n : 0, "%s%s=", n ? "&" : "", name);
    for (const unsigned char *p = (const unsigned char *)value; *p && n + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~,", *p))
            query[n++] = (char)*p;
        else
            n += (size_t)snprintf(query + n, cap - n, "%%%02X", *p);
    }
    if (n < cap) query[n] = '\0';
}
