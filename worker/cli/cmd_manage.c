/* cmd_manage.c - changing experiments on a server: `lmntk cancel`,
 * `lmntk delete`, `lmntk rename`, `lmntk tag`, `lmntk rerun`.  Each takes
 * an experiment id or its first 8 or more characters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "commands.h"

/* The flags every command here takes, and its positional arguments. */
typedef struct manage_args {
    cli_client c;
    const char *pos[66];
    int n_pos;
    int remove;        /* tag --remove */
} manage_args;

static int parse(int argc, char **argv, const char *command, const char *usage, manage_args *m, int *done) {
    memset(m, 0, sizeof *m);
    cli_client_defaults(&m->c);
    *done = 0;
    cli_args a = {argc, argv, 1};
    const char *v;
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) {
            printf("%s", usage);
            *done = 1;
            return 0;
        }
        if (cli_client_flag(&m->c, &a)) continue;
        if (!strcmp(command, "tag") && cli_flag(&a, "--remove")) m->remove = 1;
        else if (m->n_pos < 66 && (v = cli_positional(&a))) m->pos[m->n_pos++] = v;
        else return cli_unknown(command, &a);
    }
    return 0;
}

/* The experiment's path ("/v1/experiments/<id or prefix>"), checked for
 * characters that would leave it. */
static int experiment_path(const char *command, const char *id, const char *suffix, char *out, size_t cap) {
    if (!id[0] || strlen(id) > 64 || strpbrk(id, "/?#%")) {
        fprintf(stderr, "lmntk %s: '%s' is not an experiment id\n", command, id);
        return -1;
    }
    snprintf(out, cap, "/v1/experiments/%s%s", id, suffix);
    return 0;
}

/* Runs one call, prints "id state" (or the new experiment's id) on success. */
static int run(manage_args *m, const char *command, const char *method, const char *path, const cJSON *body,
               long want, const char *print_key) {
    if (cli_client_open(&m->c, command)) return 1;
    cJSON *reply;
    int rc = cli_call(&m->c, command, method, path, body, want, &reply) ? 1 : 0;
    if (rc == 0) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(reply, "id");
        const cJSON *v = print_key ? cJSON_GetObjectItemCaseSensitive(reply, print_key) : NULL;
        if (cJSON_IsString(v)) printf("%s %s\n", cJSON_IsString(id) ? id->valuestring : "", v->valuestring);
        else if (cJSON_IsString(id)) printf("%s\n", id->valuestring);
    }
    cJSON_Delete(reply);
    cli_client_close(&m->c);
    return rc;
}

#define SERVER_FLAGS "[--server URL] [--token T]"

static int bad_usage(const char *usage) {
    fputs(usage, stderr);
    return 2;
}

int cmd_cancel(int argc, char **argv) {
    static const char usage[] = "usage: lmntk cancel ID " SERVER_FLAGS "\n"
                                "  Cancels a queued or running experiment (its workers stop at their next heartbeat).\n";
    manage_args m;
    int done, rc = parse(argc, argv, "cancel", usage, &m, &done);
    if (rc || done) return rc;
    char path[128];
    if (m.n_pos != 1) return bad_usage(usage);
    if (experiment_path("cancel", m.pos[0], "", path, sizeof path)) return 2;
    return run(&m, "cancel", "DELETE", path, NULL, 200, "state");
}

int cmd_delete(int argc, char **argv) {
    static const char usage[] = "usage: lmntk delete ID " SERVER_FLAGS "\n"
                                "  Deletes a finished (succeeded, failed or cancelled) experiment with its artifacts.\n";
    manage_args m;
    int done, rc = parse(argc, argv, "delete", usage, &m, &done);
    if (rc || done) return rc;
    char path[128];
    if (m.n_pos != 1) return bad_usage(usage);
    if (experiment_path("delete", m.pos[0], "?purge=true", path, sizeof path)) return 2;
    return run(&m, "delete", "DELETE", path, NULL, 200, "state");
}

int cmd_rename(int argc, char **argv) {
    static const char usage[] = "usage: lmntk rename ID NAME " SERVER_FLAGS "\n"
                                "  Gives an experiment a new name ('' removes it).\n";
    manage_args m;
    int done, rc = parse(argc, argv, "rename", usage, &m, &done);
    if (rc || done) return rc;
    char path[128];
    if (m.n_pos != 2) return bad_usage(usage);
    if (experiment_path("rename", m.pos[0], "", path, sizeof path)) return 2;
    cJSON *body = cJSON_CreateObject();
    if (m.pos[1][0]) cJSON_AddStringToObject(body, "name", m.pos[1]);
    else cJSON_AddNullToObject(body, "name");
    rc = run(&m, "rename", "PATCH", path, body, 200, "name");
    cJSON_Delete(body);
    return rc;
}

int cmd_tag(int argc, char **argv) {
    static const char usage[] = "usage: lmntk tag ID TAG... [--remove] " SERVER_FLAGS "\n"
                                "  Adds tags to an experiment (--remove: removes them) and prints its tags.\n"
                                "  A tag is 1-64 of letters, digits and ._:+@=-\n";
    manage_args m;
    int done, rc = parse(argc, argv, "tag", usage, &m, &done);
    if (rc || done) return rc;
    char path[128];
    if (m.n_pos < 2) return bad_usage(usage);
    if (experiment_path("tag", m.pos[0], "", path, sizeof path)) return 2;
    cJSON *body = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(body, m.remove ? "remove_tags" : "add_tags");
    for (int i = 1; i < m.n_pos; i++) cJSON_AddItemToArray(list, cJSON_CreateString(m.pos[i]));
    if (cli_client_open(&m.c, "tag")) { cJSON_Delete(body); return 1; }
    cJSON *reply;
    rc = cli_call(&m.c, "tag", "PATCH", path, body, 200, &reply) ? 1 : 0;
    if (rc == 0) {
        const cJSON *t;
        printf("%s", cJSON_GetObjectItemCaseSensitive(reply, "id")->valuestring);
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(reply, "tags")) printf(" %s", t->valuestring);
        printf("\n");
    }
    cJSON_Delete(reply);
    cJSON_Delete(body);
    cli_client_close(&m.c);
    return rc;
}

int cmd_rerun(int argc, char **argv) {
    static const char usage[] = "usage: lmntk rerun ID " SERVER_FLAGS "\n"
                                "  Submits the experiment's spec again as a new experiment (linked to it by\n"
                                "  rerun_of) and prints the new id.\n";
    manage_args m;
    int done, rc = parse(argc, argv, "rerun", usage, &m, &done);
    if (rc || done) return rc;
    char path[128];
    if (m.n_pos != 1) return bad_usage(usage);
    if (experiment_path("rerun", m.pos[0], "/rerun", path, sizeof path)) return 2;
    return run(&m, "rerun", "POST", path, NULL, 201, NULL);
}
