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

/* One of these commands: its usage, how many positional arguments (ID
 * first; 0 = at least two), its call, and what of the reply it prints
 * after the id (a string, or the strings of an array). */
typedef struct manage_cmd {
    const char *name, *usage;
    int n_pos;
    const char *method, *suffix;
    long want;
    const char *print_key;
    cJSON *(*body)(const manage_args *m);   /* NULL: no body */
} manage_cmd;

static int bad_usage(const char *usage) {
    fputs(usage, stderr);
    return 2;
}

static int manage(int argc, char **argv, const manage_cmd *cmd) {
    manage_args m;
    int done, rc = parse(argc, argv, cmd->name, cmd->usage, &m, &done);
    if (rc || done) return rc;
    if (cmd->n_pos ? m.n_pos != cmd->n_pos : m.n_pos < 2) return bad_usage(cmd->usage);
    char path[128];
    if (cli_experiment_path(cmd->name, m.pos[0], cmd->suffix, path, sizeof path)) return 2;
    cJSON *body = cmd->body ? cmd->body(&m) : NULL, *reply = NULL;
    if (cli_client_open(&m.c, cmd->name)) {
        cJSON_Delete(body);
        return 1;
    }
    rc = cli_call(&m.c, cmd->name, cmd->method, path, body, cmd->want, &reply) ? 1 : 0;
    if (rc == 0) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(reply, "id"), *item;
        printf("%s", cJSON_IsString(id) ? id->valuestring : "");
        const cJSON *v = cmd->print_key ? cJSON_GetObjectItemCaseSensitive(reply, cmd->print_key) : NULL;
        if (cJSON_IsString(v)) printf(" %s", v->valuestring);
        const cJSON *list = cJSON_IsArray(v) ? v : NULL;
        cJSON_ArrayForEach(item, list) printf(" %s", item->valuestring);
        printf("\n");
    }
    cJSON_Delete(reply);
    cJSON_Delete(body);
    cli_client_close(&m.c);
    return rc;
}

#define SERVER_FLAGS "[--server URL] [--token T]"

int cmd_cancel(int argc, char **argv) {
    static const manage_cmd cmd = {
        "cancel", "usage: lmntk cancel ID " SERVER_FLAGS "\n"
                  "  Cancels a queued or running experiment (its workers stop at their next heartbeat).\n",
        1, "DELETE", "", 200, "state", NULL};
    return manage(argc, argv, &cmd);
}

int cmd_delete(int argc, char **argv) {
    static const manage_cmd cmd = {
        "delete", "usage: lmntk delete ID " SERVER_FLAGS "\n"
                  "  Deletes a finished (succeeded, failed or cancelled) experiment with its artifacts.\n",
        1, "DELETE", "?purge=true", 200, "state", NULL};
    return manage(argc, argv, &cmd);
}

static cJSON *rename_body(const manage_args *m) {
    cJSON *body = cJSON_CreateObject();
    if (m->pos[1][0]) cJSON_AddStringToObject(body, "name", m->pos[1]);
    else cJSON_AddNullToObject(body, "name");
    return body;
}

int cmd_rename(int argc, char **argv) {
    static const manage_cmd cmd = {
        "rename", "usage: lmntk rename ID NAME " SERVER_FLAGS "\n"
                  "  Gives an experiment a new name ('' removes it).\n",
        2, "PATCH", "", 200, "name", rename_body};
    return manage(argc, argv, &cmd);
}

static cJSON *tag_body(const manage_args *m) {
    cJSON *body = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(body, m->remove ? "remove_tags" : "add_tags");
    for (int i = 1; i < m->n_pos; i++) cJSON_AddItemToArray(list, cJSON_CreateString(m->pos[i]));
    return body;
}

int cmd_tag(int argc, char **argv) {
    static const manage_cmd cmd = {
        "tag", "usage: lmntk tag ID TAG... [--remove] " SERVER_FLAGS "\n"
               "  Adds tags to an experiment (--remove: removes them) and prints its tags.\n"
               "  A tag is 1-64 of letters, digits and ._:+@=-\n",
        0, "PATCH", "", 200, "tags", tag_body};
    return manage(argc, argv, &cmd);
}

int cmd_rerun(int argc, char **argv) {
    static const manage_cmd cmd = {
        "rerun", "usage: lmntk rerun ID " SERVER_FLAGS "\n"
                 "  Submits the experiment's spec again as a new experiment (linked to it by\n"
                 "  rerun_of) and prints the new id.\n",
        1, "POST", "/rerun", 201, NULL, NULL};
    return manage(argc, argv, &cmd);
}
